import dataclasses

import pytest
import torch
from typer.testing import CliRunner

from posefield.cli import app
from posefield.errors import InvalidPoseError, SkeletonMismatchError
from posefield.prior.base import PosePrior
from posefield.prior.baselines.baseline import check_dataset
from posefield.prior.checkpoint import EXEMPLARS, load_prior, read_checkpoint
from posefield.prior.baselines.gmm import GMMConfig, GMMFitConfig, GMMPrior, rotvec_features, train_gmm
from posefield.prior.registry import get_prior
from posefield.rotations import random_unit_quaternions

from .baseline_data import (assert_round_trip_through_load_prior_and_get_prior, assert_sign_invariant_and_differentiable,
                            foreign_dataset, tiny_dataset)  # noqa: F401  (fixtures)

CONFIG = GMMFitConfig(reg_covar=1e-4, model=GMMConfig(components=4))


@pytest.fixture(scope="module")
def trained(tiny_dataset, tmp_path_factory):
    path = tmp_path_factory.mktemp("gmm") / "gmm.pt"
    return train_gmm(tiny_dataset, path, CONFIG, progress=False, log=lambda _: None), path


def test_em_raises_the_likelihood_until_it_converges(trained):
    training = read_checkpoint(trained[1])["training"]
    history = torch.tensor(training["history"])
    assert len(history) > 2 and (history.diff() > -1e-6).all()
    assert history[-1] - history[-2] < CONFIG.tol
    assert 0.5 < training["val_auc_5deg"] <= 1.0


def test_log_density_is_the_mixture_density(trained, tiny_dataset):
    model = trained[0]
    mixture = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=model.log_weights.double()),
        torch.distributions.MultivariateNormal(model.means.double(), scale_tril=model.cov_chol.double()))
    q = tiny_dataset.split(True)[:32]
    expected = mixture.log_prob(rotvec_features(q.double()))
    assert torch.allclose(model.log_density(q).double(), expected, rtol=1e-4, atol=1e-2)


def test_energy_is_low_on_training_like_poses_and_high_on_random_ones(trained, tiny_dataset):
    model = trained[0]
    real = model.energy(tiny_dataset.split(True))
    rand = model.energy(random_unit_quaternions((100, model.num_joints), torch.Generator().manual_seed(0)))
    assert isinstance(model, PosePrior) and (real >= 0).all()
    assert real.max() < rand.min()


def test_energy_is_sign_invariant_and_differentiable(trained, tiny_dataset):
    model = trained[0]
    assert_sign_invariant_and_differentiable(model, tiny_dataset.split(True)[:20], rtol=1e-5, atol=1e-3)


def test_samples_follow_the_mixture(trained, tiny_dataset):
    model = trained[0]
    s = model.sample(2000, torch.Generator().manual_seed(0))
    assert s.shape == (2000, model.num_joints, 4)
    assert torch.allclose(s.norm(dim=-1), torch.ones(2000, model.num_joints), atol=1e-5)
    features = rotvec_features(s)
    data = rotvec_features(tiny_dataset.split(False))
    assert torch.allclose(features.mean(0), data.mean(0), atol=0.05)


def test_exemplars_are_drawn_once_from_the_sampler(trained):
    model = trained[0]
    first = model.exemplars()
    assert first.shape == (EXEMPLARS, model.num_joints, 4) and model.exemplars() is first
    assert torch.equal(first, model.sample(EXEMPLARS, torch.Generator().manual_seed(0)).float())


def test_checkpoint_round_trip_through_load_prior_and_get_prior(trained, tiny_dataset):
    assert_round_trip_through_load_prior_and_get_prior(*trained, tiny_dataset, GMMPrior)


def test_foreign_skeleton_is_refused(trained, foreign_dataset):
    with pytest.raises(SkeletonMismatchError, match="skeleton"):
        get_prior(str(trained[1]), foreign_dataset.skeleton)


def test_a_dataset_of_another_joint_set_is_refused(tiny_dataset, tmp_path):
    other = dataclasses.replace(tiny_dataset, joint_index=tiny_dataset.joint_index[:-1],
                                quats=tiny_dataset.quats[:, :-1])
    model = GMMPrior(tiny_dataset.skeleton, tiny_dataset.joint_index)
    with pytest.raises(SkeletonMismatchError, match="joint set"):
        check_dataset(model, other)


@pytest.mark.parametrize("bad", [
    torch.full((2, 4, 4), float("nan")),
    torch.ones(2, 4, 4),  # not unit
    torch.tensor([[0.0, 0.0, 0.0, 1.0]]).repeat(2, 3, 1),  # wrong joint count
])
def test_bad_input_raises_invalid_pose_error(trained, bad):
    with pytest.raises(InvalidPoseError):
        trained[0].energy(bad)


def test_cli_fits_a_gmm_and_refuses_to_resume_one(tiny_dataset, tmp_path):
    tiny_dataset.save(tmp_path / "poses.npz")
    args = ["prior", "train", str(tmp_path / "poses.npz"), "-o", str(tmp_path / "gmm.pt"), "--kind", "gmm"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "EM:" in result.output and isinstance(load_prior(str(tmp_path / "gmm.pt")), GMMPrior)
    refused = CliRunner().invoke(app, args + ["--resume"])
    assert refused.exit_code == 2 and "--resume" in refused.output


def test_fit_records_the_mirroring_it_did_and_old_configs_read_as_unmirrored(trained, tiny_dataset, tmp_path):
    config = read_checkpoint(trained[1])["training"]["config"]
    assert CONFIG.mirror is None and config["mirror"] is True  # the chain rig lies on the mid-line: symmetric
    assert GMMFitConfig.from_dict({k: v for k, v in config.items() if k != "mirror"}).mirror is False
    plain = train_gmm(tiny_dataset, tmp_path / "plain.pt", dataclasses.replace(CONFIG, mirror=False), progress=False,
                      log=lambda _: None)
    assert read_checkpoint(tmp_path / "plain.pt")["training"]["config"]["mirror"] is False
    assert not torch.allclose(plain.means, trained[0].means)  # fitted to other poses
