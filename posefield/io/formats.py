"""Dispatch on file extension."""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

import torch

from posefield.errors import MotionFormatError
from posefield.motion import Motion, MotionBlocks
from posefield.skeleton import Skeleton

MOTION_SUFFIXES = (".amc", ".bvh", ".npz")


@contextlib.contextmanager
def single_threaded_torch() -> Iterator[None]:
    """Run torch on one thread inside the block: readers and writers do many small element-wise ops,
    which intra-op threads only slow down (several-fold on a busy machine)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def load_skeleton(path: str | Path) -> Skeleton:
    """Read a skeleton from ``.asf`` or the header of a ``.bvh``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".asf":
        from posefield.io.asf import read_asf
        return read_asf(path)
    if suffix == ".bvh":
        from posefield.io.bvh import read_bvh
        return read_bvh(path).skeleton
    raise MotionFormatError(path, f"unknown skeleton format {suffix!r} (expected .asf or .bvh)")


def load_motion(path: str | Path, asf: str | Path | None = None, **options) -> Motion:
    """Read a motion; ``asf`` names the skeleton of an ``.amc`` (default: ``NN.asf`` beside ``NN_TT.amc``)."""
    path = Path(path)
    if not path.is_file():
        raise MotionFormatError(path, "no such file")
    with single_threaded_torch():
        return _read_motion(path, asf, **options)


def _read_motion(path: Path, asf: str | Path | None, **options) -> Motion:
    suffix = path.suffix.lower()
    if suffix == ".amc":
        from posefield.io.amc import read_amc
        return read_amc(path, asf=asf, **options)
    if suffix == ".bvh":
        from posefield.io.bvh import read_bvh
        return read_bvh(path, **options)
    if suffix == ".npz":
        from posefield.io.amass import read_amass
        return read_amass(path, **options)
    raise MotionFormatError(path, f"unknown motion format {suffix!r} (expected one of {', '.join(MOTION_SUFFIXES)})")


def save_motion(motion: Motion | MotionBlocks, path: str | Path, **options) -> list[Path]:
    """Write a motion atomically; returns the files written (an ``.amc`` also writes its ``.asf``).
    A motion given block by block is written as its blocks come to an ``.amc``, gathered whole
    for the other formats (whose writers need the whole clip)."""
    with single_threaded_torch():
        return _write_motion(motion, Path(path), **options)


def _write_motion(motion: Motion | MotionBlocks, path: Path, **options) -> list[Path]:
    suffix = path.suffix.lower()
    if suffix == ".amc":
        from posefield.io.amc import write_amc
        return write_amc(motion, path, **options)
    if isinstance(motion, MotionBlocks) and suffix in MOTION_SUFFIXES:
        motion = motion.gather()
    if suffix == ".bvh":
        from posefield.io.bvh import write_bvh
        return write_bvh(motion, path, **options)
    if suffix == ".npz":
        from posefield.io.amass import write_amass
        return write_amass(motion, path, **options)
    raise MotionFormatError(path, f"unknown motion format {suffix!r} (expected one of {', '.join(MOTION_SUFFIXES)})")
