"""Optional dependencies: a clear one-line error naming the extra to install when one is missing."""
from __future__ import annotations

import importlib.util

from posefield.errors import PosefieldError


class MissingDependencyError(PosefieldError):
    """An optional package needed for the requested output is not installed."""


def has_module(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def require(module: str, extra: str, purpose: str, package: str | None = None) -> None:
    """Raise :class:`MissingDependencyError` unless ``module`` is importable.

    Args:
        module: import name, e.g. ``"imageio_ffmpeg"``.
        extra: the posefield extra that installs it, e.g. ``"viz"``.
        purpose: what needs it, e.g. ``"mp4 output"``.
        package: the distribution name when it differs from ``module``.
    """
    if not has_module(module):
        raise MissingDependencyError(f"{purpose} needs the package {package or module!r}, which is not installed: "
                                     f"pip install 'posefield[{extra}]'")
