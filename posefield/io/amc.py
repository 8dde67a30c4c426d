"""Acclaim AMC motion files (CMU): one block per frame, a frame number then ``bone v1 v2 ...``.

Values follow the ASF: the root's six in its ``order`` (translation in raw length units,
rotations in degrees unless the header says ``:RADIANS``), every other bone's in its ``dof``
order. Bone lines may come in any order within a frame. The canonical local rotation of a
bone is C · R(dof) · Cᵀ (see :mod:`posefield.io.asf`).

AMC has no frame-rate field. posefield writes the rate as a header comment,
``# posefield fps 30`` (before ``:FULLY-SPECIFIED`` / ``:DEGREES``; other readers skip
comments), and reads it back; a file without that line runs at 120 fps (the CMU capture rate).
"""
from __future__ import annotations

import dataclasses
import itertools
import re
from pathlib import Path
from typing import Iterator

import numpy as np
import torch

from posefield.errors import MotionFormatError
from posefield.io.asf import (ROOT, angle_scale, describe_skeleton, format_asf, length_scale,
                              read_asf, read_text, skeleton_from_description)
from posefield.io.atomic import atomic_open
from posefield.io.fixed_point import fixed_point_text
from posefield.io.outputs import files_of, refuse_inputs
from posefield.motion import Motion, MotionBlocks
from posefield.rotations import canonical_hemisphere, rotmat_to_quaternion
from posefield.rotations.euler import CHUNK_FRAMES, ChannelCurves, channels_to_quaternion, conjugate_by
from posefield.skeleton.skeleton import Skeleton

DEFAULT_FPS = 120.0
FPS_COMMENT = "posefield fps"  # header comment "# posefield fps 30": the rate of an AMC posefield wrote
BLOCK_CHARS = 1 << 22  # characters of frames parsed together (about 5,000 CMU frames): bounds a block's text, lines and values
_FRAME_LINE = re.compile(r"^[ \t]*\d+[ \t]*$", re.MULTILINE)  # a frame number alone on its line


# ----------------------------------------------------------------------------- layout

def asf_candidates(amc_path: str | Path) -> list[Path]:
    """Where an AMC's skeleton is looked for: ``NN_TT.asf`` beside ``NN_TT.amc`` (its own, as
    :func:`write_amc` names it), then the subject's: the longest stem prefix ending before a ``_``
    that names an ``.asf`` beside it (HDM05's ``HDM_bd.asf`` for ``HDM_bd_squat3Reps_001_120.amc``),
    else the stem before the last ``_`` (CMU's ``NN.asf``)."""
    amc_path = Path(amc_path)
    subject = amc_path.with_name(f"{subject_of(amc_path)}.asf")
    return list(dict.fromkeys([amc_path.with_suffix(".asf"), subject]))


def subject_of(amc_path: str | Path) -> str:
    """Subject id of an AMC file: the longest prefix of its stem, cut at a ``_``, with an ``.asf``
    of that name beside the file; without one, the stem before its last ``_`` (the whole stem
    when it has no ``_``)."""
    amc_path = Path(amc_path)
    parts = amc_path.stem.split("_")
    for end in range(len(parts) - 1, 0, -1):
        prefix = "_".join(parts[:end])
        if amc_path.with_name(f"{prefix}.asf").is_file():
            return prefix
    return amc_path.stem.rsplit("_", 1)[0]


def _value_counts(description: dict) -> dict[str, int]:
    """Bone name -> number of values on its AMC line."""
    return {ROOT: len(description["root"]["order"]), **{b["name"]: len(b["dof"]) for b in description["bones"]}}


