"""The regression benchmark's test scenes: the held-out people's own skeletons, the same for every model."""
from __future__ import annotations

import numpy as np
import pytest
import roma
import torch

from posefield.data.build import BuildConfig, build_dataset
from posefield.data.dataset import PoseDataset
from posefield.errors import SkeletonMismatchError
from posefield.io import load_skeleton
from posefield.jobs.describe import describe
from posefield.regress.bench import (BenchConfig, clips_per_person, held_out_batch, held_out_people, run_benchmark,
                                     shared_keypoints)
from posefield.regress.body import proportioned_skeleton
from posefield.regress.chains import kinematic_chains
from posefield.regress.model import build_model
from posefield.regress.points import default_keypoints
from posefield.regress.regressor import RegressorConfig
from posefield.regress.synthetic import SyntheticConfig
from posefield.regress.train import initial_parameters

from tests.regress.conftest import FIXTURES, TINY, tiny_model

SMALL = BenchConfig(samples=16, clip_length=4, seed=3)


@pytest.fixture(scope="module")
def two_people(tmp_path_factory) -> PoseDataset:
    """Both fixture subjects (05: 60 frames, 105: 40) held out, every frame kept, saved and read back."""
    data, _ = build_dataset([FIXTURES / "05_17.amc", FIXTURES / "105_04.amc"],
                            BuildConfig(fps=120.0, dedup_distance=0.0, val_subjects=("05", "105")), progress=False)
    path = tmp_path_factory.mktemp("people") / "people.npz"
    data.save(path)
    return PoseDataset.load(path)


@pytest.fixture(scope="module")
def people(two_people):
    return held_out_people(two_people)


def bone_lengths(points: torch.Tensor, parents: tuple[int, ...]) -> torch.Tensor:
    """(B, J + E − 1) distances (m) between each non-root point of (B, J + E, 3) and its parent."""
    return (points[:, 1:] - points[:, list(parents[1:])]).norm(dim=-1)


def test_build_records_every_files_skeleton(two_people, tmp_path):
    path = tmp_path / "people.npz"
    two_people.save(path)
    assert len(two_people.skeletons) == 2 and two_people.file_skeleton.tolist() == [0, 1]
    for k, subject in enumerate(("05", "105")):
        assert np.allclose(two_people.skeletons[k].offsets, load_skeleton(FIXTURES / f"{subject}.asf").offsets)
    assert np.array_equal(two_people.pose_skeleton(), two_people.source)  # one file per subject here
    assert "files: 2 on 2 skeletons" in describe(path)


def test_held_out_people_are_the_validation_subjects_on_their_own_skeletons(two_people, people):
    assert [p.name for p in people] == ["05", "105"]
    assert [len(p.poses) for p in people] == [60, 40]
    for person, skeleton in zip(people, two_people.skeletons):
        assert torch.allclose(person.body.offsets[:skeleton.num_joints], torch.as_tensor(skeleton.offsets).float())
    assert torch.equal(people[1].poses, torch.from_numpy(two_people.quats[two_people.source == 1]))


def test_clips_cycle_through_the_people():
    assert clips_per_person(2, 5) == [3, 2]
    assert clips_per_person(3, 2) == [1, 1, 0]


def test_scenes_show_each_persons_poses_on_their_own_bones(people, cmu_skeleton):
    names = default_keypoints(cmu_skeleton)
    batch = held_out_batch(people, names, "none", SMALL, SyntheticConfig())
    points, rotmats = batch.target.points, batch.scene.rotmats
    assert points.shape[0] == SMALL.samples
    for person, frames in zip(people, (slice(0, 8), slice(8, 16))):  # 2 clips of 4 frames each
        bones = bone_lengths(points[frames], person.body.extended.parents)
        assert torch.allclose(bones, person.body.offsets[1:].norm(dim=-1).expand_as(bones), atol=1e-5)
        own = roma.unitquat_to_rotmat(person.poses)  # (N, R − 1, 3, 3)
        gap = (rotmats[frames, None, 1:] - own[None]).abs().flatten(2).amax(dim=2).amin(dim=1)
        assert gap.max() < 1e-6  # every frame is one of the person's own poses
    assert torch.equal(batch.target.beta, torch.zeros_like(batch.target.beta))
    other = bone_lengths(points[8:16], people[0].body.extended.parents)
    assert not torch.allclose(other, people[0].body.offsets[1:].norm(dim=-1).expand_as(other), atol=1e-3)


def test_scenes_are_fixed_by_the_seed_and_differ_only_in_the_occluder(people, cmu_skeleton):
    names = default_keypoints(cmu_skeleton)
    plain, again = (held_out_batch(people, names, "none", SMALL, SyntheticConfig()) for _ in range(2))
    assert torch.equal(plain.target.points, again.target.points) and torch.equal(plain.inputs, again.inputs)
    other_seed = held_out_batch(people, names, "none", BenchConfig(samples=16, clip_length=4, seed=4), SyntheticConfig())
    assert not torch.allclose(plain.target.points, other_seed.target.points)
    bar = held_out_batch(people, names, "bar", SMALL, SyntheticConfig())
    assert torch.equal(plain.target.points, bar.target.points)
    both = plain.observation.visible & bar.observation.visible
    assert torch.equal(plain.observation.pixels[both], bar.observation.pixels[both])
    assert bar.observation.visible.sum() < plain.observation.visible.sum()


def test_every_model_is_measured_on_the_same_scenes(people, cmu_skeleton):
    """A model's figures do not depend on which other model is benchmarked beside it or first."""
    poses = torch.cat([p.poses for p in people])
    small = tiny_model(cmu_skeleton, "hkmr")
    tall_skeleton = proportioned_skeleton(cmu_skeleton, kinematic_chains(cmu_skeleton), np.full(6, 0.3))
    tall = tiny_model(tall_skeleton, "flat")
    for model in (small, tall):
        initial_parameters(model, poses, SyntheticConfig(), torch.Generator().manual_seed(0))
    first = run_benchmark({"small": small, "tall": tall}, people, None, SMALL)
    swapped = run_benchmark({"tall": tall, "small": small}, people, None, SMALL)
    alone = run_benchmark({"small": small}, people, None, SMALL)
    assert first.errors["small"] == swapped.errors["small"] == alone.errors["small"]
    assert first.errors["tall"] == swapped.errors["tall"]
    assert first.people == ["05", "105"] and first.errors["small"] != first.errors["tall"]


def test_models_reading_different_keypoints_are_refused(cmu_skeleton):
    torch.manual_seed(0)
    few = build_model(cmu_skeleton, default_keypoints(cmu_skeleton)[:-1], RegressorConfig(**TINY))
    with pytest.raises(SkeletonMismatchError, match="different keypoints"):
        shared_keypoints({"all": tiny_model(cmu_skeleton), "few": few})
