"""Nearest real pose by the weighted geodesic distance: faiss candidates, exact re-ranking."""
from __future__ import annotations

import faiss
import numpy as np
import torch

from posefield.rotations.distance import pose_distance
from posefield.rotations.embedding import pose_embedding


class NearestPoses:
    """Index of reference poses answering nearest-pose queries.

    Candidates come from an exact L2 faiss index over :func:`pose_embedding` (which
    lower-bounds the geodesic distance); the ``k`` candidates are re-ranked with the
    exact :func:`pose_distance`.

    Args:
        reference: (M, K, 4) unit quaternions.
        weights: (K,) joint weights; ``None`` = ones.
    """

    def __init__(self, reference: torch.Tensor, weights: torch.Tensor | None = None):
        self.reference = reference.float()
        self.weights = weights
        self.index = faiss.IndexFlatL2(9 * reference.shape[1])
        if len(reference):
            self.index.add(pose_embedding(self.reference, weights).numpy())

    def __len__(self) -> int:
        return self.index.ntotal

    def add(self, quats: torch.Tensor) -> None:
        """Append (n, K, 4) poses to the index."""
        self.reference = torch.cat([self.reference, quats.float()])
        self.index.add(pose_embedding(quats, self.weights).numpy())

    def query(self, quats: torch.Tensor, k: int = 16, batch_size: int = 8192) -> tuple[torch.Tensor, torch.Tensor]:
        """Distance to and index of the nearest reference pose.

        Args:
            quats: (N, K, 4) query poses.
            k: candidates re-ranked exactly per query.
        Returns:
            (N,) distances in radians and (N,) int64 indices into the reference.
        """
        dists, idxs = [], []
        k = max(1, min(k, len(self)))
        for start in range(0, quats.shape[0], batch_size):
            q = quats[start:start + batch_size].float()
            _, cand = self.index.search(pose_embedding(q, self.weights).numpy(), k)
            cand_t = torch.from_numpy(np.maximum(cand, 0))
            exact = pose_distance(q[:, None], self.reference[cand_t], self.weights)  # (n, k)
            best = exact.argmin(dim=1)
            dists.append(exact.gather(1, best[:, None])[:, 0])
            idxs.append(cand_t.gather(1, best[:, None])[:, 0])
        if not dists:
            return torch.zeros(0), torch.zeros(0, dtype=torch.long)
        return torch.cat(dists), torch.cat(idxs)
