"""How noisy a motion is: a robust estimate of its frame-to-frame rotational jitter.

Independent noise n_t of σ radians on each of a joint's k rotation channels leaves a residual
between the rotation at frame t and the midpoint of its neighbours (t − 1, t + 1) of
n_t − (n_{t−1} + n_{t+1}) / 2: 1.5 σ² per channel, so its squared angle a² ~ 1.5 σ² χ²_k.
Smooth motion adds little at mocap frame rates (an angular acceleration of 30 rad/s² adds
0.03 rad at 30 fps). Medians over all frames and joints keep fast moments from
dominating: σ̂² = median over (t, j) of a²_tj / (1.5 k_j m_k), m_k the median of χ²_k / k.
"""
from __future__ import annotations

import numpy as np

from posefield.data.filtering import FILTER_CHUNK, hemisphere_signs
from posefield.rotations.euler import rotation_order
from posefield.skeleton import Skeleton

CHI2_MEDIAN_PER_DOF = {1: 0.454937, 2: 0.693147, 3: 0.788820}  # median of χ²_k / k


def rotation_jitter(quats: np.ndarray, dofs: np.ndarray) -> float:
    """Per-channel rotational noise σ̂ of a motion, radians (see the module docstring).

    Args:
        quats: (T, J, 4) local unit quaternions (xyzw).
        dofs: (J,) rotation channels of each joint (0: the joint is left out, e.g. the root).
    Returns:
        σ̂ in radians; NaN (unknown) for motions of fewer than 3 frames or without rotating joints.
    """
    dofs = np.asarray(dofs)
    joints = np.flatnonzero((dofs >= 1) & (dofs <= 3))
    if quats.shape[0] < 3 or joints.size == 0:
        return float("nan")
    angle_sq = np.empty((quats.shape[0] - 2, joints.size))  # (T − 2, joints)
    for start in range(1, quats.shape[0] - 1, FILTER_CHUNK):
        stop = min(quats.shape[0] - 1, start + FILTER_CHUNK)
        q = np.asarray(quats[start - 1:stop + 1], dtype=np.float64)[:, joints]  # (n + 2, joints, 4)
        q = q * hemisphere_signs(q)  # (a sign per joint for the whole block drops out of |cos| below)
        mid = q[:-2] + q[2:]
        mid /= np.linalg.norm(mid, axis=-1, keepdims=True)
        cos_half = np.clip(np.abs((q[1:-1] * mid).sum(axis=-1)), 0.0, 1.0)
        angle_sq[start - 1:stop - 1] = (2 * np.arccos(cos_half)) ** 2
    k = dofs[joints]
    angle_sq /= 1.5 * k * np.array([CHI2_MEDIAN_PER_DOF[int(d)] for d in k])
    return float(np.sqrt(np.median(angle_sq, overwrite_input=True)))  # (no copies of the clip-sized table)


def motion_jitter(skeleton: Skeleton, quats: np.ndarray) -> float:
    """:func:`rotation_jitter` of a motion's (T, J, 4) rotations over its non-root joints, radians."""
    dofs = np.array([len(rotation_order(channels)) for channels in skeleton.channels])
    dofs[0] = 0  # the root's orientation is not part of a pose
    return rotation_jitter(quats, dofs)
