"""The optimiser every prior trainer uses: Adam with an exponential learning-rate decay per
epoch, restored from a checkpoint's training state when a run resumes."""
from __future__ import annotations

from typing import Any, Iterable

import torch


def resumable_adam(params: Iterable[torch.nn.Parameter], lr: float, lr_decay: float,
                   state: dict[str, Any] | None = None
                   ) -> tuple[torch.optim.Adam, torch.optim.lr_scheduler.ExponentialLR, list[dict[str, float]], int]:
    """Adam (step size ``lr``) with its step size multiplied by ``lr_decay`` after every epoch.

    Args:
        params: the parameters to optimise.
        lr: initial step size.
        lr_decay: factor per epoch.
        state: a checkpoint's ``training`` dict (``optimizer``, ``scheduler``, ``history``,
            ``epoch``) to continue from, or ``None`` for a fresh start.
    Returns:
        The optimiser, its scheduler, the per-epoch history so far and the next epoch (0-based).
    """
    optimizer = torch.optim.Adam(params, lr=lr)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=lr_decay)
    if state is None:
        return optimizer, scheduler, [], 0
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    return optimizer, scheduler, list(state["history"]), int(state["epoch"])


def metrics_line(metrics: dict[str, Any]) -> str:
    """One log line ``name=value ...`` of an epoch's metrics (floats to 4 decimals)."""
    return " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in metrics.items())
