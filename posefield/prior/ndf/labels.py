"""Distance labels: the weighted geodesic distance from a pose to its nearest clean pose.

The training labels come from :class:`posefield.data.neighbours.NearestPoses` (faiss candidates,
exact re-ranking); this module holds the exact brute-force reference they are checked against
and the recall of a set of labels.
"""
from __future__ import annotations

import math
from typing import Iterator, Sequence

import torch

from posefield.rotations import pose_distance
from posefield.rotations.embedding import pose_embedding


E2_SLACK = 1e-5  # above the rounding of the squared embedding distances (float32)


def _chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


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
        nearest = e2.argmin(dim=1)
        upper = pose_distance(q, clean[nearest], w)
        # e2 is rounded (float32 expansion |a|² + |b|² - 2ab): the slack keeps every pose whose
        # e may be ≤ u, and the embedding-nearest pose itself (e ≤ d = u) is always a candidate,
        # so every row has one even where u is about the rounding of e2 (a pose ~0.001 rad away)
        candidates = e2 <= (upper[:, None] + 1e-4).square() + E2_SLACK
        candidates[torch.arange(len(q)), nearest] = True
        rows, cols = candidates.nonzero(as_tuple=True)
        d = torch.cat([pose_distance(q[rows[p]], clean[cols[p]], w) for p in _chunks(len(rows), 1 << 16)])
        best = torch.full((len(q),), math.inf).scatter_reduce(0, rows, d, "amin")
        hit = d == best[rows]
        index[part.start + rows[hit]] = cols[hit]
        distance[part] = best
    return distance, index


def exact_distance(clean: torch.Tensor, quats: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """(Q,) distance from each query to its nearest clean pose (see :func:`exact_nearest`)."""
    return exact_nearest(clean, quats, weights)[0]


def bin_labels(edges: Sequence[float]) -> list[str]:
    """Names of the distance bins with upper ``edges`` (radians) and an open last bin:
    ``0–0.1``, …, ``≥ 1.5``; bin b holds the distances ``torch.bucketize(d, edges, right=True) == b``."""
    lows = [0.0, *edges]
    return [f"{lo:g}–{hi:g}" for lo, hi in zip(lows, edges)] + [f"≥ {lows[-1]:g}"]


def label_recall(approx: torch.Tensor, exact: torch.Tensor, tol: float = 1e-5) -> float:
    """Share of labels equal (within ``tol`` radians) to the exact nearest-pose distance."""
    return float(((approx - exact).abs() <= tol).float().mean())
