"""2D keypoint files for ``posefield fit2d``.

File format
-----------
A NumPy ``.npz`` archive with

``keypoints``
    (T, J, 3) float: pixel x, pixel y and a confidence in [0, 1] for J keypoints in T
    frames; confidence 0 means not visible (its x, y are ignored but must be finite).
``joint_names``
    (J,) str, unique: the skeleton point each keypoint column is.

    * ASF skeletons: a bone name means the END of that bone (``lfemur`` is the left knee,
      ``ltibia`` the left ankle, ``lhumerus`` the left elbow, ``head`` the top of the head);
      ``root`` is the root (pelvis) position.
    * BVH skeletons: a joint name means that joint's origin, i.e. the start of its bone
      (``lShin`` is the left knee, ``lFoot`` the left ankle, ``hip`` the root).
``K``
    (3, 3) float pinhole intrinsics ``[[fx, 0, cx], [0, fy, cy], [0, 0, 1]]`` in pixels,
    OpenCV convention: camera at the origin looking along +z, x to the right, y down.
``fps`` (optional)
    scalar frame rate of the keypoint frames (default 30).

Any other key is ignored. Every problem (missing key, wrong shape, unknown joint name, NaN,
confidences outside [0, 1] or all zero, bad intrinsics) raises one
:class:`~posefield.errors.MotionFormatError` naming the file.
"""
from __future__ import annotations

import dataclasses
import zipfile
from pathlib import Path

import numpy as np
import torch

from posefield.errors import MotionFormatError
from posefield.io.atomic import atomic_path
from posefield.motion import Motion
from posefield.skeleton import Skeleton, forward_kinematics

KEYPOINT_FPS = 30.0


@dataclasses.dataclass(eq=False)
class Keypoints:
    """2D detections of T frames.

    Attributes:
        pixels: (T, J, 2) float64 image coordinates, pixels.
        confidence: (T, J) float64 in [0, 1], 0 = not visible.
        joint_names: (J,) skeleton point names (see the module docstring).
        intrinsics: (3, 3) float64 pinhole matrix K.
        fps: frame rate.
    """

    pixels: np.ndarray
    confidence: np.ndarray
    joint_names: list[str]
    intrinsics: np.ndarray
    fps: float = KEYPOINT_FPS

    @property
    def num_frames(self) -> int:
        return self.pixels.shape[0]


def point_index(skeleton: Skeleton) -> dict[str, int]:
    """Name -> index into ``forward_kinematics(..., with_end_sites=True)`` of the point the name
    denotes in keypoint files: bone ends for ASF skeletons, joint origins otherwise."""
    if "asf" not in skeleton.meta:
        return {name: j for j, name in enumerate(skeleton.names)}
    sites = sorted(skeleton.end_sites)
    out = {skeleton.names[0]: 0}
    for j in range(1, skeleton.num_joints):
        children = skeleton.children(j)
        if children:
            out[skeleton.names[j]] = children[0]
        elif j in sites:
            out[skeleton.names[j]] = skeleton.num_joints + sites.index(j)
    return out


def keypoint_points(skeleton: Skeleton, joint_names: list[str], path: str | Path | None = None) -> np.ndarray:
    """(J,) indices into ``forward_kinematics(..., with_end_sites=True)`` of each named point;
    raises :class:`MotionFormatError` naming ``path`` and the unknown names."""
    index = point_index(skeleton)
    unknown = [n for n in joint_names if n not in index]
    if unknown:
        raise MotionFormatError(path, f"unknown joint name(s) {', '.join(map(repr, unknown))} for this "
                                      f"{skeleton.rig} skeleton (it has {', '.join(index)})")
    return np.array([index[n] for n in joint_names], dtype=np.int64)


