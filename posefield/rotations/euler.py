"""Euler channels <-> rotation matrices and quaternions, for BVH-style channel lists.

A channel list such as ``("Zrotation", "Xrotation", "Yrotation")`` means
R = Rz · Rx · Ry (intrinsic rotations in listed order), angles in degrees. A rotation
may be expressed in an axis frame C (ASF ``axis``): the local rotation is C · R · Cᵀ.
Partial lists (one or two axes) are allowed.
"""
from __future__ import annotations

import numpy as np
import torch

from posefield.rotations.axis_sets import closest_about_axis, closest_two_axis
from posefield.rotations.quaternion import rotmat_entries, rotmat_to_quaternion

ROTATION_CHANNELS = {"Xrotation": "X", "Yrotation": "Y", "Zrotation": "Z"}
AXIS_INDEX = {"X": 0, "Y": 1, "Z": 2}  # an axis letter's column in a frame
CHUNK_FRAMES = 8192  # frames of a joint group converted together (:class:`ChannelCurves`, the readers)


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


def _closest_reachable(q: torch.Tensor, order: str) -> torch.Tensor:
    """(..., 4) unit quaternions -> the closest (..., 4) products of rotations about the 1 or 2 axes of ``order``."""
    axes = torch.eye(3, dtype=q.dtype)[[AXIS_INDEX[a] for a in order]]
    return closest_about_axis(q, axes[0]) if len(order) == 1 else closest_two_axis(q, axes[0], axes[1])


Components = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _product(a: Components, b: Components) -> Components:
    """Hamilton product a ⊗ b of quaternions given as (x, y, z, w) component arrays (broadcast):
    contiguous components keep numpy's elementwise loops fast, where slicing a last axis of 4 does not."""
    ax, ay, az, aw = a
    bx, by, bz, bw = b
    return (aw * bx + ax * bw + ay * bz - az * by,
            aw * by - ax * bz + ay * bw + az * bx,
            aw * bz + ax * by - ay * bx + az * bw,
            aw * bw - ax * bx - ay * by - az * bz)


def _components(q: np.ndarray) -> Components:
    """(..., 4) quaternions -> their (x, y, z, w) components, each (...) and contiguous."""
    return tuple(np.ascontiguousarray(c) for c in np.moveaxis(np.asarray(q, dtype=np.float64), -1, 0))


def conjugate_by(q: np.ndarray, frame: np.ndarray, inverse: bool = False) -> np.ndarray:
    """c ⊗ q ⊗ c⁻¹ (``inverse``: c⁻¹ ⊗ q ⊗ c) for (..., 4) quaternions and (..., 4) unit frames
    c (broadcast): the quaternion form of C · R · Cᵀ (Cᵀ · R · C). For a unit c that is q's vector
    part turned by C (by Cᵀ) and its scalar part kept: nine products where two Hamilton products
    take thirty-two."""
    entries = rotmat_entries(*_components(frame))  # C row by row
    rot = [entries[0:3], entries[3:6], entries[6:9]]
    if inverse:
        rot = list(zip(*rot))
    x, y, z, w = _components(q)
    out = np.empty(np.broadcast_shapes(x.shape, entries[0].shape) + (4,))
    for i, (a, b, c) in enumerate(rot):
        out[..., i] = a * x + b * y + c * z
    out[..., 3] = w
    return out


def channels_to_quaternion(angles_deg: np.ndarray, orders: list[str]) -> np.ndarray:
    """Unit quaternions of intrinsic Euler angles with a three-letter order per column:
    q = q₁(a₁) ⊗ q₂(a₂) ⊗ q₃(a₃), the quaternion of :func:`channels_to_rotmat`'s product.

    Columns of one order are converted together; an order of three distinct axes in closed form
    (:func:`_tait_bryan_quaternion`), any other one as the product of its three rotations.

    Args:
        angles_deg: (..., K, 3) angles in degrees, column k in the order of ``orders[k]``.
        orders: K intrinsic orders of three axes, e.g. ``"ZYX"``.
    Returns:
        (..., K, 4) float64 unit quaternions (xyzw, w of either sign).
    """
    half = np.radians(np.asarray(angles_deg, dtype=np.float64)) / 2
    out = np.empty(half.shape[:-1] + (4,))
    for order in dict.fromkeys(orders):
        columns = [k for k, o in enumerate(orders) if o == order]
        convert = _tait_bryan_quaternion if sorted(order) == ["X", "Y", "Z"] else _euler_product
        if len(columns) == len(orders):  # one order: straight into the output
            convert(half, order, out)
        else:
            converted = np.empty(half.shape[:-2] + (len(columns), 4))
            convert(half[..., columns, :], order, converted)
            out[..., columns, :] = converted
    return out


