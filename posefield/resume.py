"""The one resume scheme of every training loop (Pose-NDF, the VAE, the regressors).

After each epoch or validation step a run saves :func:`resume_state`: its progress (epochs or
steps done, under the key that names the unit), the optimiser's and the learning-rate
scheduler's states, the history of logged metrics, the global random state (``torch`` and, when
training on a GPU, ``cuda``) and the states of the explicit ``generators`` the loop draws from
(one per process under DDP; none when every draw is seeded afresh). A run started from such a
state after :func:`restore` continues exactly as one that never stopped.
"""
from __future__ import annotations

from typing import Any, Literal, Sequence

import torch

Unit = Literal["epoch", "step"]


def rng_state(device: torch.device | str) -> dict[str, torch.Tensor]:
    """The global random state: ``torch`` (CPU) and, on a GPU ``device``, that GPU's ``cuda`` state."""
    device = torch.device(device)
    state = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state(device)
    return state


def set_rng_state(state: dict[str, torch.Tensor], device: torch.device | str) -> None:
    """Restore an :func:`rng_state` (its ``cuda`` part only on a GPU ``device``)."""
    device = torch.device(device)
    torch.set_rng_state(state["torch"])
    if device.type == "cuda" and "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"], device)


def resume_state(optimizer: torch.optim.Optimizer, scheduler: torch.optim.lr_scheduler.LRScheduler,
                 history: Sequence[dict[str, Any]], unit: Unit, done: int, device: torch.device | str,
                 generators: Sequence[torch.Tensor] = ()) -> dict[str, Any]:
    """What a run needs to continue after ``done`` epochs or steps (``unit``).

    Args:
        optimizer, scheduler: their states are saved.
        history: the metrics logged so far, one dict per epoch or validation.
        unit: what ``done`` counts (also its key in the state).
        done: epochs or steps completed.
        device: the training device (whose GPU random state is saved).
        generators: states (uint8 tensors) of the loop's own generators, one per process.
    Returns:
        ``{unit: done, "optimizer", "scheduler", "history", "rng", "generators"}``; the optimiser
        part shares the live optimiser's tensors, so save it before the next step.
    """
    return {unit: done, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(),
            "history": list(history), "rng": rng_state(device), "generators": list(generators)}


def restore(optimizer: torch.optim.Optimizer, scheduler: torch.optim.lr_scheduler.LRScheduler,
            state: dict[str, Any] | None, unit: Unit, device: torch.device | str
            ) -> tuple[int, list[dict[str, Any]], list[torch.Tensor]]:
    """Load a :func:`resume_state` into ``optimizer`` and ``scheduler`` and the global random state.

    Args:
        optimizer, scheduler: freshly built, as the saved run built them.
        state: a :func:`resume_state`, or ``None`` for a fresh start (nothing is loaded). States
            saved without ``rng`` (older VAE checkpoints) leave the random state alone.
        unit: what the progress counts.
        device: the training device.
    Returns:
        The epochs or steps done (0 on a fresh start), the history so far and the saved
        generator states (empty on a fresh start).
    """
    if state is None:
        return 0, [], []
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    if "rng" in state:
        set_rng_state(state["rng"], device)
    return int(state[unit]), list(state["history"]), list(state.get("generators", []))
