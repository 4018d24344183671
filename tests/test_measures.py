"""Published figures and the model: each measure against a closed form, and PASS/MISS against the interval."""

import pytest

import ipsecon
from ipsecon.engines.measures import verdict
from ipsecon.engines.simulate import simulate
from ipsecon.errors import InputError
from ipsecon.inputs.schema import Target

AA, AB, AC, AD = 1251, 350, 116, 17  # Chancellor's transition counts out of state A
N_A = AA + AB + AC + AD


@pytest.fixture(scope="module")
def hiv(root):
    scenario = ipsecon.load_scenario(root / "tests" / "data" / "chancellor_hiv.yaml")
    return simulate(scenario, engine="cohort", horizon_years=5)


def _t(**kw):
    base = {"strategy": "mono", "value": 0.5, "source": "test"}
    return Target(**{**base, **kw})


def test_in_state_and_time_share_follow_the_geometric_survival_in_a(hiv):
    stay = AA / N_A  # nobody enters A: occupancy of A after k years is stay^k
    assert hiv.measure(_t(measure="in_state", state="A", month=24)) == pytest.approx(stay ** 2, rel=1e-12)
    mean = (stay + stay ** 2 + stay ** 3) / 3
    assert hiv.measure(_t(measure="time_share", state="A", month=36)) == pytest.approx(mean, rel=1e-12)
    assert hiv.measure(_t(measure="time_share", state="A", month=36, from_month=12)) == \
        pytest.approx((stay ** 2 + stay ** 3) / 2, rel=1e-12)


def test_exit_share_is_the_destination_mix_of_moves_out_of_a_state(hiv):
    # constant per-cycle probabilities out of A: the mix of its exits is the same in every window
    share = hiv.measure(_t(measure="exit_share", from_state="A", state="B", month=60))
    assert share == pytest.approx(AB / (AB + AC + AD), rel=1e-12)
    among = hiv.measure(_t(measure="exit_share", from_state="A", state="C", among=["B", "C"], month=36, from_month=12))
    assert among == pytest.approx(AC / (AB + AC), rel=1e-12)
    with pytest.raises(InputError, match="no move A->A"):
        hiv.measure(_t(measure="exit_share", from_state="A", state="A", month=12))


def test_targets_reject_inconsistent_fields():
    with pytest.raises(ValueError, match="from_state"):
        _t(measure="exit_share", state="B", month=12)
    with pytest.raises(ValueError, match="before month"):
        _t(measure="time_share", state="A", month=12, from_month=12)
    with pytest.raises(ValueError, match="ci"):
        _t(measure="in_state", state="A", month=12, value=0.3, ci=(0.35, 0.5))


def test_verdict_uses_the_published_interval_else_the_tolerance():
    by_n = _t(measure="in_state", state="A", month=12, value=0.4, n=100)  # se 0.049: 95 % half-width 0.096
    assert verdict(by_n, 0.49) == "PASS" and verdict(by_n, 0.50) == "MISS"
    by_ci = _t(measure="in_state", state="A", month=12, value=0.4, ci=(0.3, 0.45))
    assert verdict(by_ci, 0.3) == "PASS" and verdict(by_ci, 0.46) == "MISS"
    by_tolerance = _t(measure="in_state", state="A", month=12, value=0.4, tolerance=0.05)
    assert verdict(by_tolerance, 0.44) == "PASS" and verdict(by_tolerance, 0.46) == "MISS"
    assert verdict(by_tolerance, float("nan")) == "MISS"


def test_every_run_reports_calibration_and_validation_figures(root):
    rows = ipsecon.api.validation([root / "scenarios" / "norway_rct.yaml", root / "scenarios" / "seed.yaml"])
    roles = {(r["scenario"], r["role"]) for r in rows}
    assert roles == {("norway_rct", "calibration"), ("seed", "validation")}
    for r in rows:
        assert r["verdict"] == ("PASS" if r["low"] <= r["model"] <= r["high"] else "MISS")
    fitted = [r for r in rows if r["role"] == "calibration"]
    assert all(r["verdict"] == "PASS" for r in fitted)  # the calibration meets its own targets


def test_time_share_after_ever_is_occupancy_over_months_since_first_entry(root):
    """Chancellor's B is entered from A only; nobody leaves B except to C or D. With ever_in B the measure
    is Σ occupancy(B) / Σ P(ever in B) over the window."""
    import yaml

    spec = yaml.safe_load((root / "tests" / "data" / "chancellor_hiv.yaml").read_text())
    spec["model"]["ever_in"] = ["B"]
    path = root / "tests" / "data" / "_hiv_ever_b.yaml"
    try:
        path.write_text(yaml.safe_dump(spec))
        sim = simulate(ipsecon.load_scenario(path), engine="cohort", horizon_years=4)
    finally:
        path.unlink(missing_ok=True)
    k = sim.trace.strategies.index("mono")
    occ = sim.trace.population_occupancy()[0, k, :, sim.trace.states.index("B")]
    ever = sim.trace.population_ever()[0, k, :, 0]
    expected = occ[1:5].sum() / ever[1:5].sum()
    value = sim.measure(_t(measure="time_share_after_ever", state="B", month=48))
    assert value == pytest.approx(expected, rel=1e-12) and 0 < value < 1


