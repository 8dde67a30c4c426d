"""The optimisation every prior trainer shares: Adam with an exponential learning-rate decay per
epoch, one epoch of optimiser steps over batches, and the per-epoch log line (a resumed run
restores the optimiser and scheduler through :mod:`posefield.resume`)."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Sequence, TypeVar

import torch
from tqdm import tqdm

BatchT = TypeVar("BatchT")


def decaying_adam(params: Iterable[torch.nn.Parameter], lr: float, lr_decay: float
                  ) -> tuple[torch.optim.Adam, torch.optim.lr_scheduler.ExponentialLR]:
    """Adam (step size ``lr``) with its step size multiplied by ``lr_decay`` after every epoch
    (a resumed run loads their states with :func:`posefield.resume.restore`).

    Args:
        params: the parameters to optimise.
        lr: initial step size.
        lr_decay: factor per epoch.
    Returns:
        The optimiser and its scheduler.
    """
    optimizer = torch.optim.Adam(params, lr=lr)
    return optimizer, torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=lr_decay)


def optimise_epoch(batches: Sequence[BatchT], loss_fn: Callable[[BatchT], tuple[torch.Tensor, dict[str, float]]],
                   optimizer: torch.optim.Optimizer, desc: str, progress: bool) -> dict[str, float]:
    """One optimiser step per batch; returns the mean over the batches of each loss part.

    Args:
        batches: what ``loss_fn`` takes, one item per step (e.g. batch start offsets).
        loss_fn: batch -> (scalar loss to minimise, {part name: value}).
        optimizer: steps the parameters the loss depends on.
        desc: progress-bar label.
        progress: show a progress bar with the latest parts.
    """
    totals: dict[str, float] = {}
    bar = tqdm(batches, desc=desc, unit="batch", disable=not progress, leave=False)
    for batch in bar:
        loss, parts = loss_fn(batch)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        totals = {k: totals.get(k, 0.0) + v for k, v in parts.items()}
        bar.set_postfix({k: f"{v:.4f}" for k, v in parts.items()})
    bar.close()
    return {k: v / len(batches) for k, v in totals.items()}


def metrics_line(metrics: dict[str, Any]) -> str:
    """One log line ``name=value ...`` of an epoch's metrics (floats to 4 decimals)."""
    return " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items())
