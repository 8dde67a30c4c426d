"""posefield: learned human pose priors and what people do with them."""
from __future__ import annotations

import importlib

from posefield.errors import PosefieldError

__version__ = "0.1.0"
__all__ = ["Motion", "Skeleton", "forward_kinematics", "PosefieldError", "__version__"]

# Imported on first use, so that the command line starts (and answers --help) without torch.
_LAZY = {"Motion": "posefield.motion", "Skeleton": "posefield.skeleton", "forward_kinematics": "posefield.skeleton"}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'posefield' has no attribute {name!r}")
