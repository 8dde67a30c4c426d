"""Reading posefield's torch checkpoint files safely (weights only, one-line errors)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from posefield.errors import CheckpointError


def read_checkpoint_file(path: str | Path, fmt: str, version: int, what: str) -> dict[str, Any]:
    """The dict saved in ``path``, checked to be a ``fmt`` checkpoint of format ``version``.

    Args:
        path: the ``.pt`` file.
        fmt: the ``format`` tag the dict must carry.
        version: the ``format_version`` it must carry.
        what: a noun for messages, e.g. ``"prior"``.
    Raises:
        CheckpointError: one line naming the file when it is missing, unreadable, foreign, or
            when its weights (``model``) hold NaN or inf.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such {what} checkpoint file")
    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # truncated zip, foreign pickle, random bytes ...
        raise CheckpointError(f"{path}: not a readable posefield checkpoint ({type(exc).__name__})") from None
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise CheckpointError(f"{path}: not a posefield {what} checkpoint")
    if data.get("format_version") != version:
        raise CheckpointError(f"{path}: {what} checkpoint format version {data.get('format_version')} "
                              f"is not supported (expected {version})")
    weights = data.get("model")
    broken = [name for name, value in weights.items() if isinstance(value, torch.Tensor)
              and value.is_floating_point() and not torch.isfinite(value).all()] if isinstance(weights, dict) else []
    if broken:
        raise CheckpointError(f"{path}: corrupt {what} checkpoint (NaN or inf in {', '.join(broken[:3])}"
                              f"{' ...' if len(broken) > 3 else ''})")
    return data