def _rotation_columns(description: dict, name: str) -> tuple[str, list[int]]:
    """Intrinsic order of bone ``name``'s rotation channels and their columns among its
    values (``dof rx rz`` -> ``("ZX", [1, 0])``: the fixed-axis file order reversed)."""
    if name == ROOT:
        order = description["root"]["order"]
        columns = [i for i, o in enumerate(order) if o.startswith("R")][::-1]
        return "".join(order[i][1] for i in columns), columns
    dof = next(b["dof"] for b in description["bones"] if b["name"] == name)
    return "".join(d[1].upper() for d in reversed(dof)), list(range(len(dof)))[::-1]


def _translation_columns(description: dict) -> list[int]:
    """Columns of TX, TY, TZ among the root's values."""
    return [description["root"]["order"].index(t) for t in ("TX", "TY", "TZ")]


# ----------------------------------------------------------------------------- reading

def _split_lines(path: Path, text: str, counts: dict[str, int],
                 asf_name: str) -> tuple[str, dict[str, list[str]], dict[str, list[int]], np.ndarray]:
    """Group the value text of every bone line by bone (one pass over the lines); ``asf_name``
    names the skeleton in the error for an unknown bone.

    Returns:
        angle unit named by the header (``""`` if none), bone -> value text of each of its
        lines, bone -> those lines' numbers, (T,) line number of each frame's number line.
    """
    unit = ""
    rows: dict[str, list[str]] = {name: [] for name in counts}
    where: dict[str, list[int]] = {name: [] for name in counts}
    frame_lines: list[int] = []
    previous = None
    for number, line in enumerate(text.split("\n"), 1):
        if "#" in line:
            line = line.split("#", 1)[0]
        parts = line.split(None, 1)
        if not parts:
            continue
        key = parts[0]
        if key in rows and frame_lines:
            rows[key].append(parts[1] if len(parts) > 1 else "")
            where[key].append(number)
        elif key.isdigit():
            if previous is not None and int(key) != previous + 1:
                raise MotionFormatError(path, f"frame number {key} does not follow {previous}", number)
            previous = int(key)
            frame_lines.append(number)
        elif key.startswith(":") and not frame_lines:
            unit = {":DEGREES": "deg", ":RADIANS": "rad"}.get(key.upper(), unit)
        elif key in rows:
            raise MotionFormatError(path, f"bone {key!r} before the first frame number", number)
        elif number == text.count("\n") + 1 and not text.endswith("\n"):  # the last line, cut short
            raise MotionFormatError(path, f"file ends mid-line in {line.strip()!r} (truncated?)", number)
        else:
            raise MotionFormatError(path, f"unknown bone {key!r} (not in {asf_name})", number)
    if not frame_lines:
        raise MotionFormatError(path, "no frames")
    return unit, rows, where, np.array(frame_lines)


def _check_frames(path: Path, name: str, lines: list[int], frame_lines: np.ndarray) -> None:
    """Raise unless bone ``name`` has exactly one line in every frame."""
    frames = np.searchsorted(frame_lines, lines) - 1
    expected = np.arange(len(frame_lines))
    if len(frames) == len(expected) and np.array_equal(frames, expected):
        return
    counts = np.bincount(frames, minlength=len(expected))
    bad = int(np.flatnonzero(counts != 1)[0])
    problem = "lacks" if counts[bad] == 0 else "repeats"
    raise MotionFormatError(path, f"frame {bad + 1} {problem} bone {name!r} (file truncated?)", int(frame_lines[bad]))


def _check_rows(path: Path, name: str, rows: list[str], lines: list[int], count: int) -> None:
    """Raise for the first line of bone ``name`` without ``count`` finite numbers."""
    for text, number in zip(rows, lines):
        tokens = text.split()
        if len(tokens) != count:
            raise MotionFormatError(path, f"bone {name!r} has {len(tokens)} values, expected {count}", number)
        try:
            values = [float(t) for t in tokens]
        except ValueError:
            raise MotionFormatError(path, f"bone {name!r} has a value that is not a number: {text.strip()!r}",
                                    number) from None
        if not np.all(np.isfinite(values)):
            raise MotionFormatError(path, f"bone {name!r} has a NaN or infinite value", number)


