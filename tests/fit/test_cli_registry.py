"""Prior registry and the application commands end to end (on a BVH of the synthetic rig)."""
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from posefield.cli import app
from posefield.errors import CheckpointError, SkeletonMismatchError
from posefield.fit.keypoints import camera_keypoints, save_keypoints
from posefield.io import load_motion, save_motion
from posefield.prior.base import NoPrior
from posefield.prior.registry import get_prior

from tests.fit.conftest import make_skeleton
from tests.fit.test_fit2d import K, in_camera

runner = CliRunner()


@pytest.fixture(scope="module")
def walk_bvh(tmp_path_factory, walk):
    path = tmp_path_factory.mktemp("cli") / "walk.bvh"
    save_motion(walk.slice(slice(0, 30)), path)
    return path


def run(*args: str):
    result = runner.invoke(app, [str(a) for a in args])
    return result.exit_code, result.output


def test_registry(tmp_path, skeleton):
    from posefield.prior.checkpoint import save_checkpoint
    from posefield.prior.ndf.model import NDFConfig, PoseNDF

    none = get_prior("none", skeleton)
    assert isinstance(none, NoPrior) and none.joint_index == skeleton.rotation_joints()
    path = tmp_path / "toy.pt"
    save_checkpoint(path, PoseNDF(skeleton, skeleton.rotation_joints(), NDFConfig(hidden=(16,))))
    assert isinstance(get_prior(str(path), make_skeleton()), PoseNDF)
    other = make_skeleton()
    other.names = tuple(n.upper() for n in other.names)
    with pytest.raises(SkeletonMismatchError, match="toy.pt' prior"):  # named as asked for
        get_prior(str(path), other)
    with pytest.raises(CheckpointError, match="nothing.pt"):
        get_prior(str(tmp_path / "nothing.pt"), skeleton)


def test_denoise_complete_and_interpolate_commands(tmp_path, walk_bvh):
    code, out = run("denoise", walk_bvh, "-o", tmp_path / "clean", "--prior", "none")
    assert code == 0, out
    assert "estimated noise" in out and "per rotation channel" in out
    assert load_motion(tmp_path / "clean.bvh").num_frames == 30
    code, out = run("complete", walk_bvh, "-o", tmp_path / "filled.bvh", "--missing", "lfemur,ltibia", "--prior", "none")
    assert code == 0, out
    code, out = run("complete", walk_bvh, "-o", tmp_path / "grounded.bvh", "--missing", "lfemur,ltibia",
                    "--prior", "none", "--floor", "auto")
    assert code == 0, out
    assert "floor at" in out
    code, out = run("complete", walk_bvh, "-o", tmp_path / "legless.bvh", "--missing", "lfemur,rfemur",
                    "--prior", "none", "--floor", "auto")
    assert code == 0 and "without one" in out, out
    code, out = run("interpolate", walk_bvh, walk_bvh, "--frames", 6, "--frame-b", -1, "--method", "slerp",
                    "-o", tmp_path / "between.bvh")
    assert code == 0, out
    assert load_motion(tmp_path / "between.bvh").num_frames == 6


def test_sample_command(tmp_path, walk_bvh):
    code, out = run("sample", "-n", 7, "-o", tmp_path / "samples.bvh", "--prior", "none", "--skeleton", walk_bvh)
    assert code == 0, out
    assert "APD" in out and load_motion(tmp_path / "samples.bvh").num_frames == 7


@pytest.mark.parametrize("args", [("--prior", "ndf"), ("--prior", "ndf", "--starts", "random"), ("--prior", "vae"),
                                  ("--prior", "gmm")])
def test_sample_command_measures_every_shipped_prior(tmp_path, args):
    code, out = run("sample", "-n", 6, "-o", tmp_path / "samples.amc", *args)
    assert code == 0, out
    assert re.search(r"realism against \d+ recorded training poses stored with the shipped Pose-NDF prior of the cmu-asf rig", out)
    assert load_motion(tmp_path / "samples.amc").num_frames == 6


def test_sample_command_refuses_unknown_starts(tmp_path):
    code, out = run("sample", "-n", 3, "-o", tmp_path / "s.amc", "--starts", "uniform")
    assert code == 2 and "--starts must be one of mix, random" in out and not (tmp_path / "s.amc").exists()


def test_fit2d_command(tmp_path, walk_bvh):
    truth = in_camera(load_motion(walk_bvh).slice(slice(0, 4)))
    save_keypoints(camera_keypoints(truth, list(truth.skeleton.names), K), tmp_path / "kp.npz")
    code, out = run("fit2d", tmp_path / "kp.npz", "-o", tmp_path / "fit", "--skeleton", walk_bvh, "--prior", "none")
    assert code == 0, out
    assert load_motion(tmp_path / "fit.bvh").num_frames == 4


@pytest.mark.parametrize("args, message", [
    (("fit2d", "{tmp}/bad.npz", "-o", "{tmp}/x.bvh", "--skeleton", "{bvh}"), "bad.npz"),
    (("denoise", "{bvh}", "-o", "{bvh}", "--prior", "none"), "overwrite"),
    (("denoise", "{bvh}", "-o", "{tmp}/x.bvh", "--prior", "{tmp}/missing.pt"), "missing.pt"),
    (("complete", "{bvh}", "-o", "{tmp}/x.bvh", "--missing", "tail", "--prior", "none"), "tail"),
    (("complete", "{bvh}", "-o", "{tmp}/x.bvh", "--missing", "lfemur", "--prior", "none", "--floor", "low"), "--floor"),
    (("complete", "{bvh}", "-o", "{tmp}/x.bvh", "--missing", "lfemur", "--prior", "none", "--floor", "nan"), "--floor"),
])
def test_bad_input_exits_2_with_one_line(tmp_path, walk_bvh, args, message):
    np.savez(tmp_path / "bad.npz", keypoints=np.zeros((2, 3)))
    code, out = run(*(a.format(tmp=tmp_path, bvh=walk_bvh) for a in args))
    assert code == 2
    assert message in out and out.strip().count("\n") == 0
