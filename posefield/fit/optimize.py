"""The one optimisation loop every application runs (Adam with a cosine learning-rate decay).

It runs torch on one thread: the objectives are chains of small batched ops, which intra-op
threads slow down (several-fold on a busy two-core machine).
"""
from __future__ import annotations

import math
from typing import Callable, Iterable

import torch

from posefield.io.formats import single_threaded_torch


def minimise(param_groups: Iterable[dict], loss_fn: Callable[[], torch.Tensor], steps: int) -> float:
    """Minimise ``loss_fn`` over the parameters in ``param_groups``.

    Args:
        param_groups: torch optimiser groups, each ``{"params": [...], "lr": step size}``
            (radians for rotation offsets, metres for translations).
        loss_fn: recomputes the scalar loss from the current parameters.
        steps: number of Adam steps; the step sizes decay to 5 % along a half cosine.
    Returns:
        The loss at the last step.
    """
    optimiser = torch.optim.Adam(list(param_groups))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda i: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * i / max(steps, 1))))
    loss = torch.zeros(())
    with single_threaded_torch():
        for _ in range(steps):
            optimiser.zero_grad(set_to_none=True)
            loss = loss_fn()
            loss.backward()
            optimiser.step()
            schedule.step()
    return float(loss.detach())
