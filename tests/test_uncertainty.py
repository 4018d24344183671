"""Sampling, PSA, value of information, DSA and Sobol' against independent expectations."""

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from scipy import stats

from ipsecon.economics import evaluation as economics
from ipsecon.uncertainty import voi
from ipsecon.economics.breakeven import _breakeven_per_sample, breakeven_wages
from ipsecon.uncertainty.calibrate import log_covariance
from ipsecon.cli import main
from ipsecon.uncertainty.dsa import parameter_range, run_dsa
from ipsecon.money.ledger import build_ledger
from ipsecon.economics.outcomes import evaluate
from ipsecon.uncertainty.sampling import draw_samples, uncertain_parameters
from ipsecon.model.scenario import load_scenario
from ipsecon.engines.simulate import simulate
from ipsecon.uncertainty.sobol import run_sobol

SHORT = (1.5,)  # the trial window: 18 monthly cycles keep these tests fast


@pytest.fixture(scope="module")
def extra_scenario(root, tmp_path_factory):
    """norway_rct plus inline test parameters: every distribution family, a correlation, Ishigami inputs."""
    spec = yaml.safe_load((root / "scenarios/norway_rct.yaml").read_text())
    spec["model"] = str(root / "scenarios/models/ips.yaml")
    spec["parameter_dirs"] = [str(root / "parameters")]
    spec.pop("calibration")
    meta = {"unit": "test", "source": "test", "evidence": "assumption"}
    spec["parameters"] = {"test": {
        "beta": {**meta, "description": "b", "value": 0.3, "distribution": {"type": "beta", "alpha": 3, "beta": 7}},
        "gamma": {**meta, "description": "g", "value": 2.0, "distribution": {"type": "gamma", "mean": 2.0, "sd": 0.5}},
        "lognormal": {**meta, "description": "l", "value": 1.0, "distribution": {"type": "lognormal", "meanlog": 0.1, "sdlog": 0.3}},
        "normal": {**meta, "description": "n", "value": 5.0, "distribution": {"type": "normal", "mean": 5, "sd": 2}},
        "uniform": {**meta, "description": "u", "value": 1.0, "distribution": {"type": "uniform", "low": 0, "high": 2}},
        "triangular": {**meta, "description": "t", "value": 2.0, "distribution": {"type": "triangular", "low": 1, "mode": 2, "high": 4}},
        "row": {**meta, "description": "d", "value": {"a": 0.5, "b": 0.3, "c": 0.2},
                "distribution": {"type": "dirichlet", "alpha": {"a": 50, "b": 30, "c": 20}}},
        "x1": {**meta, "description": "Ishigami x1", "value": 0.0, "distribution": {"type": "uniform", "low": -np.pi, "high": np.pi}},
        "x2": {**meta, "description": "Ishigami x2", "value": 0.0, "distribution": {"type": "uniform", "low": -np.pi, "high": np.pi}},
        "x3": {**meta, "description": "Ishigami x3", "value": 0.0, "distribution": {"type": "uniform", "low": -np.pi, "high": np.pi}},
    }}
    path = tmp_path_factory.mktemp("scenario") / "extra.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True))
    params_file = tmp_path_factory.mktemp("corr") / "corr.yaml"
    params_file.write_text(yaml.safe_dump({"correlations": [{"between": ["test.gamma", "test.normal"], "rho": 0.6, "source": "test"}]}))
    spec["parameter_dirs"].append(str(params_file))
    path.write_text(yaml.safe_dump(spec, allow_unicode=True))
    return load_scenario(path)


# --- sampling ---------------------------------------------------------------------------------

N_MOMENTS = 16384  # a power of two, for Sobol' balance


