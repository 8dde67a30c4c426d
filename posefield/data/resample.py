"""Change a motion's frame rate: slerp for rotations, linear for the root translation."""
from __future__ import annotations

import dataclasses

import numpy as np
import roma
import torch

from posefield.errors import InvalidPoseError
from posefield.limits import MAX_FRAMES
from posefield.motion import Motion



def slerp_pairs(q0: torch.Tensor, q1: torch.Tensor, alpha: torch.Tensor) -> torch.Tensor:
    """Element-wise shortest-arc slerp, q0 · exp(α · log(q0⁻¹ q1)).

    Args:
        q0, q1: (..., 4) unit quaternions.
        alpha: (...) interpolation weights in [0, 1].
    Returns:
        (..., 4) unit quaternions.
    """
    delta = roma.quat_product(roma.quat_conjugation(q0), q1)
    rotvec = roma.unitquat_to_rotvec(delta, shortest_arc=True)
    return roma.quat_product(q0, roma.rotvec_to_unitquat(rotvec * alpha[..., None]))


def resample(motion: Motion, fps: float) -> Motion:
    """The motion sampled at ``fps`` over the same duration (first frame kept).

    Frames whose time falls between two source frames are interpolated (slerp per joint,
    linear root translation). Integer ratios reduce to picking frames exactly. Raises
    :class:`InvalidPoseError` rather than make more than :data:`~posefield.limits.MAX_FRAMES` frames.
    """
    if abs(fps - motion.fps) < 1e-9 or motion.num_frames < 2:
        return motion
    duration = (motion.num_frames - 1) / motion.fps
    count = int(duration * fps + 1e-9) + 1
    if count > MAX_FRAMES:
        raise InvalidPoseError(f"{motion.source.get('path', 'the motion')}: {duration:g} s at {fps:g} fps would be "
                               f"{count} frames (at most {MAX_FRAMES})")
    times = np.arange(0.0, duration + 1e-9, 1.0 / fps) * motion.fps  # in source frames
    i0 = np.minimum(np.floor(times + 1e-9).astype(int), motion.num_frames - 1)
    i1 = np.minimum(i0 + 1, motion.num_frames - 1)
    alpha = np.clip(times - i0, 0.0, 1.0)
    q = torch.as_tensor(motion.rotations)
    a = torch.as_tensor(alpha)[:, None].expand(-1, q.shape[1])
    rotations = slerp_pairs(q[i0], q[i1], a).numpy()
    trans = (1 - alpha)[:, None] * motion.root_translation[i0] + alpha[:, None] * motion.root_translation[i1]
    source = dict(motion.source, resampled_from_fps=motion.fps)
    return dataclasses.replace(motion, rotations=rotations, root_translation=trans, fps=float(fps), source=source)
