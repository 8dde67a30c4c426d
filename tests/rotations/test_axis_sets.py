"""Closest rotations about one axis and in a product of two axis rotations, against brute force."""
import math

import roma
import torch

from posefield.rotations import geodesic_angles, random_unit_quaternions
from posefield.rotations.axis_sets import closest_about_axis, closest_two_axis
from posefield.rotations.distance import smooth_geodesic_angles


def _axis_quat(axis: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    return roma.rotvec_to_unitquat(angle[..., None] * axis)


def _unit(v) -> torch.Tensor:
    v = torch.tensor(v, dtype=torch.float64)
    return v / v.norm()


def test_closest_about_axis_beats_every_angle():
    g = torch.Generator().manual_seed(0)
    q = random_unit_quaternions((50,), g, torch.float64)
    axis = _unit([0.3, -0.5, 0.8])
    best = closest_about_axis(q, axis)
    assert torch.allclose(torch.linalg.cross(best[:, :3], axis.expand(50, 3)), torch.zeros(50, 3, dtype=torch.float64), atol=1e-12)
    grid = _axis_quat(axis, torch.linspace(-math.pi, math.pi, 3601, dtype=torch.float64))  # (G, 4)
    brute = geodesic_angles(q[:, None], grid[None]).min(dim=1).values
    assert (geodesic_angles(q, best) <= brute + 1e-9).all()
    assert torch.allclose(geodesic_angles(q, best), brute, atol=1e-3)


def test_closest_two_axis_beats_a_grid_and_keeps_reachable_rotations():
    g = torch.Generator().manual_seed(1)
    q = random_unit_quaternions((40,), g, torch.float64)
    outer, inner = _unit([0.0, 0.2, 1.0]), _unit([1.0, 0.1, -0.1])
    best = closest_two_axis(q, outer, inner)
    a, b = torch.meshgrid(torch.linspace(-math.pi, math.pi, 361, dtype=torch.float64),
                          torch.linspace(-math.pi, math.pi, 361, dtype=torch.float64), indexing="ij")
    grid = roma.quat_product(_axis_quat(outer, a.flatten()), _axis_quat(inner, b.flatten()))
    brute = geodesic_angles(q[:, None], grid[None]).min(dim=1).values
    assert (geodesic_angles(q, best) <= brute + 1e-9).all()
    assert torch.allclose(geodesic_angles(q, best), brute, atol=0.02)
    # a reachable rotation is its own projection, and projecting twice changes nothing
    reachable = grid[torch.randperm(len(grid), generator=g)[:40]]
    assert smooth_geodesic_angles(reachable, closest_two_axis(reachable, outer, inner)).max() < 1e-9
    assert smooth_geodesic_angles(best, closest_two_axis(best, outer, inner)).max() < 1e-9


def test_smooth_geodesic_angles_match_and_have_a_gradient_at_zero():
    g = torch.Generator().manual_seed(2)
    q1, q2 = random_unit_quaternions((30,), g, torch.float64), random_unit_quaternions((30,), g, torch.float64)
    assert torch.allclose(smooth_geodesic_angles(q1, q2), geodesic_angles(q1, q2), atol=1e-7)
    assert torch.allclose(smooth_geodesic_angles(q1, -q1), torch.zeros(30, dtype=torch.float64), atol=1e-7)
    q = q1.clone().requires_grad_()
    smooth_geodesic_angles(q, q1.detach()).square().sum().backward()
    assert torch.isfinite(q.grad).all()