@pytest.mark.parametrize("method", ["random", "lhs", "sobol"])
def test_sample_moments_match_declared_distributions(extra_scenario, method):
    names = ["test.beta", "test.gamma", "test.lognormal", "test.normal", "test.uniform", "test.triangular", "test.row"]
    s = draw_samples(extra_scenario, N_MOMENTS, seed=3, method=method, names=names, correlated=False)
    expected = {
        "test.beta": stats.beta(3, 7), "test.gamma": stats.gamma(16, scale=0.125),
        "test.lognormal": stats.lognorm(s=0.3, scale=np.exp(0.1)), "test.normal": stats.norm(5, 2),
        "test.uniform": stats.uniform(0, 2), "test.triangular": stats.triang(1 / 3, loc=1, scale=3),
    }
    for name, dist in expected.items():
        x = s.table[:, s.columns.index(name)]
        se_mean = dist.std() / np.sqrt(N_MOMENTS)
        assert abs(x.mean() - dist.mean()) < 4.5 * se_mean, name
        # sd of the sample sd ≈ sd · sqrt((kurtosis excess + 2) / (4n)); 6 sigma-ish bound
        assert x.std() == pytest.approx(dist.std(), rel=0.05), name
    # Dirichlet(50, 30, 20): component means alpha/sum, var = m(1-m)/(sum+1); rows sum to 1
    cols = [s.columns.index(f"test.row.{c}") for c in "abc"]
    rows = s.table[:, cols]
    assert np.allclose(rows.sum(axis=1), 1.0)
    for j, a in enumerate((50, 30, 20)):
        m = a / 100
        sd = np.sqrt(m * (1 - m) / 101)
        assert abs(rows[:, j].mean() - m) < 4.5 * sd / np.sqrt(N_MOMENTS)
        assert rows[:, j].std() == pytest.approx(sd, rel=0.05)


def test_gaussian_copula_gives_declared_correlation_of_normal_scores(extra_scenario):
    s = draw_samples(extra_scenario, N_MOMENTS, seed=4, names=["test.gamma", "test.normal", "test.uniform"])
    z = [stats.norm.ppf(stats.gamma(16, scale=0.125).cdf(s.table[:, 0])), (s.table[:, 1] - 5) / 2,
         stats.norm.ppf(s.table[:, 2] / 2)]
    r = np.corrcoef(z)
    se = (1 - 0.6 ** 2) / np.sqrt(N_MOMENTS)
    assert abs(r[0, 1] - 0.6) < 4.5 * se
    assert abs(r[0, 2]) < 4.5 / np.sqrt(N_MOMENTS)
    # marginals are untouched by the copula
    assert abs(s.table[:, 1].mean() - 5) < 4.5 * 2 / np.sqrt(N_MOMENTS)


def test_samples_are_reproducible_and_row_slices_are_stable(scenario):
    a = draw_samples(scenario, 50, seed=9)
    b = draw_samples(scenario, 50, seed=9)
    c = draw_samples(scenario, 50, seed=10)
    assert np.array_equal(a.table, b.table)
    assert not np.array_equal(a.table, c.table)
    v = a.values(scenario.base_values(), rows=slice(10, 20))
    assert np.array_equal(v[a.columns[0]], a.table[10:20, 0])


def test_random_design_draws_dirichlet_rows_directly(extra_scenario):
    """Random designs draw Dirichlet rows with numpy's generator, a stream per parameter: rows do not move
    with the number drawn or with the other parameters drawn; univariate columns are the quantile path's;
    LHS keeps the quantile path for the rows too. Dirichlet(50, 30, 20): component j is Beta(a_j, 100 − a_j)."""
    from ipsecon.uncertainty.sampling import from_uniforms, unit_draws

    names = ["test.gamma", "test.row"]
    small = draw_samples(extra_scenario, 50, seed=7, names=names, correlated=False)
    big = draw_samples(extra_scenario, 4000, seed=7, names=names, correlated=False)
    alone = draw_samples(extra_scenario, 50, seed=7, names=["test.row"], correlated=False)
    rows = [big.columns.index(f"test.row.{c}") for c in "abc"]
    assert np.array_equal(small.table, big.table[:50])
    assert np.array_equal(alone.table, small.table[:, rows])
    u = unit_draws(50, 4, 7)
    by_quantiles = from_uniforms(extra_scenario, names, u, correlated=False)
    assert np.array_equal(small.table[:, 0], by_quantiles.table[:, 0])  # the gamma: unchanged
    assert not np.allclose(small.table[:, rows], by_quantiles.table[:, rows])  # the rows: their own stream
    x = big.table[:, rows]
    assert np.allclose(x.sum(axis=1), 1.0)
    for j, a in enumerate((50, 30, 20)):
        assert stats.kstest(x[:, j], stats.beta(a, 100 - a).cdf).pvalue > 1e-3
    lhs = draw_samples(extra_scenario, 50, seed=7, method="lhs", names=names, correlated=False)
    assert np.array_equal(lhs.table, from_uniforms(extra_scenario, names, unit_draws(50, 4, 7, "lhs"), correlated=False).table)


def test_calibrated_effect_is_uncertain_and_fixed_by_set(root, scenario):
    names = uncertain_parameters(scenario)
    assert "calibrated.norway_rct.hr_entry" in names and "ips.persistence.half_life" in names
    fixed = load_scenario(root / "scenarios/norway_rct.yaml", {"ips.persistence.half_life": 1e9})
    assert "ips.persistence.half_life" not in uncertain_parameters(fixed)


