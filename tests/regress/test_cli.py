"""``posefield regress`` and ``regress-train`` on small files; bad inputs give one-line errors."""
import inspect
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from typer.testing import CliRunner

from posefield.cli import app
from posefield.data.dataset import PoseDataset
from posefield.fit.fit2d import fit_keypoints
from posefield.fit.keypoints import camera_keypoints, save_keypoints
from posefield.io import load_motion
from posefield.regress.checkpoint import load_model, read_regressor_checkpoint, save_model
from posefield.regress.synthetic import SyntheticConfig
from posefield.regress.train import initial_parameters

from tests.fit.test_fit2d import K, in_camera
from tests.regress.conftest import tiny_model

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory, cmu_skeleton, cmu_poses) -> Path:
    model = tiny_model(cmu_skeleton)
    initial_parameters(model, cmu_poses, SyntheticConfig(), torch.Generator().manual_seed(0))
    path = tmp_path_factory.mktemp("model") / "tiny.pt"
    save_model(path, model, {"command": "test"})
    return path


@pytest.fixture(scope="module")
def keypoint_file(tmp_path_factory, cmu_motion) -> Path:
    names = ["root", "lfemur", "ltibia", "rfemur", "rtibia", "head", "lhumerus", "lradius", "rhumerus", "rradius",
             "lfingers"]  # a subset of the model's points plus one it does not read
    keypoints = camera_keypoints(in_camera(cmu_motion.slice(slice(0, 6)), shift=(0.0, 0.0)), names, K)
    keypoints.confidence[2, 5] = 0.0
    path = tmp_path_factory.mktemp("kp") / "clip.npz"
    save_keypoints(keypoints, path)
    return path


def test_checkpoint_round_trip(checkpoint, cmu_skeleton):
    model = load_model(checkpoint)
    assert model.kind == "hkmr" and model.body.skeleton.signature() == cmu_skeleton.signature()
    assert model.keypoint_names[0] == "root"


def test_regress_writes_amc_and_asf(tmp_path, checkpoint, keypoint_file):
    out = tmp_path / "out" / "clip.amc"
    out.parent.mkdir()
    result = run("regress", keypoint_file, "-o", out, "--model", checkpoint)
    assert result.exit_code == 0, result.output
    assert out.exists() and out.with_suffix(".asf").exists()
    motion = load_motion(out)
    assert motion.num_frames == 6 and motion.skeleton.names[0] == "root"
    assert np.isfinite(motion.root_translation).all() and (motion.root_translation[:, 2] > 0).all()


def test_regress_without_extension_writes_the_rigs_format(tmp_path, checkpoint, keypoint_file):
    result = run("regress", keypoint_file, "-o", tmp_path / "clip", "--model", checkpoint)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "clip.amc").exists() and (tmp_path / "clip.asf").exists()


def bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    kp = np.zeros((2, 3, 3))
    kp[..., 2] = 1.0
    files = {}
    (tmp_path / "text.npz").write_text("not a zip")
    files["garbage"] = (tmp_path / "text.npz", "not a keypoint")
    np.savez(tmp_path / "nok.npz", keypoints=kp, joint_names=np.array(["root", "head", "lfemur"]))
    files["missing K"] = (tmp_path / "nok.npz", "missing key")
    np.savez(tmp_path / "foreign.npz", keypoints=kp, joint_names=np.array(["a", "b", "c"]), K=K)
    files["foreign names"] = (tmp_path / "foreign.npz", "none of the keypoints")
    np.savez(tmp_path / "nan.npz", keypoints=kp * np.nan, joint_names=np.array(["root", "head", "lfemur"]), K=K)
    files["nan"] = (tmp_path / "nan.npz", "NaN")
    files["absent"] = (tmp_path / "absent.npz", "no such file")
    np.savez(tmp_path / "unknown.npz", keypoints=kp, joint_names=np.array(["root", "head", "lknee"]), K=K)
    files["unknown joint"] = (tmp_path / "unknown.npz", "unknown joint name(s) 'lknee'")
    (tmp_path / "notes.txt").write_text("a note, not keypoints\n")
    files["text"] = (tmp_path / "notes.txt", "notes.txt: not a keypoint file")
    return files


