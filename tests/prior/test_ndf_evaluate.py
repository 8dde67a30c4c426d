"""Evaluation metrics and the markdown report."""
import torch

from .ndf_data import tree, trained, one_thread  # noqa: F401  (fixtures)
from posefield.prior.evaluate import (EvalConfig, auc, evaluate, pearson, report_markdown, root_aligned_error,
                                      spearman, write_report)


def test_auc_and_correlations():
    assert auc(torch.tensor([0.0, 1.0]), torch.tensor([2.0, 3.0])) == 1.0
    assert auc(torch.tensor([2.0, 3.0]), torch.tensor([0.0, 1.0])) == 0.0
    assert auc(torch.tensor([1.0, 1.0]), torch.tensor([1.0])) == 0.5
    x = torch.linspace(0, 1, 50)
    assert abs(pearson(x, 3 * x + 1) - 1) < 1e-9 and abs(spearman(x, x.exp()) - 1) < 1e-9
    assert abs(spearman(x, -x ** 3) + 1) < 1e-9


def test_root_aligned_error_of_one_bent_joint(tree):
    q = tree.split(True)[:1]
    assert root_aligned_error(tree.skeleton, tree.joint_index, q, q).item() == 0.0
    other = q.clone()
    other[0, 0] = torch.tensor([0.0, 0.0, 1.0, 0.0])  # 180° about z
    assert root_aligned_error(tree.skeleton, tree.joint_index, q, other).item() > 0


def test_evaluate_and_report(trained, tree, tmp_path):
    _, model = trained
    config = EvalConfig(noise_deg=(5.0, 15.0), num_poses=100)
    results = evaluate(model, tree, config)
    assert results["poses"] == 100 and 0 <= results["auc5"] <= 1 and results["poses_per_s"] > 0
    assert results["f_noise15"] > results["f_noise5"] > results["f_real"]
    assert results["error_after_mm"] < results["error_before_mm"]
    section = report_markdown("tiny", results, config)
    path = tmp_path / "bench.md"
    write_report(path, "tiny", section)
    write_report(path, "other", section.replace("## tiny", "## other"))
    write_report(path, "tiny", section)
    text = path.read_text()
    assert text.count("## tiny") == 1 and text.count("## other") == 1 and "| 5° per dof |" in text
    assert text.endswith("|\n") and "|\n\n## other" in text  # sections stay apart after a replacement