def is_keypoint_file(path: str | Path) -> bool:
    """Whether ``path`` is an ``.npz`` holding the keys of a keypoint file (not checked further)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return {"keypoints", "joint_names", "K"} <= set(data.files)
    except Exception:  # not an archive, unreadable
        return False


def describe_keypoints(keypoints: Keypoints) -> list[str]:
    """Lines describing a keypoint file: frames, rate, points, how much is visible, camera."""
    visible = keypoints.confidence > 0
    seen = keypoints.pixels[visible]
    k = keypoints.intrinsics
    return [
        f"keypoints: {keypoints.num_frames} frames of {len(keypoints.joint_names)} points at {keypoints.fps:g} fps "
        f"({keypoints.num_frames / keypoints.fps:.2f} s)",
        f"visible:   {100 * visible.mean():.1f} % of the points (confidence > 0), mean confidence of those "
        f"{keypoints.confidence[visible].mean():.2f}",
        f"pixels:    x {seen[:, 0].min():.0f} .. {seen[:, 0].max():.0f}, y {seen[:, 1].min():.0f} .. "
        f"{seen[:, 1].max():.0f} (visible points)",
        f"camera:    fx {k[0, 0]:g}, fy {k[1, 1]:g} px, principal point ({k[0, 2]:g}, {k[1, 2]:g})",
        "points:    " + ", ".join(keypoints.joint_names),
    ]


def load_keypoints(path: str | Path) -> Keypoints:
    """Read and validate a keypoint file (format in the module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise MotionFormatError(path, "no such file")
    if not zipfile.is_zipfile(path):
        raise MotionFormatError(path, "not a keypoint file (an .npz archive of keypoints, joint_names and K)")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except Exception as exc:  # zip / format errors of a corrupt file
        raise MotionFormatError(path, f"not a keypoint .npz archive ({type(exc).__name__}: {exc})") from None
    missing = [k for k in ("keypoints", "joint_names", "K") if k not in arrays]
    if missing:
        raise MotionFormatError(path, f"missing key(s) {', '.join(missing)} (a keypoint file holds keypoints, "
                                      f"joint_names, K and optionally fps)")
    kp, names, k = arrays["keypoints"], arrays["joint_names"], arrays["K"]
    if kp.ndim != 3 or kp.shape[2] != 3 or kp.shape[0] == 0 or kp.shape[1] == 0:
        raise MotionFormatError(path, f"keypoints have shape {kp.shape}, expected (T, J, 3) with T, J >= 1")
    if names.shape != (kp.shape[1],) or names.dtype.kind not in "US":
        raise MotionFormatError(path, f"joint_names must be {kp.shape[1]} strings (one per keypoint column), "
                                      f"got shape {names.shape} of {names.dtype}")
    names = [str(n) for n in names]
    if len(set(names)) != len(names):
        raise MotionFormatError(path, f"joint_names repeat {sorted({n for n in names if names.count(n) > 1})}")
    if not np.issubdtype(kp.dtype, np.number) or not np.isfinite(kp).all():
        raise MotionFormatError(path, "keypoints contain NaN, inf or non-numbers")
    conf = kp[..., 2].astype(np.float64)
    if (conf < 0).any() or (conf > 1).any():
        raise MotionFormatError(path, f"confidences must lie in [0, 1], found {conf.min():g} .. {conf.max():g}")
    if not (conf > 0).any():
        raise MotionFormatError(path, "every confidence is 0: no keypoint is visible")
    if k.shape != (3, 3) or not np.issubdtype(k.dtype, np.number) or not np.isfinite(k).all():
        raise MotionFormatError(path, f"K must be a finite (3, 3) matrix, got shape {k.shape}")
    if not (k[0, 0] > 0 and k[1, 1] > 0 and np.allclose(k[2], [0, 0, 1])):
        raise MotionFormatError(path, "K must be [[fx, s, cx], [0, fy, cy], [0, 0, 1]] with fx, fy > 0")
    try:
        fps = float(np.asarray(arrays.get("fps", KEYPOINT_FPS), dtype=np.float64).item())
    except (TypeError, ValueError):
        raise MotionFormatError(path, "fps must be one number (frames per second)") from None
    if not (np.isfinite(fps) and fps > 0):
        raise MotionFormatError(path, f"fps must be positive, got {fps}")
    return Keypoints(kp[..., :2].astype(np.float64), conf, names, k.astype(np.float64), fps)


def save_keypoints(keypoints: Keypoints, path: str | Path) -> None:
    """Write ``keypoints`` atomically in the file format above."""
    with atomic_path(path) as tmp:
        np.savez(tmp, keypoints=np.concatenate([keypoints.pixels, keypoints.confidence[..., None]], axis=-1),
                 joint_names=np.asarray(keypoints.joint_names, dtype=str), K=keypoints.intrinsics,
                 fps=np.float64(keypoints.fps))


NEAR_PLANE = 1e-3
"""Metres in front of a camera from which a point counts as seen; nearer depths are clamped to it."""


def project_points(points: torch.Tensor, intrinsics: torch.Tensor, min_depth: float = NEAR_PLANE) -> torch.Tensor:
    """Pinhole projection of (..., 3) camera-frame points (metres) to (..., 2) pixels, with one
    (3, 3) ``intrinsics`` or one per batch entry ((B, 3, 3) for (B, P, 3) points); depths are
    clamped to ``min_depth`` so points behind the camera stay finite."""
    z = points[..., 2:].clamp(min=min_depth)
    uvw = points @ intrinsics.transpose(-1, -2).to(points.dtype)
    return uvw[..., :2] / z


@dataclasses.dataclass(frozen=True)
class ViewSettings:
    """How :func:`view_keypoints` films a motion: a camera ``depth`` metres in front of its mean
    position, turned ``yaw_deg`` about the vertical, with focal length ``focal`` pixels on a
    ``width`` × ``height`` image, and N(0, ``pixel_noise``²) pixels of noise drawn with ``seed``."""

    depth: float = 4.0
    yaw_deg: float = 30.0
    focal: float = 1000.0
    width: int = 1280
    height: int = 720
    pixel_noise: float = 0.0
    seed: int = 0

    def intrinsics(self) -> np.ndarray:
        """(3, 3) pinhole matrix, principal point at the image centre."""
        return np.array([[self.focal, 0.0, self.width / 2], [0.0, self.focal, self.height / 2], [0.0, 0.0, 1.0]])


CAMERA = ViewSettings().intrinsics()
"""Intrinsics of a 1280 × 720 image with a focal length of 1000 pixels (about 65° across)."""


def camera_view(motion: Motion, depth: float = ViewSettings.depth, yaw_deg: float = ViewSettings.yaw_deg) -> Motion:
    """The motion seen by a camera ``depth`` metres in front of its mean position, turned by
    ``yaw_deg`` about the vertical, in camera coordinates (y down, z forward); ``motion`` has Y
    up (ASF/AMC and BVH)."""
    import roma  # imports torch._dynamo (seconds): only where needed

    turn = roma.rotvec_to_unitquat(torch.tensor([0.0, np.radians(yaw_deg), 0.0], dtype=torch.float64))
    to_camera = roma.quat_product(torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64), turn)
    rotations = motion.rotations.copy()
    rotations[:, 0] = roma.quat_product(to_camera.expand(motion.num_frames, 4), torch.as_tensor(rotations[:, 0])).numpy()
    centred = torch.as_tensor(motion.root_translation - motion.root_translation.mean(axis=0))
    translation = roma.quat_action(to_camera.expand(motion.num_frames, 4), centred).numpy() + [0.0, 0.0, depth]
    return dataclasses.replace(motion, rotations=rotations, root_translation=translation)


