"""Acclaim ASF skeleton files (the CMU motion-capture database's native skeleton format).

Reading builds a :class:`~posefield.skeleton.Skeleton` with one joint per ASF bone, the root
first and parents before children. A joint sits at its bone's *start*: the root's children
start at the root (offset 0) and every other joint's offset is its parent bone's
``direction * length``; a leaf bone's own vector becomes its end site. Lengths become metres
(``raw / units.length * 0.0254``). Directions are normalised (the ASF format defines them as
unit vectors; CMU prints them to six digits, so this moves joints by ~1e-5 raw units).

Rotation conventions: ``axis a b c XYZ`` and ``dof rx ry rz`` both mean fixed-axis rotations
in listed order, R = Rz·Ry·Rx, which is the BVH-style (intrinsic) product of the *reversed*
list. Joint channels are therefore stored reversed (``dof rx ry rz`` ->
``("Zrotation", "Yrotation", "Xrotation")``) and ``axes[j]`` is the bone's axis frame C, so
the canonical local rotation is C · R(dof) · Cᵀ.

Everything needed to write the file back lives in ``skeleton.meta["asf"]`` (a JSON-safe
"description", see :func:`parse_asf`). Skeletons from other formats are given a derived
description by :func:`describe_skeleton`.
"""
from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import numpy as np

from posefield.errors import MotionFormatError
from posefield.rotations.euler import channels_to_rotmat
from posefield.skeleton.skeleton import POSITION_CHANNELS, Skeleton

INCH = 0.0254  # metres
ROOT = "root"
ROOT_ORDER = ("TX", "TY", "TZ", "RX", "RY", "RZ")
DOF_CHANNELS = {"rx": "Xrotation", "ry": "Yrotation", "rz": "Zrotation"}
DEFAULT_UNITS = {"mass": "1.0", "length": "0.45", "angle": "deg"}  # CMU's, for derived files
CMU_BONES = frozenset(
    f"{side}{bone}" for side in "lr" for bone in ("hipjoint", "femur", "tibia", "foot", "toes", "clavicle", "humerus",
                                                  "radius", "wrist", "hand", "fingers", "thumb")
) | {"lowerback", "upperback", "thorax", "lowerneck", "upperneck", "head"}
CMU_RIG, OTHER_RIG = "cmu-asf", "asf"  # rig names: the CMU database's bone set, any other ASF skeleton
_LIMIT = re.compile(r"\(\s*(\S+)\s+(\S+)\s*\)")
_Lines = list[tuple[int, str]]


# ----------------------------------------------------------------------------- text

