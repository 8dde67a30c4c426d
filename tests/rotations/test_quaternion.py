import roma
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from posefield.errors import InvalidPoseError
from posefield.rotations import (canonical_hemisphere, check_unit_quaternions, normalize_quaternions, quaternion_dot,
                                 quaternion_to_rotmat, random_unit_quaternions,
                                 rotmat_to_quaternion)
import pytest

finite = st.floats(-1.0, 1.0, allow_nan=False, width=32)
quat_arrays = arrays("float32", (8, 4), elements=finite).filter(lambda a: (abs(a).sum(axis=1) > 0.1).all())


@settings(max_examples=60, deadline=None)
@given(quat_arrays)
def test_canonical_hemisphere_keeps_rotation_and_is_sign_invariant(values):
    q = roma.quat_normalize(torch.from_numpy(values))
    c_pos, c_neg = canonical_hemisphere(q), canonical_hemisphere(-q)
    assert torch.equal(c_pos, c_neg)
    assert (c_pos[:, 3] >= 0).all()
    assert torch.allclose(roma.unitquat_to_rotmat(c_pos), roma.unitquat_to_rotmat(q), atol=1e-5)


def test_canonical_hemisphere_breaks_w_zero_ties():
    q = torch.tensor([[0.0, -1.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0]])
    assert torch.equal(canonical_hemisphere(q)[0], canonical_hemisphere(q)[1])


@pytest.mark.parametrize("bad, message", [
    (torch.full((2, 4), float("nan")), "NaN"),
    (torch.ones(2, 4), "not unit"),
    (torch.ones(2, 3), "shape"),
])
def test_check_unit_quaternions_rejects(bad, message):
    with pytest.raises(InvalidPoseError, match=message):
        check_unit_quaternions(bad)


def test_quaternion_matrix_conversions_match_roma():
    q = random_unit_quaternions((200,), torch.Generator().manual_seed(4), torch.float64)
    rot = roma.unitquat_to_rotmat(q)
    assert torch.allclose(quaternion_to_rotmat(q), rot, atol=1e-15)
    back = rotmat_to_quaternion(rot)
    assert torch.allclose(back * torch.sign((back * q).sum(-1, keepdim=True)), q, atol=1e-12)


def test_quaternion_dot_is_the_4d_dot_product_and_differentiable():
    a = torch.randn(5, 3, 4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(5, 3, 4, dtype=torch.float64)
    dot = quaternion_dot(a, b)
    assert dot.shape == (5, 3, 1)
    assert torch.allclose(dot, (a * b).sum(-1, keepdim=True), rtol=0, atol=1e-12)
    (grad,) = torch.autograd.grad(dot.sum(), a)
    assert torch.allclose(grad, b)
    assert torch.allclose(normalize_quaternions(a).norm(dim=-1), torch.ones(5, 3, dtype=torch.float64))
