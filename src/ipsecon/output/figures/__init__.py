"""Figures for reports (matplotlib, headless). Every ``*_figure`` function returns a matplotlib Figure.

* :mod:`~ipsecon.output.figures.style` — one colour per strategy, state, perspective and payer,
  used in every figure; money axes say NOK and the price year, time axes months or years;
* :mod:`~ipsecon.output.figures.trace` — the model's states and moves, employment, occupancy;
* :mod:`~ipsecon.output.figures.money` — payer waterfall, cumulative net, NPV, break-even wage;
* :mod:`~ipsecon.output.figures.uncertainty` — the PSA (``psa.nc``);
* :mod:`~ipsecon.output.figures.sensitivity` — tornados and two-way grids (``dsa.nc``), Sobol
  indices (``sobol.nc``).

The uncertainty figures read the datasets the commands write, so they can be called directly,
e.g. ``tornado_figure(xr.open_dataset("dsa.nc"), "society", 10, "inc_npv", intervention="ips")``.
"""

from ipsecon.output.figures.money import (breakeven_figure, breakeven_plot, cumulative_net_figure, npv_figure,
                                           payer_waterfall_figure)
from ipsecon.output.figures.sensitivity import (DSA_OUTPUTS, output_label, sobol_bars_figure, sobol_horizon_figure,
                                                tornado_figure, twoway_figure)
from ipsecon.output.figures.style import (BREAKEVEN_STATUS, DPI, PARTY_LABELS, PERSPECTIVE_COLOURS, PERSPECTIVE_LABELS,
                                          nok, party_label, perspective_label, png_bytes, save, state_colours, strategy_colours)
from ipsecon.output.figures.trace import employment_figure, model_diagram_figure, occupancy_figure
from ipsecon.output.figures.uncertainty import (breakeven_distribution_figure, ce_plane_figure, ceac_figure,
                                                evpi_figure, evppi_figure, prob_pays_off_figure,
                                                psa_breakeven_by_horizon_figure, psa_employment_figure,
                                                psa_occupancy_figure,
                                                psa_net_by_horizon_figure)

__all__ = ["BREAKEVEN_STATUS", "DPI", "DSA_OUTPUTS", "PARTY_LABELS", "PERSPECTIVE_COLOURS", "PERSPECTIVE_LABELS",
           "breakeven_distribution_figure", "breakeven_figure", "breakeven_plot", "ce_plane_figure", "ceac_figure",
           "cumulative_net_figure", "employment_figure", "evpi_figure", "evppi_figure", "model_diagram_figure", "nok",
           "npv_figure", "occupancy_figure", "output_label", "payer_waterfall_figure", "party_label", "perspective_label", "png_bytes",
           "prob_pays_off_figure", "psa_breakeven_by_horizon_figure", "psa_employment_figure", "psa_occupancy_figure",
           "psa_net_by_horizon_figure", "save", "sobol_bars_figure", "sobol_horizon_figure", "state_colours",
           "strategy_colours", "tornado_figure", "twoway_figure"]
