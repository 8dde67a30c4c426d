"""The benchmark: FID, σ buckets, the report from a tiny synthetic run, the CLI end to end."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import roma
import torch
from typer.testing import CliRunner

from posefield.bench.generation import frechet_distance
from posefield.bench.protocol import Protocol, with_overrides
from posefield.bench.report import format_report
from posefield.bench.results import BenchResult
from posefield.bench.run import denoise_tables, interpolation_table
from posefield.bench.sigma import distance_to_mean, mean_pose, spread, within_sigma
from posefield.cli import app
from posefield.motion import Motion
from posefield.prior.base import NoPrior
from posefield.skeleton import Skeleton

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "cmu"
ROT3 = ("Zrotation", "Xrotation", "Yrotation")


def chain_skeleton() -> Skeleton:
    """A root and a chain of three rotating joints, 20 cm apart, with an end site."""
    return Skeleton(names=["root", "a", "b", "c"], parents=[-1, 0, 1, 2],
                    offsets=np.array([[0.0, 1.0, 0.0], [0.0, 0.2, 0.0], [0.0, 0.2, 0.0], [0.0, 0.2, 0.0]]),
                    channels=[("Xposition", "Yposition", "Zposition") + ROT3, ROT3, ROT3, ROT3],
                    end_sites={3: np.array([0.0, 0.1, 0.0])}, rig="chain")


def swinging_motion(skeleton: Skeleton, frames: int) -> Motion:
    rotvec = np.zeros((frames, skeleton.num_joints, 3))
    rotvec[:, 1:, 0] = 0.4 * np.sin(np.linspace(0, np.pi, frames))[:, None]
    quats = roma.rotvec_to_unitquat(torch.as_tensor(rotvec)).numpy()
    return Motion(skeleton, quats, np.zeros((frames, 3)), 30.0, {"format": "test"})


def test_fid_of_identical_sets_is_zero_and_grows_with_a_shift():
    x = np.random.default_rng(0).normal(size=(500, 6))
    assert abs(frechet_distance(x, x)) < 1e-6
    small, large = frechet_distance(x, x + 0.5), frechet_distance(x, x + 2.0)
    assert 0.2 < small < large
    assert abs(large - 6 * 2.0 ** 2) < 1e-6  # a pure shift adds |Δμ|²


def test_sigma_buckets_are_cumulative_and_select_by_distance():
    identity = torch.tensor([1.0, 0.0, 0.0, 0.0])  # any fixed unit quaternion
    angles = torch.tensor([0.0, 0.1, 0.2, 0.3, 0.5])
    turns = roma.rotvec_to_unitquat(torch.stack([angles, 0 * angles, 0 * angles], dim=1))
    poses = roma.quat_product(turns, identity.expand(5, 4))[:, None]  # (5, 1, 4)
    mean = mean_pose(poses[:1].expand(10, 1, 4))
    distances = distance_to_mean(poses, mean)
    assert torch.all(distances[1:] > distances[:-1])
    sigma = spread(distances[:3])
    masks = [within_sigma(distances, sigma, k) for k in (1, 2, 3)]
    assert all(torch.all(a <= b) for a, b in zip(masks, masks[1:]))
    assert masks[0].tolist() == [bool(d <= sigma) for d in distances]
    assert masks[2].sum() > masks[0].sum()


def test_report_has_every_table_from_a_tiny_synthetic_run():
    skeleton = chain_skeleton()
    priors = {"none": NoPrior(skeleton, skeleton.rotation_joints())}
    protocol = Protocol(window_lengths=(8,), noise_deg=(6.0,), denoise_steps=2, interp_gap=4)
    windows = {8: [swinging_motion(skeleton, 8)]}
    train = torch.as_tensor(swinging_motion(skeleton, 30).rotations[:, 1:], dtype=torch.float32)
    tables = denoise_tables(windows, priors, protocol, train, log=lambda _: None)
    tables.append(interpolation_table([swinging_motion(skeleton, 5)], priors, protocol))
    result = BenchResult(tables, {"none": "none"}, ["prior ndf skipped: test"], "synthetic", 1.0)
    report = format_report(result, protocol, "posefield bench (test)", ["denoise.png"])
    for title in ("Denoising: root-aligned joint error", "by distance from the mean training pose", "Interpolation"):
        assert title in report
    assert "| 6° / 8 frames |" in report and "| | noisy | none |" in report
    assert "1σ (" in report and "3σ (" in report
    assert "denoise: ndf / vae not measured" in report and "prior ndf skipped" in report
    assert "## Protocol" in report and "wall time" in report and "![denoise.png](denoise.png)" in report


def test_protocol_overrides_parse_by_type():
    protocol = with_overrides(Protocol(), ["window_lengths=8,16", "samples=5", "pixel_noise=1.5"])
    assert protocol.window_lengths == (8, 16) and protocol.samples == 5 and protocol.pixel_noise == 1.5


def test_bench_cli_on_the_fixture_folder(tmp_path):
    output = tmp_path / "results.md"
    tiny = ["window_lengths=8", "complete_length=8", "fit2d_length=5", "fit2d_clips=1", "samples=12", "interp_gap=4",
            "interp_pairs=1", "denoise_steps=2", "complete_steps=2", "fit2d_steps=2", "train_stride=1"]
    args = ["bench", "--data", str(FIXTURES), "--subjects", "105", "-o", str(output)]
    result = CliRunner().invoke(app, args + [a for s in tiny for a in ("--set", s)])
    assert result.exit_code == 0, result.output
    report = output.read_text()
    for title in ("Denoising", "Completion", "Fitting to 2D keypoints", "Generation", "Interpolation", "HKMR"):
        assert title in report
    assert (tmp_path / "denoise.png").is_file()
    assert CliRunner().invoke(app, args + ["--set", "bogus=1"]).exit_code == 2


@pytest.mark.parametrize("setting", ["fps=0", "fps=nan", "windows=-1", "samples=1e9", "yaw_deg=10,-10", "depth_m=3",
                                     "fps=30,60", "window_lengths=60,x", "noise_deg=inf"])
def test_bad_protocol_settings_are_one_line_errors_naming_set(setting):
    result = CliRunner().invoke(app, ["bench", "--data", str(FIXTURES), "-o", "r.md", "--set", setting])
    assert result.exit_code == 2 and result.output.startswith("posefield: error: --set:"), result.output
    assert repr(setting) in result.output and len(result.output.strip().splitlines()) == 1
