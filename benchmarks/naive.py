"""Naive NumPy implementations that the benchmark figures are compared against.

"Naive" means what an analyst would write without thinking about speed: a plain
matrix-vector loop over months for each sample (cohort), and a microsimulation that
loops over months in Python and is vectorised over people with ``numpy.random``.
Nothing here imports the ipsecon engines, except :func:`microsim_tables`, which runs
the naive per-month loop on probability tables built by ipsecon (for the IPS model,
whose tunnel states, life table and decaying effects are not worth re-deriving by hand;
the table building is timed as part of the naive run).

The reference model is written out again by hand from issue 5 (not read from the
scenario file), so that ``tests/test_reference_model.py`` can check the engine against it.
"""

from __future__ import annotations

import numpy as np

STATES = ["E", "A", "D", "U", "X"]
E, A, D, U, X = range(5)
# monthly transition probabilities, rows from / columns to E, A, D, U, X (issue 5)
P_BASE = np.array([
    [0.9700, 0.0150, 0.0010, 0.0130, 0.0010],
    [0.1500, 0.7900, 0.0300, 0.0280, 0.0020],
    [0.0050, 0.0050, 0.9850, 0.0020, 0.0030],
    [0.0600, 0.0100, 0.0030, 0.9255, 0.0015],
    [0.0, 0.0, 0.0, 0.0, 1.0],
])
RR_AE = 1.25
COST = np.array([50.0, 1200.0, 1500.0, 900.0, 0.0])  # per month
INTERVENTION_COST_A = 150.0  # per month in A, intervention only
UTILITY = np.array([0.85, 0.65, 0.55, 0.70, 0.0])  # per year
DISCOUNT = 0.04
MONTHS = 480
WTP = 50000.0  # value of a QALY, for the incremental NPV (benchmark assumption)


def point_parameters() -> dict[str, np.ndarray]:
    """The issue's point values, shaped as one sample."""
    return {"P": P_BASE[None].copy(), "rr": np.array([RR_AE]), "cost": COST[None].copy(),
            "cost_int": np.array([INTERVENTION_COST_A]), "utility": UTILITY[None].copy()}


