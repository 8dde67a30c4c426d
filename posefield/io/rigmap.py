"""Rig mapping files (``--rig-map FILE``): which motion joint plays which joint of a prior's rig.

A UTF-8 text file, one pair per line::

    # prior joint = joint of the motion's skeleton
    lhumerus = LeftUpperArm_jnt
    lowerback = Spine1
    ltoes = -          # leave the prior joint unpaired

Blank lines and ``#`` comments are ignored; names are joint names exactly as the two rigs
spell them. The pairs complete or override the automatic match
(:mod:`posefield.skeleton.names`); ``-`` removes a prior joint from it.
"""
from __future__ import annotations

from pathlib import Path

from posefield.errors import MotionFormatError

UNPAIRED = "-"


def read_rig_map(path: str | Path) -> list[tuple[int, str, str | None]]:
    """``(line, prior joint, motion joint or None)`` per pair of the file.

    Raises:
        MotionFormatError: unreadable file, a line that is not ``NAME = NAME``, or a prior
            joint named twice (one line, ``FILE:LINE: problem``).
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise MotionFormatError(path, f"cannot read the mapping file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise MotionFormatError(path, "the mapping file is not UTF-8 text") from None
    entries: list[tuple[int, str, str | None]] = []
    seen: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        left, sep, right = (part.strip() for part in line.partition("="))
        if not sep or len(left.split()) != 1 or len(right.split()) != 1:
            raise MotionFormatError(path, f"expected 'prior_joint = motion_joint', found {raw.strip()!r}", line=number)
        if left in seen:
            raise MotionFormatError(path, f"prior joint {left!r} is paired twice (first on line {seen[left]})",
                                    line=number)
        seen[left] = number
        entries.append((number, left, None if right == UNPAIRED else right))
    if not entries:
        raise MotionFormatError(path, "the mapping file pairs no joints")
    return entries