def _values(path: Path, name: str, rows: list[str], lines: list[int], count: int) -> np.ndarray:
    """(T, count) float64 values of bone ``name``, parsed in one batch."""
    try:
        flat = np.array(" ".join(rows).split(), dtype=np.float64)
    except ValueError:
        flat = np.full(0, np.nan)
    if flat.size != count * len(rows) or not np.isfinite(flat).all():
        _check_rows(path, name, rows, lines, count)
    return flat.reshape(len(rows), count)


def _header_unit(lines: list[str]) -> str | None:
    """Angle unit (``"deg"``, ``"rad"`` or ``""``) of header lines (comments removed) that are
    blank or start with ``:``; ``None`` for any other header (left to the line-by-line reader)."""
    unit = ""
    for line in lines:
        parts = line.split(None, 1)
        if not parts:
            continue
        if not parts[0].startswith(":"):
            return None
        unit = {":DEGREES": "deg", ":RADIANS": "rad"}.get(parts[0].upper(), unit)
    return unit


class _Irregular(Exception):
    """The file is not of the form :func:`_regular_blocks` reads; the line-by-line reader names its problem."""


def _text_pieces(path: Path, chars: int) -> Iterator[str]:
    """The text of ``path`` in pieces of ``chars`` characters, decoded as UTF-8 with line ends
    normalised to ``\n`` (universal newlines, also across pieces); :class:`_Irregular` for
    text that is not UTF-8 or holds NUL bytes (:func:`posefield.io.asf.read_text` then reads it)."""
    try:
        with open(path, encoding="utf-8", newline=None) as handle:
            while piece := handle.read(chars):
                if "\0" in piece:
                    raise _Irregular
                yield piece
    except (UnicodeDecodeError, OSError):
        raise _Irregular from None


def _last_frame_line(text: str) -> int:
    """Where the last complete line of ``text`` that is a frame number alone starts (0: none past
    the first line)."""
    end = text.rfind("\n")
    while end > 0:
        start = text.rfind("\n", 0, end) + 1
        if text[start:end].strip().isdigit():
            return start
        end = start - 1
    return 0


def _regular_blocks(path: Path, counts: dict[str, int]) -> Iterator[tuple[str, dict[str, np.ndarray]]]:
    """The frames of a well-formed AMC whose frames all list the same bones in the same order
    (what exporters write), read in blocks of about :data:`BLOCK_CHARS` characters cut at frame
    lines: the file's text is never held whole (only the blocks' values are). In a
    block the lines of one bone are every (1 + bones)-th line, and their numbers convert in one
    numpy call. Raises :class:`_Irregular` when the file is not of that form (comments after the
    header, blank lines, a missing or repeated bone, a bad value …).

    Yields:
        per block, (angle unit from the header or ``""``, bone -> (n, count) values in file
        order), bones without dof left out.
    """
    unit, layout, last, text = None, None, None, ""
    for piece in itertools.chain(_text_pieces(path, BLOCK_CHARS), [None]):
        text += piece or ""
        if unit is None:
            first = _FRAME_LINE.search(text)
            if first is None:
                if piece is None:
                    raise _Irregular
                continue
            unit = _header_unit([line.split("#", 1)[0] for line in text[:first.start()].split("\n")])
            if unit is None:
                raise _Irregular
            text = text[first.start():]
        cut = len(text) if piece is None else _last_frame_line(text)
        if not cut:
            continue  # (at the end the text holds the last frame line: never empty)
        block, text = text[:cut], text[cut:]
        if "#" in block:
            raise _Irregular
        parsed = _block_values(block.rstrip("\n").split("\n"), counts)
        if parsed is None or (last is not None and (parsed[0] != layout or parsed[1] != last + 1)):
            raise _Irregular
        layout, last = parsed[0], parsed[2]
        yield unit, {name: values for name, values in parsed[3].items() if counts[name]}


