"""``posefield convert``: a motion file in another format, optionally at another frame rate."""
from __future__ import annotations

from pathlib import Path

from posefield.data.resample import resample
from posefield.io.amc import check_skeleton_output
from posefield.io.files import read_motion
from posefield.io.formats import MOTION_SUFFIXES, save_motion
from posefield.io.outputs import check_output, files_of


def convert_file(src: Path, dst: Path, asf: Path | None = None, fps: float | None = None,
                 source_fps: float | None = None) -> list[Path]:
    """Write the motion in ``src`` to ``dst`` in the format of its extension (an ``.amc`` also
    writes its ``.asf``); ``source_fps`` (frames per second) overrides the rate the input claims,
    ``fps`` resamples to that rate. Returns the files written."""
    motion = read_motion(src, asf, fps=source_fps)
    check_output(dst, files_of(motion), MOTION_SUFFIXES, "motion")
    check_skeleton_output(dst, motion.skeleton)
    if fps is not None:
        motion = resample(motion, fps)
    return save_motion(motion, dst)
