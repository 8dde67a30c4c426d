"""Synthetic occluders in the image plane: oriented bars, circles and rectangles.

Following HKMR's occlusion protocol, an occluder is a shape pasted over the image; every
keypoint inside it is hidden (confidence 0). Bars and rectangles are boxes (centre, half
sizes, angle); a bar is long and thin at any angle, a rectangle is axis-aligned with sides
of comparable length; a circle has a radius. Sizes are fractions of the body's size in
the image (the longer side of the box around all its keypoints) and the shape is centred on one of the body's
visible keypoints, moved by a random fraction of that size, so that it covers some of the
body. Everything here is in pixels.
"""
from __future__ import annotations

import dataclasses
import math

import torch

KINDS = ("none", "bar", "circle", "rectangle")
"""Occluder kinds; index 0 means no occluder."""

# (low, high) of each size, as fractions of the body size.
BAR_LENGTH = (0.6, 1.0)
BAR_WIDTH = (0.06, 0.15)
CIRCLE_RADIUS = (0.12, 0.25)
RECTANGLE_SIDE = (0.25, 0.5)
CENTRE_JITTER = 0.1


@dataclasses.dataclass
class Occluders:
    """One occluder per sample (B of them).

    Attributes:
        kind: (B,) long index into :data:`KINDS`.
        centre: (B, 2) pixels.
        half_size: (B, 2) half width and height of a box, pixels (a circle's radius is ``half_size[:, 0]``).
        angle: (B,) rotation of a box, radians.
    """

    kind: torch.Tensor
    centre: torch.Tensor
    half_size: torch.Tensor
    angle: torch.Tensor


def inside_box(points: torch.Tensor, centre: torch.Tensor, half_size: torch.Tensor, angle: torch.Tensor) -> torch.Tensor:
    """(B, P) bool: whether (B, P, 2) points lie in the boxes (B, 2 centres; B, 2 half sizes; B angles)."""
    d = points - centre[:, None]
    cos, sin = angle.cos()[:, None], angle.sin()[:, None]
    along = d[..., 0] * cos + d[..., 1] * sin
    across = -d[..., 0] * sin + d[..., 1] * cos
    return (along.abs() <= half_size[:, None, 0]) & (across.abs() <= half_size[:, None, 1])


def inside_circle(points: torch.Tensor, centre: torch.Tensor, radius: torch.Tensor) -> torch.Tensor:
    """(B, P) bool: whether (B, P, 2) points lie in the circles (B, 2 centres; B radii)."""
    return (points - centre[:, None]).norm(dim=-1) <= radius[:, None]


def covered(points: torch.Tensor, occluders: Occluders) -> torch.Tensor:
    """(B, P) bool: which of the (B, P, 2) pixel positions the occluders hide."""
    box = inside_box(points, occluders.centre, occluders.half_size, occluders.angle)
    circle = inside_circle(points, occluders.centre, occluders.half_size[:, 0])
    kind = occluders.kind[:, None]
    is_box = (kind == KINDS.index("bar")) | (kind == KINDS.index("rectangle"))
    return torch.where(is_box, box, torch.where(kind == KINDS.index("circle"), circle, torch.zeros_like(box)))


def _uniform(low_high: tuple[float, float], shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    low, high = low_high
    return low + (high - low) * torch.rand(shape, generator=generator)


def random_occluders(kind: torch.Tensor, pixels: torch.Tensor, visible: torch.Tensor,
                     generator: torch.Generator) -> Occluders:
    """Occluders of the given kinds over the bodies seen as keypoints.

    Args:
        kind: (B,) long index into :data:`KINDS`.
        pixels: (B, P, 2) keypoint positions, pixels.
        visible: (B, P) bool; the centre is drawn among these (any keypoint when none is).
        generator: source of randomness.
    """
    batch = kind.shape[0]
    candidates = torch.where(visible.any(dim=1, keepdim=True), visible, torch.ones_like(visible)).float()
    anchor = torch.multinomial(candidates, 1, generator=generator)[:, 0]
    size = (pixels.amax(dim=1) - pixels.amin(dim=1)).amax(dim=1).clamp(min=1.0)
    centre = pixels[torch.arange(batch), anchor] + CENTRE_JITTER * size[:, None] * torch.randn(batch, 2, generator=generator)
    bar = torch.stack([_uniform(BAR_LENGTH, (batch,), generator) / 2, _uniform(BAR_WIDTH, (batch,), generator) / 2], dim=1)
    circle = _uniform(CIRCLE_RADIUS, (batch,), generator)[:, None].expand(batch, 2)
    rectangle = _uniform(RECTANGLE_SIDE, (batch, 2), generator) / 2
    half = torch.zeros(batch, 2)
    for name, shape in {"bar": bar, "circle": circle, "rectangle": rectangle}.items():
        half = torch.where((kind == KINDS.index(name))[:, None], shape, half)
    angle = torch.where(kind == KINDS.index("bar"), math.pi * torch.rand(batch, generator=generator), torch.zeros(batch))
    return Occluders(kind, centre, half * size[:, None], angle)