def _tait_bryan_quaternion(half: np.ndarray, order: str, out: np.ndarray) -> None:
    """Write into (..., 4) ``out`` the quaternions of (..., 3) half-angles (radians) of an
    intrinsic order of three distinct axes a, b, c:

        q_a ⊗ q_b ⊗ q_c = (s₁c₂c₃ + ε c₁s₂s₃) e_a + (c₁s₂c₃ − ε s₁c₂s₃) e_b
                          + (c₁c₂s₃ + ε s₁s₂c₃) e_c + (c₁c₂c₃ − ε s₁s₂s₃),

    sᵢ, cᵢ the sine and cosine of the i-th half-angle, ε = +1 when (a, b, c) is a cyclic order
    of (X, Y, Z), else −1 (e_a × e_b = ε e_c): sixteen products, against 32 of two Hamilton
    products. Computed by torch (on the arrays' memory), whose sine and cosine took a third of
    numpy's time: 10 against 20 ms on 5,133 × 31 joints (36 ms as two Hamilton products)."""
    h = torch.from_numpy(half).movedim(-1, 0)
    s, c = torch.sin(h), torch.cos(h)
    c1c2, s1s2, s1c2, c1s2 = c[0] * c[1], s[0] * s[1], s[0] * c[1], c[0] * s[1]
    sign = 1.0 if order in ("XYZ", "YZX", "ZXY") else -1.0
    a, b, third = (AXIS_INDEX[axis] for axis in order)
    q = torch.from_numpy(out)
    torch.add(s1c2 * c[2], c1s2 * s[2], alpha=sign, out=q[..., a])
    torch.add(c1s2 * c[2], s1c2 * s[2], alpha=-sign, out=q[..., b])
    torch.add(c1c2 * s[2], s1s2 * c[2], alpha=sign, out=q[..., third])
    torch.add(c1c2 * c[2], s1s2 * s[2], alpha=-sign, out=q[..., 3])


def _euler_product(half: np.ndarray, order: str, out: np.ndarray) -> None:
    """Write into (..., 4) ``out`` the quaternions of (..., 3) half-angles (radians) of any
    intrinsic three-letter ``order``, as the Hamilton product of its three rotations."""
    factors = []  # the rotation about each axis, as components
    for k, axis in enumerate(order):
        sine = np.sin(half[..., k])
        zero = np.zeros_like(sine)
        vector = [sine if AXIS_INDEX[axis] == i else zero for i in range(3)]
        factors.append((*vector, np.cos(half[..., k])))
    for i, component in enumerate(_product(_product(factors[0], factors[1]), factors[2])):
        out[..., i] = component


def quaternion_to_euler(q: np.ndarray, order: str, epsilon: float = 1e-7) -> np.ndarray:
    """Intrinsic Euler angles of a three-letter order with distinct axes (Tait–Bryan), each in
    [-π, π], by the quaternion method of Bernardes & Viollet (2022) as in roma and scipy
    (their ``unitquat_to_euler``, the same numbers without torch); at gimbal lock (middle
    angle within ``epsilon`` of ±π/2) the last angle is 0.

    Args:
        q: (..., 4) quaternions (xyzw, either sign; any non-zero length: the method uses ratios).
        order: intrinsic axis order such as ``"ZXY"`` (R = R_Z · R_X · R_Y).
    Returns:
        (..., 3) angles in radians, in the order of ``order``.
    """
    # The intrinsic order read backwards is the extrinsic one the method is written for.
    i, j, k = (AXIS_INDEX[a] for a in order[::-1])
    sign = (i - j) * (j - k) * (k - i) // 2  # +1 for an even permutation of x, y, z
    w = q[..., 3]
    a, b = w - q[..., j], q[..., i] + sign * q[..., k]
    c, d = q[..., j] + w, sign * q[..., k] - q[..., i]
    middle = 2 * np.arctan2(np.hypot(c, d), np.hypot(a, b))
    half_sum, half_diff = np.arctan2(b, a), np.arctan2(d, c)
    first, last = half_sum + half_diff, half_sum - half_diff
    low, high = np.abs(middle) <= epsilon, np.abs(middle - np.pi) <= epsilon
    last = np.where(low | high, 0.0, last)
    first = np.where(low, 2 * half_sum, np.where(high, 2 * half_diff, first))
    angles = np.stack([sign * first, middle - np.pi / 2, last], axis=-1)
    return np.where(angles < -np.pi, angles + 2 * np.pi, np.where(angles > np.pi, angles - 2 * np.pi, angles))


