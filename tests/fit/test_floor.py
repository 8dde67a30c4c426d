"""The floor under a motion: its height from the observed legs, the energy, and completion above it."""
import dataclasses
from pathlib import Path

import numpy as np
import pytest
import torch

from posefield.fit.complete import AUTO_FLOOR, COMPLETE_DEFAULTS, complete
from posefield.fit.floor import Floor, chain_tops, leg_points, observed_floor_height
from posefield.fit.positions import fit_positions
from posefield.io import load_skeleton
from posefield.prior.registry import no_prior
from posefield.fit.points import moved_points
from posefield.fit.terms import floor_energy
from posefield.skeleton import UP_AXIS
from posefield.skeleton.groups import resolve_group


def test_floor_height_is_the_lowest_observed_leg_point(walk):
    skeleton = walk.skeleton
    points = walk.joint_positions(with_end_sites=True)
    left = moved_points(skeleton, resolve_group(skeleton, "left_leg"))
    right = moved_points(skeleton, resolve_group(skeleton, "right_leg"))
    assert (leg_points(skeleton) == (left | right)).all()
    assert observed_floor_height(skeleton, points, ~left) == pytest.approx(points[:, right, UP_AXIS].min())
    assert observed_floor_height(skeleton, points, ~(left | right)) is None  # no leg observed: no estimate


def test_chain_tops_are_the_first_rotating_joints_of_each_hidden_chain(walk):
    skeleton = walk.skeleton
    index = skeleton.index
    assert chain_tops(skeleton, resolve_group(skeleton, "left_leg")) == [index("lfemur")]
    both = sorted([index("lradius"), index("lhand"), index("rfemur"), index("rtibia")])
    assert chain_tops(skeleton, both) == sorted([index("lradius"), index("rfemur")])
    cmu = load_skeleton(Path(__file__).resolve().parents[1] / "fixtures" / "cmu" / "05.asf")
    hidden = resolve_group(cmu, "left_leg") + [cmu.index("lhipjoint")]  # a bone without dof on top
    assert chain_tops(cmu, sorted(hidden)) == [cmu.index("lfemur")]


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


def test_the_floor_term_leaves_held_joints_alone(walk):
    """With nothing else acting on the hidden leg, the floor term alone lifts it: without the hip when held."""
    skeleton = walk.skeleton
    hidden = resolve_group(skeleton, "left_leg")
    mask = moved_points(skeleton, hidden)
    targets = walk.joint_positions(with_end_sites=True)
    floor = targets[:, mask, UP_AXIS].min() + 0.08
    config = dataclasses.replace(COMPLETE_DEFAULTS, acceleration_weight=0.0)
    fitted = {}
    for held in ((), (skeleton.index("lfemur"),)):
        rotations, _ = fit_positions(skeleton, targets, (~mask).astype(float), walk.rotations, walk.root_translation,
                                     walk.fps, no_prior(skeleton), config, Floor(float(floor), mask, held))
        fitted[held] = rotations
    hip = skeleton.index("lfemur")
    free, held = fitted[()], fitted[(hip,)]
    same = lambda a, b: np.abs(np.abs((a * b).sum(axis=-1)) - 1.0).max() < 1e-6  # noqa: E731
    assert not same(free[:, hip], walk.rotations[:, hip])
    assert same(held[:, hip], walk.rotations[:, hip])
    lifted = dataclasses.replace(walk, rotations=held).joint_positions(with_end_sites=True)
    assert lifted[:, mask, UP_AXIS].min() > floor - 0.01
