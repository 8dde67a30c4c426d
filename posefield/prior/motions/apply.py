"""A prior applied to motions frame by frame: scoring and projecting every pose."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

from posefield.errors import PosefieldError
from posefield.io.atomic import atomic_open
from posefield.io.formats import single_threaded_torch
from posefield.motion import BLOCK_FRAMES, Motion
from posefield.prior.base import PosePrior, energies
from posefield.prior.ndf.model import PoseNDF
from posefield.prior.ndf.projection import project
from posefield.prior.registry import check_compatible


def prior_poses(motion: Motion, prior: PosePrior, frames: slice = slice(None)) -> torch.Tensor:
    """(n, K, 4) float32 rotations of the prior's joints in ``frames`` (default: all T);
    raises SkeletonMismatchError for another rig."""
    check_compatible(prior, motion.skeleton)
    return torch.as_tensor(motion.rotations[frames, prior.joint_index], dtype=torch.float32)


def score_motion(motion: Motion, prior: PosePrior) -> np.ndarray:
    """(T,) prior energy of every frame (Pose-NDF: distance to the pose manifold, radians)."""
    return energies(prior, prior_poses(motion, prior)).double().cpu().numpy()


def scores_csv(scores: np.ndarray) -> str:
    """``frame,distance`` CSV text (frame numbers from 0) of (T,) scores."""
    return "frame,distance\n" + "".join(f"{t},{d:.6f}\n" for t, d in enumerate(scores))


def write_scores(path: str | Path, scores: np.ndarray) -> None:
    """Write :func:`scores_csv` atomically to ``path``."""
    with atomic_open(path) as handle:
        handle.write(scores_csv(scores))


def project_motion(motion: Motion, prior: PosePrior, frames: int = BLOCK_FRAMES,
                   **options) -> tuple[Motion, np.ndarray, np.ndarray]:
    """Project every frame onto the prior's manifold; other joints, root and skeleton stay as they are.

    The frames go ``frames`` at a time (the poses are independent: the same result), each
    block's projection written into the result as it is done, so the temporaries stay the same
    whatever the clip's length. Torch runs on one thread here: after the first steps only a few
    poses stay active, and on ops that small intra-op threads cost more than they give (a
    5,133-frame clip took 1.2 s on one thread and 35 s on two on the busy 2-core development
    machine; ``benchmarks/speed.md``).

    Args:
        motion: the motion (its rig must be the prior's).
        prior: a Pose-NDF prior.
        frames: frames projected together.
        options: passed to :func:`posefield.prior.ndf.projection.project` (step_size, max_steps, tol, method).
    Returns:
        the projected motion, (T,) float64 distances after projection (radians) and (T,) int64
        steps taken per frame.
    """
    if not isinstance(prior, PoseNDF):
        raise PosefieldError(f"projection needs a Pose-NDF prior, got the {prior.name!r} prior")
    if frames < 1:
        raise ValueError(f"frames projected together must be at least 1, got {frames}")
    rotations = motion.rotations.copy()
    distance = np.empty(motion.num_frames)
    steps = np.empty(motion.num_frames, dtype=np.int64)
    with single_threaded_torch():
        for start in range(0, max(motion.num_frames, 1), frames):  # (one empty block checks the rig too)
            part = slice(start, start + frames)
            result = project(prior, prior_poses(motion, prior, part), **options)
            rotations[part, prior.joint_index] = result.quats.detach().cpu().numpy()
            distance[part], steps[part] = result.distance.detach().cpu().numpy(), result.steps.cpu().numpy()
    return dataclasses.replace(motion, rotations=rotations), distance, steps
