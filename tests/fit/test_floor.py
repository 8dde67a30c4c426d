"""The floor under a motion: its height from the observed legs, the energy, and completion above it."""
import numpy as np
import pytest
import torch

from posefield.fit.complete import AUTO_FLOOR, complete
from posefield.fit.floor import UP_AXIS, leg_points, observed_floor_height
from posefield.fit.points import moved_points
from posefield.fit.terms import floor_energy
from posefield.skeleton.groups import resolve_group


def test_floor_height_is_the_lowest_observed_leg_point(walk):
    skeleton = walk.skeleton
    points = walk.joint_positions(with_end_sites=True)
    left = moved_points(skeleton, resolve_group(skeleton, "left_leg"))
    right = moved_points(skeleton, resolve_group(skeleton, "right_leg"))
    assert (leg_points(skeleton) == (left | right)).all()
    assert observed_floor_height(skeleton, points, ~left) == pytest.approx(points[:, right, UP_AXIS].min())
    assert observed_floor_height(skeleton, points, ~(left | right)) is None  # no leg observed: no estimate


def test_floor_energy_counts_only_masked_points_below():
    points = torch.tensor([[[0.0, 0.1, 0.0], [0.0, -0.2, 0.0], [0.0, -0.1, 0.0]]]).repeat(2, 1, 1)
    mask = torch.tensor([True, True, False])
    assert float(floor_energy(points, 0.0, mask)) == pytest.approx(0.04)
    assert float(floor_energy(points, -0.3, mask)) == 0.0


def test_completion_keeps_the_hidden_leg_above_the_floor(walk, stand_in_prior):
    skeleton = walk.skeleton
    hidden = resolve_group(skeleton, "left_leg")
    mask = moved_points(skeleton, hidden)
    lowest = lambda motion: motion.joint_positions(with_end_sites=True)[:, mask, UP_AXIS].min()  # noqa: E731
    floor = lowest(walk) + 0.08  # a floor the true leg goes 8 cm through
    free = complete(walk, stand_in_prior, hidden)
    held = complete(walk, stand_in_prior, hidden, floor=floor)
    assert lowest(free) < floor - 0.04
    assert lowest(held) > floor - 0.01
    observed = walk.joint_positions(with_end_sites=True)[:, ~mask]
    assert np.abs(held.joint_positions(with_end_sites=True)[:, ~mask] - observed).max() < 0.01
    auto = complete(walk, stand_in_prior, hidden, floor=AUTO_FLOOR)  # at the right foot's lowest point
    right_lowest = observed_floor_height(skeleton, walk.joint_positions(with_end_sites=True), ~mask)
    assert lowest(auto) > right_lowest - 0.01
