"""Euler channels <-> rotation matrices, for BVH-style channel lists.

A channel list such as ``("Zrotation", "Xrotation", "Yrotation")`` means
R = Rz · Rx · Ry (intrinsic rotations in listed order), angles in degrees. A rotation
may be expressed in an axis frame C (ASF ``axis``): the local rotation is C · R · Cᵀ.
Partial lists (one or two axes) are allowed.
"""
from __future__ import annotations

import numpy as np
import roma
import torch

from posefield.rotations.axis_sets import closest_about_axis, closest_two_axis

ROTATION_CHANNELS = {"Xrotation": "X", "Yrotation": "Y", "Zrotation": "Z"}
AXIS_INDEX = {"X": 0, "Y": 1, "Z": 2}  # an axis letter's column in a frame


def rotation_order(channels: tuple[str, ...] | list[str]) -> str:
    """Intrinsic axis order of the rotation channels, e.g. ``"ZXY"`` (may be shorter than 3)."""
    return "".join(ROTATION_CHANNELS[c] for c in channels if c in ROTATION_CHANNELS)


def channels_to_rotmat(angles_deg: np.ndarray, order: str, axis: np.ndarray | None = None) -> np.ndarray:
    """Rotation matrices from Euler angles.

    Args:
        angles_deg: (T, len(order)) angles in degrees, in the order of ``order``.
        order: intrinsic axis order such as ``"ZXY"``; empty for a joint without rotation channels.
        axis: optional (3, 3) axis frame C; the result is C · R · Cᵀ.
    Returns:
        (T, 3, 3) float64 rotation matrices.
    """
    angles = torch.as_tensor(np.ascontiguousarray(angles_deg, dtype=np.float64))
    if not order:
        rot = torch.eye(3, dtype=torch.float64).expand(angles.shape[0], 3, 3).clone()
    else:
        rot = roma.euler_to_rotmat(order, angles, degrees=True, dtype=torch.float64)
    if axis is not None:
        c = torch.as_tensor(np.asarray(axis, dtype=np.float64))
        rot = c @ rot @ c.T
    return rot.numpy()


def _full_order(order: str) -> str:
    """Complete a partial intrinsic order with the missing axes in front (their angle is then ~0)."""
    missing = "".join(a for a in "XYZ" if a not in order)
    return missing + order


def _closest_reachable(rot: np.ndarray, order: str) -> np.ndarray:
    """(T, 3, 3) rotations -> the closest (T, 3, 3) products of rotations about the 1 or 2 axes of ``order``."""
    q = roma.rotmat_to_unitquat(torch.as_tensor(rot))
    axes = torch.eye(3, dtype=q.dtype)[[AXIS_INDEX[a] for a in order]]
    closest = closest_about_axis(q, axes[0]) if len(order) == 1 else closest_two_axis(q, axes[0], axes[1])
    return roma.unitquat_to_rotmat(closest).numpy()


def rotmat_to_channels(rot: np.ndarray, order: str, axis: np.ndarray | None = None,
                       reference: np.ndarray | None = None) -> np.ndarray:
    """Euler angles (degrees) reproducing ``rot``, choosing per frame the equivalent solution
    (the two Euler branches and ±360° wraps) closest to the previous frame, which makes a
    continuous channel curve and recovers the original values in round trips. Without a
    reference the first frame takes the principal branch (middle angle within ±90°, the
    usual decomposition of exporters). With fewer than three channels, a rotation they cannot
    reach is first replaced by the closest one they can (:mod:`posefield.rotations.axis_sets`).

    Args:
        rot: (T, 3, 3) rotation matrices.
        order: intrinsic axis order (1 to 3 letters; empty gives a (T, 0) array).
        axis: optional (3, 3) axis frame C (``rot`` is C · R · Cᵀ).
        reference: optional (len(order),) angles the first frame should be close to.
    Returns:
        (T, len(order)) float64 angles in degrees.
    """
    rot = np.asarray(rot, dtype=np.float64)
    if not order:
        return np.zeros((rot.shape[0], 0))
    if axis is not None:
        c = np.asarray(axis, dtype=np.float64)
        rot = c.T @ rot @ c
    full = _full_order(order)
    if len(order) < 3:
        rot = _closest_reachable(rot, order)
    angles = roma.rotmat_to_euler(full, torch.as_tensor(rot), degrees=True).numpy()
    keep = len(full) - len(order)
    # The other Euler branch of a proper (Tait-Bryan) decomposition: (a+180, 180-b, c+180).
    branch_b = np.stack([angles[:, 0] + 180.0, 180.0 - angles[:, 1], angles[:, 2] + 180.0], axis=1)
    candidates = np.stack([angles, branch_b], axis=1)[:, :, keep:]  # (T, 2, n)
    penalty = np.zeros(candidates.shape[:2])  # inf rules a branch out
    if keep:  # partial orders: only the branch whose dropped angles vanish is exact
        dropped = np.stack([angles, branch_b], axis=1)[:, :, :keep]
        dropped = (dropped + 180.0) % 360.0 - 180.0
        exact = np.abs(dropped).max(axis=2) < 1e-6
        penalty[~(exact | ~exact.any(axis=1)[:, None])] = np.inf
    out = np.empty((rot.shape[0], len(order)))
    prev = None if reference is None else np.asarray(reference, dtype=np.float64)
    for t in range(rot.shape[0]):
        cand = candidates[t]
        if prev is None:
            best = cand[int(penalty[t, 0] > 0)]
            best = best - 360.0 * np.round(best / 360.0)
        else:
            wrapped = cand - 360.0 * np.round((cand - prev) / 360.0)
            cost = np.abs(wrapped - prev).sum(axis=1) + penalty[t]
            best = wrapped[np.argmin(cost)]
        out[t] = best
        prev = best
    return out
