"""Motions of other rigs through a shipped prior: ``posefield rig``, ``--rig-map`` and the applications."""
import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from posefield.cli import app
from posefield.io.bvh import read_bvh, write_bvh

RIGS = Path(__file__).resolve().parent / "fixtures" / "rigs"
runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def rigs(tmp_path):
    for name in ("game.bvh", "mixamo.bvh", "smpl.bvh", "unity.bvh"):
        shutil.copy(RIGS / name, tmp_path / name)
    return tmp_path


def test_rig_prints_pairs_unpaired_joints_and_alignment(rigs):
    result = run("rig", rigs / "game.bvh", "--prior", "cmu-asf")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "the rest poses differ: calibrated on the motion's 3 frames" in out
    for prior_joint, joint in (("lfemur", "thigh_l"), ("thorax", "spine_03"), ("rradius", "lowerarm_r"), ("root", "pelvis")):
        assert any(line.split()[:3] == [prior_joint, "<-", joint] for line in out.splitlines()), prior_joint
    assert "motion joints kept as they are: root" in out
    assert "prior joints without a pair:" in out and "lhipjoint" in out and "upperneck" in out
    assert "residual°" in out


def test_unity_names_with_two_spine_joints_pair_by_place(rigs):
    """Unity-style names under a static ``joint_Root``; ``Spine`` and ``Chest`` pair with CMU's
    ``lowerback`` and ``thorax`` (their places along the trunk), ``upperback`` takes its share."""
    out = run("rig", rigs / "unity.bvh", "--prior", "cmu-asf").output
    pairs = {line.split()[0]: line.split()[2] for line in out.splitlines() if line.split()[1:2] == ["<-"]}
    assert pairs == {"root": "Hips", "lowerback": "Spine", "thorax": "Chest", "lowerneck": "Neck", "head": "Head",
                     **{f"{s}{cmu}": f"{unity}_{s.upper()}" for s in "lr" for cmu, unity in (
                         ("clavicle", "Shoulder"), ("humerus", "UpperArm"), ("radius", "LowerArm"), ("hand", "Hand"),
                         ("femur", "UpperLeg"), ("tibia", "LowerLeg"), ("foot", "Foot"), ("toes", "Toes"))}}
    assert "motion joints kept as they are: joint_Root" in out
    assert "upperback" in out.split("prior joints without a pair:")[1]
    result = run("denoise", rigs / "unity.bvh", "-o", rigs / "clean.bvh")
    assert result.exit_code == 0, result.output
    assert "21 joints matched" in result.stderr
    after = read_bvh(rigs / "clean.bvh")
    assert after.skeleton.names == read_bvh(rigs / "unity.bvh").skeleton.names and after.num_frames == 3


def test_rig_map_file_overrides_the_match(rigs):
    (rigs / "swap.map").write_text("# swap the thighs\nlfemur = thigh_r\nrfemur = thigh_l\nhead = -\n")
    out = run("rig", rigs / "game.bvh", "--prior", "cmu-asf", "--rig-map", rigs / "swap.map").output
    lines = [line.split() for line in out.splitlines()]
    assert ["lfemur", "<-", "thigh_r", "l_thigh"] == lines[[l[:1] for l in lines].index(["lfemur"])][:4]
    assert not any(line[:1] == ["head"] for line in lines)
    assert "motion joints kept as they are: root, head" in out


@pytest.mark.parametrize("text, words", [("lfemur thigh_r\n", "expected 'prior_joint = motion_joint'"),
                                         ("lfemurx = thigh_r\n", "'lfemurx' is not a joint of the prior"),
                                         ("lfemur = thighx\n", "'thighx' is not a joint of the motion")])
def test_bad_map_file_is_a_one_line_error_naming_it(rigs, text, words):
    (rigs / "bad.map").write_text(text)
    for command in (["rig", rigs / "game.bvh"], ["score", rigs / "game.bvh", "--prior", "cmu-asf"]):
        result = run(*command, "--rig-map", rigs / "bad.map")
        assert result.exit_code == 2
        assert result.output.count("\n") == 1 and str(rigs / "bad.map") in result.output and words in result.output


