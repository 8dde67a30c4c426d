"""posefield prior train / prior eval / project / score."""
import dataclasses
import subprocess
import sys

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from .ndf_data import random_tree, tree, trained  # noqa: F401  (fixtures)
from posefield.cli import app
from posefield.io import load_motion, save_motion
from posefield.motion import Motion
from posefield.prior.checkpoint import read_checkpoint
from posefield.prior.ndf.noise import perturb

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def motion_of(skeleton, quats) -> Motion:
    rotations = np.zeros((len(quats), skeleton.num_joints, 4))
    rotations[..., 3] = 1
    rotations[:, skeleton.rotation_joints()] = np.asarray(quats, dtype=np.float64)
    return Motion(skeleton, rotations, np.zeros((len(quats), 3)), 30.0)


@pytest.fixture
def noisy_bvh(tree, tmp_path):
    quats = perturb(tree.split(True)[:20], 15.0, torch.Generator().manual_seed(0))
    save_motion(motion_of(tree.skeleton, quats), tmp_path / "noisy.bvh")
    return tmp_path / "noisy.bvh"


def test_train_command(tree, tmp_path):
    tree.save(tmp_path / "poses.npz")
    result = run("prior", "train", tmp_path / "poses.npz", "-o", tmp_path / "p.pt", "--epochs", 1, "--pairs", 500,
                 "--batch-size", 128, "--lr-decay", 0.5, "--cache-dir", tmp_path / "cache")
    assert result.exit_code == 0, result.output
    assert "recall" in result.output and "val_distance" in result.output and (tmp_path / "p.pt").is_file()
    assert read_checkpoint(tmp_path / "p.pt")["training"]["config"]["lr_decay"] == 0.5
    assert "training without mirrored poses: skeleton is not left-right symmetric" in result.output


def test_train_command_warm_start_with_mining(trained, tree, tmp_path):
    path, _ = trained
    tree.save(tmp_path / "poses.npz")
    result = run("prior", "train", tmp_path / "poses.npz", "-o", tmp_path / "p.pt", "--epochs", 1, "--pairs", 500,
                 "--batch-size", 128, "--cache-dir", tmp_path / "cache", "--init", path, "--mine", 32, "--lr", 1e-3)
    assert result.exit_code == 0, result.output
    assert "starting from" in result.output and "mined_distance" in result.output
    training = read_checkpoint(tmp_path / "p.pt")["training"]
    assert training["config"]["mining"]["poses"] == 32 and training["config"]["lr"] == 1e-3
    assert training["init"]["file"] == path.name


@pytest.mark.parametrize("args", [["--kind", "gmm", "--mine", "10"], ["--kind", "vae", "--init", "cmu-asf"]])
def test_ndf_only_training_options_are_refused_for_baselines(tree, tmp_path, args):
    tree.save(tmp_path / "poses.npz")
    result = run("prior", "train", tmp_path / "poses.npz", "-o", tmp_path / "p.pt", *args)
    assert result.exit_code == 2 and "apply to --kind ndf only" in result.output and not (tmp_path / "p.pt").exists()


@pytest.mark.parametrize("args, message", [(["--mirror"], "not left-right symmetric"),
                                           (["--mirror", "--kind", "gmm"], "not left-right symmetric"),
                                           (["--mirror", "--kind", "vae", "--epochs", "1"], "not left-right symmetric")])
def test_train_command_mirror_errors(tree, tmp_path, args, message):
    tree.save(tmp_path / "poses.npz")
    result = run("prior", "train", tmp_path / "poses.npz", "-o", tmp_path / "p.pt", *args)
    assert result.exit_code != 0 and message in result.output and not (tmp_path / "p.pt").exists()


def test_score_and_project(trained, noisy_bvh, tmp_path):
    path, _ = trained
    result = run("score", noisy_bvh, "--prior", path, "-o", tmp_path / "scores.csv")
    assert result.exit_code == 0, result.output
    before = np.loadtxt(tmp_path / "scores.csv", delimiter=",", skiprows=1)
    assert before.shape == (20, 2) and (before[:, 0] == np.arange(20)).all()
    result = run("project", noisy_bvh, "--prior", path, "-o", tmp_path / "clean.bvh")
    assert result.exit_code == 0, result.output
    projected = load_motion(tmp_path / "clean.bvh")
    assert projected.skeleton.names == load_motion(noisy_bvh).skeleton.names and projected.num_frames == 20
    stdout = run("score", tmp_path / "clean.bvh", "--prior", path)
    after = np.loadtxt(stdout.output.splitlines()[1:], delimiter=",")
    assert after[:, 1].mean() < 0.7 * before[:, 1].mean()


def test_other_rig_is_a_one_line_error(trained, tmp_path):
    path, _ = trained
    other = random_tree(prefix="other")
    save_motion(motion_of(other, np.tile([0.0, 0.0, 0.0, 1.0], (3, other.num_joints - 1, 1))), tmp_path / "o.bvh")
    for command in ("score", "project"):
        result = run(command, tmp_path / "o.bvh", "--prior", path, "-o", tmp_path / "out.bvh")
        assert result.exit_code == 2 and result.output.count("\n") == 1 and "skeleton" in result.output


def test_eval_command_writes_markdown(trained, tree, tmp_path):
    path, _ = trained
    tree.save(tmp_path / "poses.npz")
    result = run("prior", "eval", path, tmp_path / "poses.npz", "-o", tmp_path / "bench.md", "--poses", 50,
                 "--title", "tiny", "--far-poses", 30)
    assert result.exit_code == 0, result.output
    assert "## tiny" in (tmp_path / "bench.md").read_text() and "AUC" in result.output
    assert "30 uniformly random poses projected" in result.output and "Spearman ρ(f, d)" in result.output
    quick = run("prior", "eval", path, tmp_path / "poses.npz", "--poses", 20, "--far-poses", 0)
    assert quick.exit_code == 0 and "False zeros" not in quick.output