def test_log_covariance_matches_the_linear_closed_form():
    J = np.array([[1.0, 0.5], [0.2, 2.0], [0.0, 1.0]])
    se = [0.1, 0.2, 0.3]
    expected = np.linalg.inv(J.T @ np.diag(1 / np.square(se)) @ J)
    assert np.allclose(log_covariance(J, se), expected)
    # a prior adds I/s² to the information
    assert np.allclose(log_covariance(J, se, 0.5), np.linalg.inv(np.linalg.inv(expected) + 4 * np.eye(2)))
    assert log_covariance(J, [0.1, None, 0.3]) is None


# --- PSA --------------------------------------------------------------------------------------

def test_psa_mean_of_a_linear_output_equals_the_deterministic_value(scenario):
    """The health trust's incremental NPV is linear in its unit costs and its share of the programme
    cost, so its PSA mean must equal the value at the parameters' means (within MC error)."""
    names = ["health_care.monthly_cost.aap", "health_care.monthly_cost.employed", "health_care.monthly_cost.other",
             "health_care.monthly_cost.ufore", "ledger.ips_cost_nav_share"]
    n = 400
    s = draw_samples(scenario, n, seed=21, names=names)
    ds = evaluate(scenario, s.values(scenario.base_values()), n, SHORT, ["health"], breakeven=False)
    y = ds.inc_npv.sel(perspective="health", horizon=1.5).values
    at_mean = dict(scenario.base_values())
    at_mean.update({k: scenario.parameters[k].distribution.mean_value() for k in names})
    det = float(evaluate(scenario, at_mean, 1, SHORT, ["health"], breakeven=False).inc_npv.values.ravel()[0])
    assert abs(y.mean() - det) < 4.5 * y.std(ddof=1) / np.sqrt(n)
    assert y.std() > 0


def test_vectorised_breakeven_matches_root_finding_per_sample(scenario):
    s = draw_samples(scenario, 4, seed=2)
    values = s.values(scenario.base_values())
    sim = simulate(scenario, horizon_years=5, values=values, n_samples=4)
    ledger = build_ledger(sim, values=values)
    P, H = ["society", "public", "individual"], [18, 60]
    dc = economics.cycle_discount_factors(60, ledger.cycle_years, 0.04, ledger.counting)
    base = np.stack([np.cumsum((lambda n: (n[:, 1] - n[:, 0]) * dc)(
        ledger.perspective_net(p).transpose("sample", "strategy", "month").values), axis=1)[:, [h - 1 for h in H]]
        for p in P], axis=1)
    w, st = breakeven_wages(sim, ledger, P, H, base)
    w2, st2 = _breakeven_per_sample(sim, values, P, H, 1, 0, (0.0, 2e6), 0.01)
    assert np.array_equal(st, st2)
    assert np.allclose(np.nan_to_num(w), np.nan_to_num(w2), atol=0.05)
    assert (st == 0).any()