def test_the_default_prior_maps_the_best_matching_shipped_prior_and_says_so(rigs):
    result = run("score", rigs / "mixamo.bvh")
    assert result.exit_code == 0, result.output
    assert "'cmu-asf' prior (another rig) through a rig mapping: 22 joints matched" in result.stderr
    rows = result.stdout.strip().splitlines()
    assert rows[0] == "frame,distance" and len(rows) == 4
    assert all(0 <= float(r.split(",")[1]) < 1 for r in rows[1:])


def test_denoise_on_a_game_rig_writes_back_its_own_channels(rigs):
    out = rigs / "clean.bvh"
    result = run("denoise", rigs / "game.bvh", "-o", out, "--prior", "cmu-asf")
    assert result.exit_code == 0, result.output
    assert out.read_text().split("MOTION")[0] == (rigs / "game.bvh").read_text().split("MOTION")[0]
    before, after = read_bvh(rigs / "game.bvh"), read_bvh(out)
    assert after.skeleton.meta["static_root"]["joint"] == "pelvis"
    raw = np.array([line.split() for line in out.read_text().split("Frame Time:")[1].splitlines()[1:]], dtype=float)
    assert np.ptp(raw[:, :6], axis=0).max() == 0  # the static root stays static
    moved = np.linalg.norm(after.joint_positions() - before.joint_positions(), axis=-1)
    assert 0 < moved.max() < 0.05  # a clean clip moves little


def test_complete_project_and_sample_through_a_mapping(rigs):
    result = run("complete", rigs / "smpl.bvh", "-o", rigs / "done.bvh", "--missing", "left_leg", "--prior", "cmu-asf")
    assert result.exit_code == 0, result.output
    done, before = read_bvh(rigs / "done.bvh"), read_bvh(rigs / "smpl.bvh")
    arm = before.skeleton.index("right_elbow")
    assert np.allclose(done.joint_positions()[:, arm], before.joint_positions()[:, arm], atol=0.05)
    result = run("project", rigs / "mixamo.bvh", "-o", rigs / "on.bvh", "--prior", "cmu-asf")
    assert result.exit_code == 0 and "mean distance" in result.output
    assert read_bvh(rigs / "on.bvh").skeleton.names == read_bvh(rigs / "mixamo.bvh").skeleton.names
    result = run("sample", "-n", "4", "-o", rigs / "drawn.bvh", "--prior", "cmu-asf", "--skeleton", rigs / "game.bvh")
    assert result.exit_code == 0, result.output
    drawn = read_bvh(rigs / "drawn.bvh")
    assert drawn.num_frames == 4 and drawn.skeleton.names == read_bvh(rigs / "game.bvh").skeleton.names
    assert "before the mapping" in result.output and "bone directions" in result.output  # realism on the prior's rig


def test_a_rig_without_a_body_is_refused(tmp_path):
    (tmp_path / "stick.bvh").write_text("HIERARCHY\nROOT a\n{\n OFFSET 0 0 0\n CHANNELS 3 Zrotation Xrotation Yrotation\n"
                                        " JOINT b\n {\n  OFFSET 0 1 0\n  CHANNELS 3 Zrotation Xrotation Yrotation\n"
                                        "  End Site\n  {\n   OFFSET 0 1 0\n  }\n }\n}\nMOTION\nFrames: 1\n"
                                        "Frame Time: 0.1\n0 0 0 0 0 0\n")
    result = run("score", tmp_path / "stick.bvh", "--prior", "cmu-asf")
    assert result.exit_code == 2 and "matches a joint" in result.output


# --- DAZ Genesis 3-9: bend/twist pairs in the limbs, a 'pelvis' joint of the legs under 'hip' ---

GENESIS_NAMES = {"Hips": "hip", "Spine": "abdomenLower", "Spine1": "abdomenUpper", "Spine2": "chestUpper",
                 "Neck": "neckLower", "Head": "head", **{f"{side}{mixamo}": f"{side[0].lower()}{daz}" for side in
                 ("Left", "Right") for mixamo, daz in (("Shoulder", "Collar"), ("Arm", "ShldrBend"),
                 ("ForeArm", "ForearmBend"), ("Hand", "Hand"), ("UpLeg", "ThighBend"), ("Leg", "Shin"),
                 ("Foot", "Foot"), ("ToeBase", "Toe"))}}


