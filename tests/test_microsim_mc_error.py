"""The microsim's Monte Carlo error of every curve, from person batches (batch means; issue 18).

* by hand: on a two-state model (out of work O, in work W, W absorbing) each person's month of entry is
  worked out in Python from the same counter-based uniforms the engine reads (``draws.uniforms``); batch b
  holds the people with id % B == b, its estimate is B × its people in W / N, and the SE is
  sd(batch estimates) / sqrt(B), for each strategy and for the paired difference;
* against the closed form: the share in W at month m is p = 1 − (1 − q)^m, whose binomial SE is
  sqrt(p(1 − p)/N); four times the people halve the SE;
* the batches add up bit for bit to the run's counts, and no result changes with them, whatever the chunk
  size or the number of threads;
* a microsim report draws the bands (employment, its difference, occupancy differences, cumulative net per
  perspective, break-even wage against horizon) at ± 1.96 × the SEs results.nc stores; a cohort run has none.
"""

import numba
import numpy as np
from matplotlib.collections import LineCollection, PolyCollection
from two_state import entry_scenario

import ipsecon
from ipsecon.engines.draws import uniforms
from ipsecon.engines.microsim import MC_BATCHES, batch_trace, run_microsim
from ipsecon.engines.simulate import simulate
from ipsecon.output.results import to_dataset

Q = 0.08  # per month, usual care: out of work -> in work
RR = 1.5  # IPS
T = 12
N = 4000
SEED = 5


def _scenario(tmp_path, n=N, seed=SEED):
    return entry_scenario(tmp_path, Q, RR, T, n, seed, "batch-means Monte Carlo error")


def _in_work_by_hand(q: float, n: int = N, seed: int = SEED) -> np.ndarray:
    """[person, point 0 … T]: in W. Person i leaves O in cycle t when uniform(seed, i, t) ≥ 1 − q
    (the inverse CDF over the row [stay, leave])."""
    ids = np.arange(n, dtype=np.int64)
    work = np.zeros((n, T + 1), dtype=bool)
    for t in range(T):
        work[:, t + 1] = work[:, t] | (uniforms(seed, ids, t, 0) >= 1 - q)
    return work


def test_batch_errors_by_hand(tmp_path):
    """Each strategy's SE and the paired SE of the difference are those of the batch estimates worked out by hand."""
    sc = _scenario(tmp_path)
    ds = to_dataset(simulate(sc))
    B = MC_BATCHES
    batch = np.arange(N) % B
    est = {}
    for name, q in (("usual", Q), ("ips", Q * RR)):
        work = _in_work_by_hand(q)
        est[name] = np.stack([work[batch == b].sum(axis=0) for b in range(B)]) * B / N  # [batch, point]
        np.testing.assert_allclose(ds["occupancy"].sel(strategy=name, state="W").values, work.mean(axis=0), rtol=1e-12)
        se = ds["occupancy_mc_se"].sel(strategy=name, state="W").values
        np.testing.assert_allclose(se, est[name].std(axis=0, ddof=1) / np.sqrt(B), rtol=1e-10, atol=1e-15)
    paired = (est["ips"] - est["usual"]).std(axis=0, ddof=1) / np.sqrt(B)
    np.testing.assert_allclose(ds["occupancy_difference_mc_se"].sel(strategy="ips", state="W").values, paired,
                               rtol=1e-10, atol=1e-15)
    assert np.isnan(ds["occupancy_difference_mc_se"].sel(strategy="usual")).all()  # the comparator: no difference
    assert ds["occupancy_mc_se"].attrs["units"] == "share of the starting population"
    assert ds["occupancy_mc_se"].attrs["batches"] == B


def test_batch_error_matches_the_binomial_closed_form_and_halves_with_four_times_the_people(tmp_path):
    """SE of the share in W at months 3 … 12 against sqrt(p(1 − p)/N), p = 1 − (1 − q)^m: the batch SE of
    one run estimates it with relative error about 1/sqrt(2(B − 1)) = 13 %; averaged over 6 seeds (as SE²)
    about 5 %, so 20 % is a 4-sigma bound. With 4N people the SE halves (same bound)."""
    months = np.arange(3, T + 1)
    p = np.stack([1 - (1 - q) ** months for q in (Q, Q * RR)])  # [strategy, month]
    se = {}
    for n in (N, 4 * N):
        var = [to_dataset(simulate(_scenario(tmp_path, n, seed)))["occupancy_mc_se"]
               .sel(strategy=["usual", "ips"], state="W").values[:, months] ** 2 for seed in range(1, 7)]
        se[n] = np.sqrt(np.mean(var, axis=0))
        ratio = se[n] / np.sqrt(p * (1 - p) / n)
        assert np.all(np.abs(ratio - 1) < 0.2), (n, ratio)
    assert np.all(np.abs(se[N] / se[4 * N] / 2 - 1) < 0.25), se[N] / se[4 * N]  # 4 × the people: half the SE