def _normal_inb(n, mu, s1, s2, seed=0):
    """Two strategies; INB = mu + s1 Z1 + s2 Z2 at wtp = 1 (qalys = INB, cost = 0)."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, 2))
    q = np.column_stack([np.zeros(n), mu + s1 * z[:, 0] + s2 * z[:, 1]])
    return z, q, np.zeros_like(q)


def _evpi_normal(mu, s):
    return s * stats.norm.pdf(mu / s) + mu * stats.norm.cdf(mu / s) - max(mu, 0.0)


def test_evpi_and_evppi_match_the_normal_closed_form():
    n, mu, s1, s2 = 20000, 0.3, 1.0, 0.5
    z, q, c = _normal_inb(n, mu, s1, s2)
    wtp = np.array([1.0])
    e = voi.evpi(q, c, wtp)[0]
    e1 = voi.evppi(z[:, [0]], q, c, wtp)[0]
    e2 = voi.evppi(z[:, [1]], q, c, wtp)[0]
    assert e == pytest.approx(_evpi_normal(mu, np.hypot(s1, s2)), rel=0.05)
    assert e1 == pytest.approx(_evpi_normal(mu, s1), rel=0.05)
    assert e2 == pytest.approx(_evpi_normal(mu, s2), rel=0.1)
    assert 0 <= e2 < e1 <= e


def test_evpi_is_zero_when_one_strategy_always_wins():
    rng = np.random.default_rng(1)
    q = np.column_stack([rng.normal(1, 0.1, 500), rng.normal(3, 0.1, 500)])
    c0 = rng.normal(10, 1, 500)
    c = np.column_stack([c0, c0 - rng.uniform(1, 2, 500)])  # cheaper and better in every sample
    wtp = np.linspace(0, 100, 11)
    assert np.all(voi.evpi(q, c, wtp) == 0)
    assert np.allclose(voi.ceac(q, c, wtp)[:, 1], 1)
    k, p = voi.ceaf(q, c, wtp)
    assert np.all(k == 1) and np.all(p == 1)


def test_psa_dataset_decision_summaries(scenario):
    from ipsecon.uncertainty.psa import run_psa

    ds = run_psa(scenario, 120, seed=5, horizons=SHORT + (3.0,), perspectives=["society", "public"], quiet=True)
    assert np.all(ds.evpi.values >= -1e-9)
    # EVPPI <= EVPI holds for the true values; the regression estimate of a group of several parameters from
    # 120 samples is biased upward (Strong, Oakley & Brennan 2014) and, for some draws, exceeds it by a few %
    assert np.all(ds.evppi.values <= 1.05 * ds.evpi.values[None] + 1e-6)
    assert np.allclose(ds.ceac.sum("strategy"), 1)
    assert np.allclose(ds.evpi_population, ds.evpi * scenario.spec.population.size)
    inc = ds.inc_npv.sel(perspective="society")
    assert np.allclose(ds.prob_pays_off.sel(perspective="society"), (inc > 0).mean("sample"))
    # the break-even wage is a root where one was found
    assert ((ds.breakeven_status == 0) == np.isfinite(ds.breakeven_wage)).all()


# --- DSA --------------------------------------------------------------------------------------

def test_one_way_bounds_equal_a_run_with_the_parameter_set(root, scenario):
    name = "calibrated.norway_rct.hr_entry"
    ds = run_dsa(scenario, [name, "utilities.employed"], horizons=SHORT, perspectives=["society", "nav"], quiet=True)
    lo, hi = parameter_range(scenario, name)
    d = scenario.parameters[name].distribution.frozen()
    assert (lo, hi) == pytest.approx((d.ppf(0.025), d.ppf(0.975)))
    for bound, v in (("low", lo), ("high", hi)):
        sc = load_scenario(root / "scenarios/norway_rct.yaml", {name: v})
        sim = simulate(sc, horizon_years=1.5)
        summary = economics.evaluate(build_ledger(sim), ["society", "nav"])["summary"]
        for p in ("society", "nav"):
            direct = summary.query("perspective == @p and strategy == 'ips'")["incremental_npv"].iloc[0]
            assert float(ds.inc_npv.sel(parameter=name, bound=bound, intervention="ips", perspective=p, horizon=1.5)) == pytest.approx(direct, rel=1e-9)
    # utilities do not move NAV's money
    u = ds.inc_npv.sel(parameter="utilities.employed", intervention="ips", perspective="nav")
    assert float(abs(u.sel(bound="high") - u.sel(bound="low")).max()) < 1e-6


def test_two_way_grid_corner_equals_a_run_with_both_set(root, scenario):
    a, b = "calibrated.norway_rct.hr_entry", "ips.cost.per_client_year"
    ds = run_dsa(scenario, [a, b], pairs=[(a, b)], grid=3, horizons=SHORT, perspectives=["society"], quiet=True)
    grid = ds.twoway_inc_npv.isel(pair=0).sel(intervention="ips", perspective="society", horizon=1.5).values
    assert grid.shape == (3, 3)
    x, y = float(ds.twoway_x.isel(pair=0, x_index=2)), float(ds.twoway_y.isel(pair=0, y_index=0))
    assert (x, y) == pytest.approx((parameter_range(scenario, a)[1], parameter_range(scenario, b)[0]))
    sim = simulate(load_scenario(root / "scenarios/norway_rct.yaml", {a: x, b: y}), horizon_years=1.5)
    summary = economics.evaluate(build_ledger(sim), ["society"])["summary"]
    assert grid[2, 0] == pytest.approx(summary.query("strategy == 'ips'")["incremental_npv"].iloc[0], rel=1e-9)


# --- Sobol ------------------------------------------------------------------------------------

def test_sobol_single_parameter_output_through_the_model(scenario):
    """NAV's money does not depend on utilities, so among these inputs only the IPS unit cost matters."""
    names = ["ips.cost.per_client_year", "utilities.employed", "utilities.aap"]
    ds = run_sobol(scenario, 64, seed=1, horizons=SHORT, perspectives=["nav"], names=names, quiet=True, num_resamples=50)
    s1 = ds.S1.sel(output="inc_npv:nav", horizon=1.5).to_pandas()
    st = ds.ST.sel(output="inc_npv:nav", horizon=1.5).to_pandas()
    assert s1["ips.cost.per_client_year"] == pytest.approx(1, abs=0.02)
    assert st["ips.cost.per_client_year"] == pytest.approx(1, abs=0.02)
    assert abs(s1[["utilities.employed", "utilities.aap"]]).max() < 0.02
    assert abs(st[["utilities.employed", "utilities.aap"]]).max() < 0.02


