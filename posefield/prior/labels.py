"""Distance labels: the weighted geodesic distance from a pose to its nearest clean pose.

Candidates come from a faiss inverted-file index over a sign-invariant Euclidean embedding;
the label is then the exact :func:`posefield.rotations.pose_distance` over the k candidates.

Embedding: :func:`posefield.rotations.embedding.pose_embedding` (each joint's rotation matrix
scaled by √(w_i/16)); its squared L2 distance Σ_i w_i/2 · sin²θ_i equals d² to second order and
is monotone in every θ_i, so the L2 neighbours are (nearly) the pose-distance neighbours; the
exact re-ranking fixes the order among the candidates.

faiss runs on as many threads as torch (``torch.set_num_threads``).
"""
from __future__ import annotations

import math
from typing import Iterator

import faiss
import numpy as np
import torch
from tqdm import tqdm

from posefield.rotations import pose_distance
from posefield.rotations.embedding import pose_embedding


def _chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


class NearestPoseIndex:
    """Approximate nearest clean pose under the weighted geodesic distance.

    Far from the manifold (uniformly random poses) sin θ saturates and the embedding ranks
    candidates less faithfully, so queries whose first label exceeds ``far`` radians are
    searched again with ``far_k`` candidates and 4 × ``nprobe`` lists.

    Args:
        clean: (N, K, 4) clean unit quaternions.
        weights: (K,) joint weights.
        k: candidates re-ranked exactly per query.
        nprobe: inverted lists visited per query (more: better recall, slower).
        far, far_k: distance (radians) above which a query is searched again, and its candidates.
        seed: seed of the k-means that builds the lists.
    """

    def __init__(self, clean: torch.Tensor, weights: torch.Tensor, k: int = 16, nprobe: int = 16,
                 far: float = 1.2, far_k: int = 256, seed: int = 0):
        self.clean, self.weights = clean.float(), weights.float()
        self.k, self.nprobe, self.far, self.far_k = k, nprobe, far, far_k
        faiss.omp_set_num_threads(torch.get_num_threads())
        emb = pose_embedding(self.clean, self.weights).numpy()
        nlist = max(1, min(4096, int(4 * math.sqrt(len(emb)))))
        self.index = faiss.IndexIVFFlat(faiss.IndexFlatL2(emb.shape[1]), emb.shape[1], nlist)
        self.index.cp.seed = seed
        self.index.cp.min_points_per_centroid = 1  # small sets: no warning, lists still fine
        self.index.train(emb[np.random.default_rng(seed).permutation(len(emb))[: 64 * nlist]])
        self.index.add(emb)

    def _search(self, quats: torch.Tensor, k: int, nprobe: int) -> torch.Tensor:
        """(n, K, 4) queries -> (n,) exact distance to the best of k IVF candidates."""
        faiss.omp_set_num_threads(torch.get_num_threads())
        params = faiss.SearchParametersIVF(nprobe=min(nprobe, self.index.nlist))
        _, ids = self.index.search(pose_embedding(quats, self.weights).numpy(), k, params=params)
        cand = self.clean[torch.from_numpy(ids).clamp(min=0)]  # (n, k, K, 4); -1 (no hit) -> any pose
        return pose_distance(quats[:, None], cand, self.weights).min(dim=1).values

    def distance(self, quats: torch.Tensor, chunk: int = 8192, progress: bool = False) -> torch.Tensor:
        """Labels of ``quats``: exact weighted distance to the best candidate found.

        Args:
            quats: (Q, K, 4) unit quaternions.
            chunk: queries per faiss call.
            progress: show a tqdm bar.
        Returns:
            (Q,) float32 distances in radians.
        """
        out = torch.empty(len(quats))
        far_chunk = max(1, chunk * self.k // self.far_k)
        with tqdm(total=len(quats), desc="labelling", unit="pose", disable=not progress, leave=False) as bar:
            for part in _chunks(len(quats), chunk):
                q = quats[part].float()
                label = self._search(q, self.k, self.nprobe)
                far = (label > self.far).nonzero().squeeze(1)
                for sub in _chunks(len(far), far_chunk):
                    label[far[sub]] = self._search(q[far[sub]], self.far_k, 4 * self.nprobe)
                out[part] = label
                bar.update(len(q))
        return out


def exact_nearest(clean: torch.Tensor, quats: torch.Tensor, weights: torch.Tensor,
                  chunk: int = 64) -> tuple[torch.Tensor, torch.Tensor]:
    """Brute-force nearest clean pose of each query (the reference for recall).

    Exact, but pruned: the embedding distance e = (Σ w_i/2 sin²θ_i)^½ never exceeds the pose
    distance d (sin θ ≤ θ), so after taking u = d(query, embedding-nearest pose) as an upper
    bound of the minimum, only clean poses with e ≤ u can beat it and only those get the
    exact d. Every clean pose is compared to every query (one matmul per chunk).

    Args:
        clean: (N, K, 4) clean unit quaternions.
        quats: (Q, K, 4) queries.
        weights: (K,) joint weights.
        chunk: queries per step.
    Returns:
        (Q,) float32 distances in radians and (Q,) int64 indices into ``clean``.
    """
    clean, w = clean.float(), weights.float()
    emb_clean = pose_embedding(clean, w)
    sq_clean = emb_clean.square().sum(-1)
    distance, index = torch.empty(len(quats)), torch.empty(len(quats), dtype=torch.int64)
    for part in _chunks(len(quats), chunk):
        q = quats[part].float()
        emb = pose_embedding(q, w)
        e2 = (emb.square().sum(-1, keepdim=True) + sq_clean - 2 * emb @ emb_clean.T).clamp(min=0)  # (n, N)
        upper = pose_distance(q, clean[e2.argmin(dim=1)], w)
        # the embedding-nearest pose itself passes (its e ≤ its d = u), so every row has candidates
        rows, cols = (e2 <= (upper[:, None] + 1e-4).square()).nonzero(as_tuple=True)
        d = torch.cat([pose_distance(q[rows[p]], clean[cols[p]], w) for p in _chunks(len(rows), 1 << 16)])
        best = torch.full((len(q),), math.inf).scatter_reduce(0, rows, d, "amin")
        hit = d == best[rows]
        index[part.start + rows[hit]] = cols[hit]
        distance[part] = best
    return distance, index


def exact_distance(clean: torch.Tensor, quats: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """(Q,) distance from each query to its nearest clean pose (see :func:`exact_nearest`)."""
    return exact_nearest(clean, quats, weights)[0]


def label_recall(approx: torch.Tensor, exact: torch.Tensor, tol: float = 1e-5) -> float:
    """Share of labels equal (within ``tol`` radians) to the exact nearest-pose distance."""
    return float(((approx - exact).abs() <= tol).float().mean())