def one_line_error(result, *words: str) -> None:
    """Exit 2 and one ``posefield: error:`` line holding every word of ``words``."""
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("posefield: error:"), result.output
    assert all(word in lines[0] for word in words), lines[0]


@pytest.mark.parametrize("validation, part", [(True, "training"), (False, "validation")])
def test_a_dataset_without_the_split_a_command_needs_is_refused(trained, tree, tmp_path, validation, part):
    """All poses in one split: training needs training poses, evaluation both (no NaN report)."""
    one_split = dataclasses.replace(tree, is_val=np.full(len(tree), validation))
    one_split.save(tmp_path / "poses.npz")
    commands = [["prior", "eval", trained[0], tmp_path / "poses.npz", "--poses", 5, "--far-poses", 0]]
    if part == "training":
        commands += [["prior", "train", tmp_path / "poses.npz", "-o", tmp_path / "p.pt", "--kind", kind] for kind in ("ndf", "gmm", "vae")]
    for command in commands:
        one_line_error(run(*command), "poses.npz", f"holds no {part} poses")
    assert not (tmp_path / "p.pt").exists()


def test_a_checkpoint_with_nan_weights_is_refused_naming_it(trained, noisy_bvh, tmp_path):
    data = read_checkpoint(trained[0])
    data["model"] = {name: value * float("nan") if value.is_floating_point() else value
                     for name, value in data["model"].items()}
    torch.save(data, tmp_path / "nan.pt")
    for command in (["score", noisy_bvh], ["complete", noisy_bvh, "-o", tmp_path / "out.bvh", "--missing", "j1"]):
        one_line_error(run(*command, "--prior", tmp_path / "nan.pt"), "nan.pt", "NaN or inf")
    assert not (tmp_path / "out.bvh").exists()


@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason="torch built without Gloo")
def test_train_command_under_torchrun(tree, tmp_path):
    """Two CPU processes (Gloo) train one prior with DDP, and resume it for another epoch."""
    tree.save(tmp_path / "poses.npz")

    def torchrun(epochs: int, *more: str) -> str:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                   "-m", "posefield.cli", "prior", "train", str(tmp_path / "poses.npz"), "-o", str(tmp_path / "p.pt"),
                   "--epochs", str(epochs), "--pairs", "500", "--batch-size", "128", "--cache-dir",
                   str(tmp_path / "cache"), *more]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    torchrun(1)
    assert "resuming" in torchrun(2, "--resume")
    training = read_checkpoint(tmp_path / "p.pt")["training"]
    assert training["epoch"] == 2 and len(training["history"]) == 2


@pytest.mark.parametrize("baseline", ["cmu-asf-vae", "cmu-asf-gmm"])
def test_eval_of_a_baseline_prior_is_refused_naming_it(tree, tmp_path, baseline):
    """'prior eval' measures a distance field: a vae or gmm prior is refused in one line."""
    tree.save(tmp_path / "poses.npz")
    one_line_error(run("prior", "eval", baseline, tmp_path / "poses.npz", "--poses", 5, "--far-poses", 0),
                   baseline, "Pose-NDF")


def test_eval_leaves_a_binary_file_at_its_output_alone(trained, tree, tmp_path):
    """The report goes into an existing markdown file; a binary file there is named, not overwritten."""
    tree.save(tmp_path / "poses.npz")
    (tmp_path / "other.pt").write_bytes(b"PK\x03\x04\x80\xff binary")
    result = run("prior", "eval", trained[0], tmp_path / "poses.npz", "-o", tmp_path / "other.pt", "--poses", 5,
                 "--far-poses", 0)
    assert result.exit_code == 2 and result.output.splitlines()[-1].startswith("posefield: error:"), result.output
    assert "other.pt" in result.output.splitlines()[-1] and "Traceback" not in result.output
    assert (tmp_path / "other.pt").read_bytes() == b"PK\x03\x04\x80\xff binary"


def test_resuming_a_baseline_checkpoint_as_pose_ndf_is_refused_naming_it(tree, tmp_path):
    """--resume (kind ndf) on a vae checkpoint: one line naming it, the checkpoint kept."""
    tree.save(tmp_path / "poses.npz")
    assert run("prior", "train", tmp_path / "poses.npz", "-o", tmp_path / "vae.pt", "--kind", "vae", "--epochs", 1).exit_code == 0
    before = (tmp_path / "vae.pt").read_bytes()
    result = run("prior", "train", tmp_path / "poses.npz", "-o", tmp_path / "vae.pt", "--resume", "--epochs", 2)
    one_line_error(result, "vae.pt", "'vae'")
    assert (tmp_path / "vae.pt").read_bytes() == before


def test_a_file_given_as_cache_folder_is_named_in_one_line(tree, tmp_path):
    tree.save(tmp_path / "poses.npz")
    (tmp_path / "cache").write_text("a file, not a folder")
    result = run("prior", "train", tmp_path / "poses.npz", "-o", tmp_path / "p.pt", "--epochs", 1, "--pairs", 50,
                 "--cache-dir", tmp_path / "cache")
    assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert result.output.splitlines()[-1].startswith("posefield: error:") and "cache" in result.output.splitlines()[-1]
    assert (tmp_path / "cache").read_text() == "a file, not a folder" and not (tmp_path / "p.pt").exists()