def test_sobol_ishigami_through_the_same_path(extra_scenario):
    """Ishigami (a=7, b=0.1): S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437)."""
    names = ["test.x1", "test.x2", "test.x3"]

    def ishigami(samples):
        x = samples.table
        y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
        return {"ishigami": np.column_stack([y, 2 * y])}  # two 'horizons': indices are scale-free

    ds = run_sobol(extra_scenario, 2048, seed=7, horizons=(1, 2), names=names, outputs=ishigami, num_resamples=50)
    for h in (1, 2):
        s1 = ds.S1.sel(output="ishigami", horizon=h).values
        st = ds.ST.sel(output="ishigami", horizon=h).values
        assert s1 == pytest.approx([0.3139, 0.4424, 0.0], abs=0.04)
        assert st == pytest.approx([0.5576, 0.4424, 0.2437], abs=0.04)
        assert np.all(ds.ST_conf.sel(output="ishigami", horizon=h).values < 0.1)


# --- command line -----------------------------------------------------------------------------

def test_psa_dsa_sobol_commands_write_their_datasets(root, tmp_path):
    runner = CliRunner()
    sc = str(root / "scenarios/norway_rct.yaml")
    common = ["--horizons", "1.5", "--perspective", "society", "--no-report", "--quiet"]
    r = runner.invoke(main, ["psa", sc, "--samples", "30", "--out", str(tmp_path / "psa"), *common])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "psa/psa.nc").exists() and "P(incremental NPV > 0)" in r.output
    r = runner.invoke(main, ["dsa", sc, "--param", "calibrated.*", "--out", str(tmp_path / "dsa"), *common])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "dsa/dsa.nc").exists() and "Tornado" in r.output
    r = runner.invoke(main, ["sobol", sc, "--base-samples", "8", "--param", "calibrated.*", "--out", str(tmp_path / "sobol"), *common])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "sobol/sobol.nc").exists()


@pytest.mark.parametrize("args, words", [
    (["psa", "--structure", "sudden"], "no structural alternative"),
    (["dsa", "--pair", "only.one"], "expected two parameter names"),
    (["sobol", "--base-samples", "12"], "not a power of two"),
    (["dsa", "--param", "nothing.like.this*"], "no parameter matches"),
])
def test_bad_uncertainty_input_is_one_clear_line(root, tmp_path, args, words):
    out = tmp_path / "out"
    r = CliRunner().invoke(main, [args[0], str(root / "scenarios/norway_rct.yaml"), *args[1:], "--out", str(out),
                                  "--horizons", "1.5", "--no-report", "--quiet"])
    assert r.exit_code == 2, r.output
    assert words in r.output and "Traceback" not in r.output
    assert not out.exists()


def test_microsim_psa_separates_simulation_noise_from_parameter_uncertainty(scenario):
    from ipsecon.uncertainty.psa import run_psa

    small = run_psa(scenario, 12, seed=3, horizons=SHORT, perspectives=["society"], engine="microsim",
                    individuals=500, quiet=True)
    large = run_psa(scenario, 12, seed=3, horizons=SHORT, perspectives=["society"], engine="microsim",
                    individuals=8000, quiet=True)
    # the standard error of each sample's mean falls as 1/sqrt(individuals) (16x people -> 1/4);
    # employment-years vary across people in every sample (QALYs mostly through rare deaths)
    ratio = float(large.mc_se_employment_years.mean() / small.mc_se_employment_years.mean())
    assert 0.2 < ratio < 0.3
    share_small = small.simulation_noise_share_qalys.values
    share_large = large.simulation_noise_share_qalys.values
    assert np.all((share_large > 0) & (share_large < share_small))
    assert np.allclose(small.inc_npv_mean_se, small.inc_npv.std("sample", ddof=1) / np.sqrt(12))
