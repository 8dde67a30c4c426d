"""Motions shared by the picture and viewer tests."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from posefield.io import load_motion
from posefield.motion import Motion

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def walk() -> Motion:
    """12 frames of CMU 05_17 at 24 fps (every 5th of 120 fps)."""
    motion = load_motion(FIXTURES / "cmu" / "05_17.amc").slice(slice(0, 60, 5))
    return dataclasses.replace(motion, fps=24.0)


@pytest.fixture(scope="session")
def noisy(walk) -> Motion:
    """``walk`` with its root moved 20 cm along +X (a visible offset)."""
    return dataclasses.replace(walk, root_translation=walk.root_translation + np.array([0.2, 0.0, 0.0]))
