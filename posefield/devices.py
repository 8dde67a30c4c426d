"""Where training runs: a torch device named by the user, checked before any work starts."""
from __future__ import annotations

import torch

from posefield.errors import PosefieldError


def training_device(name: str) -> torch.device:
    """The device ``name`` (``"cpu"``, ``"cuda"``, ``"cuda:N"``, ...) names.

    Raises:
        PosefieldError: (one line) an unknown name, or a GPU this machine does not have.
    """
    try:
        device = torch.device(name)
    except (RuntimeError, ValueError):
        raise PosefieldError(f"unknown device {name!r} (expected 'cpu', 'cuda' or 'cuda:N')") from None
    if device.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0 or (device.index is not None and device.index >= count):
            raise PosefieldError(f"device {name!r} is not available here ({count} CUDA GPU(s) found); "
                                 "use --device cpu")
    return device
