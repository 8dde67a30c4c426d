"""Reprojection feedback: residuals of the estimate's keypoints, and the regressors that read them."""
import dataclasses

import pytest
import roma
import torch

from posefield.regress.body import posed_points
from posefield.regress.checkpoint import load_model, save_model
from posefield.regress.feedback import ancestors_of
from posefield.regress.model import build_model
from posefield.regress.params import Estimate, rotmat_to_rot6d
from posefield.regress.regressor import RegressorConfig, parameter_count

from tests.regress.conftest import tiny_model


def feedback_model(skeleton, kind="hkmr", feedback=True):
    model = tiny_model(skeleton, kind)
    torch.manual_seed(0)
    return build_model(skeleton, model.keypoint_names, dataclasses.replace(model.regressor.config, feedback=feedback))


def random_estimate(model, batch: int) -> Estimate:
    regressed = len(model.body.regressed)
    rotmats = roma.random_rotmat((batch, regressed))
    camera = torch.randn(batch, 3) * 0.3
    beta = torch.randn(batch, len(model.body.chains)) * 0.1
    return Estimate(rotmat_to_rot6d(rotmats), camera, beta)


def weak_perspective(model, estimate: Estimate) -> torch.Tensor:
    """(B, P, 2) crop units of the observed points under the estimate's camera, from the full body."""
    points = posed_points(model.body, estimate.rotmats(), estimate.beta)[:, model.keypoints]
    return estimate.camera[:, None, 1:] + estimate.camera[:, None, :1].exp() * points[..., :2]


def test_ancestors_of_keeps_the_paths_to_the_root():
    parents = (-1, 0, 1, 2, 0, 4, 5)
    assert ancestors_of(parents, [3, 5]) == [0, 1, 2, 3, 4, 5]
    assert ancestors_of(parents, [0]) == [0]


def test_residual_is_zero_where_the_estimate_explains_the_keypoints(cmu_skeleton):
    model = feedback_model(cmu_skeleton)
    feedback = model.regressor.feedback
    assert feedback.skeleton.num_joints < model.body.num_points  # only the keypoints' ancestors are posed
    estimate = random_estimate(model, 4)
    seen = weak_perspective(model, estimate)
    confidence = torch.ones(4, len(model.keypoint_names))
    confidence[0, :3] = 0.0
    inputs = torch.cat([torch.where(confidence[..., None] > 0, seen, 0.0), confidence[..., None]], dim=-1)
    assert feedback(estimate, inputs).abs().max() < 1e-5
    shifted = inputs.clone()
    shifted[..., 0] += 0.1
    residual = feedback(estimate, shifted).reshape(4, -1, 2)
    assert torch.allclose(residual[1:, :, 0], torch.full_like(residual[1:, :, 0], 0.1), atol=1e-5)
    assert torch.equal(residual[0, :3], torch.zeros(3, 2))  # hidden points give nothing
    assert torch.allclose(residual[..., 1], torch.zeros_like(residual[..., 1]), atol=1e-5)


@pytest.mark.parametrize("kind", ["hkmr", "flat"])
def test_regressors_read_the_feedback(cmu_skeleton, kind):
    plain, model = feedback_model(cmu_skeleton, kind, feedback=False), feedback_model(cmu_skeleton, kind)
    assert plain.regressor.feedback is None and model.regressor.feedback is not None
    assert parameter_count(model.regressor.encoder) == parameter_count(plain.regressor.encoder)
    assert model.regressor.regressor_size() > plain.regressor.regressor_size()
    inputs = torch.rand(3, len(model.keypoint_names), 3)
    estimates = model.regressor(inputs)
    assert len(estimates) == model.regressor.config.iterations
    loss = sum(e.rot6d.square().sum() + e.camera.square().sum() + e.beta.square().sum() for e in estimates)
    loss.backward()
    assert all(p.grad is not None for p in model.regressor.parameters())


def test_feedback_models_have_matched_sizes(cmu_skeleton):
    hkmr, flat = feedback_model(cmu_skeleton, "hkmr"), feedback_model(cmu_skeleton, "flat")
    a, b = hkmr.regressor.regressor_size(), flat.regressor.regressor_size()
    assert abs(a - b) / a < 0.05


def test_feedback_checkpoint_round_trip(tmp_path, cmu_skeleton):
    model = feedback_model(cmu_skeleton)
    path = tmp_path / "fb.pt"
    save_model(path, model)
    loaded = load_model(path)
    assert loaded.regressor.config.feedback and loaded.regressor.feedback is not None
    assert RegressorConfig().feedback  # the shipped recipe is the default
    old = torch.load(path, weights_only=True)
    del old["config"]["feedback"]  # a checkpoint from before the option
    plain = feedback_model(cmu_skeleton, feedback=False)
    old["model"] = {k: v.half() for k, v in plain.regressor.state_dict().items()}
    torch.save(old, tmp_path / "old.pt")
    assert load_model(tmp_path / "old.pt").regressor.feedback is None
    inputs = torch.rand(2, len(model.keypoint_names), 3)
    with torch.no_grad():
        a, b = model.regressor(inputs)[-1], loaded.regressor(inputs)[-1]
    assert torch.allclose(a.rot6d, b.rot6d, atol=2e-2)  # weights are stored as float16
