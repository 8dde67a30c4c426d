"""Tiny synthetic rig, motions and a stand-in prior for the application tests."""
from __future__ import annotations

import numpy as np
import pytest
import roma
import torch

from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.skeleton import Skeleton
from tests.rigs import skeleton_from_table

ROT3 = ("Zrotation", "Xrotation", "Yrotation")
ROOT = ("Xposition", "Yposition", "Zposition") + ROT3
# name, parent, rest offset (m, Y up, facing +z so the body's left is +x), channels
JOINTS = [
    ("root", None, (0.0, 1.0, 0.0), ROOT),
    ("spine", "root", (0.0, 0.1, 0.0), ROT3),
    ("chest", "spine", (0.0, 0.25, 0.0), ROT3),
    ("head", "chest", (0.0, 0.25, 0.0), ROT3),
    ("lhumerus", "chest", (0.18, 0.2, 0.0), ROT3),
    ("lradius", "lhumerus", (0.28, 0.0, 0.0), ("Xrotation",)),
    ("lhand", "lradius", (0.25, 0.0, 0.0), ROT3),
    ("rhumerus", "chest", (-0.18, 0.2, 0.0), ROT3),
    ("rradius", "rhumerus", (-0.28, 0.0, 0.0), ("Xrotation",)),
    ("rhand", "rradius", (-0.25, 0.0, 0.0), ROT3),
    ("lfemur", "root", (0.1, -0.05, 0.0), ROT3),
    ("ltibia", "lfemur", (0.0, -0.42, 0.0), ("Xrotation",)),
    ("lfoot", "ltibia", (0.0, -0.42, 0.0), ROT3),
    ("rfemur", "root", (-0.1, -0.05, 0.0), ROT3),
    ("rtibia", "rfemur", (0.0, -0.42, 0.0), ("Xrotation",)),
    ("rfoot", "rtibia", (0.0, -0.42, 0.0), ROT3),
]
END_SITES = {"head": (0.0, 0.2, 0.0), "lhand": (0.08, 0.0, 0.0), "rhand": (-0.08, 0.0, 0.0),
             "lfoot": (0.0, -0.05, 0.14), "rfoot": (0.0, -0.05, 0.14)}


def make_skeleton() -> Skeleton:
    return skeleton_from_table(JOINTS, END_SITES, rig="toy")


def walk_rotations(skeleton: Skeleton, num_frames: int, fps: float = 60.0, phase: float = 0.0) -> np.ndarray:
    """(T, J, 4) a smooth walk-like cycle: hips and shoulders swing, knees and elbows bend naturally."""
    t = np.arange(num_frames) / fps * 2 * np.pi + phase
    rotvec = np.zeros((num_frames, skeleton.num_joints, 3))
    joint = lambda name: rotvec[:, skeleton.index(name)]  # noqa: E731  (a view to assign into)
    joint("lfemur")[:, 0] = 0.5 * np.sin(t)
    joint("rfemur")[:, 0] = -0.5 * np.sin(t)
    joint("ltibia")[:, 0] = 0.6 * (1 + np.sin(t + 1.2))
    joint("rtibia")[:, 0] = 0.6 * (1 - np.sin(t + 1.2))
    joint("lhumerus")[:] = np.stack([-0.4 * np.sin(t), 0 * t, -1.2 + 0 * t], axis=1)
    joint("rhumerus")[:] = np.stack([0.4 * np.sin(t), 0 * t, 1.2 + 0 * t], axis=1)
    joint("lradius")[:, 0] = 0.3 + 0.2 * np.sin(t)
    joint("rradius")[:, 0] = 0.3 - 0.2 * np.sin(t)
    joint("spine")[:, 1] = 0.1 * np.sin(t)
    joint("root")[:, 1] = 0.3
    return roma.rotvec_to_unitquat(torch.as_tensor(rotvec)).numpy()


def make_motion(skeleton: Skeleton, num_frames: int = 60, fps: float = 60.0, phase: float = 0.0) -> Motion:
    trans = np.zeros((num_frames, 3))
    trans[:, 1] = 0.95
    trans[:, 2] = np.arange(num_frames) * 1.2 / fps
    return Motion(skeleton, walk_rotations(skeleton, num_frames, fps, phase), trans, fps, {"format": "test"})


class NearestPosePrior(PosePrior):
    """Stand-in prior: chordal distance sqrt(Σ_i sin² of half-angles) to the nearest of a set of poses."""

    name = "nearest"

    def __init__(self, skeleton: Skeleton, poses: np.ndarray):
        super().__init__()
        self.skeleton = skeleton
        self.joint_index = skeleton.rotation_joints()
        self.register_buffer("poses", torch.as_tensor(poses[:, self.joint_index], dtype=torch.float32))

    def energy(self, quats: torch.Tensor) -> torch.Tensor:
        dot = (quats[:, None] * self.poses[None].to(quats.dtype)).sum(dim=-1)
        return ((1 - dot.square()).clamp(min=0).sum(dim=-1).min(dim=1).values + 1e-8).sqrt()


@pytest.fixture(scope="session")
def skeleton() -> Skeleton:
    return make_skeleton()


@pytest.fixture(scope="session")
def walk(skeleton) -> Motion:
    return make_motion(skeleton)


@pytest.fixture(scope="session")
def stand_in_prior(skeleton) -> NearestPosePrior:
    """Poses of a whole walk cycle at other phases than the test clip's frames."""
    return NearestPosePrior(skeleton, walk_rotations(skeleton, 97, fps=97.0, phase=0.013))
