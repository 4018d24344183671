"""Variants of the Chancellor HIV model (tests/data/chancellor_hiv.yaml) shared by several test files."""

import copy


def with_durations(spec: dict) -> dict:
    """Per-cycle probabilities out of B that depend on time in B (a tunnel of 4), and ever-in C."""
    d = copy.deepcopy(spec)
    d["model"]["states"]["B"]["track_duration"] = 4
    for tr in d["model"]["transitions"]:
        if tr["from"] == "B" and tr["to"] == "C":
            tr["probability"] = "where(duration >= 2, 0.45, hiv.count.BC / nB)"
        if tr["from"] == "B" and tr["to"] == "D":
            tr["probability"] = "hiv.count.BD / nB * (1 + duration / 4)"
    d["model"]["ever_in"] = ["C"]
    return d