def test_batches_add_up_bit_for_bit_whatever_chunks_and_threads():
    """Per-batch counts sum to the run's; occupancy, flows, ever-in, per-person totals and their SDs are
    identical with and without batches, for any chunk size and number of threads."""
    sc = ipsecon.load_scenario("scenarios/norway_rct.yaml")
    values = sc.base_values()
    args = (sc.model, values, sc.strata, sc.start_mix(values, 1), sc.spec.population.start_year, 18, 3000, 11)
    plain = run_microsim(*args, batches=0)
    assert plain.batch_occupancy is None
    runs = [run_microsim(*args), run_microsim(*args, chunk_size=37)]
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        runs.append(run_microsim(*args, chunk_size=500))
    finally:
        numba.set_num_threads(threads)
    people = np.rint(plain.occupancy * plain.counts[None, None, :, None, None]).astype(np.int64)
    for tr in runs:
        for f in ("occupancy", "flows", "ever"):
            assert np.array_equal(getattr(tr, f), getattr(plain, f)), f
        for r in plain.totals_sd:
            assert np.array_equal(tr.totals_sd[r], plain.totals_sd[r])
            assert np.array_equal(tr.totals_diff_sd[r], plain.totals_diff_sd[r])
            assert np.array_equal(tr.people["totals"][r], plain.people["totals"][r])
        assert tr.batch_occupancy.shape[0] == MC_BATCHES
        assert np.array_equal(tr.batch_occupancy.sum(axis=0, dtype=np.int64), people[0])
        assert np.array_equal(tr.batch_occupancy, runs[0].batch_occupancy)
    # the batches as samples: their mean is the run's occupancy (to rounding: B × count / people per stratum)
    batches = batch_trace(runs[0])
    np.testing.assert_allclose(batches.population_occupancy().mean(axis=0), plain.population_occupancy()[0],
                               rtol=0, atol=1e-14)
    # a PSA's samples give its spread: no batches
    assert run_microsim(*args[:-1], 11, n_samples=2).batch_occupancy is None


def _figures(folder):
    from ipsecon.output import report

    sections = report.build_sections(report.read_inputs(folder))
    return {b.name: b for s in sections for b in s.blocks if hasattr(b, "make")}, sections


def _bands(ax):
    return [c for c in ax.collections if isinstance(c, PolyCollection)]


def _half_widths(band, n):
    """Half the band's height at each of its n points (fill_between's outline: lower edge, then upper edge back)."""
    v = band.get_paths()[0].vertices[:, 1]
    return (v[n + 2:2 * n + 2][::-1] - v[1:n + 1]) / 2


def test_a_microsim_report_draws_the_bands_and_a_cohort_report_none(tmp_path):
    import matplotlib.pyplot as plt

    sc = ipsecon.load_scenario("scenarios/norway_rct.yaml")
    micro = ipsecon.run(sc, engine="microsim", individuals=2000, seed=2, structures=False)
    micro.save(tmp_path / "micro")
    ds = micro.dataset
    for v in ("occupancy_mc_se", "occupancy_difference_mc_se", "employment_mc_se", "employment_difference_mc_se",
              "cumulative_net_mc_se", "breakeven_wage_mc_se"):
        assert v in ds and ds[v].attrs["units"], v
    figures, sections = _figures(tmp_path / "micro")
    try:
        fig = figures["employment"].make()
        se = ds["employment_difference_mc_se"].sel(strategy="ips").values
        (band,) = _bands(fig.axes[1])  # the difference panel, in percentage points
        np.testing.assert_allclose(_half_widths(band, len(se)), 196 * se, rtol=1e-9, atol=1e-12)
        assert len(_bands(fig.axes[0])) == 2
        fig = figures["occupancy"].make()
        assert len(_bands(fig.axes[-1])) == len(ds["state"])
        fig = figures["cumulative_net"].make()
        bands = _bands(fig.axes[0])
        assert len(bands) == ds.sizes["perspective"]
        society = ds["cumulative_net_mc_se"].sel(strategy="ips", perspective="society").values[1:]
        assert any(np.allclose(_half_widths(b, len(society)), 1.96 * society, rtol=1e-9) for b in bands)
        fig = figures["breakeven"].make()
        be_se = ds["breakeven_wage_mc_se"].sel(intervention="ips", perspective="society", breakeven_horizon=1.5).item()
        bars = [c for c in fig.axes[0].collections if isinstance(c, LineCollection)]
        heights = [np.ptp(seg[:, 1]) for c in bars for seg in map(np.asarray, c.get_segments()) if seg.ndim == 2 and len(seg)]
        assert np.isclose(heights, 2 * 1.96 * be_se / 1000, rtol=1e-9).any()
        assert "figure" in str(type(fig)).lower()
    finally:
        plt.close("all")
    captions = " ".join(b.caption for s in sections for b in s.blocks if hasattr(b, "make"))
    assert captions.count("95 % Monte Carlo interval") == 4  # employment, occupancy, cumulative net, break-even

    cohort = ipsecon.run(sc, structures=False)
    cohort.save(tmp_path / "cohort")
    assert not [v for v in cohort.dataset.data_vars if v.endswith("_mc_se")]
    figures, sections = _figures(tmp_path / "cohort")
    try:
        for name in ("employment", "occupancy", "cumulative_net", "breakeven"):
            fig = figures[name].make()
            axes = fig.axes[-1:] if name == "occupancy" else fig.axes  # the stacked shares are filled areas too
            assert not [b for ax in axes for b in _bands(ax)], name
    finally:
        plt.close("all")
    assert "Monte Carlo" not in " ".join(b.caption for s in sections for b in s.blocks if hasattr(b, "make"))
