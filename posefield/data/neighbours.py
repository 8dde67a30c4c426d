"""Nearest real pose by the weighted geodesic distance: faiss candidates, exact re-ranking.

Candidates come from an L2 faiss index over :func:`posefield.rotations.embedding.pose_embedding`
(each joint's rotation matrix scaled by √(w_i/16)); its squared L2 distance Σ_i w_i/2 · sin²θ_i
lower-bounds d², equals it to second order and is monotone in every θ_i, so the L2 neighbours
are (nearly) the pose-distance neighbours; the exact :func:`posefield.rotations.pose_distance`
over the candidates fixes the order among them.

faiss runs on as many threads as torch (``torch.set_num_threads``).
"""
from __future__ import annotations

import math

import faiss
import numpy as np
import torch
from tqdm import tqdm

from posefield.rotations.distance import pose_distance
from posefield.rotations.embedding import pose_embedding


class NearestPoses:
    """Index of reference poses answering nearest-pose queries.

    By default the candidates come from an exact (flat) L2 index; with ``nprobe`` they come
    from an inverted-file index (k-means lists, ``nprobe`` of them visited per query): faster on
    large references, approximate. Either way the ``k`` candidates are re-ranked with the exact
    :func:`pose_distance`, so a returned distance is always that of a real reference pose.

    Far from the reference (e.g. uniformly random poses) sin θ saturates and the embedding ranks
    candidates less faithfully, so queries whose first distance exceeds ``far`` radians are
    searched again with ``far_k`` candidates (and 4 × ``nprobe`` lists).

    Args:
        reference: (M, K, 4) unit quaternions (xyzw). May be empty for the flat index.
        weights: (K,) joint weights of :func:`pose_distance`; ``None`` = ones.
        nprobe: ``None`` = exact flat index; else an inverted-file index visiting ``nprobe``
            lists per query (more: better recall, slower).
        k: default candidates re-ranked exactly per query.
        far: distance (radians) above which a query is searched again; default: never.
        far_k: candidates of that second search.
        seed: seed of the k-means that builds the inverted lists.
    """

    def __init__(self, reference: torch.Tensor, weights: torch.Tensor | None = None, *, nprobe: int | None = None,
                 k: int = 16, far: float = math.inf, far_k: int = 256, seed: int = 0):
        self.reference = reference.float()
        self.weights = None if weights is None else weights.float()
        self.nprobe, self.k, self.far, self.far_k = nprobe, k, far, far_k
        faiss.omp_set_num_threads(torch.get_num_threads())
        emb = pose_embedding(self.reference, self.weights).numpy()
        dim = emb.shape[1]
        if nprobe is None:
            self.index = faiss.IndexFlatL2(dim)
        else:
            if not len(emb):
                raise ValueError("NearestPoses: an inverted-file index (nprobe) needs reference poses to train on")
            nlist = max(1, min(4096, len(emb), int(4 * math.sqrt(len(emb)))))  # (≤ N: k-means needs N ≥ nlist)
            self.index = faiss.IndexIVFFlat(faiss.IndexFlatL2(dim), dim, nlist)
            self.index.cp.seed = seed
            self.index.cp.min_points_per_centroid = 1  # small sets: no warning, lists still fine
            self.index.train(emb[np.random.default_rng(seed).permutation(len(emb))[: 64 * nlist]])
        if len(emb):
            self.index.add(emb)

    def __len__(self) -> int:
        return self.index.ntotal

    def add(self, quats: torch.Tensor) -> None:
        """Append (n, K, 4) poses to the reference (an inverted-file index keeps its trained lists)."""
        self.reference = torch.cat([self.reference, quats.float()])
        self.index.add(pose_embedding(quats, self.weights).numpy())

    def _search(self, quats: torch.Tensor, k: int, nprobe: int | None,
                count: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
        """(n, K, 4) queries -> (n, count) exact distances to and indices of the best ``count`` of
        k embedding candidates, nearest first."""
        emb = pose_embedding(quats, self.weights).numpy()
        if nprobe is None:
            _, ids = self.index.search(emb, k)
        else:
            _, ids = self.index.search(emb, k, params=faiss.SearchParametersIVF(nprobe=min(nprobe, self.index.nlist)))
        cand = torch.from_numpy(ids).clamp(min=0)  # (n, k); -1 (no hit) -> pose 0, a real pose all the same
        exact = pose_distance(quats[:, None], self.reference[cand], self.weights)  # (n, k)
        dist, best = exact.topk(count, dim=1, largest=False)
        return dist, cand.gather(1, best)

    def nearest(self, quats: torch.Tensor, count: int, candidates: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The ``count`` nearest reference poses of each query, nearest first.

        Args:
            quats: (N, K, 4) query unit quaternions.
            count: poses returned per query (at most the reference's size).
            candidates: embedding neighbours re-ranked exactly per query (default 4 × ``count``).
        Returns:
            (N, count) float32 distances in radians and (N, count) int64 indices into the reference.
        """
        count = max(1, min(count, len(self)))
        candidates = max(count, min(candidates or 4 * count, len(self)))
        faiss.omp_set_num_threads(torch.get_num_threads())
        return self._search(quats.float(), candidates, self.nprobe, count)

    def query(self, quats: torch.Tensor, k: int | None = None, chunk: int = 8192,
              progress: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Distance to and index of the nearest reference pose found.

        Args:
            quats: (N, K, 4) query unit quaternions.
            k: candidates re-ranked exactly per query; ``None`` = the index's ``k``.
            chunk: queries per faiss call.
            progress: show a tqdm bar.
        Returns:
            (N,) float32 distances in radians and (N,) int64 indices into the reference
            (an empty reference: inf and -1).
        """
        k = self.k if k is None else k
        dists, idxs = torch.full((len(quats),), math.inf), torch.full((len(quats),), -1, dtype=torch.long)
        if not len(self):
            return dists, idxs
        faiss.omp_set_num_threads(torch.get_num_threads())
        far_nprobe = None if self.nprobe is None else 4 * self.nprobe
        k, far_k = (max(1, min(n, len(self))) for n in (k, self.far_k))
        far_chunk = max(1, chunk * k // far_k)
        with tqdm(total=len(quats), desc="nearest poses", unit="pose", disable=not progress, leave=False) as bar:
            for start in range(0, len(quats), chunk):
                q = quats[start:start + chunk].float()
                dist, idx = (column[:, 0] for column in self._search(q, k, self.nprobe))
                far = (dist > self.far).nonzero().squeeze(1)
                for sub in range(0, len(far), far_chunk):
                    rows = far[sub:sub + far_chunk]
                    dist[rows], idx[rows] = (column[:, 0] for column in self._search(q[rows], far_k, far_nprobe))
                dists[start:start + len(q)], idxs[start:start + len(q)] = dist, idx
                bar.update(len(q))
        return dists, idxs