def with_joint_above(motion, name: str, children: list[str], fraction: float):
    """``motion`` with a new joint ``name`` (three channels, no rotation) inserted above ``children``
    (siblings), ``fraction`` of the way along the first child's bone: the same poses on another tree."""
    skel = motion.skeleton
    kids = [skel.names.index(c) for c in children]
    parent = skel.parents[kids[0]]
    at = min(kids)  # the new joint takes the first child's index; later joints move up by one
    new_index = lambda j: j + (j >= at)
    names = list(skel.names[:at]) + [name] + list(skel.names[at:])
    parents = [p if p < 0 else new_index(p) for p in skel.parents]
    parents = parents[:at] + [parent if parent < 0 else new_index(parent)] + parents[at:]
    offsets = np.insert(skel.offsets, at, fraction * skel.offsets[kids[0]], axis=0)
    for k in kids:
        parents[new_index(k)] = at
        offsets[new_index(k)] = skel.offsets[k] - offsets[at]
    identity = np.zeros((motion.num_frames, 1, 4))
    identity[..., 3] = 1.0
    skeleton = dataclasses.replace(skel, names=tuple(names), parents=tuple(parents), offsets=offsets,
                                   channels=skel.channels[:at] + (("Zrotation", "Xrotation", "Yrotation"),) + skel.channels[at:],
                                   end_sites={new_index(j): v for j, v in skel.end_sites.items()}, axes=None)
    rotations = np.concatenate([motion.rotations[:, :at], identity, motion.rotations[:, at:]], axis=1)
    return dataclasses.replace(motion, skeleton=skeleton, rotations=rotations, source={})


def genesis(motion):
    """``motion`` (of the Mixamo fixture) on a Genesis-8-like rig: DAZ names, a twist joint halfway
    along each upper arm, forearm and thigh, and a 'pelvis' joint above the thighs under 'hip'."""
    skel = motion.skeleton
    motion = dataclasses.replace(motion, skeleton=dataclasses.replace(
        skel, names=tuple(GENESIS_NAMES[n.removeprefix("mixamorig:")] for n in skel.names)))
    for side in "lr":
        for bend, child in (("ShldrBend", "ForearmBend"), ("ForearmBend", "Hand"), ("ThighBend", "Shin")):
            motion = with_joint_above(motion, f"{side}{bend.replace('Bend', 'Twist')}", [f"{side}{child}"], 0.5)
    return with_joint_above(motion, "pelvis", ["lThighBend", "rThighBend"], 0.0)


def test_genesis_bend_and_twist_joints_map_and_score_like_the_same_poses_on_mixamo(rigs):
    write_bvh(genesis(read_bvh(rigs / "mixamo.bvh")), rigs / "genesis.bvh")
    out = run("rig", rigs / "genesis.bvh", "--prior", "cmu-asf").output
    pairs = {line.split()[0]: line.split()[2] for line in out.splitlines() if line.split()[1:2] == ["<-"]}
    assert (pairs["root"], pairs["lhumerus"], pairs["rradius"], pairs["lfemur"], pairs["thorax"]) == \
        ("hip", "lShldrBend", "rForearmBend", "lThighBend", "chestUpper"), out
    kept = out.split("motion joints kept as they are: ")[1].splitlines()[0].split(", ")
    assert sorted(kept) == sorted(["pelvis"] + [f"{s}{j}Twist" for s in "lr" for j in ("Shldr", "Forearm", "Thigh")])
    scores = {}
    for name in ("mixamo", "genesis"):
        result = run("score", rigs / f"{name}.bvh", "--prior", "cmu-asf", "-o", rigs / f"{name}.csv")
        assert result.exit_code == 0, result.output
        scores[name] = np.loadtxt(rigs / f"{name}.csv", delimiter=",", skiprows=1, usecols=-1)
    np.testing.assert_allclose(scores["genesis"], scores["mixamo"], atol=1e-3)


