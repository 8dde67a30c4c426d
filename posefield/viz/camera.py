"""Cameras for pictures: orthographic views about the body's up axis, and a pinhole for photos.

A camera maps (..., 3) points in metres to (..., 2) screen coordinates and a depth (larger is
nearer the viewer), and gives the unit direction from a point towards the viewer (for shading).
"""
from __future__ import annotations

import dataclasses
import math
from typing import Protocol

import numpy as np
import roma
import torch

from posefield.motion import Motion

VIEW_AZIMUTHS = {"front": 0.0, "left": 90.0, "side": 90.0, "back": 180.0, "right": 270.0}
"""Named views: degrees the camera is turned about the up axis from the front (the front camera
looks at the body face-on at the first frame; ``left`` and ``side`` see its left side)."""


class Camera(Protocol):
    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(..., 3) points -> (..., 2) screen coordinates and (...) depth (larger = nearer)."""

    def to_viewer(self, points: np.ndarray) -> np.ndarray:
        """(..., 3) unit vectors from the points towards the viewer."""


@dataclasses.dataclass(frozen=True)
class Orthographic:
    """Parallel projection onto (right, up); ``toward`` points from the scene to the viewer."""

    right: np.ndarray
    up: np.ndarray
    toward: np.ndarray

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.stack([points @ self.right, points @ self.up], axis=-1), points @ self.toward

    def to_viewer(self, points: np.ndarray) -> np.ndarray:
        return np.broadcast_to(self.toward, points.shape)


@dataclasses.dataclass(frozen=True)
class Pinhole:
    """Pinhole camera at the origin looking along +z (OpenCV axes); screen = pixels (x right, y down)."""

    intrinsics: np.ndarray  # (3, 3)

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        z = np.maximum(points[..., 2:], 1e-3)
        uvw = points @ self.intrinsics.T
        return uvw[..., :2] / z, -points[..., 2]

    def to_viewer(self, points: np.ndarray) -> np.ndarray:
        return -points / np.maximum(np.linalg.norm(points, axis=-1, keepdims=True), 1e-9)


def body_axes(motion: Motion) -> tuple[np.ndarray, np.ndarray]:
    """(up, front): (3,) unit vectors, the world up axis and the way the body faces at frame 0.

    In the rest pose, up is the axis along which the joints' mean offset from the root is
    largest, signed by it (left and right cancel out, front and back are shallow, while spine,
    arms and head above the root outweigh the legs below); the rest front is the next axis
    (+Z when Y is up, the BVH and ASF convention). The root's rotation carries both into the
    world: up is averaged over the frames and snapped to the nearest signed world axis (Y for
    CMU and BVH files, −Y for fits in camera coordinates, Z for AMASS), front is taken at
    frame 0 and made horizontal.
    """
    from posefield.skeleton import rest_points

    rest = rest_points(motion.skeleton)
    mean = (rest - rest[0]).mean(axis=0)
    axis = int(np.argmax(np.abs(mean)))
    up_rest, front_rest = np.zeros(3), np.zeros(3)
    up_rest[axis] = 1.0 if mean[axis] >= 0 else -1.0
    front_rest[(axis + 1) % 3] = up_rest[axis]
    root = roma.unitquat_to_rotmat(torch.as_tensor(motion.rotations[:, 0])).numpy()  # (T, 3, 3)
    mean_up = (root @ up_rest).mean(axis=0)
    k = int(np.argmax(np.abs(mean_up)))
    up = np.zeros(3)
    up[k] = np.sign(mean_up[k]) or 1.0
    front = root[0] @ front_rest
    front -= (front @ up) * up
    if np.linalg.norm(front) < 1e-6:  # lying face up or down: any horizontal direction
        front = np.roll(up, 1)
    return up, front / np.linalg.norm(front)


def view_azimuth(view: str) -> float:
    """Degrees of a named view (:data:`VIEW_AZIMUTHS`) or of a finite angle in degrees; raises
    ``ValueError`` (one line) for anything else."""
    try:
        azimuth = VIEW_AZIMUTHS[view] if view in VIEW_AZIMUTHS else float(view)
    except ValueError:
        azimuth = math.nan
    if not math.isfinite(azimuth):
        raise ValueError(f"unknown view {view!r} (expected {', '.join(VIEW_AZIMUTHS)} or an angle in degrees)")
    return azimuth


def view_camera(view: str, up: np.ndarray, front: np.ndarray) -> Orthographic:
    """The orthographic camera of a named view (:data:`VIEW_AZIMUTHS`) or an azimuth in degrees,
    turned about ``up`` from the ``front`` camera, which looks at the body face-on."""
    a = np.radians(view_azimuth(view))
    toward = np.cos(a) * front + np.sin(a) * np.cross(up, front)
    return Orthographic(np.cross(up, toward), up.astype(np.float64), toward)
