import dataclasses

import pytest
import roma
import torch
from typer.testing import CliRunner

from posefield.cli import app
from posefield.errors import CheckpointError, InvalidPoseError, SkeletonMismatchError
from posefield.prior.base import PosePrior
from posefield.prior.checkpoint import load_prior, read_checkpoint
from posefield.prior.registry import get_prior
from posefield.prior.baselines.vae import VAEConfig, VAEPrior, VAETrainConfig, train_vae
from posefield.rotations import random_unit_quaternions

from .baseline_data import (assert_round_trip_through_load_prior_and_get_prior, assert_sign_invariant_and_differentiable,
                            foreign_dataset, tiny_dataset)  # noqa: F401  (fixtures)

CONFIG = VAETrainConfig(epochs=12, batch_size=50, lr=3e-3, model=VAEConfig(latent_dim=4, hidden=(64, 64)))


def quiet(_: str) -> None:
    pass


@pytest.fixture(scope="module")
def trained(tiny_dataset, tmp_path_factory):
    path = tmp_path_factory.mktemp("vae") / "vae.pt"
    return train_vae(tiny_dataset, path, CONFIG, progress=False, log=quiet), path


def test_training_lowers_the_loss(trained):
    history = read_checkpoint(trained[1])["training"]["history"]
    assert len(history) == CONFIG.epochs
    assert history[-1]["reconstruction"] < 0.5 * history[0]["reconstruction"]
    assert history[-1]["val_angle_deg"] < history[0]["val_angle_deg"]


def test_energy_is_low_on_training_like_poses_and_high_on_random_ones(trained, tiny_dataset):
    model = trained[0]
    real = model.energy(tiny_dataset.split(True))
    rand = model.energy(random_unit_quaternions((100, model.num_joints), torch.Generator().manual_seed(0)))
    assert isinstance(model, PosePrior) and (real >= 0).all()
    assert real.median() < rand.min() * 2 and real.mean() < 0.2 * rand.mean()


def test_energy_is_sign_invariant_and_differentiable(trained, tiny_dataset):
    model = trained[0]
    assert_sign_invariant_and_differentiable(model, tiny_dataset.split(True)[:20], rtol=1e-4, atol=1e-4)


def test_latent_only_energy_is_the_squared_mean_norm(trained, tiny_dataset):
    model = trained[0]
    latent = VAEPrior(model.skeleton, model.joint_index, dataclasses.replace(model.config, energy_reconstruction=False))
    latent.load_state_dict(model.state_dict())
    q = tiny_dataset.split(True)[:10]
    mean, _ = model.encode(roma.unitquat_to_rotmat(q))
    assert torch.allclose(latent.energy(q), mean.square().sum(-1))
    assert (model.energy(q) > latent.energy(q)).all()


def test_samples_are_unit_quaternions_near_the_data(trained, tiny_dataset):
    model = trained[0]
    s = model.sample(200, torch.Generator().manual_seed(0))
    assert s.shape == (200, model.num_joints, 4)
    assert torch.allclose(s.norm(dim=-1), torch.ones(200, model.num_joints), atol=1e-5)
    rand = random_unit_quaternions((200, model.num_joints), torch.Generator().manual_seed(0))
    assert model.energy(s).median() < model.energy(rand).median()


def test_checkpoint_round_trip_through_load_prior_and_get_prior(trained, tiny_dataset):
    assert_round_trip_through_load_prior_and_get_prior(*trained, tiny_dataset, VAEPrior)


def test_resuming_reproduces_an_uninterrupted_run(tiny_dataset, tmp_path):
    short, full = dataclasses.replace(CONFIG, epochs=2), dataclasses.replace(CONFIG, epochs=3)
    train_vae(tiny_dataset, tmp_path / "a.pt", short, progress=False, log=quiet)
    resumed = train_vae(tiny_dataset, tmp_path / "a.pt", full, resume=True, progress=False, log=quiet)
    direct = train_vae(tiny_dataset, tmp_path / "b.pt", full, progress=False, log=quiet)
    for a, b in zip(resumed.state_dict().values(), direct.state_dict().values()):
        assert torch.equal(a, b)


def test_foreign_skeleton_is_refused(trained, foreign_dataset, tmp_path):
    with pytest.raises(SkeletonMismatchError, match="skeleton"):
        get_prior(str(trained[1]), foreign_dataset.skeleton)
    path = tmp_path / "v.pt"
    path.write_bytes(trained[1].read_bytes())
    with pytest.raises(SkeletonMismatchError):
        train_vae(foreign_dataset, path, CONFIG, resume=True, progress=False, log=quiet)


def test_resume_needs_a_vae_training_checkpoint(tiny_dataset, tmp_path):
    with pytest.raises(CheckpointError, match="no such prior checkpoint"):
        train_vae(tiny_dataset, tmp_path / "missing.pt", CONFIG, resume=True, progress=False, log=quiet)


@pytest.mark.parametrize("bad", [
    torch.full((2, 4, 4), float("nan")),
    torch.ones(2, 4, 4),  # not unit
    torch.tensor([[0.0, 0.0, 0.0, 1.0]]).repeat(2, 3, 1),  # wrong joint count
    torch.tensor([0.0, 0.0, 0.0, 1.0]).repeat(4, 1),  # no batch dimension
])
def test_bad_input_raises_invalid_pose_error(trained, bad):
    with pytest.raises(InvalidPoseError):
        trained[0].energy(bad)


def test_cli_trains_and_resumes_a_vae(tiny_dataset, tmp_path):
    tiny_dataset.save(tmp_path / "poses.npz")
    out = tmp_path / "vae.pt"
    args = ["prior", "train", str(tmp_path / "poses.npz"), "-o", str(out), "--kind", "vae", "--batch-size", "100"]
    first = CliRunner().invoke(app, args + ["--epochs", "1"])
    assert first.exit_code == 0, first.output
    second = CliRunner().invoke(app, args + ["--epochs", "2", "--resume"])
    assert second.exit_code == 0, second.output
    assert "resuming" in second.output and f"wrote {out}" in second.output
    assert read_checkpoint(out)["training"]["epoch"] == 2
    assert isinstance(load_prior(str(out)), VAEPrior)


def test_training_records_the_mirroring_it_did_and_old_configs_read_as_unmirrored(trained):
    config = read_checkpoint(trained[1])["training"]["config"]
    assert CONFIG.mirror is None and config["mirror"] is True  # the chain rig lies on the mid-line: symmetric
    assert VAETrainConfig.from_dict(config).mirror is True
    assert VAETrainConfig.from_dict({k: v for k, v in config.items() if k != "mirror"}).mirror is False
