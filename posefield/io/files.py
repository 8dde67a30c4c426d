"""A job's motion files: the motion it reads and the motion file it writes.

A job reads a motion with :func:`read_motion` (a skeleton file applies to ``.amc`` only) and
writes its result where :func:`motion_output` says: the output name's own format, or the
input's where the name has no motion extension, checked before any work (see
:mod:`posefield.io.outputs`: the folder exists, no input is overwritten).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from posefield.errors import MotionFormatError
from posefield.io.formats import MOTION_SUFFIXES, load_motion
from posefield.io.outputs import check_output
from posefield.limits import FILE_FPS
from posefield.motion import Motion, MotionBlocks
from posefield.skeleton import Skeleton


def read_motion(path: Path, asf: Path | None = None, fps: float | None = None) -> Motion:
    """A motion file (``asf`` names the skeleton of an ``.amc``; other files have their own, and
    a skeleton given for one is refused rather than ignored). ``fps`` (frames per second)
    overrides the rate the file claims; without it a claimed rate outside
    :data:`posefield.limits.FILE_FPS` is refused as a broken header."""
    if path.suffix.lower() == ".amc":
        motion = load_motion(path, asf=asf)
    elif asf is not None:
        raise MotionFormatError(path, f"has its own skeleton: --asf {asf} applies to .amc inputs only")
    else:
        motion = load_motion(path)
    if fps is not None:
        return dataclasses.replace(motion, fps=fps)
    return _claimed_rate(path, motion)


def read_motion_blocks(path: Path, asf: Path | None = None, fps: float | None = None) -> MotionBlocks:
    """:func:`read_motion`, read a block at a time at each pass where the format allows it
    (``.amc``: :func:`posefield.io.amc.read_amc_blocks`), else read whole and handed on in blocks."""
    if path.suffix.lower() != ".amc":
        return MotionBlocks.of(read_motion(path, asf, fps))
    if not path.is_file():
        raise MotionFormatError(path, "no such file")
    from posefield.io.amc import read_amc_blocks

    clip = read_amc_blocks(path, asf, fps)
    if fps is None:
        _claimed_rate(path, clip.header)
    return clip


def _claimed_rate(path: Path, motion: Motion) -> Motion:
    """``motion`` (read from ``path``) unless the rate it claims is outside
    :data:`posefield.limits.FILE_FPS`: a broken header, refused."""
    low, high = FILE_FPS
    if not low <= motion.fps <= high:
        raise MotionFormatError(path, f"claims {motion.fps:g} frames per second, outside {low:g}-{high:g} "
                                      "(convert --source-fps sets the rate)")
    return motion


def output_path(out: Path, suffix: str) -> Path:
    """``out`` itself if it names a motion format, else ``out`` + ``suffix``."""
    return out if out.suffix.lower() in MOTION_SUFFIXES else out.with_name(out.name + suffix)


def native_suffix(skeleton: Skeleton) -> str:
    """The motion extension of a skeleton's own format: ``.amc`` for ASF skeletons, else ``.bvh``."""
    return ".amc" if "asf" in skeleton.meta else ".bvh"


def motion_output(out: Path, suffix: str, sources: list[Path], skeleton: Skeleton | None = None) -> Path:
    """The motion file ``out`` names (:func:`output_path`), checked before any work: its folder
    exists, it would overwrite none of ``sources`` (see :func:`posefield.io.outputs.check_output`)
    and, for an ``.amc`` of ``skeleton`` (the skeleton the job writes, where it is known before the
    work), the ``.asf`` written beside it would replace no skeleton file of another rig
    (:func:`posefield.io.amc.check_skeleton_output`)."""
    path = check_output(output_path(out, suffix), sources)
    if skeleton is not None:
        from posefield.io.amc import check_skeleton_output
        check_skeleton_output(path, skeleton)
    return path
