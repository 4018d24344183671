"""A two-state microsim scenario with closed forms: out of work (O) -> in work (W) at probability q a month
(usual care) or q × rr (IPS), nobody leaving W; shared by the events-kernel and Monte Carlo error tests."""

import yaml

from ipsecon.model.scenario import load_scenario


def entry_scenario(tmp_path, q: float, rr: float, months: int, individuals: int, seed: int, description: str):
    data = {
        "name": "entry", "title": "entry", "description": description,
        "model": {
            "cycle_years": 1 / 12, "counting": "end", "discount": {"cost": 0, "effect": 0},
            "states": {"O": {}, "W": {}},
            "transitions": [{"from": "O", "to": "W", "probability": q}],
            "strategies": {"usual": {}, "ips": {"effects": [{"transition": "O->W", "rr": rr}]}}, "comparator": "usual",
            "rewards": {"months_in_work": {"kind": "effect", "unit": "month", "states": {"W": 1}}},
        },
        "population": {"size": 100, "start_state": {"O": 1}},
        "run": {"horizon_years": months / 12, "engine": "microsim", "individuals": individuals, "seed": seed},
    }
    path = tmp_path / f"entry_{individuals}_{seed}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return load_scenario(path)