def rotmat_to_channels(rot: np.ndarray, order: str, axis: np.ndarray | None = None,
                       reference: np.ndarray | None = None) -> np.ndarray:
    """Euler angles (degrees) reproducing ``rot``: :func:`quaternion_to_channels` of its quaternions.

    Args:
        rot: (T, 3, 3) rotation matrices.
        order: intrinsic axis order (1 to 3 letters; empty gives a (T, 0) array).
        axis: optional (3, 3) axis frame C (``rot`` is C · R · Cᵀ).
        reference: optional (len(order),) angles the first frame should be close to.
    Returns:
        (T, len(order)) float64 angles in degrees.
    """
    rot = np.asarray(rot, dtype=np.float64)
    if axis is not None:
        c = np.asarray(axis, dtype=np.float64)
        rot = c.T @ rot @ c
    return quaternion_to_channels(rotmat_to_quaternion(torch.as_tensor(rot)).numpy(), order, reference)


def quaternion_to_channels(q: np.ndarray, order: str, reference: np.ndarray | None = None) -> np.ndarray:
    """Euler angles (degrees) reproducing the rotations ``q``, choosing per frame the equivalent
    solution (the two Euler branches and ±360° wraps) closest to the previous frame, which makes
    a continuous channel curve and recovers the original values in round trips. Without a
    reference the first frame takes the principal branch (middle angle within ±90°, the
    usual decomposition of exporters). With fewer than three channels, a rotation they cannot
    reach is first replaced by the closest one they can (:mod:`posefield.rotations.axis_sets`).

    Args:
        q: (T, ..., 4) unit quaternions (xyzw, either sign): T frames of any number of
            rotations, each its own curve over the frames (the joints of a rig that share ``order``).
        order: intrinsic axis order (1 to 3 letters; empty gives a (T, ..., 0) array).
        reference: optional (..., len(order)) angles the first frame should be close to.
    Returns:
        (T, ..., len(order)) float64 angles in degrees.
    """
    q = np.asarray(q, dtype=np.float64)
    if not order:
        return np.zeros(q.shape[:-1] + (0,))
    full = _full_order(order)
    if len(order) < 3:
        q = _closest_reachable(torch.as_tensor(q), order).numpy()
    angles = np.moveaxis(np.degrees(quaternion_to_euler(q, full)), -1, 0)  # (3, T, ...)
    keep = len(full) - len(order)
    # The other Euler branch of a proper (Tait-Bryan) decomposition: (a+180, 180-b, c+180).
    both = np.stack([angles, np.stack([angles[0] + 180.0, 180.0 - angles[1], angles[2] + 180.0])])  # (2, 3, T, ...)
    penalty = np.zeros((2,) + q.shape[:-1])  # inf rules a branch out
    if keep:  # partial orders: only the branch whose dropped angles vanish is exact
        dropped = (both[:, :keep] + 180.0) % 360.0 - 180.0
        exact = np.abs(dropped).max(axis=1) < 1e-6
        penalty[~(exact | ~exact.any(axis=0, keepdims=True))] = np.inf
    return _continuous(both[:, keep:], penalty, reference)


class ChannelCurves:
    """:func:`quaternion_to_channels` of a rig's joints over a clip given in consecutive pieces of
    frames: each call continues every joint's curve from the last frame of the call before, so
    the pieces give the angles the whole clip would (writers convert a long clip piece by piece).

    Args:
        orders: J intrinsic axis orders (0 to 3 letters); joints sharing one convert in one batch.
    """

    def __init__(self, orders: list[str]):
        self.orders = list(orders)
        self.groups = {order: [j for j, o in enumerate(self.orders) if o == order] for order in set(self.orders)}
        self.references: dict[str, np.ndarray | None] = dict.fromkeys(self.groups)

    def __call__(self, q: np.ndarray) -> list[np.ndarray]:
        """J arrays (n, len(orders[j])) of angles in degrees of (n, J, 4) unit quaternions (xyzw,
        either sign), the frames that follow the last call's."""
        if q.ndim != 3 or q.shape[1:] != (len(self.orders), 4):
            raise ValueError(f"expected ({len(self.orders)} joints, 4) quaternions per frame, got {tuple(q.shape)}")
        out: list[np.ndarray] = [np.zeros((q.shape[0], 0))] * len(self.orders)
        for order, group in self.groups.items():
            pieces = []
            for start in range(0, len(q), CHUNK_FRAMES):  # bounded temporaries
                pieces.append(quaternion_to_channels(q[start:start + CHUNK_FRAMES, group], order, self.references[order]))
                self.references[order] = pieces[-1][-1]
            angles = np.concatenate(pieces) if pieces else np.zeros((0, len(group), len(order)))
            for i, j in enumerate(group):
                out[j] = angles[:, i]
        return out


