"""``api.structure_alternatives`` makes each alternative from the loaded scenario (only the model is compiled
again): the same model, parameters, population and discount rates as ``load_scenario(..., structure=name)``."""

from pathlib import Path

import numpy as np

from ipsecon import api
from ipsecon.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]


def test_alternatives_equal_loading_each_structure():
    overrides = {"ips.persistence.half_life": 3.0}
    sc = load_scenario(ROOT / "scenarios/bodo.yaml", overrides=overrides)
    alts = api.structure_alternatives(sc)
    names = [n for n, st in sc.model.spec.structures.items() if st.variables]
    assert [a.structure for a in alts] == names and len(names) == 3
    for alt in alts:
        loaded = load_scenario(ROOT / "scenarios/bodo.yaml", overrides=overrides, structure=alt.structure)
        assert alt.model.spec == loaded.model.spec
        assert alt.model.spec != sc.model.spec  # the structure's variables are in
        assert alt.model.discount_rate == loaded.model.discount_rate
        assert alt.overrides == loaded.overrides and alt.spec == loaded.spec
        assert alt.base_values().keys() == loaded.base_values().keys()
        assert all(np.array_equal(alt.base_values()[k], v) for k, v in loaded.base_values().items())
        assert np.array_equal(alt.start_mix(alt.base_values()), loaded.start_mix(loaded.base_values()))
        assert np.array_equal(alt.strata.weight, loaded.strata.weight)
        assert alt.digest != sc.digest  # a run of it is named apart from the base case's
