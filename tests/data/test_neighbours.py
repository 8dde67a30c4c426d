"""Nearest-pose search (flat and inverted-file faiss index, exact re-ranking) against brute force."""
import pytest
import torch

from posefield.data.neighbours import NearestPoses
from posefield.prior.ndf.labels import exact_nearest, label_recall
from posefield.prior.ndf.noise import NoiseSchedule, perturb, sample_off_manifold
from posefield.rotations import pose_distance, random_unit_quaternions


def clusters(num: int = 1500, num_joints: int = 6, seed: int = 0) -> torch.Tensor:
    """(num, K, 4) poses scattered 10° per dof around 30 random centres."""
    g = torch.Generator().manual_seed(seed)
    centres = random_unit_quaternions((30, num_joints), g)
    return perturb(centres[torch.randint(30, (num,), generator=g)], 10.0, g)


@pytest.mark.parametrize("nprobe", [None, 8])
def test_query_vs_brute_force(nprobe):
    reference, w = clusters(), torch.linspace(0.5, 2.0, 6)
    queries, _ = sample_off_manifold(reference, 600, NoiseSchedule(), torch.Generator().manual_seed(1))
    index = NearestPoses(reference, w, nprobe=nprobe, k=8, far=1.2, far_k=64)
    dist, idx = index.query(queries, chunk=128)
    exact, _ = exact_nearest(reference, queries, w)
    assert dist.shape == idx.shape == (600,) and idx.dtype == torch.int64
    assert torch.equal(pose_distance(queries, reference[idx], w), dist)  # the distance of the pose returned
    assert (dist >= exact - 1e-6).all()  # ... so never below the minimum
    assert label_recall(dist, exact) >= 0.99


def test_flat_with_every_candidate_is_exact():
    reference, queries = clusters(300), random_unit_quaternions((50, 6), torch.Generator().manual_seed(2))
    dist, idx = NearestPoses(reference).query(queries, k=10_000)
    naive = torch.stack([pose_distance(q, reference) for q in queries])
    assert torch.allclose(dist, naive.min(dim=1).values, atol=1e-6) and torch.equal(idx, naive.argmin(dim=1))


def test_nearest_few_match_brute_force_with_zero_weights():
    reference, w = clusters(800), torch.tensor([1.0, 0.0, 2.0, 0.0, 1.0, 0.5])  # two joints unobserved
    queries = perturb(reference[::40], 5.0, torch.Generator().manual_seed(3))
    dist, idx = NearestPoses(reference, w).nearest(queries, 8)
    naive = torch.stack([pose_distance(q, reference, w) for q in queries])
    best = naive.topk(8, dim=1, largest=False)
    assert dist.shape == idx.shape == (20, 8) and (dist[:, 1:] >= dist[:, :-1]).all()
    assert torch.allclose(dist, best.values, atol=1e-6)
    assert torch.equal(pose_distance(queries[:, None], reference[idx], w), dist)


def test_far_queries_are_searched_again():
    reference, w = clusters(), torch.ones(6)
    queries = random_unit_quaternions((200, 6), torch.Generator().manual_seed(3))  # far from every cluster
    exact, _ = exact_nearest(reference, queries, w)
    for nprobe in (None, 8):
        near_only = NearestPoses(reference, w, nprobe=nprobe, k=1).query(queries)[0]
        searched = NearestPoses(reference, w, nprobe=nprobe, k=1, far=0.0, far_k=len(reference)).query(queries)[0]
        assert (searched <= near_only + 1e-6).all() and (searched < near_only - 1e-4).any()
        assert (searched >= exact - 1e-6).all()
        if nprobe is None:  # every reference pose re-ranked: exact
            assert torch.allclose(searched, exact, atol=1e-6)


@pytest.mark.parametrize("nprobe", [None, 4])
def test_add_grows_the_reference(nprobe):
    reference = clusters(400)
    index = NearestPoses(reference[:0] if nprobe is None else reference[:200], nprobe=nprobe)
    index.add(reference[200:])
    assert len(index) == len(index.reference) == (200 if nprobe is None else 400)
    dist, idx = index.query(reference[200:], k=4)
    assert (dist < 1e-3).all() and torch.equal(pose_distance(reference[200:], index.reference[idx]), dist)


def test_empty_index_and_empty_queries():
    dist, idx = NearestPoses(clusters(10)[:0]).query(clusters(5))
    assert torch.equal(dist, torch.full((5,), torch.inf)) and torch.equal(idx, torch.full((5,), -1))
    dist, idx = NearestPoses(clusters(10), nprobe=2).query(clusters(10)[:0])
    assert dist.shape == idx.shape == (0,)
    with pytest.raises(ValueError, match="needs reference poses"):
        NearestPoses(clusters(10)[:0], nprobe=2)