def read_text(path: str | Path) -> str:
    """Contents of a text file with line ends normalised to ``\\n``.

    Raises :class:`MotionFormatError` for a missing, empty or binary file.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise MotionFormatError(path, f"cannot read file ({err.strerror or err})") from None
    if not data.strip():
        raise MotionFormatError(path, "file is empty")
    try:  # decoded and line ends normalised in one pass (universal newlines)
        text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", newline=None).read()
    except UnicodeDecodeError:
        text = _latin1_comments(data, path).replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in text:
        raise MotionFormatError(path, "not a text file (binary data: NUL bytes)")
    return text


def _latin1_comments(data: bytes, path: Path) -> str:
    """``data`` decoded as Latin-1 when its only non-UTF-8 bytes sit in ``#`` comments (HDM05's
    files name a Windows folder in Latin-1 there); otherwise :class:`MotionFormatError`."""
    for number, line in enumerate(data.split(b"\n"), 1):
        try:
            line.decode("utf-8")
        except UnicodeDecodeError as err:
            if b"#" not in line[: err.start]:
                raise MotionFormatError(path, f"not a UTF-8 text file (byte {err.start + 1} of line {number};"
                                              " binary data?)") from None
    return data.decode("latin-1")


def _content_lines(text: str) -> _Lines:
    """(1-based line number, text without comment and surrounding blanks) of non-empty lines."""
    lines = ((n, line.split("#", 1)[0].strip()) for n, line in enumerate(text.split("\n"), 1))
    return [(n, line) for n, line in lines if line]


def _floats(path: Path, line: int, tokens: list[str], count: int | None = None) -> list[float]:
    """Parse ``tokens`` as finite floats (exactly ``count`` of them when given)."""
    if count is not None and len(tokens) != count:
        raise MotionFormatError(path, f"expected {count} numbers, found {len(tokens)}", line)
    try:
        values = [float(t) for t in tokens]
    except ValueError:
        raise MotionFormatError(path, f"not a number in {' '.join(tokens)!r}", line) from None
    if not np.all(np.isfinite(values)):
        raise MotionFormatError(path, f"non-finite number in {' '.join(tokens)!r}", line)
    return values


# ----------------------------------------------------------------------------- parsing

def _sections(path: Path, lines: _Lines) -> dict[str, tuple[int, str, _Lines]]:
    """Split at ``:keyword`` lines: keyword -> (line, rest of the keyword line, body lines)."""
    sections: dict[str, tuple[int, str, _Lines]] = {}
    body: _Lines = []
    for n, line in lines:
        if line.startswith(":"):
            key, *rest = line[1:].split(None, 1)
            key = key.lower()
            if key in sections:
                raise MotionFormatError(path, f"section :{key} appears twice", n)
            body = []
            sections[key] = (n, rest[0] if rest else "", body)
        elif not sections:
            raise MotionFormatError(path, f"expected a :keyword line, found {line!r}", n)
        else:
            body.append((n, line))
    for key in ("units", "root", "bonedata", "hierarchy"):
        if key not in sections:
            raise MotionFormatError(path, f"missing section :{key}")
    return sections


def _key_values(lines: _Lines) -> dict[str, tuple[int, list[str]]]:
    """``key v1 v2 ...`` lines -> key -> (line, values)."""
    out = {}
    for n, line in lines:
        key, *values = line.split()
        out[key.lower()] = (n, values)
    return out


def _require(path: Path, fields: dict, key: str, where: str, line: int) -> tuple[int, list[str]]:
    if key not in fields:
        raise MotionFormatError(path, f"{where} has no {key!r}", line)
    return fields[key]


def _parse_root(path: Path, line: int, body: _Lines) -> dict[str, Any]:
    fields = _key_values(body)
    n, order = _require(path, fields, "order", ":root", line)
    order = [o.upper() for o in order]
    if sorted(order) != sorted(ROOT_ORDER):
        raise MotionFormatError(path, f"root order must hold {' '.join(ROOT_ORDER)} once each, "
                                      f"got {' '.join(order)}", n)
    n, axis = _require(path, fields, "axis", ":root", line)
    if len(axis) != 1 or sorted(axis[0].upper()) != list("XYZ"):
        raise MotionFormatError(path, f"root axis must be an order such as XYZ, got {' '.join(axis)}", n)
    position = _floats(path, *_require(path, fields, "position", ":root", line), 3)
    orientation = _floats(path, *_require(path, fields, "orientation", ":root", line), 3)
    return {"order": order, "axis": axis[0].upper(), "position": position, "orientation": orientation}


def _bone_blocks(path: Path, line: int, body: _Lines) -> list[tuple[int, _Lines]]:
    """The ``begin ... end`` blocks of :bonedata: (line of ``begin``, lines between)."""
    blocks: list[_Lines] = []
    current: _Lines | None = None
    for n, text in body:
        word = text.lower()
        if word == "begin" and current is None:
            current = [(n, text)]
        elif word == "end" and current is not None:
            blocks.append(current)
            current = None
        elif current is None:
            raise MotionFormatError(path, f"expected 'begin' in :bonedata, found {text!r}", n)
        else:
            current.append((n, text))
    if current is not None:
        raise MotionFormatError(path, "bone block without 'end'", current[0][0])
    if not blocks:
        raise MotionFormatError(path, ":bonedata holds no bones", line)
    return [(block[0][0], block[1:]) for block in blocks]


def _parse_bone(path: Path, start: int, block: _Lines) -> dict[str, Any]:
    """One bone block; ``limits`` may continue over the following ``(lo hi)`` lines."""
    merged: _Lines = []
    for n, text in block:
        if text.startswith("(") and merged:
            merged[-1] = (merged[-1][0], f"{merged[-1][1]} {text}")
        else:
            merged.append((n, text))
    fields = _key_values(merged)
    where = "bone"
    n, name = _require(path, fields, "name", where, start)
    if len(name) != 1:
        raise MotionFormatError(path, f"bone name must be one word, got {' '.join(name)!r}", n)
    where = f"bone {name[0]!r}"
    ident = fields.get("id", (start, ["0"]))[1] or ["0"]
    direction = _floats(path, *_require(path, fields, "direction", where, start), 3)
    (length,) = _floats(path, *_require(path, fields, "length", where, start), 1)
    n, axis = _require(path, fields, "axis", where, start)
    angles = _floats(path, n, axis[:3], 3)
    axis_order = axis[3].upper() if len(axis) == 4 else ""
    if sorted(axis_order) != list("XYZ"):
        raise MotionFormatError(path, f"{where}: axis needs three angles and an order such as XYZ", n)
    n, dof = fields.get("dof", (start, []))
    dof = [d.lower() for d in dof]
    if any(d not in DOF_CHANNELS for d in dof) or len(set(dof)) != len(dof):
        raise MotionFormatError(path, f"{where}: unsupported dof {' '.join(dof)!r} (rx, ry, rz once each)", n)
    n, limit_tokens = fields.get("limits", (start, []))
    limits = [list(pair) for pair in _LIMIT.findall(" ".join(limit_tokens))]
    if limit_tokens and len(limits) != len(dof):
        raise MotionFormatError(path, f"{where}: {len(limits)} limits for {len(dof)} dof", n)
    return {"id": ident[0], "name": name[0], "direction": direction, "length": length,
            "axis": angles, "axis_order": axis_order, "dof": dof, "limits": limits}


def _parse_hierarchy(path: Path, line: int, body: _Lines) -> list[list[str]]:
    rows = [text.split() for _, text in body]
    if not rows or rows[0] != ["begin"] or rows[-1] != ["end"]:
        raise MotionFormatError(path, ":hierarchy must be enclosed in begin ... end", line)
    return rows[1:-1]


def parse_asf(text: str, path: str | Path) -> dict[str, Any]:
    """Parse ASF text into a JSON-safe description.

    Returns:
        ``{"version", "name", "units": {key: str}, "documentation": [str],
        "root": {"order": [str], "axis": str, "position": [3], "orientation": [3]},
        "bones": [{"id", "name", "direction": [3], "length", "axis": [3], "axis_order",
        "dof": [str], "limits": [[lo, hi] as printed]}] in file order,
        "hierarchy": [[parent, child, ...]]}``; lengths and angles in the file's units.
    """
    path = Path(path)
    sections = _sections(path, _content_lines(text))
    units_line, _, units_body = sections["units"]
    units = {key: values[0] for key, (_, values) in _key_values(units_body).items() if values}
    units = {**DEFAULT_UNITS, **units}
    length_unit = _floats(path, units_line, [units["length"]], 1)[0]
    if length_unit <= 0 or units["angle"].lower() not in ("deg", "rad"):
        raise MotionFormatError(path, "units need a positive length and angle deg or rad", units_line)
    bone_line, _, bone_body = sections["bonedata"]
    bones = [_parse_bone(path, start, block) for start, block in _bone_blocks(path, bone_line, bone_body)]
    return {
        "version": sections.get("version", (0, "1.10", []))[1],
        "name": sections.get("name", (0, "VICON", []))[1],
        "units": units,
        "documentation": [t for _, t in sections.get("documentation", (0, "", []))[2]],
        "root": _parse_root(path, sections["root"][0], sections["root"][2]),
        "bones": bones,
        "hierarchy": _parse_hierarchy(path, sections["hierarchy"][0], sections["hierarchy"][2]),
    }


# ----------------------------------------------------------------------------- skeleton

def length_scale(description: dict[str, Any]) -> float:
    """Metres per raw ASF/AMC length unit."""
    return INCH / float(description["units"]["length"])


def angle_scale(unit: str) -> float:
    """Degrees per unit of an ASF ``angle`` unit (``deg`` or ``rad``)."""
    return 1.0 if unit.lower().startswith("deg") else float(np.degrees(1.0))


def euler_rotmats(angles_deg: np.ndarray, orders: list[str]) -> np.ndarray:
    """Rotation matrices of intrinsic Euler angles with a different order per column.

    Args:
        angles_deg: (..., K, 3) angles in degrees, column k in the order of ``orders[k]``.
        orders: K intrinsic orders of three axes, e.g. ``"ZYX"`` (R = Rz·Ry·Rx).
    Returns:
        (..., K, 3, 3) float64 matrices; one batched conversion per distinct order.
    """
    angles = np.asarray(angles_deg, dtype=np.float64)
    out = np.empty(angles.shape + (3,))
    for order in sorted(set(orders)):
        ks = [k for k, o in enumerate(orders) if o == order]
        chosen = angles[..., ks, :]
        out[..., ks, :, :] = channels_to_rotmat(chosen.reshape(-1, 3), order).reshape(chosen.shape + (3,))
    return out


def _parents(path: Path, description: dict[str, Any]) -> dict[str, str]:
    """Bone name -> parent name, checked against the bone list."""
    names = [b["name"] for b in description["bones"]]
    if len(set(names)) != len(names) or ROOT in names:
        raise MotionFormatError(path, "bone names must be unique and differ from 'root'")
    known = {ROOT, *names}
    parents: dict[str, str] = {}
    for parent, *children in description["hierarchy"]:
        for name in (parent, *children):
            if name not in known:
                raise MotionFormatError(path, f":hierarchy names unknown bone {name!r}")
        for child in children:
            if child in parents or child == ROOT:
                raise MotionFormatError(path, f":hierarchy gives bone {child!r} two parents")
            parents[child] = parent
    orphans = [n for n in names if n not in parents]
    if orphans:
        raise MotionFormatError(path, f"bones missing from :hierarchy: {', '.join(orphans)}")
    return parents


def _topological(path: Path, names: list[str], parents: dict[str, str]) -> list[str]:
    """``names`` reordered so that parents come first, otherwise keeping file order."""
    done, order = {ROOT}, []
    pending = list(names)
    while pending:
        waiting = []
        for name in pending:
            if parents[name] in done:
                order.append(name)
                done.add(name)
            else:
                waiting.append(name)
        if len(waiting) == len(pending):
            raise MotionFormatError(path, f":hierarchy has a cycle through {', '.join(pending)}")
        pending = waiting
    return order


def _bone_vector(bone: dict[str, Any]) -> np.ndarray:
    """(3,) normalised direction times length, raw units."""
    direction = np.asarray(bone["direction"], dtype=np.float64)
    norm = np.linalg.norm(direction)
    return direction / norm * bone["length"] if norm > 0 else np.zeros(3)


def skeleton_from_description(description: dict[str, Any], path: str | Path | None = None) -> Skeleton:
    """Build the skeleton of a description from :func:`parse_asf` or :func:`describe_skeleton`."""
    path = Path(path) if path is not None else None
    scale = length_scale(description)
    degrees = angle_scale(description["units"]["angle"])
    parents = _parents(path, description)
    bones = {b["name"]: b for b in description["bones"]}
    order = _topological(path, [b["name"] for b in description["bones"]], parents)
    names = [ROOT, *order]
    index = {n: i for i, n in enumerate(names)}
    vectors = {ROOT: np.zeros(3), **{n: _bone_vector(b) * scale for n, b in bones.items()}}
    root = description["root"]
    offsets = [np.asarray(root["position"], dtype=np.float64) * scale] + [vectors[parents[n]] for n in order]
    root_rotations = [o for o in root["order"] if o.startswith("R")]
    channels = [POSITION_CHANNELS + tuple(DOF_CHANNELS[o.lower()] for o in reversed(root_rotations))]
    channels += [tuple(DOF_CHANNELS[d] for d in reversed(bones[n]["dof"])) for n in order]
    # ``axis a b c XYZ`` is a fixed-axis rotation: R = Rz·Ry·Rx, the intrinsic product reversed.
    axis_angles = np.array([root["orientation"]] + [bones[n]["axis"] for n in order]) * degrees
    axis_orders = [root["axis"]] + [bones[n]["axis_order"] for n in order]
    axes = euler_rotmats(axis_angles[:, ::-1], [o[::-1] for o in axis_orders])
    has_children = set(parents.values())
    end_sites = {index[n]: vectors[n] for n in order if n not in has_children}
    return Skeleton(names=tuple(names), parents=tuple([-1] + [index[parents[n]] for n in order]),
                    offsets=np.stack(offsets), channels=tuple(channels), axes=axes,
                    end_sites=end_sites, rig=CMU_RIG if CMU_BONES <= set(order) else OTHER_RIG,
                    meta={"asf": description})


def read_asf(path: str | Path) -> Skeleton:
    """Read an ASF file into a :class:`Skeleton` (see the module docstring for the mapping).

    Raises :class:`MotionFormatError` (``FILE:LINE: problem``) for malformed files.
    """
    return skeleton_from_description(parse_asf(read_text(path), path), path)


# ----------------------------------------------------------------------------- writing

def _unique(name: str, used: set[str]) -> str:
    while name in used:
        name += "_"
    used.add(name)
    return name


def describe_skeleton(skeleton: Skeleton) -> dict[str, Any]:
    """An ASF description of ``skeleton``.

    A skeleton read from an ASF (whose ``meta["asf"]`` still rebuilds the same joints and
    offsets) keeps its description. Any other skeleton gets one ASF bone per non-root joint,
    named like the joint, whose vector is the offset to the joint's first child (or its end
    site, else zero), with axis 0 0 0 and ``dof rx ry rz`` (none for joints without rotation
    channels). ASF children start at their parent bone's end, so a child whose offset differs
    from that vector (the root's children, a joint's second and later children) hangs from a
    dof-less connector bone ``<child>_offset`` carrying the difference, like CMU's
    ``lhipjoint``. The joint's canonical rotation then equals the bone's AMC rotation. Lengths
    use CMU's units (raw = metres / 0.0254 * 0.45).
    """
    if _matches(skeleton, skeleton.meta.get("asf")):
        return skeleton.meta["asf"]
    scale = INCH / float(DEFAULT_UNITS["length"])
    used = {ROOT, *skeleton.names}
    bones: list[dict[str, Any]] = []
    hierarchy: dict[str, list[str]] = {}

    def add(name: str, parent: str, vector: np.ndarray, dof: list[str]) -> None:
        length = float(np.linalg.norm(vector))
        direction = (vector / length).tolist() if length > 0 else [0.0, 1.0, 0.0]
        bones.append({"id": str(len(bones) + 1), "name": name, "direction": direction, "length": length / scale,
                      "axis": [0.0, 0.0, 0.0], "axis_order": "XYZ", "dof": dof, "limits": []})
        hierarchy.setdefault(parent, []).append(name)

    def vector(j: int) -> np.ndarray:
        kids = skeleton.children(j)
        return skeleton.offsets[kids[0]] if kids else skeleton.end_sites.get(j, np.zeros(3))

    for j in range(1, skeleton.num_joints):
        p = skeleton.parents[j]
        parent = ROOT if p == 0 else skeleton.names[p]
        start = np.zeros(3) if p == 0 else vector(p)
        if not np.allclose(skeleton.offsets[j], start, atol=1e-9):
            connector = _unique(f"{skeleton.names[j]}_offset", used)
            add(connector, parent, skeleton.offsets[j] - start, [])
            parent = connector
        has_rotation = any(c.endswith("rotation") for c in skeleton.channels[j])
        add(skeleton.names[j], parent, vector(j), ["rx", "ry", "rz"] if has_rotation else [])
    return {
        "version": "1.10", "name": "VICON", "units": dict(DEFAULT_UNITS),
        "documentation": [f"Written by posefield from a {skeleton.rig!r} skeleton: one bone per joint,"
                          " connector bones <joint>_offset hold offsets that ASF bones cannot."],
        "root": {"order": list(ROOT_ORDER), "axis": "XYZ", "position": (skeleton.offsets[0] / scale).tolist(),
                 "orientation": [0.0, 0.0, 0.0]},
        "bones": bones,
        "hierarchy": [[parent, *children] for parent, children in hierarchy.items()],
    }


def _matches(skeleton: Skeleton, description: dict[str, Any] | None) -> bool:
    """Whether ``description`` rebuilds ``skeleton``'s joints, offsets and axes."""
    if description is None:
        return False
    try:
        rebuilt = skeleton_from_description(description)
    except (MotionFormatError, KeyError, TypeError, ValueError):
        return False
    return (rebuilt.names == skeleton.names and rebuilt.parents == skeleton.parents
            and np.allclose(rebuilt.offsets, skeleton.offsets, atol=1e-9)
            and np.allclose(rebuilt.axes, skeleton.axes, atol=1e-9))


