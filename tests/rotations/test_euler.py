"""Properties of Euler channels <-> rotation matrices (BVH channel lists)."""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import roma
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from posefield.rotations import channels_to_rotmat, random_unit_quaternions, rotmat_to_channels
from posefield.rotations import euler
from posefield.rotations.euler import (_reached, channels_to_quaternion, conjugate_by, joint_channels,
                                       quaternion_to_channels, quaternion_to_euler)
from posefield.rotations.axis_sets import closest_about_axis, closest_two_axis

FULL_ORDERS = ["".join(p) for p in itertools.permutations("XYZ")]
PARTIAL_ORDERS = [o for n in (1, 2) for o in ("".join(p) for p in itertools.permutations("XYZ", n))]

outer = st.floats(-179.0, 179.0)
middle = st.floats(-89.0, 89.0)
anything = st.floats(-720.0, 720.0)


@settings(max_examples=200, deadline=None)
@given(order=st.sampled_from(FULL_ORDERS), angles=st.tuples(outer, middle, outer))
def test_recovers_angles_given_a_reference(order, angles):
    angles = np.array([angles])
    rot = channels_to_rotmat(angles, order)
    np.testing.assert_allclose(rotmat_to_channels(rot, order, reference=angles[0]), angles, atol=1e-6)


@settings(max_examples=200, deadline=None)
@given(order=st.sampled_from(FULL_ORDERS), angles=st.lists(st.tuples(anything, anything, anything), min_size=1, max_size=5))
def test_reproduces_any_rotation(order, angles):
    rot = channels_to_rotmat(np.array(angles), order)
    np.testing.assert_allclose(channels_to_rotmat(rotmat_to_channels(rot, order), order), rot, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(order=st.sampled_from(FULL_ORDERS), start=st.tuples(outer, middle, outer),
       steps=st.lists(st.tuples(st.floats(-5, 5), st.floats(-5, 5), st.floats(-5, 5)), min_size=1, max_size=40))
def test_continuous_curves_round_trip(order, start, steps):
    """A smooth channel curve (any range, middle within ±89°) comes back value for value."""
    curve = np.cumsum(np.array([start] + steps), axis=0)
    curve[:, 1] = np.clip(curve[:, 1], -89.0, 89.0)
    rot = channels_to_rotmat(curve, order)
    np.testing.assert_allclose(rotmat_to_channels(rot, order, reference=curve[0]), curve, atol=1e-6)


@settings(max_examples=200, deadline=None)
@given(order=st.sampled_from(PARTIAL_ORDERS), angles=st.tuples(middle, outer))
def test_partial_orders_recover_their_angles(order, angles):
    """A partial order is decomposed as the full order with the missing axes in front, whose
    middle angle is the partial order's first: hence |first| < 89° for two-axis orders."""
    angles = np.array([angles[:len(order)]])
    rot = channels_to_rotmat(angles, order)
    np.testing.assert_allclose(rotmat_to_channels(rot, order), angles, atol=1e-6)


@pytest.mark.xfail(strict=True, reason="known limitation: at exactly ±90° the completed order is gimbal-locked and "
                          "the dropped axis may take the angle that belongs to the last one")
def test_partial_order_at_gimbal_lock():
    angles = np.array([[90.0, 1.0]])
    rot = channels_to_rotmat(angles, "XY")
    np.testing.assert_allclose(rotmat_to_channels(rot, "XY"), angles, atol=1e-6)


@settings(max_examples=100, deadline=None)
@given(order=st.sampled_from(FULL_ORDERS), angles=st.tuples(outer, middle, outer),
       axis=st.tuples(anything, anything, anything))
def test_axis_frames(order, angles, axis):
    """With an axis frame C the matrices are C·R·Cᵀ and the angles still come back."""
    c = channels_to_rotmat(np.array([axis]), "XYZ")[0]
    angles = np.array([angles])
    rot = channels_to_rotmat(angles, order, axis=c)
    np.testing.assert_allclose(rot[0], c @ channels_to_rotmat(angles, order)[0] @ c.T, atol=1e-12)
    np.testing.assert_allclose(rotmat_to_channels(rot, order, axis=c, reference=angles[0]), angles, atol=1e-6)


def test_intrinsic_order():
    """("Z", "X") means Rz · Rx: rotating (0, 1, 0) by Rx(90°) then Rz(90°) gives (0, 0, 1)."""
    rot = channels_to_rotmat(np.array([[90.0, 90.0]]), "ZX")[0]
    np.testing.assert_allclose(rot @ [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], atol=1e-12)


def test_partial_channels_keep_the_closest_rotation_they_can_reach():
    """A rotation off a one- or two-channel joint's set is written as its closest reachable one."""
    g = torch.Generator().manual_seed(5)
    q = random_unit_quaternions((50,), g, torch.float64)
    rot = roma.unitquat_to_rotmat(q).numpy()
    for order, closest in (("X", closest_about_axis(q, torch.tensor([1.0, 0, 0], dtype=torch.float64))),
                           ("ZX", closest_two_axis(q, torch.tensor([0, 0, 1.0], dtype=torch.float64),
                                                   torch.tensor([1.0, 0, 0], dtype=torch.float64)))):
        rebuilt = channels_to_rotmat(rotmat_to_channels(rot, order), order)
        assert np.allclose(rebuilt, roma.unitquat_to_rotmat(closest).numpy(), atol=1e-9)


def _frame_by_frame(rot: np.ndarray, order: str, reference: np.ndarray | None) -> np.ndarray:
    """The branch and turn choice of :func:`rotmat_to_channels` written as a loop over frames
    (three-channel orders): the candidate closest to the previous frame's angles."""
    angles = roma.rotmat_to_euler(order, torch.as_tensor(rot), degrees=True).numpy()
    other = np.stack([angles[:, 0] + 180.0, 180.0 - angles[:, 1], angles[:, 2] + 180.0], axis=1)
    out, prev = [], reference
    for cand in np.stack([angles, other], axis=1):
        if prev is None:
            best = cand[0] - 360.0 * np.round(cand[0] / 360.0)
        else:
            wrapped = cand - 360.0 * np.round((cand - prev) / 360.0)
            best = wrapped[np.argmin(np.abs(wrapped - prev).sum(axis=1))]
        out.append(best)
        prev = best
    return np.array(out)


@pytest.mark.parametrize("order", FULL_ORDERS)
def test_batched_branch_choice_matches_the_frame_by_frame_rule(order):
    rng = np.random.default_rng(3)
    curve = np.cumsum(rng.normal(0.0, 40.0, (300, 3)), axis=0)  # large steps: branch switches and wraps
    rot = channels_to_rotmat(curve, order)
    for reference in (None, curve[0] + 7.0):
        np.testing.assert_allclose(rotmat_to_channels(rot, order, reference=reference),
                                   _frame_by_frame(rot, order, reference), rtol=0, atol=1e-9)


@pytest.mark.parametrize("order", FULL_ORDERS)
def test_numpy_decomposition_matches_roma(order):
    """The numpy Euler decomposition gives roma's angles, gimbal-locked rotations included."""
    g = torch.Generator().manual_seed(11)
    q = random_unit_quaternions((500,), g, torch.float64)
    locked = torch.as_tensor(channels_to_quaternion(np.array([[[30.0, s * 90.0, 0.0]] for s in (-1, 1)]), [order]))
    q = torch.cat([q, -q[:50], locked[:, 0]])
    np.testing.assert_allclose(quaternion_to_euler(q.numpy(), order), roma.unitquat_to_euler(order, q).numpy(),
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("order", FULL_ORDERS)
def test_channel_quaternions_match_the_matrices(order):
    rng = np.random.default_rng(4)
    angles = rng.uniform(-400, 400, (200, 2, 3))
    q = channels_to_quaternion(angles, [order, "ZYX"])
    np.testing.assert_allclose(np.linalg.norm(q, axis=-1), 1.0, atol=1e-12)
    for k, o in enumerate((order, "ZYX")):
        np.testing.assert_allclose(roma.unitquat_to_rotmat(torch.as_tensor(q[:, k])).numpy(),
                                   channels_to_rotmat(angles[:, k], o), atol=1e-12)


def test_conjugation_is_the_axis_frame():
    rng = np.random.default_rng(6)
    q = channels_to_quaternion(rng.uniform(-180, 180, (50, 1, 3)), ["XYZ"])[:, 0]
    frame = channels_to_quaternion(rng.uniform(-180, 180, (1, 3)), ["ZXY"])[0]
    c, rot = roma.unitquat_to_rotmat(torch.as_tensor(frame)).numpy(), roma.unitquat_to_rotmat(torch.as_tensor(q)).numpy()
    for inverse, expected in ((False, c @ rot @ c.T), (True, c.T @ rot @ c)):
        np.testing.assert_allclose(roma.unitquat_to_rotmat(torch.as_tensor(conjugate_by(q, frame, inverse))).numpy(),
                                   expected, atol=1e-12)


def test_chain_states_match_a_loop():
    after = np.random.default_rng(8).integers(0, 2, (1000, 2))
    for start in (0, 1):
        state, expected = start, []
        for step in after:
            state = step[state]
            expected.append(state)
        np.testing.assert_array_equal(_reached(*(after == 1).T.copy())[start], expected)


@pytest.mark.parametrize("order", ["ZXY", "YX", "Z"])
def test_batched_curves_match_one_at_a_time(order):
    """Rotations of several joints converted in one call give each joint's own curve."""
    rng = np.random.default_rng(9)
    curves = np.cumsum(rng.normal(0.0, 40.0, (200, 4, 3)), axis=0)
    q = channels_to_quaternion(curves, ["XZY", "ZYX", "YXZ", "XYZ"])
    reference = rng.uniform(-90, 90, (4, len(order)))
    for ref in (None, reference):
        batched = quaternion_to_channels(q, order, ref)
        for j in range(4):
            np.testing.assert_array_equal(batched[:, j], quaternion_to_channels(q[:, j], order, None if ref is None else ref[j]))
        grid = quaternion_to_channels(q.reshape(200, 2, 2, 4), order, None if ref is None else ref.reshape(2, 2, -1))
        np.testing.assert_array_equal(grid, batched.reshape(200, 2, 2, -1))


def test_joint_channels_in_pieces_continue_each_curve(monkeypatch):
    rng = np.random.default_rng(10)
    curves = np.cumsum(rng.normal(0.0, 40.0, (300, 3, 3)), axis=0)
    q = channels_to_quaternion(curves, ["XZY", "ZYX", "YXZ"])
    orders = ["ZXY", "ZXY", "X"]
    whole = joint_channels(q, orders)
    monkeypatch.setattr(euler, "CHUNK_FRAMES", 7)
    for one, pieces in zip(whole, joint_channels(q, orders)):
        np.testing.assert_allclose(pieces, one, rtol=0, atol=1e-9)


def test_channel_quaternions_of_mixed_orders_in_one_call_match_the_matrices():
    """Columns of several orders, proper Euler ones (a repeated axis) among the Tait-Bryan ones,
    on frames given as a strided view: each column as its own order's rotation matrix."""
    rng = np.random.default_rng(5)
    orders = ["ZXZ", "XYZ", "YXY", "ZYX", "XYZ", "YZX"]
    angles = rng.uniform(-400, 400, (60, len(orders), 3))[::2]
    q = channels_to_quaternion(angles, orders)
    assert q.shape == (30, len(orders), 4)
    np.testing.assert_allclose(np.linalg.norm(q, axis=-1), 1.0, atol=1e-12)
    for k, order in enumerate(orders):
        np.testing.assert_allclose(roma.unitquat_to_rotmat(torch.as_tensor(q[:, k])).numpy(),
                                   channels_to_rotmat(angles[:, k], order), atol=1e-12)
    assert channels_to_quaternion(np.zeros((0, 2, 3)), ["XYZ", "ZXZ"]).shape == (0, 2, 4)
