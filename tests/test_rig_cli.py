"""Motions of other rigs through a shipped prior: ``posefield rig``, ``--rig-map`` and the applications."""
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from posefield.cli import app
from posefield.io.bvh import read_bvh

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
