"""Rank statistics of prior energies: how well scores put one set of poses above another (AUC),
shared by the baselines' training metric and the evaluation of Pose-NDF."""
from __future__ import annotations

import torch


def auc(negative: torch.Tensor, positive: torch.Tensor) -> float:
    """P(positive > negative) over all pairs, ties counting ½ (Mann–Whitney U / (n·m)).

    Args:
        negative: (N,) scores that should be low; positive: (M,) scores that should be high.
    """
    scores = torch.cat([negative, positive]).double()
    ranks = average_ranks(scores)
    n, m = len(negative), len(positive)
    return float((ranks[n:].sum() - m * (m + 1) / 2) / (n * m))


def average_ranks(x: torch.Tensor) -> torch.Tensor:
    """(N,) values -> (N,) 1-based ranks, tied values sharing their mean rank."""
    values, inverse, counts = torch.unique(x, return_inverse=True, return_counts=True)
    last = counts.cumsum(0).double()
    return (last - (counts.double() - 1) / 2)[inverse]
