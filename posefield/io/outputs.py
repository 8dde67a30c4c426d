"""Checks on the files a command will write: checked before any work, so a bad ``-o`` costs
nothing, and no input is ever overwritten.

Every check raises :class:`~posefield.errors.MotionFormatError` (one line naming the file).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterable, Sequence

from posefield.errors import MotionFormatError
from posefield.motion import Motion


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file (symbolic and hard links included)."""
    a, b = Path(a), Path(b)
    if a.exists() and b.exists():
        return os.path.samefile(a, b)
    return a.resolve() == b.resolve()


def files_of(motion: Motion) -> list[Path]:
    """The files ``motion`` was read from: its motion file and, for an ``.amc``, the ``.asf`` used."""
    return [Path(motion.source[key]) for key in ("path", "asf") if motion.source.get(key)]


def written_with(path: str | Path) -> list[Path]:
    """The files that writing ``path`` makes: ``path``, and the ``.asf`` beside an ``.amc``."""
    path = Path(path)
    return [path] + ([path.with_suffix(".asf")] if path.suffix.lower() == ".amc" else [])


def refuse_inputs(targets: Iterable[str | Path], sources: Iterable[str | Path | None]) -> None:
    """Raise unless no file of ``targets`` is one of ``sources`` (``None`` entries are skipped):
    an input file is never overwritten."""
    sources = [Path(s) for s in sources if s]
    for target in targets:
        if any(same_file(target, source) for source in sources):
            raise MotionFormatError(target, "refusing to overwrite an input file")


def check_output(path: str | Path, sources: Iterable[str | Path | None] = (),
                 suffixes: Sequence[str] | None = None, kind: str = "output", folder: bool = False) -> Path:
    """``path``, checked before any work: its folder exists, it is no folder itself (unless
    ``folder``: then it is a folder to make or fill), its extension is one of ``suffixes``
    (when given; ``kind`` names the format in the error), and neither it nor a file written with it (:func:`written_with`) is one of
    ``sources``."""
    path = Path(path)
    parent = path.parent
    if not parent.is_dir():
        raise MotionFormatError(path, "its folder does not exist (make it first)")
    if folder:
        if path.exists() and not path.is_dir():
            raise MotionFormatError(path, "is a file, expected a folder")
        return path
    if path.is_dir():
        raise MotionFormatError(path, "is a folder, expected a file name")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise MotionFormatError(path, f"unknown {kind} format {path.suffix.lower()!r} (expected {', '.join(suffixes)})")
    refuse_inputs(written_with(path), sources)
    return path
