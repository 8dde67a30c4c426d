"""The optimisation loop every application runs: Adam with a cosine learning-rate decay, or
L-BFGS with a strong-Wolfe line search.

Adam moves every parameter by about its step size whatever the size of its gradient, so a fixed
number of steps both fits and adds noise of that size; L-BFGS converges to the objective's
minimum, whose quality then depends on the weights alone (``benchmarks/applications.md``).
It runs torch on one thread: the objectives are chains of small batched ops, which intra-op
threads slow down (several-fold on a busy two-core machine).
"""
from __future__ import annotations

import math
from typing import Callable, Iterable, Literal

import torch

from posefield.io.formats import single_threaded_torch


Method = Literal["adam", "lbfgs"]


def minimise(param_groups: Iterable[dict], loss_fn: Callable[[], torch.Tensor], steps: int,
             method: Method = "adam") -> float:
    """Minimise ``loss_fn`` over the parameters in ``param_groups``.

    Args:
        param_groups: torch optimiser groups, each ``{"params": [...], "lr": step size}``
            (radians for rotation offsets, metres for translations; Adam only).
        loss_fn: recomputes the scalar loss from the current parameters.
        steps: Adam steps (the step sizes decay to 5 % along a half cosine), or L-BFGS
            iterations (each one or a few evaluations of ``loss_fn``).
        method: ``"adam"`` or ``"lbfgs"``.
    Returns:
        The loss at the last step.
    """
    if method == "lbfgs":
        return _minimise_lbfgs([p for group in param_groups for p in group["params"]], loss_fn, steps)
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


def _minimise_lbfgs(params: list[torch.Tensor], loss_fn: Callable[[], torch.Tensor], iterations: int) -> float:
    """L-BFGS (history 100, strong-Wolfe line search) for at most ``iterations`` iterations.

    A history of 20 pairs stalls on ill-conditioned objectives (a 20-d quadratic with curvatures
    1 to 10⁴: loss 2e-7 after 200 iterations, against 5e-13 after 67 with 100 pairs); the fits
    run 50 iterations, so they keep every pair (``benchmarks/applications.md``, "L-BFGS history").
    """
    if iterations <= 0:
        with torch.no_grad():
            return float(loss_fn())
    optimiser = torch.optim.LBFGS(params, lr=1.0, max_iter=iterations, history_size=100,
                                  tolerance_grad=1e-9, tolerance_change=1e-12, line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        return loss

    with single_threaded_torch():
        optimiser.step(closure)
        with torch.no_grad():
            return float(loss_fn())