def test_a_miss_is_a_warning_at_the_top_of_the_report(root, tmp_path):
    from click.testing import CliRunner

    from ipsecon.cli import main

    r = CliRunner().invoke(main, ["simulate", str(root / "scenarios" / "seed.yaml"), "--out", str(tmp_path / "seed"),
                                  "--reports", str(tmp_path / "reports"), "--quiet"])
    assert r.exit_code == 0, r.output
    rows = ipsecon.api.validation([root / "scenarios" / "seed.yaml"])
    misses = [row for row in rows if row["verdict"] == "MISS"]
    assert misses, "the SEED usual-care arm (8 % in work) is a known MISS of this model"
    assert "WARNING" in r.output and "MISS" in r.output
    md = (tmp_path / "reports" / "seed" / "seed.md").read_text(encoding="utf-8")
    # the answer comes first (issue 18); the warning follows it at once, inside the answer's section
    answer = md.index("## The answer")
    top = md[:md.index("\n## ", answer + 1)]
    assert f"misses {len(misses)} of the {len(rows)} published figures" in top
    for row in misses:
        assert row["label"] in top


@pytest.fixture(scope="module")
def hiv_rewards(root, tmp_path_factory):
    """Chancellor's model with one more reward, 2.5 per year in A (undiscounted: effects at 0 %, counted at
    each cycle's end), so its totals have closed forms."""
    import yaml

    spec = yaml.safe_load((root / "tests" / "data" / "chancellor_hiv.yaml").read_text())
    spec["model"]["rewards"]["a_units"] = {"kind": "effect", "unit": "units", "states": {"A": 2.5}}
    path = tmp_path_factory.mktemp("hiv") / "hiv_reward_a.yaml"  # not in the source tree
    path.write_text(yaml.safe_dump(spec))
    return simulate(ipsecon.load_scenario(path), engine="cohort", horizon_years=4)


def test_reward_total_and_difference_are_the_closed_form_sums_over_the_window(hiv_rewards):
    stay = AA / N_A  # occupancy of A at the end of year k: stay^k (mono); 1 - RR (1 - stay) a year in the 2 years of comb
    stay_comb = 1 - 0.509 * (1 - stay)
    mono = 2.5 * (stay + stay ** 2 + stay ** 3)
    total = _t(measure="reward_total", reward="a_units", month=36, value=5.0, tolerance=1.0)
    assert hiv_rewards.measure(total) == pytest.approx(mono, rel=1e-12)
    window = _t(measure="reward_total", reward="a_units", month=36, from_month=12, value=5.0, tolerance=1.0)
    assert hiv_rewards.measure(window) == pytest.approx(2.5 * (stay ** 2 + stay ** 3), rel=1e-12)
    diff = _t(measure="reward_difference", reward="a_units", strategy="comb", versus="mono", month=24, value=0.5, ci=(0.1, 0.9))
    assert hiv_rewards.measure(diff) == pytest.approx(2.5 * (stay_comb + stay_comb ** 2 - stay - stay ** 2), rel=1e-12)
    assert "reward_difference a_units [comb - mono] months 0-24" == diff.label()
    # totals are not shares: no clipping of the interval to [0, 1]; a difference's interval may go below 0
    assert total.interval() == (4.0, 6.0)
    assert _t(measure="reward_difference", reward="a_units", versus="comb", month=12, value=-3.0, se=1.0).interval() == \
        pytest.approx((-3 - 1.959964, -3 + 1.959964))


def test_reward_targets_reject_bad_fields(hiv_rewards):
    with pytest.raises(InputError, match=r"targets\.reward: unknown reward 'hours'"):
        hiv_rewards.measure(_t(measure="reward_total", reward="hours", month=12, value=5.0, tolerance=1.0))
    with pytest.raises(ValueError, match="needs reward"):
        _t(measure="reward_total", state="A", month=12, value=5.0, tolerance=1.0)
    with pytest.raises(ValueError, match="versus"):
        _t(measure="reward_difference", reward="a_units", month=12, value=5.0, tolerance=1.0)
    with pytest.raises(ValueError, match="binomial"):
        _t(measure="reward_total", reward="a_units", month=12, value=5.0, n=90)  # n means nothing for a total
    with pytest.raises(ValueError, match="share"):
        _t(measure="in_state", state="A", month=12, value=5.0)


def test_an_unknown_reward_in_a_scenario_is_one_line_and_exit_2(root, tmp_path):
    import yaml
    from click.testing import CliRunner

    from ipsecon.cli import main

    spec = yaml.safe_load((root / "tests" / "data" / "chancellor_hiv.yaml").read_text())
    spec["targets"] = [{"measure": "reward_total", "reward": "hours", "strategy": "mono", "month": 12, "value": 5.0,
                        "se": 1.0, "source": "test"}]
    path = tmp_path / "hiv_bad_reward.yaml"
    path.write_text(yaml.safe_dump(spec))
    r = CliRunner().invoke(main, ["validate", str(path)])
    assert r.exit_code == 2, r.output
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert len(lines) == 1 and "targets[0].reward" in lines[0] and "unknown reward 'hours'" in lines[0] \
        and "cost, life_years" in lines[0], r.output
