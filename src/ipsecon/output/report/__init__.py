"""A report per results folder: one self-contained HTML file and a Markdown twin.

    write_report(Path("results/bodo"))  ->  reports/bodo/bodo.html, reports/bodo/bodo.md

The report renders only from the result files: every file records the run that made it
(scenario, hash, structure, overrides, engine, seed, strategy roles, discounting) and a scenario
card (description, the model as run, targets, every parameter's value and source;
:mod:`ipsecon.output.provenance`). Scenario and parameter files are never re-read — they may
have changed since. A folder whose files come from different runs gets a warning at the top
naming each file's run; each section is drawn from its own file.

It reads whatever the folder holds and renders a section for each:

* ``results.nc`` (``ipsecon simulate``): the question and scenario in plain words, a model card
  (states and moves as a diagram, transitions, strategy effects, key parameters with sources,
  assumptions), employment against the trial's targets, occupancy over time, who pays and who gains
  (a payer waterfall and cumulative net per perspective over time), NPV/ROI/payback per
  perspective, break-even wage against horizon;
* ``breakeven.nc`` (``ipsecon breakeven``): break-even wage against horizon, each scenario with
  its own title and assumptions;
* ``psa.nc``, ``dsa.nc``, ``sobol.nc`` (the uncertainty commands): CE plane, CEAC/CEAF, EVPI,
  EVPPI, break-even wage distribution, probability of paying off, tornados, two-way grids, Sobol
  indices per horizon and against horizon — for each intervention against the comparator.

Modules: :mod:`.folder` (reading a folder, checking its runs agree), :mod:`.runs` (what a file
records about its run), :mod:`.summary`, :mod:`.model_card`, :mod:`.trace_sections`,
:mod:`.money_sections`, :mod:`.breakeven_section`, :mod:`.uncertainty_sections` (the sections),
:mod:`.render` (HTML and Markdown), :mod:`.document` (putting it together).
"""

from ipsecon.output.report.document import build_sections, remove_report, report_paths, write_report
from ipsecon.output.report.folder import Inputs, read_inputs

__all__ = ["Inputs", "build_sections", "read_inputs", "remove_report", "report_paths", "write_report"]
