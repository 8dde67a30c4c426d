"""Evaluation metrics and the markdown report."""
import numpy as np
import torch

from .ndf_data import tree, trained, train_tiny  # noqa: F401  (fixtures)
from posefield.data import PoseDataset
from posefield.prior.evaluation.evaluate import (EvalConfig, evaluate, pearson, report_markdown, pose_position_error,
                                                 spearman, write_report)
from posefield.prior.ranks import auc
from posefield.rotations import canonical_hemisphere
from tests.rigs import channel_poses, leg_with_hinges


def test_auc_and_correlations():
    assert auc(torch.tensor([0.0, 1.0]), torch.tensor([2.0, 3.0])) == 1.0
    assert auc(torch.tensor([2.0, 3.0]), torch.tensor([0.0, 1.0])) == 0.0
    assert auc(torch.tensor([1.0, 1.0]), torch.tensor([1.0])) == 0.5
    x = torch.linspace(0, 1, 50)
    assert abs(pearson(x, 3 * x + 1) - 1) < 1e-9 and abs(spearman(x, x.exp()) - 1) < 1e-9
    assert abs(spearman(x, -x ** 3) + 1) < 1e-9


def test_root_aligned_error_of_one_bent_joint(tree):
    q = tree.split(True)[:1]
    assert pose_position_error(tree.skeleton, tree.joint_index, q, q).item() == 0.0
    other = q.clone()
    other[0, 0] = torch.tensor([0.0, 0.0, 1.0, 0.0])  # 180° about z
    assert pose_position_error(tree.skeleton, tree.joint_index, q, other).item() > 0


def test_evaluate_and_report(trained, tree, tmp_path):
    _, model = trained
    config = EvalConfig(noise_deg=(5.0, 15.0), num_poses=100)
    results = evaluate(model, tree, config)
    assert results["poses"] == 100 and 0 <= results["auc5"] <= 1 and results["poses_per_s"] > 0
    assert results["f_noise15"] > results["f_noise5"] > results["f_real"]
    assert results["error_after_mm"] < results["error_before_mm"]
    assert "auc_channels5" not in results and "error_ratio_channels" not in results  # three channels everywhere
    names = [tree.skeleton.names[j] for j in model.joint_index]
    before = [results[f"angle_before:{n}"] for n in names]
    assert all(10 < b < 40 for b in before)  # 15° per axis: about 24° of rotation
    assert sum(results[f"angle_after:{n}"] for n in names) < sum(before)
    section = report_markdown("tiny", results, config)
    path = tmp_path / "bench.md"
    write_report(path, "tiny", section)
    write_report(path, "other", section.replace("## tiny", "## other"))
    write_report(path, "tiny", section)
    text = path.read_text()
    assert text.count("## tiny") == 1 and text.count("## other") == 1 and "| 5° per dof |" in text
    assert f"| {names[0]} | {before[0]:.1f} |" in text
    assert text.endswith("rad.\n") and "rad.\n\n## other" in text  # sections stay apart after a replacement
    assert "| all | 100 |" in text and "False zeros" in text


def test_far_field_bins_and_false_zeros(trained, tree):
    _, model = trained
    config = EvalConfig(noise_deg=(5.0,), num_poses=60, far_poses=40, far_bins=(0.5, 1.0))
    results = evaluate(model, tree, config)
    counts = [results[f"far_count:{label}"] for label in ("0–0.5", "0.5–1", "≥ 1")]
    assert sum(counts) == 60 and min(counts) > 0  # blends from t = 0 to 1 reach every bin
    assert -1 <= results["far_spearman"] <= 1 and results["far_rel_error"] >= 0
    assert 0 <= results["zeros_reached"] <= 1 and results["zeros_distance"] > 0
    assert results["zeros_distance_median"] <= results["zeros_distance_p90"]
    assert "far_spearman" not in evaluate(model, tree, EvalConfig(noise_deg=(5.0,), num_poses=20, far_poses=0))


def test_rigs_with_hinges_are_also_scored_against_noise_on_their_channels_only(tmp_path):
    skeleton = leg_with_hinges()
    poses = canonical_hemisphere(channel_poses(skeleton, 600)).numpy()
    hinged = PoseDataset(quats=poses, skeleton=skeleton, joint_index=np.array([1, 2, 3]), source=np.zeros(600, np.int32),
                         files=["a"], subjects=["s0"], frame=np.arange(600), is_val=np.arange(600) >= 500, fps=30.0)
    model = train_tiny(hinged, tmp_path / "leg.pt", tmp_path / "cache")
    config = EvalConfig(noise_deg=(5.0,), num_poses=50)
    results = evaluate(model, hinged, config)
    assert 0 <= results["auc_channels5"] <= 1 and results["f_channels5"] > 0
    assert 0 < results["error_ratio_channels"] and 0 < results["nearest_ratio_channels"]
    report = report_markdown("leg", results, config)
    assert "| 5° per dof, on the rig's channels only |" in report
    assert f"| after / before, 15° on the rig's channels only | {results['error_ratio_channels']:.3f} " in report
