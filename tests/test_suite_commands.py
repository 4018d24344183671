"""PSA and DSA on the two validation-suite models that carry their published PSA distributions since
issue 16: the DARTH time-dependent Sick-Sicker model (generate_psa_params) and the DMHEE hip model
(Briggs et al. 2006 ch. 4 as the DMHEE course R code draws it). Expectations come from the publications
and from closed forms, never from what the code printed."""

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import ipsecon

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def age_model():
    return ipsecon.load_scenario(DATA / "darth_sick_sicker_age.yaml")


@pytest.fixture(scope="module")
def hip_model():
    return ipsecon.load_scenario(DATA / "dmhee_hip.yaml")


def test_darth_time_dependent_psa_frontier_is_the_published_one(age_model):
    # Alarid-Escudero et al. 2023 (MDM 43:21-41), PSA of 1,000 samples: SoC has the highest expected NMB
    # below $70,000/QALY, B from $70,000 to below $105,000, AB from $105,000. Grid points inside each
    # region with room for the Monte Carlo error of 100 samples (INMB margins ≥ $15,000, SE ≈ $1,500).
    ds = ipsecon.psa(age_model, samples=100, seed=7, horizons=[75], wtp=[50_000, 87_500, 125_000], quiet=True)
    cost = ds.cost.sel(perspective="model", horizon=75).mean("sample")
    qalys = ds.qalys.sel(horizon=75).mean("sample")
    for wtp, published in [(50_000, "soc"), (87_500, "B"), (125_000, "AB")]:
        nmb = wtp * qalys - cost
        assert str(nmb.strategy[int(np.argmax(nmb.values))].item()) == published
        assert ds.ceaf_strategy.sel(perspective="model", horizon=75, wtp=wtp).item() == published
    # the 18 parameters of generate_psa_params are sampled (the life table is fixed)
    assert ds.sizes["parameter"] == 18 and "ss.mortality" not in ds.parameter.values
    # the base case is the published table 3: B vs SoC, 1.3197 QALYs for $86,162 (ICER $65,288)
    base = ds.inc_npv_base.sel(intervention="B", perspective="model", horizon=75).item()
    assert base == pytest.approx(100_000 * 86_162 / 65_288 - 86_162, abs=60)


def test_darth_time_dependent_dsa_of_treatment_b_cost(age_model):
    ds = ipsecon.dsa(age_model, parameters=["ss.cost.trtB"], horizons=[75], quiet=True)
    # the ends are the central 95 % of gamma(86.2, scale 150.8) (generate_psa_params)
    lo, hi = stats.gamma.ppf([0.025, 0.975], 86.2, scale=150.8)
    assert ds.low_value.sel(parameter="ss.cost.trtB").item() == pytest.approx(lo, rel=1e-9)
    assert ds.high_value.sel(parameter="ss.cost.trtB").item() == pytest.approx(hi, rel=1e-9)
    inmb = ds.inmb.sel(parameter="ss.cost.trtB", perspective="model", horizon=75)
    base = ds.base_inmb.sel(perspective="model", horizon=75)
    # treatment B's cost does not touch strategy A, and INMB is linear in it: one slope through both ends
    assert np.allclose(inmb.sel(intervention="A"), base.sel(intervention="A"), rtol=0, atol=1e-6)
    for k in ("B", "AB"):
        slope_lo = (inmb.sel(intervention=k, bound="low") - base.sel(intervention=k)).item() / (lo - 13_000)
        slope_hi = (inmb.sel(intervention=k, bound="high") - base.sel(intervention=k)).item() / (hi - 13_000)
        assert slope_lo < 0 and slope_lo == pytest.approx(slope_hi, rel=1e-9)


# published deterministic values (Excel model via heemod test_dmhee.R): NP1 vs standard; QALYs printed
# to 7 decimals, so INMB at £20,000 is known to ±2 × 5e-8 × 20,000 = ±0.002
HIP_DC = 610.311818 - 512.434658
HIP_DQ = 14.69770986 - 14.6531896
HIP_TOL = 0.002


def test_dmhee_hip_psa_draws_the_published_distributions(hip_model):
    ds = ipsecon.psa(hip_model, samples=400, seed=3, horizons=[60], wtp=[20_000], quiet=True)
    p = ds.parameters.to_pandas()
    # male_coef is not used (women only), so not sampled; the other coefficients are
    assert "thr.revision.male_coef" not in p and "thr.revision.ln_hr_np1" in p
    # revision cost gamma(mean 5,294, se 1,487): sample mean within 4 Monte Carlo SEs
    assert abs(p["thr.cost.revision"].mean() - 5294) < 4 * 1487 / np.sqrt(400)
    # cons and ln_gamma correlated as the regression's covariance (cov55.csv): rho = -0.5776
    rho = -0.005691 / np.sqrt(0.00225151199001 * 0.043219083664)
    r = np.corrcoef(p["thr.revision.cons"], p["thr.revision.ln_gamma"])[0, 1]
    assert abs(r - rho) < 4 * (1 - rho ** 2) / np.sqrt(400)
    # base case: the published INMB at £20,000/QALY; the PSA mean within 4 Monte Carlo SEs of it
    # (the model is nearly linear in the uncertain inputs at these small revision risks)
    base = ds.inc_npv_base.sel(intervention="np1", perspective="model", horizon=60).item()
    assert base == pytest.approx(20_000 * HIP_DQ - HIP_DC, abs=HIP_TOL)
    inmb = ds.inc_npv.sel(intervention="np1", perspective="model", horizon=60)
    assert abs(inmb.mean().item() - base) < 4 * inmb.std().item() / np.sqrt(400)


def test_dmhee_hip_dsa_of_revision_cost(hip_model):
    ds = ipsecon.dsa(hip_model, parameters=["thr.cost.revision"], horizons=[60], quiet=True)
    k, scale = (5294 / 1487) ** 2, 1487 ** 2 / 5294  # gamma by moments, as the course code
    lo, hi = stats.gamma.ppf([0.025, 0.975], k, scale=scale)
    assert ds.low_value.item() == pytest.approx(lo, rel=1e-9) and ds.high_value.item() == pytest.approx(hi, rel=1e-9)
    inmb = ds.inmb.sel(parameter="thr.cost.revision", intervention="np1", perspective="model", horizon=60)
    base = ds.base_inmb.sel(intervention="np1", perspective="model", horizon=60).item()
    assert base == pytest.approx(20_000 * HIP_DQ - HIP_DC, abs=HIP_TOL)
    # NP1 saves revisions, so a dearer revision raises its INMB, linearly
    s_lo = (inmb.sel(bound="low").item() - base) / (lo - 5294)
    s_hi = (inmb.sel(bound="high").item() - base) / (hi - 5294)
    assert s_lo > 0 and s_lo == pytest.approx(s_hi, rel=1e-9)
