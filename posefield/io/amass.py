"""Motions in ``.npz`` files: AMASS-style SMPL motions and posefield's own format.

**AMASS** keys: ``poses`` (T, 3K), K >= 22, axis-angle per joint in radians, the first 66
values being the pelvis (root orient) and the 21 SMPL body joints (hand, jaw and eye joints
after them are ignored); ``trans`` (T, 3) metres; ``mocap_framerate`` (or
``mocap_frame_rate``); optional ``betas`` and ``gender`` (kept in ``skeleton.meta``).

SMPL rotations are already in posefield's canonical convention. SMPL poses its rest body,
in which every joint frame is aligned with the model axes, by G_k = G_parent(k) ·
[exp(θ_k) | J_k − J_parent(k)] with G_0 = [exp(θ_0) | J_0]: a joint's world rotation is its
parent's times its own rotation exp(θ_k), and its position is its parent's plus the parent's
world rotation applied to the rest offset J_k − J_parent(k). That is W_j = W_parent · L_j
and p_j = p_parent + W_parent · offset_j with world-aligned rest frames, L_j = exp(θ_j) and
offset_j = J_j − J_parent(j). ``trans`` moves the whole posed body, so the pelvis is at
J_0 + trans: ``root_translation = trans + offsets[0]``. AMASS's world is Z-up (the root
orient stands the Y-up body up); posefield keeps that world as it is.

Offsets: SMPL's rest joints J come from the licence-gated body model, so posefield ships
none. Without ``skeleton=`` the motion gets zero offsets and ``meta["offsets_known"] =
False`` (rotations are right, forward kinematics is not). Pass a skeleton from
:func:`template_skeleton` (a small file of offsets) or :func:`skeleton_from_body_model`
(the body model and betas, via the optional ``smplx`` package).

**posefield** keys: ``rotations`` (T, J, 4) local unit quaternions (xyzw), ``trans`` (T, 3)
root translation in metres, ``fps`` and ``skeleton`` (JSON of
:func:`posefield.skeleton.serialize.skeleton_to_dict`). :func:`write_amass` uses it for
every non-SMPL skeleton; it round-trips any motion exactly. SMPL-body motions are written
as AMASS with an extra ``skeleton`` key, so template offsets survive (AMASS tools ignore
unknown keys); they round-trip to rounding error (axis-angle ↔ quaternion).
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import zipfile
import zlib
from pathlib import Path
from typing import Iterator

import numpy as np
import roma
import torch

from posefield.errors import MotionFormatError, PosefieldError, SkeletonMismatchError
from posefield.io.atomic import atomic_open
from posefield.io.outputs import files_of, refuse_inputs
from posefield.motion import Motion
from posefield.rotations import canonical_hemisphere
from posefield.skeleton import Skeleton
from posefield.skeleton.serialize import skeleton_from_dict, skeleton_to_dict
from posefield.skeleton.smpl import SMPL_BODY_PARENTS, SMPL_NUM_BODY_JOINTS, is_smpl_body, smpl_skeleton

AMASS_RATE_KEYS = ("mocap_framerate", "mocap_frame_rate")
POSEFIELD_KEYS = ("rotations", "trans", "fps", "skeleton")
UNIT_TOLERANCE = 1e-6  # allowed |norm - 1| of stored quaternions
_READ_ERRORS = (ValueError, EOFError, OSError, zipfile.BadZipFile, zlib.error)


def read_amass(path: str | Path, skeleton: Skeleton | None = None) -> Motion:
    """Read an AMASS-style or posefield ``.npz`` motion (chosen by its keys).

    Args:
        path: the ``.npz`` file.
        skeleton: for AMASS files, an SMPL-body skeleton whose offsets to use (default: the
            one stored by :func:`write_amass`, else zero offsets); for posefield files, a
            skeleton of the same rig replacing the stored one (other proportions).
    Returns:
        The motion; ``source["format"]`` is ``"amass"`` (subject: the file's folder, as in
        AMASS's DATASET/SUBJECT/clip.npz layout) or ``"posefield-npz"`` (subject: file stem).
    Raises:
        MotionFormatError: one line naming the file, for unreadable archives, missing keys,
            wrong shapes or dtypes, NaN/inf, a non-positive frame rate.
        SkeletonMismatchError: ``skeleton`` does not fit the file.
    """
    path = Path(path)
    with _open_npz(path) as data:
        if "rotations" in data.files:
            return _read_posefield(path, data, skeleton)
        if "poses" in data.files:
            return _read_smpl(path, data, skeleton)
        raise MotionFormatError(path, f"neither an AMASS motion (poses, trans, mocap_framerate) nor a posefield "
                                      f"motion ({', '.join(POSEFIELD_KEYS)}); keys: {', '.join(data.files) or 'none'}")


def write_amass(motion: Motion, path: str | Path) -> list[Path]:
    """Write ``motion`` atomically as AMASS (SMPL body) or posefield ``.npz`` (any other skeleton).

    Args:
        motion: the motion.
        path: the file to write; it must not be ``motion.source["path"]``.
    Returns:
        ``[path]``.
    """
    path = Path(path)
    refuse_inputs([path], files_of(motion))
    arrays = _amass_arrays(motion) if is_smpl_body(motion.skeleton) else _posefield_arrays(motion)
    with atomic_open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return [path]


def template_skeleton(path: str | Path) -> Skeleton:
    """The SMPL body skeleton with rest offsets from a template file.

    Args:
        path: ``.json`` (an object with ``"offsets"``) or ``.npz`` (key ``offsets``) holding
            (22, 3) offsets in metres: each joint minus its parent in the rest body, the
            pelvis's being its rest position.
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        try:
            offsets = np.asarray(json.loads(path.read_text(encoding="utf-8"))["offsets"])
        except (ValueError, KeyError, TypeError) as exc:
            raise MotionFormatError(path, f"not a template with 'offsets' ({exc!r})") from None
    else:
        with _open_npz(path) as data:
            offsets = _array(path, data, "offsets")
    return smpl_skeleton(_numeric(path, "offsets", offsets, (SMPL_NUM_BODY_JOINTS, 3)))


def skeleton_from_body_model(model_path: str | Path, betas: np.ndarray | list[float] | None = None,
                             model_type: str = "smplh", gender: str = "neutral") -> Skeleton:
    """The SMPL body skeleton of body shape ``betas``, from a body model via ``smplx``.

    Args:
        model_path: the body model file or folder, as ``smplx.create`` takes it.
        betas: (B,) shape coefficients (e.g. ``motion.skeleton.meta["betas"]``); ``None``: mean shape.
        model_type: ``"smpl"``, ``"smplh"`` (AMASS's) or ``"smplx"``.
        gender: ``"neutral"``, ``"male"`` or ``"female"``.
    Raises:
        ModuleNotFoundError: ``smplx`` is not installed.
    """
    try:
        import smplx
    except ImportError:
        raise ModuleNotFoundError("skeleton_from_body_model needs the optional package 'smplx' "
                                  "(pip install smplx) and an SMPL body model file") from None
    shape = torch.zeros(1, 10) if betas is None else torch.as_tensor(np.asarray(betas, dtype=np.float32)).reshape(1, -1)
    model = smplx.create(str(model_path), model_type=model_type, gender=gender, num_betas=shape.shape[1])
    with torch.no_grad():
        joints = model(betas=shape).joints[0, :SMPL_NUM_BODY_JOINTS].double().numpy()  # rest joints J
    offsets = joints.copy()
    offsets[1:] -= joints[list(SMPL_BODY_PARENTS[1:])]
    return smpl_skeleton(offsets, meta={"betas": shape[0].tolist(), "gender": gender})


# --- reading helpers -------------------------------------------------------------------------


@contextlib.contextmanager
def _open_npz(path: Path) -> Iterator[np.lib.npyio.NpzFile]:
    """Open ``path`` as an ``.npz`` archive (no pickles); a missing file raises FileNotFoundError."""
    with open(path, "rb") as handle:
        try:
            data = np.load(handle, allow_pickle=False)
        except _READ_ERRORS as exc:
            raise MotionFormatError(path, f"not an .npz archive ({exc})") from None
        if not isinstance(data, np.lib.npyio.NpzFile):
            raise MotionFormatError(path, "holds a single array, not an .npz archive")
        with data:
            yield data


def _array(path: Path, data: np.lib.npyio.NpzFile, key: str) -> np.ndarray:
    if key not in data.files:
        raise MotionFormatError(path, f"missing key {key!r} (keys: {', '.join(data.files)})")
    try:
        return data[key]
    except _READ_ERRORS as exc:
        raise MotionFormatError(path, f"cannot read {key!r} ({exc})") from None


def _numeric(path: Path, key: str, array: np.ndarray, shape: tuple[int | None, ...]) -> np.ndarray:
    """``array`` as float64, after checking it holds finite numbers of ``shape`` (None: any size)."""
    array = np.asarray(array)
    if array.dtype.kind not in "biuf" or array.ndim != len(shape) or \
            any(want is not None and want != have for want, have in zip(shape, array.shape)):
        expected = "(" + ", ".join("N" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"
        raise MotionFormatError(path, f"{key!r} holds {array.dtype} of shape {array.shape}, expected numbers of shape {expected}")
    values = array.astype(np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        raise MotionFormatError(path, f"{key!r} holds NaN or inf (first at index {tuple(np.argwhere(bad)[0].tolist())})")
    return values


def _positive(path: Path, key: str, array: np.ndarray) -> float:
    """A positive scalar stored as a 0-d or one-element array."""
    value = float(_numeric(path, key, np.reshape(array, -1) if np.size(array) == 1 else array, (1,))[0])
    if value <= 0:
        raise MotionFormatError(path, f"{key!r} must be positive, got {value}")
    return value


def _text(path: Path, key: str, array: np.ndarray) -> str:
    value = array.item() if array.size == 1 else None
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    if not isinstance(value, str):
        raise MotionFormatError(path, f"{key!r} must be a string, got {array.dtype} of shape {array.shape}")
    return value


def _stored_skeleton(path: Path, data: np.lib.npyio.NpzFile) -> Skeleton:
    text = _text(path, "skeleton", _array(path, data, "skeleton"))
    try:
        return skeleton_from_dict(json.loads(text))
    except (ValueError, KeyError, TypeError, PosefieldError) as exc:
        raise MotionFormatError(path, f"'skeleton' is not a valid skeleton ({exc!r})") from None


def _read_posefield(path: Path, data: np.lib.npyio.NpzFile, skeleton: Skeleton | None) -> Motion:
    stored = _stored_skeleton(path, data)
    if skeleton is not None and skeleton.signature() != stored.signature():
        raise SkeletonMismatchError(f"{path}: the given skeleton's joints differ from the file's")
    rotations = _numeric(path, "rotations", _array(path, data, "rotations"), (None, stored.num_joints, 4))
    with np.errstate(over="ignore"):  # huge finite values: an infinite norm, refused below
        norm_error = np.abs(np.linalg.norm(rotations, axis=-1) - 1.0)
    if norm_error.size and norm_error.max() > UNIT_TOLERANCE:
        raise MotionFormatError(path, f"'rotations' are not unit quaternions (max |norm - 1| = {norm_error.max():.3g})")
    trans = _numeric(path, "trans", _array(path, data, "trans"), (rotations.shape[0], 3))
    return Motion(skeleton=skeleton or stored, rotations=rotations, root_translation=trans,
                  fps=_positive(path, "fps", _array(path, data, "fps")),
                  source={"path": str(path), "format": "posefield-npz", "subject": path.stem})


def _read_smpl(path: Path, data: np.lib.npyio.NpzFile, skeleton: Skeleton | None) -> Motion:
    poses = _numeric(path, "poses", _array(path, data, "poses"), (None, None))
    frames, width = poses.shape
    if width < 3 * SMPL_NUM_BODY_JOINTS or width % 3:
        raise MotionFormatError(path, f"'poses' has {width} values per frame, expected 3 per joint and at least "
                                      f"{3 * SMPL_NUM_BODY_JOINTS}")
    trans = _numeric(path, "trans", _array(path, data, "trans"), (frames, 3))
    rate_key = next((k for k in AMASS_RATE_KEYS if k in data.files), AMASS_RATE_KEYS[0])
    fps = _positive(path, rate_key, _array(path, data, rate_key))
    meta: dict = {}
    if "betas" in data.files:
        meta["betas"] = _numeric(path, "betas", np.reshape(_array(path, data, "betas"), -1), (None,)).tolist()
    if "gender" in data.files:
        meta["gender"] = _text(path, "gender", _array(path, data, "gender"))
    skeleton = _smpl_target(path, data, skeleton, meta)
    rotvecs = torch.as_tensor(poses[:, :3 * SMPL_NUM_BODY_JOINTS].reshape(frames, SMPL_NUM_BODY_JOINTS, 3))
    rotations = canonical_hemisphere(roma.rotvec_to_unitquat(rotvecs)).numpy()
    subject = path.resolve().parent.name or path.stem
    return Motion(skeleton=skeleton, rotations=rotations, root_translation=trans + skeleton.offsets[0], fps=fps,
                  source={"path": str(path), "format": "amass", "subject": subject})


def _smpl_target(path: Path, data: np.lib.npyio.NpzFile, skeleton: Skeleton | None, meta: dict) -> Skeleton:
    """The SMPL skeleton of an AMASS file: ``skeleton``, else the stored one, else zero offsets."""
    if skeleton is None and "skeleton" not in data.files:
        return smpl_skeleton(meta=meta)
    skeleton = skeleton or _stored_skeleton(path, data)
    if not is_smpl_body(skeleton):
        raise SkeletonMismatchError(f"{path}: AMASS motions need the SMPL 22-joint body skeleton, got joints "
                                    f"{', '.join(skeleton.names[:4])}, ...")
    return dataclasses.replace(skeleton, meta={**skeleton.meta, **meta})


# --- writing helpers -------------------------------------------------------------------------


def _skeleton_json(skeleton: Skeleton) -> np.ndarray:
    return np.array(json.dumps(skeleton_to_dict(skeleton)))


def _posefield_arrays(motion: Motion) -> dict[str, np.ndarray]:
    return {"rotations": motion.rotations, "trans": motion.root_translation, "fps": np.float64(motion.fps),
            "skeleton": _skeleton_json(motion.skeleton)}


def _amass_arrays(motion: Motion) -> dict[str, np.ndarray]:
    skeleton = motion.skeleton
    rotvecs = roma.unitquat_to_rotvec(torch.as_tensor(motion.rotations)).numpy()
    arrays = {"poses": rotvecs.reshape(motion.num_frames, 3 * SMPL_NUM_BODY_JOINTS),
              "trans": motion.root_translation - skeleton.offsets[0], "mocap_framerate": np.float64(motion.fps),
              "skeleton": _skeleton_json(skeleton)}
    if "betas" in skeleton.meta:
        arrays["betas"] = np.asarray(skeleton.meta["betas"], dtype=np.float64)
    if "gender" in skeleton.meta:
        arrays["gender"] = np.array(str(skeleton.meta["gender"]))
    return arrays