def _block_values(lines: list[str], counts: dict[str, int]) -> tuple[list[str], int, int, dict[str, np.ndarray]] | None:
    """The frames in ``lines`` (starting with a frame line) when they all list the same bones
    in the same order: (that bone order, first and last frame number, bone -> (T, n) values),
    else ``None``."""
    end = next((i for i, line in enumerate(lines[1:], 1) if line.strip().isdigit()), len(lines))
    layout = [line.split(None, 1)[0] if line.strip() else "" for line in lines[1:end]]
    stride = len(layout) + 1
    needed = {name for name, count in counts.items() if count}
    if (len(lines) % stride or len(set(layout)) != len(layout) or not set(layout) <= set(counts)
            or not needed <= set(layout)):
        return None
    numbers = lines[::stride]
    if not all(n.strip().isdigit() for n in numbers):
        return None
    try:
        frame_numbers = np.array([int(n) for n in numbers])
    except ValueError:
        return None
    if not (np.diff(frame_numbers) == 1).all():
        return None
    values = {}
    for position, name in enumerate(layout, 1):
        table = _bone_table(lines[position::stride], name, counts[name])
        if table is None:
            return None
        values[name] = table
    return layout, int(frame_numbers[0]), int(frame_numbers[-1]), values


def _bone_table(rows: list[str], name: str, count: int) -> np.ndarray | None:
    """(T, count) values of the T lines ``rows`` of bone ``name``, when each is the name and
    ``count`` finite numbers separated by single spaces (what exporters write), else ``None``.

    The checks are whole-block string counts (every line starts with the name and has
    ``count`` spaces) and numpy's C text reader converts the numbers.
    """
    joined = "\n".join(rows)
    prefix = f"{name} " if count else name
    if (not joined.startswith(prefix) or joined.count("\n" + prefix) != len(rows) - 1
            or joined.count(" ") != count * len(rows)):
        return None
    if not count:
        return np.zeros((len(rows), 0)) if len(joined) == len(rows) * (len(name) + 1) - 1 else None
    try:  # with exactly `count` spaces per line, a line has count + 1 fields, all read or refused
        table = np.loadtxt(rows, delimiter=" ", usecols=range(1, count + 1), comments=None, ndmin=2)
    except ValueError:
        return None
    return table if np.isfinite(table).all() else None


def amc_values(path: str | Path, description: dict, asf_name: str = "the ASF") -> tuple[str, dict[str, np.ndarray]]:
    """Parse an AMC file against an ASF description line by line (``asf_name``: how errors
    name its file); :func:`read_amc` reads a regular file faster, in blocks, and comes here for
    any other.

    Returns:
        (angle unit from the header or ``""``, bone -> (T, n) raw values in file order);
        bones without dof are left out.
    Raises:
        MotionFormatError: ``FILE:LINE: problem`` for unknown bones, wrong value counts,
            non-numbers, NaN/inf, missing or repeated bones (truncation), empty files.
    """
    path = Path(path)
    counts = _value_counts(description)
    text = read_text(path)
    unit, rows, where, frame_lines = _split_lines(path, text, counts, asf_name)
    values = {}
    for name, count in counts.items():
        if count:
            _check_frames(path, name, where[name], frame_lines)
            values[name] = _values(path, name, rows[name], where[name], count)
        elif rows[name]:
            _check_rows(path, name, rows[name], where[name], 0)
    return unit, values