def view_keypoints(motion: Motion, joint_names: list[str] | None = None,
                   view: ViewSettings = ViewSettings()) -> Keypoints:
    """The keypoints of a (Y-up) motion filmed as ``view`` says: the named points (default:
    every point of the rig, :func:`point_index`), visible (confidence 1) where they fall inside
    the image in front of the camera, hidden (0) elsewhere. Raises :class:`MotionFormatError`
    when no point is in the picture."""
    names = list(point_index(motion.skeleton)) if joint_names is None else list(joint_names)
    seen = camera_view(motion, view.depth, view.yaw_deg)
    keypoints = camera_keypoints(seen, names, view.intrinsics())
    rng = np.random.default_rng(view.seed)
    pixels = keypoints.pixels + rng.normal(0.0, view.pixel_noise, keypoints.pixels.shape) if view.pixel_noise else \
        keypoints.pixels
    depth = forward_kinematics(seen.skeleton, torch.as_tensor(seen.rotations), torch.as_tensor(seen.root_translation),
                               with_end_sites=True)[:, keypoint_points(seen.skeleton, names), 2].numpy()
    inside = (depth > 0) & (pixels >= 0).all(-1) & (pixels[..., 0] <= view.width) & (pixels[..., 1] <= view.height)
    if not inside.any():
        raise MotionFormatError(motion.source.get("path"), f"no point is in the picture of a camera {view.depth:g} m away "
                                                           f"({view.width} x {view.height} px, focal {view.focal:g} px)")
    return dataclasses.replace(keypoints, pixels=pixels, confidence=inside.astype(np.float64))


def camera_keypoints(motion: Motion, joint_names: list[str], intrinsics: np.ndarray) -> Keypoints:
    """Perfect keypoints of a motion given in camera coordinates (y down, z forward), all visible."""
    points = keypoint_points(motion.skeleton, joint_names)
    pos = forward_kinematics(motion.skeleton, torch.as_tensor(motion.rotations),
                             torch.as_tensor(motion.root_translation), with_end_sites=True)
    pixels = project_points(pos[:, points], torch.as_tensor(intrinsics)).numpy()
    return Keypoints(pixels, np.ones(pixels.shape[:2]), list(joint_names), np.asarray(intrinsics, np.float64),
                     motion.fps)
