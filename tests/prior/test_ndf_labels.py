"""Distance labels: embedding, approximate search vs brute force, noise, pair cache."""
import pytest
import torch

from .ndf_data import TINY_PAIRS, tree  # noqa: F401  (fixtures)
from posefield.data.neighbours import NearestPoses
from posefield.prior.ndf.labels import exact_distance, exact_nearest, label_recall
from posefield.rotations.embedding import pose_embedding
from posefield.prior.ndf.noise import NoiseSchedule, blend_toward, perturb, sample_off_manifold
from posefield.prior.ndf.pairs import cache_path, cached_pairs, recall_by_distance
from posefield.rotations import geodesic_angles, joint_weights, pose_distance, random_unit_quaternions


def test_embedding_is_sign_invariant_and_a_lower_bound_of_the_distance():
    g = torch.Generator().manual_seed(0)
    a, b = random_unit_quaternions((200, 6), g), random_unit_quaternions((200, 6), g)
    w = torch.rand(6) + 0.5
    ea, eb = pose_embedding(a, w), pose_embedding(b, w)
    assert torch.allclose(ea, pose_embedding(-a, w))
    chord = (ea - eb).norm(dim=-1)
    assert torch.allclose(chord, (0.5 * w * geodesic_angles(a, b).sin().square()).sum(-1).sqrt(), atol=1e-5)
    assert (chord <= pose_distance(a, b, w) + 1e-6).all()


def test_exact_distance_is_brute_force(tree):
    clean, w = tree.split(False), joint_weights(tree.parents, "subtree")
    queries = perturb(clean[:40], 10.0, torch.Generator().manual_seed(1))
    naive = torch.stack([pose_distance(q, clean, w) for q in queries])
    distance, index = exact_nearest(clean, queries, w, chunk=16)
    assert torch.allclose(distance, naive.min(dim=1).values, atol=1e-6)
    assert torch.equal(index, naive.argmin(dim=1)) and torch.equal(exact_distance(clean, queries, w), distance)


def test_label_recall_vs_brute_force(tree):
    clean, w = tree.split(False), joint_weights(tree.parents, "subtree")
    queries, _ = sample_off_manifold(clean, 600, NoiseSchedule(), torch.Generator().manual_seed(2))
    exact = exact_distance(clean, queries, w)
    for nprobe in (None, 8):  # flat and inverted-file index
        labels, _ = NearestPoses(clean, w, nprobe=nprobe, k=16, far=1.2, far_k=128).query(queries)
        assert label_recall(labels, exact) >= 0.99
        assert (labels >= exact - 1e-6).all()  # a label is a real pose's distance: never below the minimum


def test_recall_by_distance_counts_each_range_apart():
    exact = torch.tensor([0.1, 0.2, 0.6, 0.7, 2.0])
    approx = torch.tensor([0.1, 0.3, 0.6, 0.7, 2.5])
    assert recall_by_distance(approx, exact) == {"0–0.25": 0.5, "0.5–1": 1.0, "≥ 1.5": 0.0}


def test_noise_schedule_counts_and_levels():
    schedule = NoiseSchedule(sigmas_deg=(1, 5), fractions=(3, 1), uniform_fraction=0.2, blend_fraction=0.0)
    assert schedule.counts(100) == [60, 20, 20, 0]
    clean = random_unit_quaternions((10, 3), torch.Generator().manual_seed(0))
    quats, level = sample_off_manifold(clean, 100, schedule, torch.Generator().manual_seed(0))
    assert quats.shape == (100, 3, 4) and torch.equal(level.bincount(), torch.tensor([60, 20, 20]))
    assert torch.allclose(quats.norm(dim=-1), torch.ones(100, 3), atol=1e-5) and (quats[..., 3] >= 0).all()


def test_blends_reach_from_the_pose_to_uniformly_random():
    generator = torch.Generator().manual_seed(3)
    start, target = (random_unit_quaternions((50, 4), generator) for _ in range(2))
    w = torch.ones(4)
    t = torch.rand(50, generator=generator)
    blend = blend_toward(start, target, t)
    # each joint moves along its geodesic: the pose distance is exactly t of the whole way
    assert torch.allclose(pose_distance(start, blend, w), t * pose_distance(start, target, w), atol=1e-4)
    assert torch.allclose(blend_toward(start, target, torch.ones(50)), target * target[..., 3:].sign(), atol=1e-5)
    schedule = NoiseSchedule(sigmas_deg=(1,), fractions=(1,), uniform_fraction=0.1, blend_fraction=0.5)
    assert schedule.counts(100) == [40, 10, 50]
    quats, level = sample_off_manifold(start, 2000, schedule, generator)
    assert torch.equal(level.bincount(), torch.tensor([800, 200, 1000]))
    far = pose_distance(quats[level == 2], start[:1].expand(1000, 4, 4), w)  # spread from near to far
    assert far.min() < 0.3 and far.max() > 1.5
    with pytest.raises(ValueError):
        NoiseSchedule(uniform_fraction=0.5, blend_fraction=0.5)


def test_perturb_matches_its_sigma():
    q = torch.tensor([0.0, 0.0, 0.0, 1.0]).expand(20000, 1, 4)
    angle = 2 * geodesic_angles(perturb(q, 5.0, torch.Generator().manual_seed(0)), q)
    # the rotation angle of N(0, σ²I₃) is Maxwell distributed: E[angle²] = 3σ²
    assert abs(angle.square().mean().sqrt().rad2deg().item() - 5.0 * 3 ** 0.5) < 0.1


def test_pairs_are_cached_by_dataset_and_settings(tree, tmp_path):
    w = joint_weights(tree.parents, "subtree")
    lines = []
    first = cached_pairs(tree, w, TINY_PAIRS, tmp_path, log=lines.append)
    assert "recall" in lines[0] and cache_path(tmp_path, tree, w, TINY_PAIRS).is_file()
    second = cached_pairs(tree, w, TINY_PAIRS, tmp_path, log=lines.append)
    assert "from cache" in lines[1]
    assert torch.equal(first.train.quats, second.train.quats) and torch.equal(first.val.distance, second.val.distance)
    # the tiny search (8 candidates, 64 far) on blends out to uniformly random poses
    assert first.recall >= 0.97 and first.recall_by_distance == second.recall_by_distance
    assert len(first.recall_by_distance) == 5 and min(first.recall_by_distance.values()) >= 0.8
    assert "by exact distance" in lines[0]
    assert cache_path(tmp_path, tree, w, TINY_PAIRS) != cache_path(tmp_path, tree, torch.ones_like(w), TINY_PAIRS)
