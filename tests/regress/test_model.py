"""Regressor shapes, parameter layout, camera conversions, metrics, a tiny training run."""
import pytest
import roma
import torch

from posefield.regress.camera import Crop, camera_to_translation, crop_of, translation_to_camera
from posefield.regress.metrics import mpjpe, pa_mpjpe
from posefield.regress.params import ParamLayout, rot6d_to_rotmat, rotmat_to_rot6d
from posefield.regress.regressor import parameter_count
from posefield.regress.synthetic import SyntheticConfig
from posefield.regress.train import RegressTrainConfig, batch_loss, initial_parameters, synthetic_batch, train_model

from tests.regress.conftest import tiny_model


@pytest.mark.parametrize("kind", ["hkmr", "flat"])
def test_forward_shapes(toy, kind):
    model = tiny_model(toy, kind)
    layout = model.regressor.layout
    num_points, regressed = len(model.keypoint_names), len(model.body.regressed)
    estimates = model.regressor(torch.randn(5, num_points, 3))
    assert len(estimates) == model.regressor.config.iterations
    last = estimates[-1]
    assert last.rot6d.shape == (5, regressed, 6) and last.camera.shape == (5, 3) and last.beta.shape == (5, 6)
    assert last.rotmats().shape == (5, regressed, 3, 3)
    assert layout.size == 6 * regressed + 3
    theta = torch.arange(2 * layout.size, dtype=torch.float32).reshape(2, -1)
    assert torch.equal(layout.pack(layout.unpack(theta, last.beta[:2])), theta)


def test_flat_matches_hkmr_parameter_count(cmu_skeleton):
    hkmr, flat = tiny_model(cmu_skeleton, "hkmr"), tiny_model(cmu_skeleton, "flat")
    a, b = hkmr.regressor.regressor_size(), flat.regressor.regressor_size()
    assert abs(a - b) / a < 0.05
    assert parameter_count(hkmr.regressor.encoder) == parameter_count(flat.regressor.encoder)


def test_chain_slices_follow_the_chains(cmu_skeleton):
    model = tiny_model(cmu_skeleton)
    layout: ParamLayout = model.regressor.layout
    sizes = [s.stop - s.start for s in layout.slices]
    assert sizes == [6 + 3, 6 * 6, 6 * 7, 6 * 7, 6 * 4, 6 * 4]  # root + camera, head, arms, legs (hipjoints: no dof)


def test_rotation_and_camera_round_trips():
    rotmats = roma.random_rotmat(10)
    assert torch.allclose(rot6d_to_rotmat(rotmat_to_rot6d(rotmats)), rotmats, atol=1e-5)
    points = torch.randn(4, 6, 2) * 0.1
    visible = torch.ones(4, 6, dtype=torch.bool)
    visible[0, :5] = False
    crop = crop_of(points, visible)
    assert torch.allclose(crop.centre[0], points[0, 5]) and crop.scale[0] > 0
    translation = torch.tensor([[0.3, -0.2, 4.0]]).expand(4, 3)
    back = camera_to_translation(translation_to_camera(translation, crop), crop)
    assert torch.allclose(back, translation, atol=1e-4)
    assert isinstance(crop, Crop)


def test_metrics():
    truth = torch.randn(3, 17, 3)
    turned = 1.5 * truth @ roma.random_rotmat(3).transpose(1, 2) + 2.0
    assert torch.allclose(mpjpe(truth, truth), torch.zeros(3))
    assert pa_mpjpe(turned, truth).max() < 1e-3
    assert torch.allclose(mpjpe(truth + torch.tensor([0.01, 0, 0]), truth), torch.full((3,), 10.0))


def test_tiny_training_lowers_the_loss(cmu_skeleton, cmu_poses):
    model = tiny_model(cmu_skeleton)
    config = RegressTrainConfig(steps=60, batch_size=32, lr=3e-3, log_every=60)
    generator = torch.Generator().manual_seed(5)
    initial_parameters(model, cmu_poses, config.synthetic, generator)
    fixed = synthetic_batch(model.body, model.keypoints, cmu_poses[:32], torch.zeros(32, dtype=torch.long),
                            SyntheticConfig(), generator)
    with torch.no_grad():
        before, _ = batch_loss(model, fixed, config.weights, None)
    record = train_model(model, cmu_poses, cmu_poses, config)
    with torch.no_grad():
        after, _ = batch_loss(model, fixed, config.weights, None)
    assert float(after) < 0.8 * float(before)
    assert record["steps_done"] == 60 and record["history"][-1]["val_mpjpe_mm"] > 0
