"""How noisy a motion is: a robust estimate of its frame-to-frame rotational jitter.

Independent noise n_t of σ radians on each of a joint's k rotation channels leaves a residual
between the rotation at frame t and the midpoint of its neighbours (t − 1, t + 1) of
n_t − (n_{t−1} + n_{t+1}) / 2: 1.5 σ² per channel, so its squared angle a² ~ 1.5 σ² χ²_k.
Smooth motion adds little at mocap frame rates (an angular acceleration of 30 rad/s² adds
0.03 rad at 30 fps). Medians over all frames and joints keep fast moments from
dominating: σ̂² = median over (t, j) of a²_tj / (1.5 k_j m_k), m_k the median of χ²_k / k.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np

from posefield.data.filtering import FILTER_CHUNK, hemisphere_signs
from posefield.rotations.euler import rotation_order
from posefield.skeleton import Skeleton

CHI2_MEDIAN_PER_DOF = {1: 0.454937, 2: 0.693147, 3: 0.788820}  # median of χ²_k / k


def rotation_jitter(quats: np.ndarray | Iterable[np.ndarray], dofs: np.ndarray) -> float:
    """Per-channel rotational noise σ̂ of a motion, radians (see the module docstring).

    Args:
        quats: (T, J, 4) local unit quaternions (xyzw), or the clip's consecutive (n, J, 4)
            blocks (a clip read block by block: the same σ̂).
        dofs: (J,) rotation channels of each joint (0: the joint is left out, e.g. the root).
    Returns:
        σ̂ in radians; NaN (unknown) for motions of fewer than 3 frames or without rotating joints.
    """
    dofs = np.asarray(dofs)
    joints = np.flatnonzero((dofs >= 1) & (dofs <= 3))
    whole = quats if isinstance(quats, np.ndarray) else None
    blocks = quats if whole is None else (whole[start:start + FILTER_CHUNK] for start in range(0, len(whole), FILTER_CHUNK))
    tables, tail = [], np.empty((0, joints.size, 4))  # tail: the frames before the block, at most two
    for block in blocks:
        raw = np.concatenate([tail, np.asarray(block, dtype=np.float64)[:, joints]])  # (n + 2, joints, 4)
        if len(raw) >= 3 and joints.size:
            q = raw * hemisphere_signs(raw)  # (a sign per joint for the whole block drops out of |cos| below)
            mid = q[:-2] + q[2:]
            mid /= np.linalg.norm(mid, axis=-1, keepdims=True)
            cos_half = np.clip(np.abs((q[1:-1] * mid).sum(axis=-1)), 0.0, 1.0)
            tables.append((2 * np.arccos(cos_half)) ** 2)
        tail = raw[-2:]
    if not tables:
        return float("nan")
    angle_sq = np.concatenate(tables)  # (T − 2, joints)
    del tables
    k = dofs[joints]
    angle_sq /= 1.5 * k * np.array([CHI2_MEDIAN_PER_DOF[int(d)] for d in k])
    return float(np.sqrt(np.median(angle_sq, overwrite_input=True)))  # (no copies of the clip-sized table)


def motion_jitter(skeleton: Skeleton, quats: np.ndarray | Iterable[np.ndarray]) -> float:
    """:func:`rotation_jitter` of a motion's (T, J, 4) rotations (or their blocks) over its
    non-root joints, radians."""
    dofs = np.array([len(rotation_order(channels)) for channels in skeleton.channels])
    dofs[0] = 0  # the root's orientation is not part of a pose
    return rotation_jitter(quats, dofs)
