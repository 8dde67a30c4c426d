"""CMU fixtures shared by the mesh tests."""
from __future__ import annotations

from pathlib import Path

import pytest

from posefield.io import load_motion
from posefield.motion import Motion

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def cmu_walk() -> Motion:
    """60 frames of CMU 05_17 (ASF skeleton, Y up), every 6th kept."""
    return load_motion(FIXTURES / "cmu" / "05_17.amc").slice(slice(0, 60, 6))