def sample_parameters(n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """PSA draws as issue 5 specifies: rows Dirichlet(1000 × row), ratio lognormal(ln 1.25, 0.10),
    costs gamma with sd 20 % of the mean, utilities beta with sd 0.05."""
    P = np.zeros((n, 5, 5))
    for s in range(4):
        P[:, s] = rng.dirichlet(1000 * P_BASE[s], size=n)
    P[:, X, X] = 1.0
    rr = rng.lognormal(np.log(RR_AE), 0.10, size=n)
    shape = 1 / 0.2 ** 2  # gamma: cv = 0.2 -> shape 25, scale mean/25
    cost = np.zeros((n, 5))
    cost[:, :4] = rng.gamma(shape, COST[:4] / shape, size=(n, 4))
    cost_int = rng.gamma(shape, INTERVENTION_COST_A / shape, size=n)
    m = UTILITY[:4]
    common = m * (1 - m) / 0.05 ** 2 - 1
    utility = np.zeros((n, 5))
    utility[:, :4] = rng.beta(m * common, (1 - m) * common, size=(n, 4))
    return {"P": P, "rr": rr, "cost": cost, "cost_int": cost_int, "utility": utility}


def strategy_matrices(P: np.ndarray, rr: float) -> list[np.ndarray]:
    """[usual, intervention]: the intervention multiplies A->E by rr, staying in A is the complement."""
    Q = P.copy()
    Q[A, E] = P[A, E] * rr
    Q[A, A] = 1.0 - (Q[A].sum() - Q[A, A])
    return [P, Q]


def strategy_costs(cost: np.ndarray, cost_int: float) -> list[np.ndarray]:
    c = cost.copy()
    c[A] += cost_int
    return [cost, c]


def cohort(params: dict[str, np.ndarray], months: int = MONTHS, horizons: tuple[int, ...] | None = None):
    """Plain cohort: for every sample and strategy, x ← x·P month by month.

    Occupancy is counted at the end of each month t and discounted by 1.04^(−t/12).
    Returns (cost, qalys) per person, each [sample, strategy] (or [sample, strategy, horizon]
    with ``horizons`` in months: the running totals at those months).
    """
    n = len(params["rr"])
    hs = tuple(horizons) if horizons else (months,)
    cost = np.zeros((n, 2, len(hs)))
    qaly = np.zeros((n, 2, len(hs)))
    v = (1 + DISCOUNT) ** (-np.arange(months + 1) / 12)
    for i in range(n):
        Ms = strategy_matrices(params["P"][i], params["rr"][i])
        cs = strategy_costs(params["cost"][i], params["cost_int"][i])
        u = params["utility"][i] / 12
        for k in range(2):
            x = np.zeros(5)
            x[E] = 1.0
            c_tot = q_tot = 0.0
            h = 0
            for t in range(1, months + 1):
                x = x @ Ms[k]
                c_tot += v[t] * (x @ cs[k])
                q_tot += v[t] * (x @ u)
                if t == hs[h]:
                    cost[i, k, h], qaly[i, k, h] = c_tot, q_tot
                    h += 1
                    if h == len(hs):
                        break
    if horizons is None:
        return cost[..., 0], qaly[..., 0]
    return cost, qaly


def microsim_totals(params: dict[str, np.ndarray], sample: int, n_people: int, rng_seed: int, months: int = MONTHS):
    """Plain microsim of one parameter sample: loop over months, vectorised over people.

    Both strategies use the same random numbers (same seed). Returns per-person discounted
    totals {"cost", "qalys": [person, strategy]} and occupancy counts [strategy, month, state].
    """
    Ms = strategy_matrices(params["P"][sample], params["rr"][sample])
    cs = strategy_costs(params["cost"][sample], params["cost_int"][sample])
    u = params["utility"][sample] / 12
    v = (1 + DISCOUNT) ** (-np.arange(months + 1) / 12)
    cost = np.zeros((n_people, 2))
    qaly = np.zeros((n_people, 2))
    occupancy = np.zeros((2, months + 1, 5), dtype=np.int64)
    for k in range(2):
        rng = np.random.default_rng(rng_seed)
        cum = np.cumsum(Ms[k], axis=1)
        state = np.zeros(n_people, dtype=np.int64)  # everyone starts in E
        occupancy[k, 0] = np.bincount(state, minlength=5)
        c_tot = np.zeros(n_people)
        q_tot = np.zeros(n_people)
        for t in range(1, months + 1):
            draw = rng.random(n_people)
            state = np.minimum((draw[:, None] >= cum[state]).sum(axis=1), 4)
            c_tot += v[t] * cs[k][state]
            q_tot += v[t] * u[state]
            occupancy[k, t] = np.bincount(state, minlength=5)
        cost[:, k], qaly[:, k] = c_tot, q_tot
    return {"cost": cost, "qalys": qaly, "occupancy": occupancy}


def microsim(params: dict[str, np.ndarray], sample: int, n_people: int, rng_seed: int, months: int = MONTHS):
    """Mean discounted (cost, qalys) per person per strategy, and occupancy counts [strategy, month, state]."""
    res = microsim_totals(params, sample, n_people, rng_seed, months)
    return res["cost"].mean(axis=0), res["qalys"].mean(axis=0), res["occupancy"]


def microsim_tables(P: np.ndarray, next_duration: np.ndarray, w_point: np.ndarray, stratum: np.ndarray,
                    state0: np.ndarray, rng_seed: int, n_transitions_index: np.ndarray,
                    entry_index: np.ndarray | None = None):
    """Plain microsim on given tables (one strategy): loop over months, vectorised over people.

    P[g, t, s, d, s'] per-month probabilities by stratum, month, state and time in state;
    next_duration[s, d]: time-in-state index after staying; w_point[r, g, t, s]: what being in
    s at point t adds to a person's discounted total of reward r; n_transitions_index[s, s']:
    the transition's index (−1 for none); entry_index[s, d]: the index entered on leaving s
    (the tracker bins carried on; 0 when None). Keeps what the engine keeps: occupancy and flow
    counts per stratum × month, and per-person discounted totals.
    """
    G, T, S, Dmax, _ = P.shape
    n = len(stratum)
    rng = np.random.default_rng(rng_seed)
    n_tr = int(n_transitions_index.max()) + 1
    state = state0.copy()
    dur = np.zeros(n, dtype=np.int64)
    occupancy = np.zeros((G, T + 1, S), dtype=np.int64)
    flows = np.zeros((G, T, max(n_tr, 1)), dtype=np.int64)
    occupancy[:, 0] = np.bincount(stratum * S + state, minlength=G * S).reshape(G, S)
    totals = w_point[:, stratum, 0, state].T.copy()
    for t in range(T):
        cum = np.cumsum(P[:, t], axis=-1)  # (G, S, D, S)
        draw = rng.random(n)
        nxt = np.minimum((draw[:, None] >= cum[stratum, state, dur]).sum(axis=1), S - 1)
        stay = nxt == state
        k = n_transitions_index[state, nxt]
        moved = ~stay & (k >= 0)
        flows[:, t] = np.bincount(stratum[moved] * n_tr + k[moved], minlength=G * n_tr).reshape(G, n_tr)
        dur = np.where(stay, next_duration[state, dur], 0 if entry_index is None else entry_index[state, dur])
        state = nxt
        occupancy[:, t + 1] = np.bincount(stratum * S + state, minlength=G * S).reshape(G, S)
        totals += w_point[:, stratum, t + 1, state].T
    return occupancy, flows, totals


def as_scenario_values(params: dict[str, np.ndarray], base: dict) -> dict:
    """The same draws as parameter values for benchmarks/reference_5state.yaml (arrays over samples)."""
    values = dict(base)
    for s, name in enumerate(STATES[:4]):
        for j, to in enumerate(STATES):
            values[f"ref.p.{name}.{to}"] = params["P"][:, s, j]
        values[f"ref.cost.{name}"] = params["cost"][:, s]
        values[f"ref.utility.{name}"] = params["utility"][:, s]
    values["ref.rr_AE"] = params["rr"]
    values["ref.cost.intervention"] = params["cost_int"]
    return values
