"""Keypoints in crop units, and the weak-perspective camera that maps a body into them.

Pixels are first turned into normalised camera coordinates n = ((u − cx) / fx, (v − cy) / fy)
(the camera at the origin looks along +z, OpenCV axes, so n = (X / Z, Y / Z)). The *crop*
of a sample is the box around its visible keypoints: centre c (2,) and scale σ (half the
longer side), both in normalised coordinates; crop units are (n − c) / σ, so a body spans
about [−1, 1] whatever its distance, image size or focal length.

The regressor predicts the camera as (log s, tx, ty) in crop units: a root-relative point r
(metres) appears near t + s · (rx, ry). For a root at (X, Y, Z) this is exact at the root
with s = 1 / (Z σ), t = ((X, Y) / Z − c) / σ, which gives back the root translation
Z = 1 / (s σ), (X, Y) = (σ t + c) · Z. Projections for the losses stay fully perspective.
"""
from __future__ import annotations

import dataclasses

import torch

MIN_DEPTH = 0.05  # metres; projected points are clamped to at least this depth
MIN_SCALE = 1e-3  # normalised units; crops of one point or none get this half-size


@dataclasses.dataclass
class Crop:
    """Crops of B samples: ``centre`` (B, 2) and ``scale`` (B,), normalised camera units."""

    centre: torch.Tensor
    scale: torch.Tensor


def normalise_pixels(pixels: torch.Tensor, intrinsics: torch.Tensor) -> torch.Tensor:
    """(B, P, 2) pixels -> (B, P, 2) normalised camera coordinates, given (B, 3, 3) K."""
    k_inv = torch.linalg.inv(intrinsics)
    homogeneous = torch.cat([pixels, torch.ones_like(pixels[..., :1])], dim=-1)
    rays = homogeneous @ k_inv.transpose(1, 2)
    return rays[..., :2] / rays[..., 2:]


def crop_of(points: torch.Tensor, visible: torch.Tensor) -> Crop:
    """The box around the visible points.

    Args:
        points: (B, P, 2) normalised coordinates.
        visible: (B, P) bool.
    Returns:
        Its centre and half its longer side (at least :data:`MIN_SCALE`); a sample without
        visible points gets centre 0.
    """
    big = torch.finfo(points.dtype).max
    lo = torch.where(visible[..., None], points, big).amin(dim=1)
    hi = torch.where(visible[..., None], points, -big).amax(dim=1)
    any_visible = visible.any(dim=1, keepdim=True)
    centre = torch.where(any_visible, (lo + hi) / 2, torch.zeros_like(lo))
    half = torch.where(any_visible, (hi - lo) / 2, torch.zeros_like(lo)).amax(dim=1)
    return Crop(centre, half.clamp(min=MIN_SCALE))


def to_crop(points: torch.Tensor, crop: Crop) -> torch.Tensor:
    """(B, P, 2) normalised coordinates -> crop units."""
    return (points - crop.centre[:, None]) / crop.scale[:, None, None]


def camera_to_translation(camera: torch.Tensor, crop: Crop) -> torch.Tensor:
    """(B, 3) root translation (metres, camera frame) of a (B, 3) weak-perspective camera."""
    depth = 1.0 / (camera[:, 0].exp() * crop.scale)
    xy = (crop.scale[:, None] * camera[:, 1:] + crop.centre) * depth[:, None]
    return torch.cat([xy, depth[:, None]], dim=1)


def translation_to_camera(translation: torch.Tensor, crop: Crop) -> torch.Tensor:
    """(B, 3) weak-perspective camera of a (B, 3) root translation (inverse of the above)."""
    depth = translation[:, 2]
    log_s = -torch.log(depth * crop.scale)
    t = (translation[:, :2] / depth[:, None] - crop.centre) / crop.scale[:, None]
    return torch.cat([log_s[:, None], t], dim=1)


def project_to_crop(points: torch.Tensor, crop: Crop) -> torch.Tensor:
    """(B, P, 3) camera-frame points (metres) -> (B, P, 2) crop units, perspective."""
    normalised = points[..., :2] / points[..., 2:].clamp(min=MIN_DEPTH)
    return to_crop(normalised, crop)