def test_bad_keypoint_files_give_one_line_errors(tmp_path, checkpoint):
    for label, (path, message) in bad_files(tmp_path).items():
        result = run("regress", path, "-o", tmp_path / "out.amc", "--model", checkpoint)
        assert result.exit_code == 2, (label, result.output)
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("posefield: error:") and message in lines[0], (label, lines)


def test_bad_model_gives_one_line_error(tmp_path, keypoint_file):
    (tmp_path / "junk.pt").write_bytes(b"junk")
    for spec in (tmp_path / "junk.pt", tmp_path / "none.pt"):
        result = run("regress", keypoint_file, "-o", tmp_path / "out.amc", "--model", spec)
        assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output


@pytest.fixture(scope="module")
def dataset_file(tmp_path_factory, cmu_motion, cmu_poses) -> Path:
    n = len(cmu_poses)
    dataset = PoseDataset(quats=cmu_poses.numpy(), skeleton=cmu_motion.skeleton,
                          joint_index=np.array(cmu_motion.skeleton.rotation_joints()), source=np.zeros(n, np.int32),
                          files=["05_17.amc"], subjects=["05"], frame=np.arange(n), is_val=np.arange(n) % 4 == 0,
                          fps=30.0, skeletons=[cmu_motion.skeleton], file_skeleton=np.zeros(1, np.int32))
    path = tmp_path_factory.mktemp("data") / "poses.npz"
    dataset.save(path)
    return path


def test_regress_train_and_bench_cli(tmp_path, dataset_file):
    for kind, feedback in (("hkmr", "--feedback"), ("flat", "--no-feedback")):
        result = run("regress-train", dataset_file, "-o", tmp_path / f"{kind}.pt", "--model", kind, "--steps", 2,
                     "--batch-size", 8, "--hidden", 8, "--iterations", 2, "--inner-iterations", 1, "--prior", "none",
                     feedback)
        assert result.exit_code == 0, result.output
        model = load_model(tmp_path / f"{kind}.pt")
        assert model.kind == kind and model.regressor.config.feedback == (feedback == "--feedback")
    report = tmp_path / "bench.md"
    result = run("bench-regress", dataset_file, "-o", report, "--hkmr", tmp_path / "hkmr.pt", "--flat",
                 tmp_path / "flat.pt", "--samples", 8, "--clip-length", 4, "--no-refine")
    assert result.exit_code == 0, result.output
    text = report.read_text()
    assert "| HKMR | " in text and "| flat | " in text and "Rectangle P2" in text and "HKMR / flat" in text
    assert "| yes |" in text.split("| HKMR | ")[1].splitlines()[0]  # trained with --feedback
    assert "| no |" in text.split("| flat | ")[1].splitlines()[0]
    assert "held-out people who performed them (05;" in text
    bad = run("regress-train", dataset_file, "-o", tmp_path / "x.pt", "--model", "deep")
    assert bad.exit_code == 2 and "hkmr" in bad.output
    missing_gpu = run("regress-train", dataset_file, "-o", tmp_path / "x.pt", "--device", "cuda:99")
    assert missing_gpu.exit_code == 2 and "not available" in missing_gpu.output and not (tmp_path / "x.pt").exists()


def test_bench_needs_a_dataset_with_its_peoples_skeletons(tmp_path, dataset_file):
    with np.load(dataset_file) as data:  # a dataset written before the skeletons were recorded
        np.savez(tmp_path / "old.npz", **{k: data[k] for k in data.files if k not in ("skeletons", "file_skeleton")})
    assert PoseDataset.load(tmp_path / "old.npz").skeletons == []
    result = run("bench-regress", tmp_path / "old.npz", "-o", tmp_path / "bench.md", "--samples", 8, "--clip-length", 4,
                 "--no-refine")
    assert result.exit_code == 2 and "rebuild it" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "bench.md").exists()


