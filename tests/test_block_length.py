"""Cycles per block of compact values (``blocks.compact_block_length``): the values without a cycle axis are
made again for every block, so where less than one cycle fits beside them in the budget the block may hold
twice the budget rather than one cycle; where they alone exceed it, one cycle."""

from pathlib import Path

import numpy as np

from ipsecon.engines import blocks
from ipsecon.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def _values(sc, n):
    """The base case with the effect's half-life differing between the n samples (as in a PSA)."""
    values = dict(sc.base_values())
    values["ips.persistence.half_life"] = float(values["ips.persistence.half_life"]) * np.linspace(0.5, 1.5, n)
    return values


def _sizes(sc, n):
    """(values per cycle, values without a cycle axis) of the IPS strategy's compact values for n samples."""
    values, probe = _values(sc, n), np.arange(2)
    ns = sc.model.namespace(values, sc.strata, sc.spec.population.start_year, "ips", probe, n)
    # the probe's shapes: every value as its formula shapes it (a value the same in both cycles may change later)
    cv = sc.model.compact(ns, "ips", (n, sc.strata.size, 2), sc.strata, probe, same_cycles=False)
    per_cycle = sum(int(np.prod(sh)) // 2 for sh in cv.shapes if sh[2] > 1)
    return per_cycle, sum(int(np.prod(sh)) for sh in cv.shapes if sh[2] == 1)


def test_block_length_against_the_budget():
    sc = load_scenario(ROOT / "scenarios/bodo.yaml")
    budget, year = blocks.COMPACT_ELEMENTS, sc.spec.population.start_year

    def length(n):
        return blocks.compact_block_length(sc.model, _values(sc, n), sc.strata, year, "ips", n, 120)

    # the sizes are those of the rows stored: a row per class of subgroups a formula tells apart (CompactValues)
    per_cycle, fixed = _sizes(sc, 1)
    assert fixed + per_cycle * 120 <= budget and length(1) == 120  # one sample: the whole horizon fits
    per_cycle, fixed = _sizes(sc, 8)  # a PSA batch of 8 samples: as many cycles as fit
    assert fixed + per_cycle * length(8) <= budget < fixed + per_cycle * (length(8) + 1) and length(8) < 120
    per_cycle, fixed = _sizes(sc, 100)
    assert fixed < budget < fixed + per_cycle  # not one cycle fits beside the fixed values ...
    tb = length(100)
    assert tb >= 2 and fixed + per_cycle * tb <= 2 * budget < fixed + per_cycle * (tb + 1)  # ... so twice the budget
    per_cycle, fixed = _sizes(sc, 128)
    assert fixed > budget and length(128) == 1  # the fixed values alone exceed it: one cycle, no more memory