def _read_pose(path: Path, skeleton: Skeleton, asf_name: str) -> tuple[np.ndarray, np.ndarray]:
    """(T, J, 4) canonical local quaternions and (T, 3) root translation (metres) of the AMC
    ``path``: block by block (:func:`_regular_blocks`), else line by line (:func:`amc_values`)."""
    counts = _value_counts(skeleton.meta["asf"])
    try:  # the blocks' raw values (fewer numbers than their rotations), then the clip's arrays once
        blocks = list(_regular_blocks(path, counts))[::-1]
    except _Irregular:
        return _line_by_line_pose(path, skeleton, asf_name)
    num_frames = sum(len(values[ROOT]) for _, values in blocks)
    rotations, translation = np.empty((num_frames, skeleton.num_joints, 4)), np.empty((num_frames, 3))
    row = 0
    while blocks:  # each block's values are dropped once converted
        unit, values = blocks.pop()
        part = slice(row, row + len(values[ROOT]))
        rotations[part], translation[part] = _pose(skeleton, values, unit)
        row = part.stop
    return rotations, translation


def _line_by_line_pose(path: Path, skeleton: Skeleton, asf_name: str) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_read_pose` of a file the block reader does not take (:func:`amc_values`)."""
    unit, values = amc_values(path, skeleton.meta["asf"], asf_name)
    return _pose(skeleton, values, unit)


def _pose(skeleton: Skeleton, values: dict[str, np.ndarray], unit: str) -> tuple[np.ndarray, np.ndarray]:
    """(T, J, 4) canonical local quaternions and (T, 3) root translation (metres) from raw values."""
    description = skeleton.meta["asf"]
    degrees = angle_scale(unit or description["units"]["angle"])
    frames = rotmat_to_quaternion(torch.as_tensor(skeleton.axes)).numpy()  # C of each joint: C · R · Cᵀ
    layouts = [_rotation_columns(description, name) if name in values else ("", []) for name in skeleton.names]
    # Missing axes go in front with angle 0, which leaves the product unchanged.
    orders = ["".join(a for a in "ZYX" if a not in order) + order for order, _ in layouts]
    num_frames = len(values[ROOT])
    quats = np.empty((num_frames, skeleton.num_joints, 4))
    for start in range(0, num_frames, CHUNK_FRAMES):  # bounded temporaries: memory flat in the clip's length
        part = slice(start, start + CHUNK_FRAMES)
        angles = np.zeros((len(quats[part]), skeleton.num_joints, 3))
        for j, (name, (_, columns)) in enumerate(zip(skeleton.names, layouts)):
            if columns:
                angles[:, j, 3 - len(columns):] = values[name][part, columns] * degrees
        local = conjugate_by(channels_to_quaternion(angles, orders), frames)
        quats[part] = canonical_hemisphere(torch.as_tensor(local)).numpy()
    translation = values[ROOT][:, _translation_columns(description)] * length_scale(description)
    return quats, translation


def header_fps(path: Path) -> float | None:
    """The frame rate of a ``# posefield fps N`` comment in the header (the lines before the
    first frame), or ``None`` when there is none; raises :class:`MotionFormatError` for such a
    line without one positive number."""
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith("#") and line[1:].split()[:2] == FPS_COMMENT.split():
                words = line[1:].split()[2:]
                try:
                    fps = float(words[0]) if len(words) == 1 else float("nan")
                except ValueError:
                    fps = float("nan")
                if not (np.isfinite(fps) and fps > 0):
                    raise MotionFormatError(path, f"{line!r} must name one positive frame rate", number)
                return fps
            if line and not line.startswith(("#", ":")):
                return None
    return None


def read_amc(path: str | Path, asf: str | Path | None = None, fps: float | None = None) -> Motion:
    """Read an AMC motion.

    Args:
        path: the ``NN_TT.amc`` file.
        asf: its skeleton; default: the first of :func:`asf_candidates` that exists.
        fps: frame rate overriding the file's; default: the ``# posefield fps`` header line,
            else :data:`DEFAULT_FPS` (CMU captured at 120).
    Returns:
        a :class:`Motion` (canonical rotations, root translation in metres) with
        ``source = {"path", "format": "amc", "subject", "asf"}``.
    """
    header = _header(Path(path), asf, fps)
    rotations, translation = _read_pose(Path(path), header.skeleton, header.source["asf"])
    return dataclasses.replace(header, rotations=rotations, root_translation=translation)


def read_amc_blocks(path: str | Path, asf: str | Path | None = None, fps: float | None = None) -> MotionBlocks:
    """An AMC motion (as :func:`read_amc`) read a block of about 5,000 frames at a time at each
    pass, so that a job over it never holds it whole. A file the block reader does not take
    (:func:`_regular_blocks`: comments between frames, bones in varying order …) is read whole,
    line by line, once the pass reaches the block where it differs; its problem, if it has one,
    is named then (before any output is written, as outputs are written whole or not at all)."""
    path = Path(path)
    header = _header(path, asf, fps)
    counts = _value_counts(header.skeleton.meta["asf"])
    whole: list[Motion] = []  # the motion read line by line, once a pass found the file irregular

    def blocks() -> Iterator[Motion]:
        done = 0
        if not whole:
            try:
                for unit, values in _regular_blocks(path, counts):
                    rotations, translation = _pose(header.skeleton, values, unit)
                    yield dataclasses.replace(header, rotations=rotations, root_translation=translation,
                                              source=dict(header.source))
                    done += len(rotations)
                return
            except _Irregular:  # (line by line at once: the blocks before this one were regular)
                rotations, translation = _line_by_line_pose(path, header.skeleton, header.source["asf"])
                whole.append(dataclasses.replace(header, rotations=rotations, root_translation=translation,
                                                 source=dict(header.source)))
        yield from MotionBlocks.of(whole[0].slice(slice(done, None)) if done else whole[0]).blocks()

    return MotionBlocks(header, blocks)


def _header(path: Path, asf: str | Path | None, fps: float | None) -> Motion:
    """The skeleton, rate and source of the AMC ``path`` (see :func:`read_amc`), with no frames."""
    candidates = asf_candidates(path) if asf is None else [Path(asf)]
    asf_path = next((c for c in candidates if c.is_file()), None)
    if asf_path is None:
        tried = " or ".join(c.name for c in candidates)
        raise MotionFormatError(path, f"no ASF skeleton found (no {tried}); name the skeleton with --asf")
    skeleton = read_asf(asf_path)
    if fps is None:
        fps = header_fps(path) or DEFAULT_FPS
    return Motion(skeleton=skeleton, rotations=np.zeros((0, skeleton.num_joints, 4)), root_translation=np.zeros((0, 3)),
                  fps=float(fps), source={"path": str(path), "format": "amc", "subject": subject_of(path),
                                          "asf": str(asf_path)})


# ----------------------------------------------------------------------------- writing

def amc_text(clip: MotionBlocks, description: dict) -> Iterator[str]:
    """The AMC text of ``clip`` on the skeleton ``description``, in pieces of at most
    :data:`CHUNK_FRAMES` frames after the header, made as its blocks come (a long clip's text
    is never held whole, nor a clip read block by block).

    Degrees, frames numbered from 1, the rate in a ``# posefield fps`` header comment; root
    translation in the ASF's raw length units; Euler branches chosen for continuity
    (:class:`ChannelCurves`). Numbers are ``%d`` (frames) and ``%.6f`` (values, rounded first:
    no ``-0.000000``), formatted by numpy (:func:`posefield.io.fixed_point.fixed_point_text`).
    """
    header = clip.header
    target = skeleton_from_description(description)
    counts = _value_counts(description)
    bones = [j for j, name in enumerate(target.names) if counts[name]]
    names = [target.names[j] for j in bones]
    sources = [0 if name == ROOT else header.skeleton.index(name) for name in names]
    frames = rotmat_to_quaternion(torch.as_tensor(target.axes[bones])).numpy()  # C of each bone: R = Cᵀ · L · C
    layouts = [_rotation_columns(description, name) for name in names]
    curves = ChannelCurves([order for order, _ in layouts])
    translation = _translation_columns(description)
    separators = [""] + [f"\n{name} " if k == 0 else " " for name in names for k in range(counts[name])] + ["\n"]
    decimals = [0] + [6] * (len(separators) - 2)
    yield (f"# AMC file written by posefield\n# {FPS_COMMENT} {np.format_float_positional(header.fps, trim='-')}\n"
           ":FULLY-SPECIFIED\n:DEGREES\n")
    written = 0
    for block in clip.blocks():
        for start in range(0, block.num_frames, CHUNK_FRAMES):
            part = slice(start, start + CHUNK_FRAMES)
            local = conjugate_by(block.rotations[part, sources], frames, inverse=True)  # (n, K, 4)
            out = {name: np.zeros((len(local), counts[name])) for name in names}
            for name, (_, columns), angles in zip(names, layouts, curves(local)):
                out[name][:, columns] = angles
            out[ROOT][:, translation] = block.root_translation[part] / length_scale(description)
            numbers = np.arange(written + 1.0, written + len(local) + 1)[:, None]
            yield fixed_point_text(np.concatenate([numbers, *out.values()], axis=1), decimals, separators)
            written += len(local)


def write_amc(motion: Motion | MotionBlocks, path: str | Path, asf_path: str | Path | None = None) -> list[Path]:
    """Write ``motion`` as an AMC file (:func:`amc_text`) and its ASF skeleton, atomically (both or neither).

    Args:
        motion: any motion, whole or block by block (written as its blocks come); a skeleton
            read from an ASF is written back as it was, any other one as derived by
            :func:`posefield.io.asf.describe_skeleton`.
        path: the ``.amc`` to write.
        asf_path: the skeleton file; default: ``path`` with suffix ``.asf``.
    Returns:
        [amc path, asf path].
    Raises:
        MotionFormatError: when a target is one of the motion's input files, or the ``.asf``
            exists and holds another skeleton (:func:`skeleton_file_text`).
    """
    path = Path(path)
    asf_path = path.with_suffix(".asf") if asf_path is None else Path(asf_path)
    clip = motion if isinstance(motion, MotionBlocks) else MotionBlocks.of(motion, CHUNK_FRAMES)
    refuse_inputs([path, asf_path], files_of(clip.header))
    description = describe_skeleton(clip.header.skeleton)
    asf_text = skeleton_file_text(asf_path, description, path)
    with atomic_open(asf_path) as asf_handle, atomic_open(path) as amc_handle:
        asf_handle.write(asf_text)
        amc_handle.writelines(amc_text(clip, description))
    return [path, asf_path]


def skeleton_file_text(asf_path: Path, description: dict, amc_path: Path) -> str:
    """The ASF text of ``description``, to be written to ``asf_path`` as the skeleton of
    ``amc_path``; :class:`MotionFormatError` unless that keeps what a file already there means:
    none there, or one describing the same skeleton (the same text once read and written again).
    Other motions may be read with that skeleton (a CMU subject's ``NN.asf`` beside its clips),
    so another one is never replaced."""
    text = format_asf(description)
    if not asf_path.exists():
        return text
    try:
        same = format_asf(read_asf(asf_path).meta["asf"]) == text
    except MotionFormatError:
        same = False
    if not same:
        raise MotionFormatError(asf_path, f"exists and holds another skeleton; writing {amc_path.name} would replace it "
                                          "(remove it, or name the output differently)")
    return text


def check_skeleton_output(path: str | Path, skeleton: Skeleton) -> None:
    """Before any work: raise as :func:`write_amc` would if writing a motion of ``skeleton`` to
    ``path`` replaced the skeleton file of another rig beside it (outputs other than ``.amc``
    write none)."""
    amc_path = Path(path)
    if amc_path.suffix.lower() != ".amc":
        return
    skeleton_file_text(amc_path.with_suffix(".asf"), describe_skeleton(skeleton), amc_path)