def joint_channels(q: np.ndarray, orders: list[str]) -> list[np.ndarray]:
    """:func:`quaternion_to_channels` of each joint's rotations over a whole clip (:class:`ChannelCurves`),
    the frames in pieces of :data:`CHUNK_FRAMES`.

    Args:
        q: (T, J, 4) unit quaternions (xyzw, either sign).
        orders: J intrinsic axis orders (0 to 3 letters).
    Returns:
        J arrays (T, len(orders[j])) of angles in degrees.
    """
    return ChannelCurves(orders)(q)


def _wrap_count(angles: np.ndarray) -> np.ndarray:
    """Whole turns (360°) nearest to ``angles`` (degrees), as floats."""
    return np.rint(angles / 360.0)


def _turn_distance(step: np.ndarray) -> np.ndarray:
    """Σ over the first axis of |step − 360° · (whole turns nearest to step)|: the distance of
    (n, ...) angle steps (degrees) modulo whole turns, added angle by angle."""
    distance = np.divide(step, 360.0)
    np.rint(distance, out=distance)
    distance *= 360.0
    np.subtract(step, distance, out=distance)
    np.abs(distance, out=distance)
    total = distance[0]
    for k in range(1, len(step)):
        total += distance[k]
    return total


def _continuous(candidates: np.ndarray, penalty: np.ndarray, reference: np.ndarray | None) -> np.ndarray:
    """Per frame, the candidate closest to the previous frame's choice, unwrapped by whole turns.

    The cost of a candidate depends on the previous choice only modulo 360°, so the choice
    is a two-state chain: its transitions are computed for all frames at once, followed in
    one cheap pass, and the turns to add are a cumulative sum. The angles come first in the
    arrays, so every operation runs over whole (T, ...) planes.

    Args:
        candidates: (2, n, T, ...) the two Euler branches' angles (degrees) per frame, for
            any number of independent curves.
        penalty: (2, T, ...) added cost (``inf`` rules a branch out).
        reference: optional (..., n) angles the first frame should be close to; without it the
            first frame takes branch 0 unless ruled out, within ±180°.
    Returns:
        (T, ..., n) angles in degrees.
    """
    first = np.moveaxis(candidates[:, :, 0], (0, 1), (-2, -1))  # (..., 2, n)
    if reference is None:
        choice0 = penalty[0, 0] > 0
    else:
        reference = np.asarray(reference, dtype=np.float64)[..., None, :]
        wrapped = first - 360.0 * _wrap_count(first - reference)
        cost0 = np.abs(wrapped - reference).sum(axis=-1) + np.moveaxis(penalty[:, 0], 0, -1)  # (..., 2)
        choice0 = np.argmin(cost0, axis=-1).astype(bool)
    start = np.where(choice0[..., None], first[..., 1, :], first[..., 0, :])
    turns0 = _wrap_count(start if reference is None else start - reference[..., 0, :])

    def cost(j: int, k: int) -> np.ndarray:  # (T - 1, ...): from branch j at frame t - 1 to branch k at frame t
        return _turn_distance(candidates[k, :, 1:] - candidates[j, :, :-1]) + penalty[k, 1:]

    # the next branch after each branch (the first of equal costs, as argmin takes)
    reach0, reach1 = _reached(cost(0, 1) < cost(0, 0), cost(1, 1) < cost(1, 0))
    choices = np.concatenate([choice0[None], np.where(choice0, reach1, reach0)])  # (T, ...)
    chosen = np.where(choices, candidates[1], candidates[0])  # (n, T, ...)
    steps = _wrap_count(np.diff(chosen, axis=1))
    turns = np.cumsum(np.concatenate([np.moveaxis(turns0, -1, 0)[:, None], steps], axis=1), axis=1)
    return np.moveaxis(chosen - 360.0 * turns, 0, -1)


def _reached(from0: np.ndarray, from1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where a two-state chain is after each step, from either start state.

    Args:
        from0, from1: (N, ...) bool, the state after step t from state 0 and from state 1
            (independent chains along the other dimensions); overwritten.
    Returns:
        two (N, ...) bool, entry [t, ...] of the s-th: the state after steps 0..t starting in
        state s. The maps are composed by doubling (log₂ N array steps instead of a loop over N).
    """
    span = 1
    while span < len(from0):
        # (later ∘ earlier)(s) = later(earlier(s)): pick the later map's value at the earlier one's
        earlier0, earlier1 = from0[:-span], from1[:-span]
        later0, later1 = from0[span:], from1[span:]
        from0[span:], from1[span:] = np.where(earlier0, later1, later0), np.where(earlier1, later1, later0)
        span *= 2
    return from0, from1
