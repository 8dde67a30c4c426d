import math

import roma
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from posefield.rotations import geodesic_angles, joint_weights, pose_distance, random_unit_quaternions
from posefield.rotations.embedding import pose_embedding


def test_distance_of_single_joint_rotation_matches_formula():
    # One of three joints rotated by 60 degrees: half-angle 30 degrees, d = sqrt(w/2) * pi/6.
    a = roma.identity_quat(3)
    b = a.clone()
    b[1] = roma.rotvec_to_unitquat(torch.tensor([0.0, 0.0, math.radians(60)]))
    assert torch.isclose(pose_distance(a, b), torch.tensor(math.sqrt(0.5) * math.pi / 6), atol=1e-6)
    w = torch.tensor([1.0, 4.0, 1.0])
    assert torch.isclose(pose_distance(a, b, w), torch.tensor(math.sqrt(2.0) * math.pi / 6), atol=1e-6)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_distance_is_a_sign_invariant_symmetric_metric(seed):
    g = torch.Generator().manual_seed(seed)
    a, b, c = (random_unit_quaternions((5,), g, dtype=torch.float64) for _ in range(3))
    signs = torch.where(torch.rand(5, generator=g) < 0.5, -1.0, 1.0).double()[:, None]
    assert torch.isclose(pose_distance(a, b), pose_distance(a * signs, b))
    assert torch.isclose(pose_distance(a, b), pose_distance(b, a))
    assert pose_distance(a, a) < 1e-6
    assert pose_distance(a, c) <= pose_distance(a, b) + pose_distance(b, c) + 1e-9
    assert (geodesic_angles(a, b) <= math.pi / 2 + 1e-9).all()


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10_000))
def test_embedding_lower_bounds_distance_and_agrees_when_close(seed):
    g = torch.Generator().manual_seed(seed)
    a = random_unit_quaternions((4, 6), g)
    far = random_unit_quaternions((4, 6), g)
    near = roma.quat_normalize(a + 0.01 * torch.randn(4, 6, 4, generator=g))
    w = joint_weights([-1, 0, 1, 0, 3, 3], "subtree")
    for b in (far, near):
        emb = (pose_embedding(a, w) - pose_embedding(b, w)).norm(dim=1)
        d = pose_distance(a, b, w)
        assert (emb <= d + 1e-4).all()
    assert torch.allclose((pose_embedding(a, w) - pose_embedding(near, w)).norm(dim=1), pose_distance(a, near, w), rtol=1e-2)


def test_subtree_weights():
    w = joint_weights([-1, 0, 1, 0], "subtree")
    assert torch.allclose(w, torch.tensor([4.0, 2.0, 1.0, 1.0]) / 2.0)
