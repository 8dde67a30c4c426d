"""Typed exceptions. Every message is one line naming the file (and line) at fault."""
from __future__ import annotations

from pathlib import Path


class PosefieldError(Exception):
    """Base class of every error posefield raises on purpose."""


class MotionFormatError(PosefieldError):
    """A motion or skeleton file is malformed.

    ``str(err)`` reads ``FILE:LINE: problem`` (``FILE: problem`` when no line applies).
    """

    def __init__(self, path: str | Path | None, problem: str, line: int | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.problem = " ".join(str(problem).split())
        where = self.path or "<input>"
        if line is not None:
            where = f"{where}:{line}"
        super().__init__(f"{where}: {self.problem}")


class SkeletonMismatchError(PosefieldError):
    """Data and skeleton (or model and skeleton) do not fit together."""


class CheckpointError(PosefieldError):
    """A checkpoint file is corrupt, foreign, or for another skeleton."""


class InvalidPoseError(PosefieldError):
    """Pose values are NaN/inf, not unit quaternions, or of the wrong shape."""
