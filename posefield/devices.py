"""Where training runs: a torch device named by the user, checked before any work starts, and
this process's place in a multi-process (torchrun, DDP) job."""
from __future__ import annotations

import contextlib
import dataclasses
import os
from typing import Iterator

import torch
import torch.distributed as dist

from posefield.errors import PosefieldError


def training_device(name: str) -> torch.device:
    """The device ``name`` (``"cpu"``, ``"cuda"``, ``"cuda:N"``, ...) names.

    Raises:
        PosefieldError: (one line) an unknown name, or a GPU this machine does not have.
    """
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        device = None
    if device is None or device.type not in ("cpu", "cuda"):  # also a type torch knows (mps, xpu, meta ...)
        raise PosefieldError(f"unknown device {name!r} (expected 'cpu', 'cuda' or 'cuda:N')")
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (device.index is not None and device.index >= count):
            raise PosefieldError(f"device {name!r} is not available here ({count} CUDA GPU(s) found); "
                                 "use --device cpu")
    return device


@dataclasses.dataclass(frozen=True)
class Distributed:
    """This process's place in a torchrun job (world 1, rank 0 without one)."""

    world: int = 1
    rank: int = 0
    local_rank: int = 0

    @classmethod
    def from_env(cls) -> "Distributed":
        return cls(int(os.environ.get("WORLD_SIZE", 1)), int(os.environ.get("RANK", 0)),
                   int(os.environ.get("LOCAL_RANK", 0)))


@contextlib.contextmanager
def distributed_device(name: str) -> Iterator[tuple[torch.device, Distributed]]:
    """The training device and this process's place, inside the job's process group.

    Under torchrun (``WORLD_SIZE`` > 1) the group is joined on entry (NCCL on GPUs, each
    process on ``cuda:LOCAL_RANK``; Gloo on CPUs) and left on exit; otherwise this is
    :func:`training_device` alone.
    """
    ddp = Distributed.from_env()
    device = training_device(f"cuda:{ddp.local_rank}" if name == "cuda" and ddp.world > 1 else name)
    if ddp.world == 1:
        yield device, ddp
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)
    dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    try:
        yield device, ddp
    finally:
        dist.destroy_process_group()