def test_regress_train_resumes_an_interrupted_run(tmp_path, dataset_file):
    args = ("--steps", 4, "--batch-size", 8, "--hidden", 8, "--iterations", 2, "--inner-iterations", 1, "--prior", "none")
    whole = run("regress-train", dataset_file, "-o", tmp_path / "whole.pt", *args)
    assert whole.exit_code == 0, whole.output
    cut = run("regress-train", dataset_file, "-o", tmp_path / "cut.pt", *args, "--max-minutes", 0)  # stops after step 1
    assert cut.exit_code == 0 and "stopped after step 1 of 4" in cut.output, cut.output
    resumed = run("regress-train", dataset_file, "-o", tmp_path / "cut.pt", "--resume", "--steps", 99)
    assert resumed.exit_code == 0 and "resuming" in resumed.output and "trained 4 steps" in resumed.output, resumed.output
    a, b = (read_regressor_checkpoint(tmp_path / f"{name}.pt") for name in ("whole", "cut"))
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
    assert "resume" not in b["training"] and len(b["training"]["resumed_by"]) == 1
    again = run("regress-train", dataset_file, "-o", tmp_path / "cut.pt", "--resume")
    assert again.exit_code == 2 and "nothing to resume (all 4 steps are done)" in again.output
    missing = run("regress-train", dataset_file, "-o", tmp_path / "none.pt", "--resume")
    assert missing.exit_code == 2 and "none.pt" in missing.output


def test_shipped_models_regress_a_clip(tmp_path, keypoint_file, cmu_motion):
    from posefield.regress.checkpoint import SHIPPED_MODELS_DIR, shipped_models
    from posefield.regress.metrics import mpjpe
    assert {"cmu-asf-hkmr", "cmu-asf-flat"} <= set(shipped_models())
    assert all((SHIPPED_MODELS_DIR / f"{name}.pt").stat().st_size < 5e6 for name in shipped_models())
    truth = in_camera(cmu_motion.slice(slice(0, 6)), shift=(0.0, 0.0))
    for kind in ("hkmr", "flat"):
        out = tmp_path / f"{kind}.amc"
        result = run("regress", keypoint_file, "-o", out, "--model", kind)
        assert result.exit_code == 0, result.output
        motion = load_motion(out)
        rows = load_model(f"cmu-asf-{kind}").keypoints
        ours = torch.as_tensor(motion.joint_positions(with_end_sites=True))
        theirs = torch.as_tensor(truth.joint_positions(with_end_sites=True))
        error = mpjpe((ours - ours[:, :1])[:, rows], (theirs - theirs[:, :1])[:, rows])
        assert error.mean() < 150  # mm (about 100 when shipped)


@pytest.mark.skipif("init" not in inspect.signature(fit_keypoints).parameters,
                    reason="HKMR_MF needs fit2d.fit_keypoints(..., init=motion), not there yet")
def test_regress_refine_cli(tmp_path, checkpoint, keypoint_file):
    out = tmp_path / "refined.amc"
    result = run("regress", keypoint_file, "-o", out, "--model", checkpoint, "--refine", "--prior", "none")
    assert result.exit_code == 0, result.output
    assert load_motion(out).num_frames == 6


@pytest.mark.skipif(not torch.distributed.is_gloo_available(), reason="torch built without Gloo")
def test_regress_train_under_torchrun_shares_the_batch_and_resumes(tmp_path, dataset_file):
    """Two CPU processes (Gloo): the job trains, and an interrupted one resumes exactly with as many processes."""
    args = ("--steps", 3, "--batch-size", 8, "--hidden", 8, "--iterations", 2, "--inner-iterations", 1,
            "--prior", "none", "--threads", 1)

    def torchrun(*more):
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
                   "-m", "posefield.cli", "regress-train", str(dataset_file), *(str(a) for a in more)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    torchrun("-o", tmp_path / "whole.pt", *args)
    assert "stopped after step 1 of 3" in torchrun("-o", tmp_path / "cut.pt", *args, "--max-minutes", 0)
    alone = run("regress-train", dataset_file, "-o", tmp_path / "cut.pt", "--resume")
    assert alone.exit_code == 2 and "saved by 2 process(es)" in alone.output
    assert torchrun("-o", tmp_path / "cut.pt", "--resume", "--threads", 1).count("trained 3 steps") == 1  # rank 0 speaks
    a, b = (read_regressor_checkpoint(tmp_path / f"{name}.pt") for name in ("whole", "cut"))
    assert a["training"]["processes"] == 2 and a["training"]["steps_done"] == 3
    assert all(torch.equal(a["model"][k], b["model"][k]) for k in a["model"])