# --- more naming families: the Mixamo fixture's joints renamed (same tree, same motion) ---

MIXAMO_ORDER = ("Hips Spine Spine1 Spine2 Neck Head LeftShoulder LeftArm LeftForeArm LeftHand RightShoulder RightArm "
                "RightForeArm RightHand LeftUpLeg LeftLeg LeftFoot LeftToeBase RightUpLeg RightLeg RightFoot "
                "RightToeBase").split()
FAMILIES = {
    "Biovision": "Hips Chest Chest2 Chest3 Neck Head LeftCollar LeftUpArm LeftLowArm LeftHand RightCollar RightUpArm "
                 "RightLowArm RightHand LeftHip LeftKnee LeftAnkle LeftToe RightHip RightKnee RightAnkle RightToe",
    "OptiTrack": "Skeleton:Hip Skeleton:Ab Skeleton:Ab2 Skeleton:Chest Skeleton:Neck Skeleton:Head Skeleton:LShoulder "
                 "Skeleton:LUArm Skeleton:LFArm Skeleton:LHand Skeleton:RShoulder Skeleton:RUArm Skeleton:RFArm "
                 "Skeleton:RHand Skeleton:LThigh Skeleton:LShin Skeleton:LFoot Skeleton:LToe Skeleton:RThigh "
                 "Skeleton:RShin Skeleton:RFoot Skeleton:RToe",
    "Xsens": "Pelvis L5 L3 T8 Neck Head LeftShoulder LeftUpperArm LeftForeArm LeftHand RightShoulder RightUpperArm "
             "RightForeArm RightHand LeftUpperLeg LeftLowerLeg LeftFoot LeftToe RightUpperLeg RightLowerLeg RightFoot RightToe",
    "Kinect": "SpineBase SpineMid Spine2 SpineShoulder Neck Head ClavicleLeft ShoulderLeft ElbowLeft WristLeft "
              "ClavicleRight ShoulderRight ElbowRight WristRight HipLeft KneeLeft AnkleLeft FootLeft HipRight "
              "KneeRight AnkleRight FootRight",
    "Rigify": "hips spine spine.001 spine.002 neck head shoulder.L upper_arm.L forearm.L hand.L shoulder.R upper_arm.R "
              "forearm.R hand.R thigh.L shin.L foot.L toe.L thigh.R shin.R foot.R toe.R",
    "VRoid": " ".join(f"J_Bip_{n}" for n in "C_Hips C_Spine C_Chest C_UpperChest C_Neck C_Head L_Shoulder L_UpperArm "
                      "L_LowerArm L_Hand R_Shoulder R_UpperArm R_LowerArm R_Hand L_UpperLeg L_LowerLeg L_Foot "
                      "L_ToeBase R_UpperLeg R_LowerLeg R_Foot R_ToeBase".split()),
}


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_naming_families_pair_every_landmark(family, rigs):
    names = dict(zip(MIXAMO_ORDER, FAMILIES[family].split()))
    motion = read_bvh(rigs / "mixamo.bvh")
    skeleton = dataclasses.replace(motion.skeleton, names=tuple(names[n.removeprefix("mixamorig:")]
                                                                for n in motion.skeleton.names))
    write_bvh(dataclasses.replace(motion, skeleton=skeleton, source={}), rigs / "renamed.bvh")
    out = run("rig", rigs / "renamed.bvh", "--prior", "cmu-asf").output
    pairs = {line.split()[0]: line.split()[2] for line in out.splitlines() if line.split()[1:2] == ["<-"]}
    assert "motion joints kept as they are: none" in out, out
    expected = {"root": "Hips", "lhumerus": "LeftArm", "rradius": "RightForeArm", "lclavicle": "LeftShoulder",
                "rfemur": "RightUpLeg", "ltibia": "LeftLeg", "rfoot": "RightFoot", "head": "Head"}
    assert {prior: pairs[prior] for prior in expected} == {prior: names[joint] for prior, joint in expected.items()}
