"""BVH (Biovision Hierarchy) motions for any skeleton: reader and writer.

Conventions (see :mod:`posefield.skeleton.skeleton`; BVH *is* the canonical convention):

* Rotations: a joint's rotation channels, in listed order, give R = R1 · R2 · R3 (intrinsic),
  which is directly its local rotation L (world-aligned rest frames, axes = identity).
* Positions: a joint's position channels *replace* the matching components of its OFFSET
  (as Blender and most tools read them). For the root they give ``root_translation``. A
  posefield :class:`Skeleton` has fixed bone offsets, so the position channels of a non-root
  joint must be constant over the clip, as they are in files that put 6 channels on every
  joint: within :data:`TRANSLATION_TOLERANCE` metres or :data:`BONE_JITTER` of the bone's
  length, whichever is larger (export rounding and solver jitter); their mean becomes the
  joint's offset, so forward kinematics stays exact and the writer writes it back. Animated
  (stretching) bone translations are refused with a one-line :class:`MotionFormatError`,
  except for the layouts of game rigs whose root's child carries the body's translation (hips
  under ``root``): under a static root (a ground joint whose channels never change, or that has
  none: ``root``, ``Reference``, ``Armature``), or under a root that moves and turns itself
  (root motion: the root follows the body along the ground, the hips keep the rest). There the
  child's translation is moved onto the root, which then moves with the body (a posefield
  motion translates its root only); ``skeleton.meta["static_root"]`` (one pose) or
  ``skeleton.meta["root_motion"]`` (a pose per frame) keeps the root's pose and the child's
  name, and the writer puts the root's pose back and the translation (and any turn of the root
  beyond it) on the child, so the file's channels are reproduced.
* Units: metres = file units × ``length_unit`` (stored as ``skeleton.meta["length_unit"]``).
  Unless given, it is guessed from the rest pose's size in file units, the largest side of
  the bounding box of the rest joints and end sites (:func:`detect_length_unit`):
  below 5 → metres, below 500 → centimetres, else millimetres. Inches (or any other
  unit) must be passed explicitly.
* Frame rate: 1 / ``Frame Time``; printed frame times are rounded, so a time within 0.01 % of
  a whole rate's, and equal to it to its printed digits (±1 in the last), gives that rate
  (0.00833333 s → 120 fps).
  ``fps=`` overrides the header (the CMU salsa clips say 120 fps but were recorded at 60).
* Text: UTF-8 (a byte order mark dropped) or, failing that, Latin-1 (written back in it);
  keywords in any case (``End site``), a value glued to ``Frames:`` or ``Time:`` (``Frames:120``).
* ``drop_frames=N`` drops the first N frames (the CMU-DAZ clips start with a T-pose frame
  and a three-frame ramp into the motion: use 4).

The writer keeps a joint's own channel list when the motion fits it (fewer than three
rotation channels, none at all, a root without position channels: as read from such a
file, :func:`fits_channels`); otherwise it gives the joint three rotation channels (its
own order when it has all three, otherwise its listed axes completed with the missing ones
in Z, Y, X order) and the root its position channels too. ``Frame Time`` is written as it
was read while the motion keeps that rate (``skeleton.meta["frame_time"]``). Joints come out
depth first (children in index order), which is the reader's order, so skeletons read from
BVH keep their joint indices.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import torch

from posefield.errors import MotionFormatError
from posefield.io.atomic import atomic_open
from posefield.io.fixed_point import fixed_point_text
from posefield.io.outputs import files_of, refuse_inputs
from posefield.motion import Motion
from posefield.rotations import canonical_hemisphere, quaternion_to_rotmat, rotmat_to_quaternion
from posefield.rotations.euler import (CHUNK_FRAMES, ROTATION_CHANNELS, ChannelCurves, channels_to_quaternion,
                                      joint_channels, rotation_order)
from posefield.skeleton import POSITION_CHANNELS, Skeleton

KNOWN_CHANNELS = POSITION_CHANNELS + tuple(ROTATION_CHANNELS)
METRES, CENTIMETRES, MILLIMETRES = 1.0, 0.01, 0.001
TRANSLATION_TOLERANCE = 1e-5  # metres a non-root joint's position channels may vary by ...
BONE_JITTER = 1e-3  # ... or this share of the bone's length, whichever is larger
STATIC_TURN = 1e-3  # degrees a static root's rotation channels may vary by
NUMBER_FORMAT = "%.10g"  # offsets of the hierarchy: well under 1e-6 m
MOTION_DECIMALS = 8  # motion channels: 1e-8° for angles, 1e-8 of the length unit
FRAME_BLOCK = 8192  # frame lines converted together when reading: bounds the text reader's temporaries


@dataclasses.dataclass
class _Header:
    """The HIERARCHY and MOTION header of a BVH file (lengths in file units)."""

    names: list[str] = dataclasses.field(default_factory=list)
    parents: list[int] = dataclasses.field(default_factory=list)
    offsets: list[np.ndarray | None] = dataclasses.field(default_factory=list)
    channels: list[tuple[str, ...]] = dataclasses.field(default_factory=list)
    end_sites: dict[int, np.ndarray] = dataclasses.field(default_factory=dict)
    frames: int = 0
    frame_time: float = 0.0
    frame_time_text: str = ""  # the Frame Time as printed, written back while the rate is unchanged
    data_start: int = 0  # 0-based index of the first line after the header


class _Tokens:
    """Whitespace-separated tokens of the header, read on demand, with their line numbers."""

    def __init__(self, path: Path, lines: list[str]):
        self.path = path
        self.lines = lines
        self.line = 0  # 1-based line of the last token returned
        self._pending: list[str] = []
        self.last = ""  # the last token returned

    def error(self, problem: str) -> MotionFormatError:
        return MotionFormatError(self.path, problem, line=max(self.line, 1))

    def next(self, what: str) -> str:
        """The next token; ``what`` names what was expected, for the error at end of file."""
        while not self._pending:
            if self.line >= len(self.lines):
                self.line = max((i + 1 for i, line in enumerate(self.lines) if line.strip()), default=1)
                raise self.error(f"unexpected end of file, expected {what}")
            self._pending = self.lines[self.line].split()[::-1]
            self.line += 1
        self.last = self._pending.pop()
        return self.last

    def expect(self, word: str) -> None:
        """The next token is the keyword ``word``, in any case (``End site``, ``HIERARCHY``); a
        keyword ending in a colon may have its value glued on (``Frames:120``)."""
        token = self.next(repr(word))
        glued = word.endswith(":") and len(token) > len(word) and _keyword(token[:len(word)]) == _keyword(word)
        if glued:
            self._pending.append(token[len(word):])
        elif _keyword(token) != _keyword(word):
            raise self.error(f"expected {word!r}, found {_quote(token)}")

    def number(self, what: str) -> float:
        token = self.next(what)
        try:
            value = float(token)
        except ValueError:
            raise self.error(f"expected {what}, found {_quote(token)}") from None
        if not np.isfinite(value):
            raise self.error(f"{what} is {token}")
        return value

    def integer(self, what: str) -> int:
        token = self.next(what)
        if not token.isdigit():
            raise self.error(f"expected {what} (a whole number), found {_quote(token)}")
        return int(token)

    def vector(self) -> np.ndarray:
        return np.array([self.number("an OFFSET coordinate") for _ in range(3)])

    def line_is_done(self) -> bool:
        return not self._pending

    def name(self, what: str) -> str:
        """The rest of the current line as one name, words joined by one space (3ds Max and
        other exporters write ``JOINT Bip01 L Thigh``); a ``{`` ending the line is left to read."""
        if not self._pending:
            return self.next(what)
        words, self._pending = self._pending[::-1], []
        if words[-1] == "{":
            words, self._pending = words[:-1], ["{"]
        if not words:
            raise self.error(f"expected {what}, found '{{'")
        return " ".join(words)


def _keyword(token: str) -> str:
    """A header keyword as compared: exporters differ in its case (``End site``, ``Offset``)."""
    return token.upper()


def _quote(token: str, limit: int = 40) -> str:
    """``repr`` of a token for an error message, shortened to ``limit`` characters."""
    return repr(token if len(token) <= limit else token[:limit] + "...")


# --- reading ---------------------------------------------------------------------------------


def _text_lines(text: str) -> list[str]:
    """The lines of ``text`` split at LF, CRLF and lone CR line ends (each one break), by plain
    string splits: a regular expression took 34 ms against 4 ms on a 3.6 MB clip with LF ends."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.split("\n")


def read_bvh(path: str | Path, length_unit: float | None = None, fps: float | None = None,
             drop_frames: int = 0) -> Motion:
    """Read a BVH file.

    Args:
        path: the ``.bvh`` file (LF, CRLF or mixed line ends; tabs or spaces; one frame per line).
        length_unit: metres per file unit; ``None`` guesses it (see the module docstring).
        fps: frame rate overriding the header's ``Frame Time``.
        drop_frames: number of leading frames to drop.
    Returns:
        A :class:`Motion` with T = Frames - ``drop_frames`` frames; its skeleton holds the
        file's joints in file order, their channel lists verbatim, offsets and end sites in
        metres, ``rig="bvh"`` and ``meta["length_unit"]``.
    Raises:
        MotionFormatError: one line, ``FILE:LINE: problem``, for any malformed content.
    """
    path = Path(path)
    header, values, encoding = _read_file(path)
    if not 0 <= drop_frames <= header.frames:
        raise MotionFormatError(path, f"cannot drop {drop_frames} frames of a clip of {header.frames}")
    values = values[drop_frames:]
    offsets = np.array(header.offsets).reshape(-1, 3)
    unit = detect_length_unit(rest_extent(offsets, header.parents, header.end_sites)) if length_unit is None \
        else float(length_unit)
    rotations = _rotations(header.channels, values)
    root_translation = _joint_translation(header.channels, values, 0, offsets[0])
    meta: dict = {"length_unit": unit, "frame_time": header.frame_time_text}
    if encoding != "utf-8":
        meta["encoding"] = encoding
    carrier, static = _root_carrier(header, values, offsets, unit)
    if carrier is not None:
        rest, moved = offsets[carrier].copy(), _joint_translation(header.channels, values, carrier, offsets[carrier])
        if static:
            turn = quaternion_to_rotmat(torch.as_tensor(rotations[0, 0])).numpy()
            meta["static_root"] = {"joint": header.names[carrier], "position": root_translation[0] * unit,
                                   "rotation": rotations[0, 0].copy()}
            root_translation = root_translation[:1] + (moved - rest) @ turn.T
        else:  # root motion: the root's own pose, frame by frame
            turns = quaternion_to_rotmat(torch.as_tensor(rotations[:, 0])).numpy()
            meta["root_motion"] = {"joint": header.names[carrier], "position": root_translation * unit,
                                   "rotation": rotations[:, 0].copy()}
            root_translation = root_translation + np.einsum("tij,tj->ti", turns, moved - rest)
        values = values.copy()  # the carrier's channels now hold its rest offset, as the skeleton does
        start = _channel_starts(header.channels)[carrier]
        for k, channel in enumerate(header.channels[carrier]):
            if channel in POSITION_CHANNELS:
                values[:, start + k] = rest[POSITION_CHANNELS.index(channel)]
    offsets = _fold_bone_translations(path, header, values, offsets, unit)
    skeleton = Skeleton(names=tuple(header.names), parents=tuple(header.parents), offsets=offsets * unit,
                        channels=tuple(header.channels), rig="bvh", meta=meta,
                        end_sites={j: site * unit for j, site in header.end_sites.items()})
    return Motion(skeleton=skeleton, rotations=rotations, root_translation=root_translation * unit,
                  fps=_frame_rate(header.frame_time) if fps is None else float(fps),
                  source={"path": str(path), "format": "bvh", "subject": path.stem})


def _read_file(path: Path) -> tuple[_Header, np.ndarray, str]:
    """The header, (Frames, C) channel values and text encoding of the BVH ``path``. The file's
    bytes, its text and its lines are each dropped once the next is made, so that reading holds
    one copy of the text at a time besides the values."""
    text, encoding = _decode(path, path.read_bytes())
    lines = _text_lines(text)
    del text
    header = _parse_header(path, lines)
    return header, _parse_frames(path, lines, header), encoding


def _decode(path: Path, data: bytes) -> tuple[str, str]:
    """The file's text and its encoding: UTF-8 (a byte order mark, as Windows exporters write,
    dropped), else Latin-1 (joint names such as ``Épaule`` from older Windows exporters; the file
    is written back in it). Bytes that are neither (NUL bytes) are refused."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        if b"\0" in data:
            raise MotionFormatError(path, f"not a text file (byte {exc.start} is not UTF-8)") from None
        return data.decode("latin-1"), "latin-1"


def _parse_header(path: Path, lines: list[str]) -> _Header:
    """Parse HIERARCHY ... MOTION / Frames / Frame Time."""
    tokens = _Tokens(path, lines)
    header = _Header()
    tokens.expect("HIERARCHY")
    tokens.expect("ROOT")
    _parse_joint(tokens, header, parent=-1)
    word = _keyword(tokens.next("'MOTION'"))
    if word == "ROOT":
        raise tokens.error("files with several ROOT hierarchies are not supported")
    if word != "MOTION":
        raise tokens.error(f"expected 'MOTION', found {_quote(tokens.last)}")
    tokens.expect("Frames:")
    header.frames = tokens.integer("the number of frames")
    tokens.expect("Frame")
    tokens.expect("Time:")
    header.frame_time = tokens.number("the frame time")
    header.frame_time_text = tokens.last
    if header.frame_time <= 0:
        raise tokens.error(f"frame time must be positive, got {header.frame_time}")
    if not tokens.line_is_done():
        raise tokens.error("unexpected text after the frame time")
    header.data_start = tokens.line
    return header


def _parse_joint(tokens: _Tokens, header: _Header, parent: int) -> None:
    """Parse ``NAME { OFFSET ... CHANNELS ... (JOINT ... | End Site ...)* }`` after ROOT/JOINT."""
    name = tokens.name("a joint name")
    if name in header.names:
        raise tokens.error(f"joint name {name!r} is used twice")
    j = len(header.names)
    header.names.append(name)
    header.parents.append(parent)
    header.offsets.append(None)
    header.channels.append(())
    tokens.expect("{")
    while (word := _keyword(tokens.next(f"'}}' closing joint {name!r}"))) != "}":
        if word == "OFFSET":
            header.offsets[j] = tokens.vector()
        elif word == "CHANNELS":
            header.channels[j] = _parse_channels(tokens)
        elif word == "JOINT":
            _parse_joint(tokens, header, parent=j)
        elif word == "END":
            tokens.expect("Site")
            if j in header.end_sites:
                raise tokens.error(f"joint {name!r} has more than one End Site")
            header.end_sites[j] = _parse_end_site(tokens)
        else:
            raise tokens.error(f"unexpected {_quote(tokens.last)} in joint {name!r}")
    if header.offsets[j] is None:
        raise tokens.error(f"joint {name!r} has no OFFSET")


def _parse_end_site(tokens: _Tokens) -> np.ndarray:
    """(3,) offset of ``End Site { OFFSET x y z }`` after ``End Site``; some exporters write the
    block without an OFFSET (``End Site { }``), read as 0 0 0."""
    tokens.expect("{")
    word = _keyword(tokens.next("'OFFSET' or '}' of the End Site"))
    if word == "}":
        return np.zeros(3)
    if word != "OFFSET":
        raise tokens.error(f"expected 'OFFSET' or '}}' in End Site, found {_quote(tokens.last)}")
    site = tokens.vector()
    tokens.expect("}")
    return site


def _parse_channels(tokens: _Tokens) -> tuple[str, ...]:
    count = tokens.integer("the number of channels")
    channels = tuple(tokens.next("a channel name") for _ in range(count))
    for channel in channels:
        if channel not in KNOWN_CHANNELS:
            raise tokens.error(f"unknown channel {_quote(channel)} (expected {', '.join(KNOWN_CHANNELS)})")
    if len(set(channels)) != count:
        raise tokens.error(f"repeated channel in {' '.join(channels)}")
    return channels


def _parse_frames(path: Path, lines: list[str], header: _Header) -> np.ndarray:
    """(Frames, C) channel values, one frame per line (blank lines are skipped)."""
    width = sum(len(c) for c in header.channels)
    regular = _regular_frames(lines[header.data_start:], header.frames, width)
    if regular is not None:
        return regular
    rows = [line.split() for line in lines[header.data_start:]]
    filled = [i for i, row in enumerate(rows) if row]

    def line_of(frame: int) -> int:
        return header.data_start + filled[frame] + 1

    if len(filled) < header.frames:
        raise MotionFormatError(path, f"truncated: 'Frames: {header.frames}' but {len(filled)} frame lines",
                                line=line_of(len(filled) - 1) if filled else header.data_start)
    if len(filled) > header.frames:
        raise MotionFormatError(path, f"more frame lines than 'Frames: {header.frames}'",
                                line=line_of(header.frames))
    counts = np.fromiter((len(rows[i]) for i in filled), dtype=np.int64, count=len(filled))
    if (counts != width).any():
        frame = int(np.argmax(counts != width))
        raise MotionFormatError(path, f"frame {frame} has {counts[frame]} values, expected {width}",
                                line=line_of(frame))
    try:
        values = np.array([rows[i] for i in filled], dtype=np.float64).reshape(header.frames, width)
    except ValueError:
        frame = next(f for f, i in enumerate(filled) if not _all_numbers(rows[i]))
        raise MotionFormatError(path, f"frame {frame} holds a value that is not a number", line=line_of(frame)) from None
    finite = np.isfinite(values).all(axis=1)
    if not finite.all():
        frame = int(np.argmin(finite))
        raise MotionFormatError(path, f"frame {frame} holds NaN or inf", line=line_of(frame))
    return values


def _regular_frames(lines: list[str], frames: int, width: int) -> np.ndarray | None:
    """(frames, width) values of frame lines of ``width`` finite numbers each (blank lines
    skipped), converted by numpy's C text reader :data:`FRAME_BLOCK` lines at a time into one
    array; ``None`` for anything else (then :func:`_parse_frames` names the problem)."""
    if not frames:
        return None
    values = np.empty((frames, width))
    row = 0
    for start in range(0, len(lines), FRAME_BLOCK):
        chunk = lines[start:start + FRAME_BLOCK]
        if not any(map(str.strip, chunk)):  # blank lines only (the file's end)
            continue
        try:
            block = np.loadtxt(chunk, comments=None, ndmin=2)
        except ValueError:
            return None
        if block.shape[1] != width or row + len(block) > frames or not np.isfinite(block).all():
            return None
        values[row:row + len(block)] = block
        row += len(block)
    return values if row == frames else None


def _all_numbers(tokens: list[str]) -> bool:
    try:
        for token in tokens:
            float(token)
    except ValueError:
        return False
    return True


def _frame_rate(frame_time: float) -> float:
    """1 / ``frame_time``, snapped to a whole rate within 0.01 % whose frame time it is to the
    digits it was printed with, give or take one in the last (0.008333 → 120 fps, 0.016666 →
    60 fps); a time printed with more digits keeps its rate (0.002083376737 → 479.99 fps)."""
    fps, whole = 1.0 / frame_time, round(1.0 / frame_time)
    digits = len(repr(frame_time).split("e")[0].replace("-", "").replace(".", "").lstrip("0"))
    last_digit = 10.0 ** (math.floor(math.log10(frame_time)) - digits + 1)
    near = abs(fps - whole) < 1e-4 * fps and abs(frame_time - 1.0 / max(whole, 1)) <= last_digit
    return float(whole) if near else fps


def _channel_starts(channels: list[tuple[str, ...]]) -> list[int]:
    """Per joint, the frame column of its first channel."""
    return np.cumsum([0] + [len(c) for c in channels])[:-1].tolist()


def _joint_translation(channels: list[tuple[str, ...]], values: np.ndarray, j: int,
                       offset: np.ndarray) -> np.ndarray:
    """(T, 3) translation of joint ``j`` in file units: its position channels, else its offset."""
    translation = np.tile(offset, (values.shape[0], 1))
    start = _channel_starts(channels)[j]
    for k, channel in enumerate(channels[j]):
        if channel in POSITION_CHANNELS:
            translation[:, POSITION_CHANNELS.index(channel)] = values[:, start + k]
    return translation


def _root_carrier(header: _Header, values: np.ndarray, offsets: np.ndarray, unit: float) -> tuple[int | None, bool]:
    """The child of the root that carries the body's translation (see the module docstring) and
    whether the root is static; ``(None, True)`` when the file does not have this layout."""
    if len(values) < 2:
        return None, True
    root = header.channels[0]
    turns = [k for k, c in enumerate(root) if c in ROTATION_CHANNELS]
    static = not (float(np.ptp(_joint_translation(header.channels, values, 0, offsets[0]), axis=0).max()) * unit
                  > TRANSLATION_TOLERANCE or (turns and float(np.ptp(values[:, turns], axis=0).max()) > STATIC_TURN))
    moving = [j for j in range(1, len(header.names)) if any(c in POSITION_CHANNELS for c in header.channels[j])
              and _bone_moves(_joint_translation(header.channels, values, j, offsets[j]), unit)]
    carriers = [j for j in moving if header.parents[j] == 0]
    return (carriers[0] if len(carriers) == 1 else None), static


def _bone_moves(translation: np.ndarray, unit: float) -> bool:
    """Whether (T, 3) position-channel offsets of a joint (file units) vary by more than
    :data:`TRANSLATION_TOLERANCE` metres and :data:`BONE_JITTER` of their length."""
    spread = float(np.ptp(translation, axis=0).max()) if len(translation) else 0.0
    length = float(np.linalg.norm(translation, axis=-1).max()) if len(translation) else 0.0
    return spread > max(TRANSLATION_TOLERANCE / unit, BONE_JITTER * length)


def _fold_bone_translations(path: Path, header: _Header, values: np.ndarray, offsets: np.ndarray,
                            unit: float) -> np.ndarray:
    """(J, 3) offsets in file units, with each non-root joint's (constant) position channels folded in."""
    offsets = offsets.copy()
    for j in range(1, len(header.names)):
        if not len(values) or not any(c in POSITION_CHANNELS for c in header.channels[j]):
            continue
        translation = _joint_translation(header.channels, values, j, offsets[j])
        if _bone_moves(translation, unit):
            spread = float(np.ptp(translation, axis=0).max())
            raise MotionFormatError(path, f"joint {header.names[j]!r} has position channels that move by "
                                          f"{spread:.6g} file units; animated bone lengths are not supported")
        offsets[j] = translation.mean(axis=0)
    return offsets


def _rotations(channels: list[tuple[str, ...]], values: np.ndarray) -> np.ndarray:
    """(T, J, 4) local unit quaternions (xyzw, w >= 0) from the rotation channels, all joints
    in one batched conversion per :data:`CHUNK_FRAMES` frames (bounded temporaries)."""
    starts = _channel_starts(channels)
    orders, columns = [], []
    for j, chs in enumerate(channels):
        order = rotation_order(chs)
        # Missing axes go in front with angle 0, which leaves the product unchanged.
        orders.append("".join(a for a in "ZYX" if a not in order) + order)
        columns.append([starts[j] + k for k, c in enumerate(chs) if c in ROTATION_CHANNELS])
    quats = np.empty((values.shape[0], len(channels), 4))
    for start in range(0, len(values), CHUNK_FRAMES):
        part = values[start:start + CHUNK_FRAMES]
        angles = np.zeros((len(part), len(channels), 3))
        for j, cols in enumerate(columns):
            angles[:, j, 3 - len(cols):] = part[:, cols]
        local = channels_to_quaternion(angles, orders)
        quats[start:start + len(part)] = canonical_hemisphere(torch.as_tensor(local)).numpy()
    return quats


# --- units -----------------------------------------------------------------------------------


def rest_extent(offsets: np.ndarray, parents: tuple[int, ...] | list[int], end_sites: dict[int, np.ndarray]) -> float:
    """Largest side of the bounding box of the rest pose (joints and end sites), in offset units.

    Args:
        offsets: (J, 3) rest offsets (the root's is its rest position).
        parents: (J,) parent indices, parents first.
        end_sites: joint index -> (3,) end-site offset.
    """
    positions = np.zeros((len(parents), 3))
    for j, p in enumerate(parents):
        positions[j] = offsets[j] + (positions[p] if p >= 0 else 0.0)
    sites = [positions[j] + np.asarray(site) for j, site in end_sites.items()]
    points = np.concatenate([positions, np.reshape(sites, (-1, 3))])
    return float(np.ptp(points, axis=0).max())


def detect_length_unit(extent: float) -> float:
    """Metres per file unit guessed from a human rest pose's size ``extent`` in file units.

    Below 5 → metres (1), below 500 → centimetres (0.01), else millimetres (0.001).
    """
    if extent < 5:
        return METRES
    return CENTIMETRES if extent < 500 else MILLIMETRES


def written_length_unit(skeleton: Skeleton) -> float:
    """Metres per unit :func:`write_bvh` uses for ``skeleton``.

    ``skeleton.meta["length_unit"]`` (default centimetres) if :func:`detect_length_unit` would
    guess it back from the written file, else the first of centimetres, metres, millimetres
    that it would guess back (so a file always reads back at the right scale).
    """
    extent = rest_extent(skeleton.offsets, skeleton.parents, skeleton.end_sites)
    preferred = float(skeleton.meta.get("length_unit", CENTIMETRES))
    candidates = ((preferred,) if preferred > 0 else ()) + (CENTIMETRES, METRES, MILLIMETRES)
    return next(unit for unit in candidates if detect_length_unit(extent / unit) == unit)


# --- writing ---------------------------------------------------------------------------------


def write_bvh(motion: Motion, path: str | Path) -> list[Path]:
    """Write ``motion`` as a BVH file, atomically.

    Every joint keeps its own channels where the motion fits them (:func:`fits_channels`),
    else gets three rotation channels, the root also three position channels (see the
    module docstring); leaf joints without an end site get ``End Site`` at 0 0 0.
    Lengths are written in :func:`written_length_unit`, angles with the Euler branch and
    360° wrap closest to the previous frame. ``read_bvh`` of the result gives the same joint
    positions and rotations (to print precision: offsets ``%.10g``, channels
    :data:`MOTION_DECIMALS` decimals, formatted by :func:`posefield.io.fixed_point.fixed_point_text`).

    Args:
        motion: any motion (e.g. read from BVH, ASF/AMC or AMASS).
        path: the ``.bvh`` file to write; it must not be ``motion.source["path"]``.
    Returns:
        ``[path]``.
    Raises:
        MotionFormatError: ``path`` is the motion's source, or a joint name cannot be read back
            (empty, braces, line breaks, or spaces other than single ones between words).
    """
    path = Path(path)
    refuse_inputs([path], files_of(motion))
    skeleton = motion.skeleton
    for name in skeleton.names:
        words = name.split()
        if not words or " ".join(words) != name or "{" in words or "}" in words:
            raise MotionFormatError(path, f"joint name {name!r} cannot be written to BVH (words must be "
                                          "separated by single spaces, without braces)")
    unit = written_length_unit(skeleton)
    order = _depth_first(skeleton.parents)
    blocks = [slice(start, start + CHUNK_FRAMES) for start in range(0, motion.num_frames, CHUNK_FRAMES)] or [slice(0, 0)]
    fits = [True] * skeleton.num_joints  # a joint keeps its channels where every block fits them
    for part in blocks:
        quats, translations = _joint_motion(motion, part)
        fits = [fit and fits_channels(skeleton, j, quats[:, j], translations[j]) for j, fit in enumerate(fits)]
    channels = [skeleton.channels[j] if fits[j] else written_channels(skeleton.channels[j], root=j == 0)
                for j in range(skeleton.num_joints)]
    curves = ChannelCurves([rotation_order(c) for c in channels])
    columns = sum(len(channels[j]) for j in order)
    with atomic_open(path, encoding=written_encoding(skeleton)) as handle:
        handle.write("HIERARCHY\n")
        handle.writelines(_hierarchy_lines(skeleton, channels, unit, 0, 0))
        handle.write(f"MOTION\nFrames: {motion.num_frames}\nFrame Time: {written_frame_time(motion)}\n")
        for part in blocks:  # a block of frames at a time: the text of a long clip is never held whole
            quats, translations = _joint_motion(motion, part)
            angles = curves(quats)
            values = np.concatenate([_channel_values(angles[j], translations[j], channels[j], unit) for j in order], axis=1)
            handle.write(fixed_point_text(values, [MOTION_DECIMALS] * columns, [""] + [" "] * (columns - 1) + ["\n"]))
    return [path]


def written_encoding(skeleton: Skeleton) -> str:
    """The text encoding :func:`write_bvh` uses: the one the file was read in
    (``skeleton.meta["encoding"]``, Latin-1) while it can spell every joint name, else UTF-8."""
    encoding = skeleton.meta.get("encoding", "utf-8")
    try:
        "".join(skeleton.names).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "utf-8"
    return encoding


def written_frame_time(motion: Motion) -> str:
    """The ``Frame Time`` :func:`write_bvh` prints: the text it was read with
    (``skeleton.meta["frame_time"]``, e.g. ``0.0333333``) while that still gives the motion's
    frame rate, else 1 / fps in full (``0.03333333333333333``)."""
    text = motion.skeleton.meta.get("frame_time")
    try:
        value = float(text) if isinstance(text, str) else math.nan
    except ValueError:
        value = math.nan
    if math.isfinite(value) and value > 0 and _frame_rate(value) == motion.fps:
        return text
    return np.format_float_positional(1.0 / motion.fps, trim="-")


CHANNEL_FIT = 1e-10  # quaternion distance (about half the angle, rad) and metres fits_channels allows


def fits_channels(skeleton: Skeleton, j: int, quats: np.ndarray, translation: np.ndarray) -> bool:
    """Whether joint ``j``'s own channel list holds its motion, so that :func:`write_bvh` can
    keep it: (T, 4) local rotations the joint's rotation channels reach (in world-aligned
    axes, as BVH has them) and, for the root, a (T, 3) translation (metres) that stays at its
    OFFSET along the axes it has no position channel for; both within :data:`CHANNEL_FIT`.
    Other joints' translations are their offsets, which the OFFSET line holds."""
    own = skeleton.channels[j]
    if own == written_channels(own, root=j == 0):
        return True
    if not np.allclose(skeleton.axes[j], np.eye(3), rtol=0.0, atol=1e-12):
        return False
    if j == 0:
        fixed = [k for k, c in enumerate(POSITION_CHANNELS) if c not in own]
        if np.abs(translation[:, fixed] - skeleton.offsets[0, fixed]).max(initial=0.0) > CHANNEL_FIT:
            return False
    order = rotation_order(own)
    if len(order) == 3 or not len(quats):
        return True
    angles = joint_channels(quats[:, None], [order])[0]
    reached = channels_to_quaternion(np.pad(angles, ((0, 0), (3 - len(order), 0)))[:, None],
                                     ["".join(a for a in "ZYX" if a not in order) + order])[:, 0]
    q = np.asarray(quats, dtype=np.float64)
    distance = np.minimum(np.linalg.norm(reached - q, axis=-1), np.linalg.norm(reached + q, axis=-1))
    return float(distance.max()) <= CHANNEL_FIT


def written_channels(channels: tuple[str, ...], root: bool) -> tuple[str, ...]:
    """The channels :func:`write_bvh` gives a joint that has ``channels`` in its skeleton.

    Three rotation channels (the joint's order when complete, else its axes followed by the
    missing ones in Z, Y, X order); position channels as listed, all three for the root.
    A list that already has this form is kept verbatim.
    """
    rotations = [c for c in channels if c in ROTATION_CHANNELS]
    rotations += [f"{axis}rotation" for axis in "ZYX" if f"{axis}rotation" not in rotations]
    positions = [c for c in channels if c in POSITION_CHANNELS]
    if root:
        positions += [c for c in POSITION_CHANNELS if c not in positions]
    if sorted(channels) == sorted(positions + rotations):
        return tuple(channels)
    return tuple(positions + rotations)


def _depth_first(parents: tuple[int, ...]) -> list[int]:
    """Joint indices in depth-first order from the root, children in index order."""
    order: list[int] = []
    stack = [0]
    while stack:
        j = stack.pop()
        order.append(j)
        stack.extend(reversed([i for i, p in enumerate(parents) if p == j]))
    return order


def _joint_motion(motion: Motion, frames: slice) -> tuple[np.ndarray, list[np.ndarray]]:
    """(n, J, 4) local rotations (unit quaternions) and per joint (n, 3) translations (metres) to
    write, of the ``frames`` of ``motion``.

    Translations are the root's position and the other joints' offsets, except on a rig read
    with its body's translation on the root's child (:func:`root_pose`): the root gets its stored
    pose back and its child the body's translation and any turn of the root beyond the stored one.
    """
    skeleton = motion.skeleton
    rotations, root = motion.rotations[frames], motion.root_translation[frames]
    translations = [root] + [np.broadcast_to(skeleton.offsets[j], root.shape) for j in range(1, skeleton.num_joints)]
    stored = root_pose(skeleton, motion.num_frames)
    if stored is None:
        return rotations, translations
    child, position, rotation = stored
    position, rotation = position[frames], rotation[frames]
    turn = quaternion_to_rotmat(torch.as_tensor(rotation)).numpy()
    body, own = quaternion_to_rotmat(torch.as_tensor(rotations[:, [0, child]])).numpy().swapaxes(0, 1)
    world = root + body @ skeleton.offsets[child] - position
    translations[child] = np.einsum("tji,tj->ti", turn, world)
    translations[0] = position
    quats = rotations.copy()
    quats[:, child] = rotmat_to_quaternion(torch.as_tensor(turn.swapaxes(-1, -2) @ body @ own)).numpy()
    quats[:, 0] = rotation
    return quats, translations


def root_pose(skeleton: Skeleton, frames: int) -> tuple[int, np.ndarray, np.ndarray] | None:
    """(child, (T, 3) position in metres, (T, 4) rotation) of the root of a rig read with the body's
    translation on the root's child: a static root (``meta["static_root"]``, one pose) or root
    motion (``meta["root_motion"]``, a pose per frame; a motion of another length, resampled or
    cut, keeps the first frame's root pose, its world motion unchanged). ``None`` otherwise."""
    stored = skeleton.meta.get("static_root") or skeleton.meta.get("root_motion")
    if stored is None or stored["joint"] not in skeleton.names:
        return None
    child = skeleton.names.index(stored["joint"])
    if skeleton.parents[child] != 0:
        return None
    position = np.asarray(stored["position"], dtype=np.float64).reshape(-1, 3)
    rotation = np.asarray(stored["rotation"], dtype=np.float64).reshape(-1, 4)
    if len(position) != frames:
        position, rotation = position[:1], rotation[:1]
    return child, np.repeat(position, frames // len(position), axis=0), np.repeat(rotation, frames // len(rotation), axis=0)


def _channel_values(angles: np.ndarray, translation: np.ndarray, channels: tuple[str, ...],
                    unit: float) -> np.ndarray:
    """(T, len(channels)) values of a joint with (T, k) angles of its rotation channels (degrees,
    in their order) and (T, 3) translation (m): angles as given, positions in file units."""
    translation = translation / unit
    rotation_columns = [c for c in channels if c in ROTATION_CHANNELS]
    columns = [translation[:, POSITION_CHANNELS.index(c)] if c in POSITION_CHANNELS
               else angles[:, rotation_columns.index(c)] for c in channels]
    return np.stack(columns, axis=1) if columns else np.zeros((len(translation), 0))


def _hierarchy_lines(skeleton: Skeleton, channels: list[tuple[str, ...]], unit: float, j: int,
                     depth: int) -> list[str]:
    """Lines of the ROOT/JOINT block of joint ``j`` and everything below it."""
    pad = "  " * depth
    children = skeleton.children(j)
    lines = [f"{pad}{'ROOT' if j == 0 else 'JOINT'} {skeleton.names[j]}\n", f"{pad}{{\n",
             f"{pad}  OFFSET {_vector(skeleton.offsets[j] / unit)}\n",
             f"{pad}  CHANNELS {len(channels[j])} {' '.join(channels[j])}\n"]
    for child in children:
        lines += _hierarchy_lines(skeleton, channels, unit, child, depth + 1)
    if j in skeleton.end_sites or not children:
        site = np.asarray(skeleton.end_sites.get(j, np.zeros(3))) / unit
        lines += [f"{pad}  End Site\n", f"{pad}  {{\n", f"{pad}    OFFSET {_vector(site)}\n", f"{pad}  }}\n"]
    return lines + [f"{pad}}}\n"]


def _vector(values: np.ndarray) -> str:
    return " ".join(NUMBER_FORMAT % v for v in values)
