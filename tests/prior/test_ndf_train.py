"""Training, bit-for-bit resume, checkpoints."""
import dataclasses

import pytest
import torch

from .ndf_data import TINY_TRAIN, random_tree, train_tiny, tree, tree_dataset, trained  # noqa: F401  (fixtures)
from posefield.errors import CheckpointError, SkeletonMismatchError
from posefield.prior.checkpoint import load_checkpoint, load_prior, read_checkpoint, save_checkpoint
from posefield.prior.ndf.train import TrainConfig, train, train_config
from tests.skeleton.test_symmetry import mirror_body_dataset
from posefield.rotations import random_unit_quaternions


def test_training_lowers_the_loss(trained):
    path, model = trained
    history = read_checkpoint(path)["training"]["history"]
    assert [h["epoch"] for h in history] == list(range(1, 7))
    weights = TINY_TRAIN.losses
    total = [weights.distance * h["distance"] + weights.eikonal * h["eikonal"] + weights.zero * h["zero"]
             for h in history]
    assert total[-1] < 0.7 * total[0]
    assert history[-1]["distance"] < history[0]["distance"]


def test_resume_is_bit_for_bit(tree, tmp_path):
    straight = train_tiny(tree, tmp_path / "a.pt", tmp_path / "cache", epochs=2)
    train_tiny(tree, tmp_path / "b.pt", tmp_path / "cache", epochs=1)
    resumed = train_tiny(tree, tmp_path / "b.pt", tmp_path / "cache", epochs=2, resume=True)
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), name
    a, b = read_checkpoint(tmp_path / "a.pt")["training"], read_checkpoint(tmp_path / "b.pt")["training"]
    assert a["history"] == b["history"] and a["epoch"] == b["epoch"] == 2


def test_resume_refuses_another_rig(trained, tmp_path):
    path, _ = trained
    other = tree_dataset(random_tree(prefix="other"))
    with pytest.raises(SkeletonMismatchError):
        train_tiny(other, path, tmp_path / "cache", epochs=7, resume=True)


def test_checkpoint_round_trip(trained):
    path, model = trained
    q = random_unit_quaternions((16, model.num_joints), torch.Generator().manual_seed(0))
    loaded = load_prior(str(path))
    assert torch.equal(loaded.energy(q), model.energy(q))
    assert loaded.skeleton.signature() == model.skeleton.signature() and loaded.joint_index == model.joint_index


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"PK\x03\x04truncated zip"])
def test_corrupt_checkpoint_is_a_one_line_error(tmp_path, content):
    path = tmp_path / "bad.pt"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match="bad.pt") as err:
        load_checkpoint(path)
    assert "\n" not in str(err.value)


def test_foreign_and_damaged_checkpoints(trained, tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "foreign.pt")
    with pytest.raises(CheckpointError, match="foreign.pt: not a posefield prior checkpoint"):
        load_checkpoint(tmp_path / "foreign.pt")
    data = read_checkpoint(trained[0])
    del data["model"]["distance.0.weight"]
    torch.save(data, tmp_path / "damaged.pt")
    with pytest.raises(CheckpointError, match="damaged.pt: corrupt") as err:
        load_checkpoint(tmp_path / "damaged.pt")
    assert "\n" not in str(err.value)


def test_unknown_prior_name(tmp_path):
    with pytest.raises(CheckpointError, match="no prior named 'nope'"):
        load_prior("nope")
    with pytest.raises(CheckpointError, match="no prior named"):
        load_prior(tmp_path / "missing.pt")


def test_checkpoint_without_training_state_cannot_resume(trained, tree, tmp_path):
    save_checkpoint(tmp_path / "final.pt", trained[1])
    with pytest.raises(CheckpointError, match="no training state"):
        train_tiny(tree, tmp_path / "final.pt", tmp_path / "cache", epochs=7, resume=True)


def test_checkpoint_keeps_a_sample_of_the_training_poses(trained, tmp_path):
    path, model = trained
    loaded = load_prior(str(path))
    exemplars = loaded.exemplars()
    assert exemplars is not None and exemplars.shape[1:] == (model.num_joints, 4)
    torch.testing.assert_close(exemplars, model.stored_exemplars, atol=1e-3, rtol=0)  # stored as float16
    torch.testing.assert_close(exemplars.norm(dim=-1), torch.ones(exemplars.shape[:2]))
    data = torch.load(path, weights_only=True)
    data["exemplars"] = data["exemplars"][:, :-1]
    bad = tmp_path / "bad.pt"
    torch.save(data, bad)
    with pytest.raises(CheckpointError, match="bad.pt.*exemplars"):
        load_prior(str(bad))
    assert loaded.exemplars_recorded is None and loaded.recorded_exemplars() is exemplars  # not mirrored: all recorded
    data = torch.load(path, weights_only=True)
    data["exemplars_recorded"] = torch.ones(len(exemplars) - 1, dtype=torch.bool)
    torch.save(data, bad)
    with pytest.raises(CheckpointError, match="bad.pt.*exemplars_recorded"):
        load_prior(str(bad))


def test_mirror_setting_is_resolved_and_old_checkpoints_read_as_unmirrored(trained):
    config = read_checkpoint(trained[0])["training"]["config"]
    assert TINY_TRAIN.mirror is None and config["mirror"] is False  # asked "if symmetric"; the random tree is not
    assert TrainConfig.from_dict(config) == dataclasses.replace(TINY_TRAIN, epochs=6, mirror=False)
    assert TrainConfig.from_dict({k: v for k, v in config.items() if k != "mirror"}).mirror is False
    assert train_config(mirror=True).mirror and train_config().mirror is None


def test_mirroring_an_asymmetric_rig_on_request_is_refused_before_training(tree, tmp_path):
    with pytest.raises(SkeletonMismatchError, match="not left-right symmetric"):
        train_tiny(tree, tmp_path / "m.pt", tmp_path / "cache", mirror=True)
    assert not (tmp_path / "m.pt").exists()


def test_symmetric_rig_trains_on_its_mirrored_poses_too(tmp_path):
    dataset = mirror_body_dataset(300, 60)
    lines = []
    train(dataset, tmp_path / "m.pt", dataclasses.replace(TINY_TRAIN, epochs=1), cache_dir=tmp_path / "cache",
          progress=False, log=lines.append)
    training = read_checkpoint(tmp_path / "m.pt")["training"]
    assert training["config"]["mirror"] is True and not any("without mirrored" in line for line in lines)
    prior = load_prior(str(tmp_path / "m.pt"))
    assert len(prior.exemplars()) == 2 * len(dataset.split(False))
    # the checkpoint tells the recorded poses from their mirror images: the generator takes the former
    recorded = prior.recorded_exemplars()
    assert prior.exemplars_recorded.sum() == len(dataset.split(False)) == len(recorded)
    torch.testing.assert_close(recorded, dataset.split(False), atol=1e-3, rtol=0)
