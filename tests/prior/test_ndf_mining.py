"""Mined false zeros (posefield.prior.ndf.mining) and warm starts (train(init=...))."""
import dataclasses

import pytest
import torch

from .ndf_data import TINY_TRAIN, train_tiny, tree, trained  # noqa: F401  (fixtures)
from posefield.data.neighbours import NearestPoses
from posefield.errors import CheckpointError, PosefieldError
from posefield.prior.checkpoint import load_checkpoint, read_checkpoint
from posefield.prior.ndf.labels import exact_distance
from posefield.prior.ndf.mining import MINED_LEVEL, MiningSettings, load_mined, mine_pairs, mined_path
from posefield.prior.ndf.projection import project


def test_mined_pairs_are_the_projected_ends_and_points_on_their_way_labelled_exactly(trained, tree):
    _, model = trained
    clean = tree.split(False)
    index = NearestPoses(clean, model.weights, k=len(clean))  # every pose re-ranked: exact labels
    model.train()
    pairs, stats = mine_pairs(model, index, MiningSettings(poses=40, steps=5), torch.Generator().manual_seed(0))
    assert model.training  # the mode is restored
    model.eval()
    assert pairs.quats.shape == (80, len(model.joint_index), 4) and (pairs.level == MINED_LEVEL).all()
    assert torch.allclose(pairs.distance, exact_distance(clean, pairs.quats, model.weights), atol=1e-4)
    # the first half are where projection from the same uniformly random starts ends
    starts = torch.Generator().manual_seed(0)
    from posefield.rotations import random_unit_quaternions
    ends = project(model, random_unit_quaternions((40, len(model.joint_index)), starts), max_steps=5).quats
    assert torch.allclose(pairs.quats[:40], ends.detach(), atol=1e-5)
    # the second half lie between each end and its nearest training pose: no farther than the end
    assert (pairs.distance[40:] <= pairs.distance[:40] + 1e-5).all()
    assert stats["mined_distance"] == pytest.approx(float(pairs.distance[:40].mean()), abs=1e-5)


def test_mining_settings_are_checked():
    with pytest.raises(ValueError):
        MiningSettings(poses=-1)
    with pytest.raises(ValueError):
        MiningSettings(steps=0)


def test_training_with_mining_logs_it_and_resumes_bit_for_bit(tree, tmp_path):
    mining = MiningSettings(poses=64, steps=3)
    straight = train_tiny(tree, tmp_path / "a.pt", tmp_path / "cache", epochs=2, mining=mining)
    train_tiny(tree, tmp_path / "b.pt", tmp_path / "cache", epochs=1, mining=mining)
    resumed = train_tiny(tree, tmp_path / "b.pt", tmp_path / "cache", epochs=2, resume=True)
    for (name, a), (_, b) in zip(straight.state_dict().items(), resumed.state_dict().items()):
        assert torch.equal(a, b), name
    history = read_checkpoint(tmp_path / "a.pt")["training"]["history"]
    assert all(h["mined_distance"] > 0 and "mined_f" in h for h in history)
    pairs, epochs = load_mined(mined_path(tmp_path / "a.pt"), before=2)  # both epochs' pairs are kept
    assert epochs.tolist() == [0] * 128 + [1] * 128 and (pairs.level == MINED_LEVEL).all()


def test_resume_without_the_accumulated_pairs_is_a_one_line_error(tree, tmp_path):
    train_tiny(tree, tmp_path / "b.pt", tmp_path / "cache", epochs=1, mining=MiningSettings(poses=16, steps=2))
    mined_path(tmp_path / "b.pt").unlink()
    with pytest.raises(CheckpointError, match="b.mined.npz.*resuming needs them"):
        train_tiny(tree, tmp_path / "b.pt", tmp_path / "cache", epochs=2, resume=True)


def test_mining_afresh_keeps_no_pairs(tree, tmp_path):
    train_tiny(tree, tmp_path / "c.pt", tmp_path / "cache", epochs=1,
               mining=MiningSettings(poses=16, steps=2, accumulate=False))
    assert (tmp_path / "c.pt").is_file() and not mined_path(tmp_path / "c.pt").exists()


def test_warm_start_goes_on_from_the_weights_and_records_where_from(trained, tree, tmp_path):
    path, model = trained
    out = tmp_path / "warm.pt"
    warm = train_tiny(tree, out, tmp_path / "cache", epochs=1, init=path, lr=1e-12)
    for (name, a), (_, b) in zip(model.state_dict().items(), warm.state_dict().items()):
        assert torch.allclose(a, b, atol=1e-6), name  # a vanishing step: the weights it started from
    assert torch.equal(warm.exemplars(), load_checkpoint(path).exemplars())  # as stored (half precision)
    training = read_checkpoint(out)["training"]
    assert training["init"]["file"] == path.name and len(training["init"]["history"]) == 6
    assert training["epoch"] == 1


def test_warm_start_takes_the_stored_network_and_refuses_resume(trained, tree, tmp_path):
    path, model = trained
    bigger = dataclasses.replace(TINY_TRAIN.model, hidden=(64, 64))
    warm = train_tiny(tree, tmp_path / "x.pt", tmp_path / "cache", epochs=1, init=path, model=bigger)
    assert warm.config == model.config
    with pytest.raises(PosefieldError, match="--init"):
        train_tiny(tree, path, tmp_path / "cache", epochs=7, init=path, resume=True)


def test_warm_start_from_a_baseline_is_refused(tree, tmp_path):
    from posefield.prior.baselines.gmm import GMMConfig, GMMFitConfig, train_gmm
    train_gmm(tree, tmp_path / "gmm.pt", GMMFitConfig(model=GMMConfig(components=2)), log=lambda _: None)
    with pytest.raises(CheckpointError, match="not a Pose-NDF"):
        train_tiny(tree, tmp_path / "x.pt", tmp_path / "cache", epochs=1, init=tmp_path / "gmm.pt")
