"""Threshold analysis (issue 16, item 2), checked against closed forms and another code path."""

import numpy as np
import pytest
from click.testing import CliRunner

from ipsecon import api
from ipsecon.cli import main
from ipsecon.uncertainty.threshold import run_threshold


@pytest.fixture(scope="module")
def hiv_point(root):
    """The probabilistic HIV model at the published point values (its base case is otherwise the mean)."""
    return api.load_scenario(root / "tests/data/chancellor_hiv_psa.yaml", overrides={"hiv.rr": 0.509})


def test_willingness_to_pay_threshold_is_the_icer(hiv_point):
    t = run_threshold(hiv_point, "hiv.wtp", (0.0, 50_000.0), horizons=[5.0, 20.0], quiet=True).set_index("horizon")
    # Briggs et al. 2006, ex. 2.5: £6,276 per life year gained over 20 years (6,275.96)
    assert t.loc[20.0, "threshold"] == pytest.approx(6275.96, abs=0.005)
    # at 5 years, the ICER of a 5-year run: ΔC / ΔE from the run's cost-effectiveness table
    five = api.run(hiv_point, horizon=5, structures=False).cea.set_index("strategy")
    assert t.loc[5.0, "threshold"] == pytest.approx(five.loc["comb", "icer_vs_comparator"], rel=1e-7)


def test_drug_cost_threshold_is_linear_closed_form(root):
    sc = api.load_scenario(root / "tests/data/chancellor_hiv.yaml")
    t = run_threshold(sc, "hiv.cost.lam", (0.0, 50_000.0), horizons=[20.0], quiet=True)
    # incremental NMB is linear in the lamivudine price L: INMB(L) = INMB(L0) − (L − L0)·D, D from two runs
    inmb = {L: api.run(api.load_scenario(root / "tests/data/chancellor_hiv.yaml", overrides={"hiv.cost.lam": L}),
                       structures=False).cea.set_index("strategy").loc["comb", "incremental_nmb"] for L in (0.0, 1000.0)}
    d = (inmb[0.0] - inmb[1000.0]) / 1000.0
    assert len(t) == 1 and t.status[0] == "found"
    assert t.threshold[0] == pytest.approx(inmb[0.0] / d, rel=1e-9)


def test_no_threshold_in_range_says_which_side(root):
    sc = api.load_scenario(root / "tests/data/chancellor_hiv.yaml")
    t = run_threshold(sc, "hiv.cost.lam", (0.0, 1000.0), horizons=[20.0], grid=3, quiet=True)
    assert np.isnan(t.threshold[0]) and t.status[0] == "none: better throughout"
    assert t.at_low[0] > t.at_high[0] > 0


def test_wage_threshold_is_the_breakeven_wage(scenario):
    from ipsecon.economics.breakeven import breakeven_table
    from ipsecon.engines.simulate import simulate

    t = run_threshold(scenario, "wages.ips_annual_gross_wage", (0.0, 2_000_000.0), horizons=[5.0],
                      perspectives=["society"], grid=5, quiet=True)
    be = breakeven_table({scenario.name: simulate(scenario, horizon_years=5.0)}, ["society"], [5.0])
    assert t.threshold[0] == pytest.approx(float(be.breakeven_wage.iloc[0]), abs=0.01)


@pytest.mark.parametrize("args, words", [
    (["--parameter", "hiv.cost.lamx", "--range", "0", "1"], ["--parameter", "did you mean hiv.cost.lam"]),
    (["--parameter", "hiv.cost.lam"], ["--range", "no bounds"]),
    (["--parameter", "hiv.cost.lam", "--range", "5", "1"], ["--range", "LOW < HIGH"]),
])
def test_bad_input_is_one_line_exit_2(root, tmp_path, args, words):
    r = CliRunner().invoke(main, ["threshold", str(root / "tests/data/chancellor_hiv.yaml"), *args,
                                  "--out", str(tmp_path / "t"), "--quiet"])
    assert r.exit_code == 2, r.output
    line = r.output.strip()
    assert "\n" not in line and "chancellor_hiv.yaml" in line and all(w in line for w in words)
    assert not (tmp_path / "t").exists()


def test_a_strategy_the_parameter_does_not_reach_says_so(root):
    sc = api.load_scenario(root / "tests/data/darth_sick_sicker.yaml")
    t = run_threshold(sc, "ss.c_trtB", (0.0, 50_000.0), horizons=[75.0], grid=3, quiet=True).set_index("intervention")
    assert t.loc["A", "status"] == "none: does not depend on it" and np.isnan(t.loc["A", "threshold"])
    assert t.loc["B", "status"] == "found" and 13_000 < t.loc["B", "threshold"] < 50_000  # B pays at its 13,000
