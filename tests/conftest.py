import os
from pathlib import Path

import pytest

os.environ.setdefault("IPSECON_STRICT_UNITS", "1")  # every variable of every result file has a unit

from ipsecon.model.scenario import load_scenario

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def scenario():
    """The Norwegian trial scenario, loaded once for every test module that needs it."""
    return load_scenario(ROOT / "scenarios" / "norway_rct.yaml")
