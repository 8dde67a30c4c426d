"""Pose generation (Pose-NDF §4.3): random rotations projected onto the prior's manifold."""
from __future__ import annotations

import numpy as np
import torch

from posefield.fit.manifold import project
from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.prior.registry import check_compatible
from posefield.rotations import random_unit_quaternions
from posefield.skeleton import Skeleton


def sample_poses(prior: PosePrior, skeleton: Skeleton, num: int, seed: int = 0, fps: float = 30.0) -> Motion:
    """``num`` random poses, one per frame, with the prior's joints drawn uniformly from SO(3)
    and projected onto its manifold; other joints and the global orientation stay at rest and
    the root at the origin.

    Args:
        prior: pose prior of ``skeleton``'s rig (``none`` gives uniformly random poses).
        skeleton: the rig to pose.
        num: number of poses N ≥ 1.
        seed: random seed.
        fps: frame rate of the returned motion.
    Returns:
        A motion of N frames.
    """
    check_compatible(prior, skeleton)
    generator = torch.Generator().manual_seed(seed)
    quats = random_unit_quaternions((num, len(prior.joint_index)), generator=generator)
    rotations = np.tile([0.0, 0.0, 0.0, 1.0], (num, skeleton.num_joints, 1))
    rotations[:, prior.joint_index] = project(prior, quats).double().numpy()
    return Motion(skeleton, rotations, np.zeros((num, 3)), fps, {"format": "samples", "prior": prior.name})