def _num(value: float) -> str:
    """Shortest text that reads back as exactly ``value``."""
    return repr(float(value))


def format_asf(description: dict[str, Any]) -> str:
    """ASF text of a description (inverse of :func:`parse_asf`)."""
    root = description["root"]
    lines = ["# ASF file written by posefield", f":version {description['version']}",
             f":name {description['name']}", ":units"]
    lines += [f"  {key} {value}" for key, value in description["units"].items()]
    lines += [":documentation", *(f"  {t}" for t in description["documentation"]), ":root",
              f"   order {' '.join(root['order'])}", f"   axis {root['axis']}",
              f"   position {' '.join(map(_num, root['position']))}",
              f"   orientation {' '.join(map(_num, root['orientation']))}", ":bonedata"]
    for bone in description["bones"]:
        lines += ["  begin", f"     id {bone['id']}", f"     name {bone['name']}",
                  f"     direction {' '.join(map(_num, bone['direction']))}", f"     length {_num(bone['length'])}",
                  f"     axis {' '.join(map(_num, bone['axis']))} {bone['axis_order']}"]
        if bone["dof"]:
            lines.append(f"    dof {' '.join(bone['dof'])}")
        limits = [f"({lo} {hi})" for lo, hi in bone["limits"]]
        lines += [f"    limits {limit}" if i == 0 else f"           {limit}" for i, limit in enumerate(limits)]
        lines.append("  end")
    lines += [":hierarchy", "  begin", *(f"    {' '.join(row)}" for row in description["hierarchy"]), "  end"]
    return "\n".join(lines) + "\n"
