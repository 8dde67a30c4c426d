"""Atomic file writing: outputs appear whole or not at all."""
from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import IO, Iterator

from posefield.errors import MotionFormatError


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it onto ``path`` only on success.

    The temporary keeps ``path``'s suffix so that libraries which look at extensions
    (``np.savez`` adds ``.npz`` otherwise) write where we expect. The folder must exist: a
    mistyped folder is an error, not a new folder (:class:`MotionFormatError`).
    """
    path = Path(path)
    if not path.parent.is_dir():
        raise MotionFormatError(path, "its folder does not exist (make it first)")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual mode
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", newline: str | None = "\n",
                encoding: str = "utf-8") -> Iterator[IO]:
    """Open a temporary file for writing (text in ``encoding``) and move it onto ``path`` when the block succeeds."""
    with atomic_path(path) as tmp:
        kwargs = {} if "b" in mode else {"encoding": encoding, "newline": newline}
        with open(tmp, mode, **kwargs) as handle:
            yield handle


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
