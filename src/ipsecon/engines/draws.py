"""The microsimulation's random numbers, counter-based, and the draws made from them at the start.

The uniform for person ``id`` in cycle ``t`` is a hash of (seed, id, t, stream). A seed
therefore gives identical results whatever the chunking or number of threads, and every
strategy sees the same numbers for the same person and month (common random numbers).
The events kernel (``microsim_kernel.walk_events``) reads them differently: (seed, id, t, 0) is the
length of the stay that starts in cycle t, (seed, id, t, 3) where the stay that ends in cycle t goes.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from ipsecon.model.population import Strata

STREAM_TRANSITION, STREAM_STRATUM, STREAM_START = 0, 1, 2
STREAM_DESTINATION = 3  # the events kernel: where a stay ends (its length reads STREAM_TRANSITION)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)


@nb.njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


@nb.njit(cache=True, inline="always")
def uniform(seed, person, t, stream):
    """A uniform in [0, 1) from the counter (seed, person, t, stream): splitmix64 rounds."""
    z = _mix(np.uint64(seed) * _GOLDEN + np.uint64(stream))
    z = _mix(z + np.uint64(person) * _GOLDEN)
    z = _mix(z + np.uint64(t + 1) * _GOLDEN)
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@nb.njit(cache=True)
def uniforms(seed, persons, t, stream):
    out = np.empty(persons.shape[0])
    for i in range(persons.shape[0]):
        out[i] = uniform(seed, persons[i], t, stream)
    return out


@nb.njit(cache=True, inline="always")
def _person_key(seed, person, stream):
    """The first two rounds of ``uniform``: they do not depend on t, so a person's are made once."""
    z = _mix(np.uint64(seed) * _GOLDEN + np.uint64(stream))
    return _mix(z + np.uint64(person) * _GOLDEN)


@nb.njit(cache=True, inline="always")
def uniform_at(key, t):
    """``uniform(seed, person, t, stream)`` from the person's key: the same number."""
    z = _mix(key + np.uint64(t + 1) * _GOLDEN)
    return (z >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@nb.njit(cache=True)
def person_keys(seed, ids, stream):
    out = np.empty(ids.shape[0], dtype=np.uint64)
    for i in range(ids.shape[0]):
        out[i] = _person_key(seed, ids[i], stream)
    return out


@nb.njit(cache=True)
def _inverse_cdf(seed, n, stream, cum, row):
    """For person i: how many of cum[row[i], :] its uniform (seed, i, −1, stream) reaches,
    at most the last index (the state or stratum drawn)."""
    out = np.empty(n, dtype=np.int64)
    last = cum.shape[1] - 1
    for i in range(n):
        u = uniform(seed, i, -1, stream)
        r = row[i] if row.shape[0] > 0 else 0
        k = 0
        for y in range(cum.shape[1]):
            k += u >= cum[r, y]
        out[i] = min(k, last)
    return out


def draw_individuals(strata: Strata, start_mix: np.ndarray, n_individuals: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratum and start state per person, from counter-based draws (chunking-proof)."""
    if strata.individuals is not None and len(strata.individuals) == n_individuals:
        stratum = strata.individuals["stratum"].to_numpy().astype(np.int64)
    else:
        stratum = _inverse_cdf(seed, n_individuals, STREAM_STRATUM, np.cumsum(strata.weight)[None, :], np.zeros(0, np.int64))
    if strata.individuals is not None and "state" in strata.individuals and len(strata.individuals) == n_individuals:
        state = strata.individuals["state"].to_numpy().astype(np.int64)
    else:
        state = _inverse_cdf(seed, n_individuals, STREAM_START, np.cumsum(start_mix, axis=1), stratum)
    return stratum, state
