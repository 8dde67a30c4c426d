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


@pytest.mark.parametrize("name", ["mixamo.bvh", "smpl.bvh", "game.bvh", "unity.bvh", "../bvh/salsa_01_head.bvh"])
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


def test_a_noisy_file_settles_like_the_clean_one(cmu_prior, monkeypatch):
    """Settling looks at the motion filtered along time: a file with 5° noise per channel gets
    nearly the map of the clean file instead of one turned to hide part of its noise."""
    from posefield.data.noise import add_channel_noise
    from posefield.prior.motions import mapping

    motion = read_bvh(FIXTURES / "bvh" / "salsa_01_head.bvh", drop_frames=4)
    noisy = add_channel_noise(motion, 5.0, seed=0)

    def apart() -> float:
        clean, other = (map_to_prior(cmu_prior, m).rig_map.offsets for m in (motion, noisy))
        turn = roma.rotmat_to_rotvec(torch.as_tensor(np.swapaxes(clean, -1, -2) @ other))
        return float(np.degrees(turn.norm(dim=-1).mean()))

    filtered = apart()
    monkeypatch.setattr(mapping, "SETTLE_SMOOTHING_S", 0.0)
    unfiltered = apart()
    assert filtered < 4.0 and filtered < 0.6 * unfiltered, (filtered, unfiltered)


def test_filtered_frames_are_the_whole_clips_filter_at_those_frames():
    from posefield.data.filtering import smooth_rotations
    from posefield.prior.motions.mapping import filtered_frames

    rng = np.random.default_rng(0)
    walk = np.cumsum(rng.normal(scale=0.05, size=(300, 5, 4)), axis=0) + rng.normal(size=(5, 4))
    quats = walk / np.linalg.norm(walk, axis=-1, keepdims=True) * rng.choice([-1.0, 1.0], size=(300, 5, 1))
    pick = np.array([0, 3, 150, 296, 299])
    for sigma in (0.0, 2.5, 6.0):
        cos = (filtered_frames(quats, pick, sigma) * smooth_rotations(quats, sigma)[pick]).sum(-1)
        assert np.allclose(np.abs(cos), 1.0, atol=1e-12)


def test_spine_joints_pair_by_their_place_along_the_trunk(cmu_prior):
    """DAZ's ``abdomen`` sits a third of the way from hip to neck, where CMU's ``upperback``
    bends, not at the pelvis like ``lowerback``; a game rig with as many spine joints as CMU
    pairs them in order."""
    from posefield.skeleton.names import find_landmarks, trunk_fractions

    assert np.allclose(trunk_fractions(cmu_prior.skeleton, find_landmarks(cmu_prior.skeleton)), [0.0, 0.5], atol=0.02)
    expected = {"salsa": {"upperback": "abdomen", "thorax": "chest"},
                "game": {"lowerback": "spine_01", "upperback": "spine_02", "thorax": "spine_03"}}
    for name, path in (("salsa", FIXTURES / "bvh" / "salsa_01_head.bvh"), ("game", RIGS / "game.bvh")):
        source = read_bvh(path).skeleton
        rig_map = match_rigs(cmu_prior.skeleton, source)
        pairs = {cmu_prior.skeleton.names[t]: source.names[s] for t, s in rig_map.pairs}
        spine = {k: v for k, v in pairs.items() if k in ("lowerback", "upperback", "thorax")}
        assert spine == expected[name], name


def test_joints_between_pairs_take_the_share_the_priors_poses_give(cmu_prior, cmu_clip):
    """CMU's ``upperback`` and ``upperneck`` left unpaired on a CMU clip: the shares fitted to the
    prior's exemplars recover them much better than an equal split of the rotation between
    their paired neighbours."""
    from posefield.skeleton.retarget import learn_shares, to_target

    clip = load_motion(FIXTURES / "cmu" / "05_17.amc", asf=FIXTURES / "cmu" / "05.asf")
    poses = prior_poses_full(cmu_prior)
    rig_map = calibrate(match_rigs(cmu_prior.skeleton, clip.skeleton, {"upperback": None, "upperneck": None}),
                        poses, clip.rotmats())
    learned = learn_shares(rig_map, poses)
    joints = [cmu_prior.skeleton.index(n) for n in ("upperback", "upperneck")]
    assert sorted(learned.shares) == sorted(joints)
    truth = torch.as_tensor(clip.rotations[:, joints])
    errors = {}
    for label, m in (("equal", rig_map), ("learned", learned)):
        rotmats, _ = to_target(m, clip.rotmats(), clip.root_translation)
        quats = roma.rotmat_to_unitquat(torch.as_tensor(rotmats[:, joints]))
        errors[label] = float(np.degrees(geodesic_angles(quats, truth).mean().item()))
    assert errors["learned"] < 0.5 * errors["equal"], errors


def test_a_straight_rest_pose_leaves_the_elbow_axis_to_the_poses(cmu_prior):
    """CMU's rest elbow is straight (no bending axis) and its ``radius`` bends about one axis:
    calibrated on the DAZ clip's bent elbows, the mapped forearm stays on that hinge."""
    motion = read_bvh(FIXTURES / "bvh" / "salsa_01_head.bvh", drop_frames=4)
    rig_map = calibrate(match_rigs(cmu_prior.skeleton, motion.skeleton), prior_poses_full(cmu_prior), motion.rotmats())
    mapped = dataclasses.replace(map_to_prior(cmu_prior, motion), rig_map=rig_map)
    joints = [list(cmu_prior.joint_index).index(cmu_prior.skeleton.index(n)) for n in ("lradius", "rradius")]
    quats = torch.as_tensor(mapped.to_prior(motion).rotations[:, cmu_prior.joint_index], dtype=torch.float32)
    _, off = cmu_prior.dofs(quats)
    assert np.degrees(2 * off[:, joints].numpy()).mean() < 1.2  # 2.4° with the twist from the rest pose


def test_scoring_maps_paired_joints_into_the_priors_channels(cmu_prior):
    motion = read_bvh(FIXTURES / "bvh" / "salsa_01_head.bvh", drop_frames=4)
    mapped = map_to_prior(cmu_prior, motion)
    paired = [list(cmu_prior.joint_index).index(t) for t, _ in mapped.rig_map.pairs if t in cmu_prior.joint_index]
    offs = {}
    for reachable in (False, True):
        quats = torch.as_tensor(mapped.to_prior(motion, reachable=reachable).rotations[:, cmu_prior.joint_index],
                                dtype=torch.float32)
        offs[reachable] = np.degrees(2 * cmu_prior.dofs(quats)[1][:, paired].numpy()).max()
    assert offs[True] < 0.01 < 1.0 < offs[False], offs
