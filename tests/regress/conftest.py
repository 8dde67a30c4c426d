"""Fixtures of the regression tests: the CMU fixture rig, a toy rig and tiny models."""
from __future__ import annotations

from pathlib import Path

import pytest
import torch

from posefield.io import load_motion, load_skeleton
from posefield.motion import Motion
from posefield.regress.model import RegressionModel, build_model
from posefield.regress.points import default_keypoints
from posefield.regress.regressor import RegressorConfig
from posefield.skeleton import Skeleton
from tests.rigs import skeleton_from_table

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cmu"
TINY = dict(hidden=16, encoder_width=32, feature_dim=16, iterations=2, inner_iterations=1)
ROT = ("Zrotation", "Yrotation", "Xrotation")
# name, parent, rest offset (m; Y up, the body's left is +x), channels
TOY = [
    ("pelvis", None, (0.0, 1.0, 0.0), ("Xposition", "Yposition", "Zposition") + ROT),
    ("spine", "pelvis", (0.0, 0.2, 0.0), ROT),
    ("chest", "spine", (0.0, 0.25, 0.0), ROT),
    ("neck", "chest", (0.0, 0.2, 0.0), ROT),
    ("lshoulder", "chest", (0.18, 0.15, 0.0), ROT),
    ("lelbow", "lshoulder", (0.28, 0.0, 0.0), ("Xrotation",)),
    ("rshoulder", "chest", (-0.18, 0.15, 0.0), ROT),
    ("relbow", "rshoulder", (-0.28, 0.0, 0.0), ("Xrotation",)),
    ("lhip", "pelvis", (0.1, -0.05, 0.0), ROT),
    ("lknee", "lhip", (0.0, -0.45, 0.0), ("Xrotation",)),
    ("rhip", "pelvis", (-0.1, -0.05, 0.0), ROT),
    ("rknee", "rhip", (0.0, -0.45, 0.0), ("Xrotation",)),
]
TOY_END_SITES = {"neck": (0.0, 0.25, 0.0), "lelbow": (0.25, 0.0, 0.0), "relbow": (-0.25, 0.0, 0.0),
                 "lknee": (0.0, -0.45, 0.0), "rknee": (0.0, -0.45, 0.0)}


def make_toy() -> Skeleton:
    return skeleton_from_table(TOY, TOY_END_SITES, rig="toy")


@pytest.fixture(scope="session")
def toy() -> Skeleton:
    return make_toy()


@pytest.fixture(scope="session")
def cmu_skeleton() -> Skeleton:
    return load_skeleton(FIXTURES / "05.asf")


@pytest.fixture(scope="session")
def cmu_motion() -> Motion:
    return load_motion(FIXTURES / "05_17.amc")


@pytest.fixture(scope="session")
def cmu_poses(cmu_motion) -> torch.Tensor:
    """(60, 28, 4) quaternions of the fixture clip's rotating non-root joints."""
    return torch.as_tensor(cmu_motion.rotations[:, cmu_motion.skeleton.rotation_joints()], dtype=torch.float32)


def tiny_model(skeleton: Skeleton, kind: str = "hkmr") -> RegressionModel:
    torch.manual_seed(0)
    return build_model(skeleton, default_keypoints(skeleton), RegressorConfig(kind=kind, **TINY))
