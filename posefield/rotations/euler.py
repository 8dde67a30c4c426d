"""Euler channels <-> rotation matrices, for BVH-style channel lists.

A channel list such as ``("Zrotation", "Xrotation", "Yrotation")`` means
R = Rz · Rx · Ry (intrinsic rotations in listed order), angles in degrees. A rotation
may be expressed in an axis frame C (ASF ``axis``): the local rotation is C · R · Cᵀ.
Partial lists (one or two axes) are allowed.
"""
from __future__ import annotations

import numpy as np
import torch

from posefield.rotations.axis_sets import closest_about_axis, closest_two_axis
from posefield.rotations.quaternion import quaternion_to_rotmat, rotmat_to_quaternion

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
    angles = np.radians(np.asarray(angles_deg, dtype=np.float64))
    rot = np.broadcast_to(np.eye(3), (angles.shape[0], 3, 3))
    for i, letter in enumerate(order):
        rot = rot @ _axis_rotmats(AXIS_INDEX[letter], angles[:, i])
    if axis is not None:
        c = np.asarray(axis, dtype=np.float64)
        rot = c @ rot @ c.T
    return np.array(rot)


def _axis_rotmats(axis: int, radians: np.ndarray) -> np.ndarray:
    """(T,) angles about coordinate axis ``axis`` (0, 1, 2 for x, y, z) -> (T, 3, 3) rotations."""
    c, s = np.cos(radians), np.sin(radians)
    i, j = (axis + 1) % 3, (axis + 2) % 3
    rot = np.zeros((len(radians), 3, 3))
    rot[:, axis, axis] = 1.0
    rot[:, i, i], rot[:, i, j], rot[:, j, i], rot[:, j, j] = c, -s, s, c
    return rot


def _full_order(order: str) -> str:
    """Complete a partial intrinsic order with the missing axes in front (their angle is then ~0)."""
    missing = "".join(a for a in "XYZ" if a not in order)
    return missing + order


def _closest_reachable(rot: np.ndarray, order: str) -> np.ndarray:
    """(T, 3, 3) rotations -> the closest (T, 3, 3) products of rotations about the 1 or 2 axes of ``order``."""
    q = rotmat_to_quaternion(torch.as_tensor(rot))
    axes = torch.eye(3, dtype=q.dtype)[[AXIS_INDEX[a] for a in order]]
    closest = closest_about_axis(q, axes[0]) if len(order) == 1 else closest_two_axis(q, axes[0], axes[1])
    return quaternion_to_rotmat(closest).numpy()


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
    import roma  # imports torch._dynamo (seconds): only where needed

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
    return _continuous(candidates, penalty, reference)


def _wrap_count(angles: np.ndarray) -> np.ndarray:
    """Whole turns (360°) nearest to ``angles`` (degrees), as floats."""
    return np.round(angles / 360.0)


def _continuous(candidates: np.ndarray, penalty: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    """Per frame, the candidate closest to the previous frame's choice, unwrapped by whole turns.

    The cost of a candidate depends on the previous choice only modulo 360°, so the choice
    is a two-state chain: its transitions are computed for all frames at once, followed in
    one cheap pass, and the turns to add are a cumulative sum.

    Args:
        candidates: (T, 2, n) the two Euler branches' angles (degrees) per frame.
        penalty: (T, 2) added cost (``inf`` rules a branch out).
        reference: optional (n,) angles the first frame should be close to; without it the
            first frame takes branch 0 unless ruled out, within ±180°.
    Returns:
        (T, n) angles in degrees.
    """
    first = candidates[0]
    if reference is None:
        choice0 = int(penalty[0, 0] > 0)
        turns0 = _wrap_count(first[choice0])
    else:
        reference = np.asarray(reference, dtype=np.float64)
        wrapped = first - 360.0 * _wrap_count(first - reference)
        choice0 = int(np.argmin(np.abs(wrapped - reference).sum(axis=1) + penalty[0]))
        turns0 = _wrap_count(first[choice0] - reference)
    # step[t - 1, j, k]: from branch j at frame t - 1 to branch k at frame t
    step = candidates[1:, None, :, :] - candidates[:-1, :, None, :]
    cost = np.abs(step - 360.0 * _wrap_count(step)).sum(axis=-1) + penalty[1:, None, :]
    after = np.argmin(cost, axis=-1).tolist()  # (T - 1, 2): the next branch after each branch
    choices = [choice0]
    for nxt in after:
        choices.append(nxt[choices[-1]])
    frames = np.arange(len(candidates))
    chosen = candidates[frames, choices]
    turns = np.cumsum(np.concatenate([turns0[None], _wrap_count(np.diff(chosen, axis=0))]), axis=0)
    return chosen - 360.0 * turns
