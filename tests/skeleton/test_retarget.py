"""Retargeting through the pose: calibrated frame offsets, mapping onto a prior's rig and back."""
import dataclasses
from pathlib import Path

import numpy as np
import pytest
import roma
import torch

from posefield.errors import SkeletonMismatchError
from posefield.io import load_motion
from posefield.io.bvh import read_bvh
from posefield.prior.checkpoint import load_prior
from posefield.prior.motions.mapping import map_to_prior, prior_poses_full
from posefield.rotations import geodesic_angles
from posefield.skeleton.retarget import calibrate, match_rigs, rest_poses_agree, world_frames

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RIGS = FIXTURES / "rigs"  # the first frames of CMU 05_17 on three rigs (benchmarks/rigmap.py fixtures)


@pytest.fixture(scope="module")
def cmu_prior():
    return load_prior("cmu-asf")


@pytest.fixture(scope="module")
def cmu_clip():
    return load_motion(FIXTURES / "cmu" / "05_17.amc", asf=FIXTURES / "cmu" / "05.asf").slice(slice(0, 120, 20))


@pytest.mark.parametrize("name", ["mixamo.bvh", "smpl.bvh", "game.bvh", "../bvh/salsa_01_head.bvh"])
def test_rig_to_prior_to_rig_reproduces_the_mapped_joints(cmu_prior, name):
    motion = read_bvh(RIGS / name, drop_frames=4 if "salsa" in name else 0)
    mapped = map_to_prior(cmu_prior, motion)
    on_prior = mapped.to_prior(motion)
    assert on_prior.skeleton is cmu_prior.skeleton
    back = mapped.to_source(on_prior, motion)
    assert np.abs(back.joint_positions() - motion.joint_positions()).max() < 1e-9
    assert geodesic_angles(torch.as_tensor(back.rotations), torch.as_tensor(motion.rotations)).max() < 1e-6


def test_results_come_back_on_the_users_joints_and_keep_unmapped_ones(cmu_prior):
    motion = read_bvh(FIXTURES / "bvh" / "salsa_01_head.bvh", drop_frames=4)
    mapped = map_to_prior(cmu_prior, motion)
    result = mapped.to_prior(motion)
    rotations = result.rotations.copy()
    lfemur = cmu_prior.skeleton.index("lfemur")
    rotations[:, lfemur] = roma.rotvec_to_unitquat(torch.tensor([0.5, 0.0, 0.0])).numpy()  # bend the hip
    back = mapped.to_source(type(result)(result.skeleton, rotations, result.root_translation, result.fps), motion)
    fingers = [j for j, n in enumerate(motion.skeleton.names) if "Index" in n or "Eye" in n]
    assert fingers and np.allclose(back.rotations[:, fingers], motion.rotations[:, fingers])
    thigh = motion.skeleton.index("lThigh")
    world_back, _ = world_frames(motion.skeleton, back.rotmats(), back.root_translation)
    world_prior, _ = world_frames(cmu_prior.skeleton, roma.unitquat_to_rotmat(torch.as_tensor(rotations)).numpy(),
                                  result.root_translation)
    pair = dict(mapped.rig_map.pairs)[lfemur]
    offset = mapped.rig_map.offsets[[t for t, _ in mapped.rig_map.pairs].index(lfemur)]
    assert pair == thigh
    assert np.allclose(world_back[:, thigh] @ offset, world_prior[:, lfemur], atol=1e-9)


def test_the_same_pose_on_different_rigs_maps_to_the_same_prior_pose(cmu_prior, cmu_clip):
    """The three fixtures hold the same CMU frames on a T-pose-like SMPL rig, an A-pose Mixamo
    rig and a game rig whose rest pose is a stick of bones along local axes."""
    poses = {}
    for name in ("mixamo", "smpl", "game"):
        motion = read_bvh(RIGS / f"{name}.bvh")
        poses[name] = torch.as_tensor(map_to_prior(cmu_prior, motion).to_prior(motion).rotations)
    body = [cmu_prior.skeleton.index(n) for n in ("lfemur", "rtibia", "lowerback", "thorax", "lhumerus", "rradius",
                                                   "lclavicle", "head")]
    original = torch.as_tensor(cmu_clip.rotations[:, body])
    # the game rig's map is calibrated on mean anatomical vectors of its frames and of the prior's
    # exemplars (its rest pose is no pose), so it lands as near as those means agree: 7.2° with the
    # 16-person cmu-asf prior (whose exemplars include climbing, dance and martial arts), against
    # 2.8° for the rigs calibrated on their standing rest poses
    bound = {"mixamo": 6.0, "smpl": 6.0, "game": 8.0}
    for name in poses:
        angles = np.degrees(geodesic_angles(poses[name][:, body], original).numpy())
        assert angles.mean() < bound[name], (name, angles.mean(axis=0))
    between = np.degrees(geodesic_angles(poses["game"][:, body], poses["smpl"][:, body]).numpy())
    assert between.mean() < 6.0


def test_rest_poses_decide_how_the_map_is_calibrated(cmu_prior):
    for name, alike in (("mixamo", True), ("smpl", True), ("game", False)):
        rig_map = match_rigs(cmu_prior.skeleton, read_bvh(RIGS / f"{name}.bvh").skeleton)
        assert rest_poses_agree(rig_map) == alike, name


def test_overrides_pair_unpair_and_must_name_joints(cmu_prior):
    game = read_bvh(RIGS / "game.bvh").skeleton
    rig_map = match_rigs(cmu_prior.skeleton, game, {"lfemur": "thigh_r", "head": None})
    pairs = {cmu_prior.skeleton.names[t]: game.names[s] for t, s in rig_map.pairs}
    assert pairs["lfemur"] == "thigh_r" and "rfemur" not in pairs and "head" not in pairs
    with pytest.raises(SkeletonMismatchError, match="nosuchjoint"):
        match_rigs(cmu_prior.skeleton, game, {"nosuchjoint": "thigh_l"})


def test_settling_brings_mapped_frames_closer_to_the_manifold_and_keeps_the_round_trip(cmu_prior):
    from posefield.prior.motions.apply import score_motion
    from posefield.prior.motions.mapping import settle

    motion = read_bvh(FIXTURES / "bvh" / "salsa_01_head.bvh", drop_frames=4)
    settled = map_to_prior(cmu_prior, motion)
    calibrated = dataclasses.replace(settled, rig_map=calibrate(
        match_rigs(cmu_prior.skeleton, motion.skeleton), prior_poses_full(cmu_prior), motion.rotmats()))
    before = score_motion(calibrated.to_prior(motion), cmu_prior).mean()
    after = score_motion(settled.to_prior(motion), cmu_prior).mean()
    assert after < 0.8 * before
    again = settle(cmu_prior, settled, motion, rounds=1)
    assert score_motion(again.to_prior(motion), cmu_prior).mean() < after * 1.05
    back = settled.to_source(settled.to_prior(motion), motion)
    assert np.abs(back.joint_positions() - motion.joint_positions()).max() < 1e-9
