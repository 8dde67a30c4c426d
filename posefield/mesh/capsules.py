"""A capsule body: one capsule (a cylinder with hemispherical ends) around each bone segment.

It needs no body model, works for any skeleton, and is what self-penetration is measured
with. Radii come from the bone's part: CMU ASF bone names directly (``lfemur`` -> femur),
other rigs through :func:`posefield.skeleton.groups.joint_parts` and a few torso names;
anything else gets a radius from its segment's length.
"""
from __future__ import annotations

import dataclasses
import re

import numpy as np

from posefield.mesh.body import BodyMesh
from posefield.mesh.bones import Segments, bone_segments
from posefield.skeleton import Skeleton, rest_points
from posefield.skeleton.groups import joint_parts

PART_RADII: dict[str, float] = {
    "hipjoint": 0.045, "femur": 0.05, "tibia": 0.035, "foot": 0.03, "toes": 0.02,
    "lowerback": 0.08, "upperback": 0.08, "thorax": 0.08, "lowerneck": 0.04, "upperneck": 0.04, "head": 0.08,
    "clavicle": 0.035, "humerus": 0.035, "radius": 0.025, "wrist": 0.025, "hand": 0.022, "fingers": 0.01,
    "thumb": 0.01,
}
"""Capsule radius in metres of each CMU ASF bone part (side prefix removed): somewhat thinner
than a real body, so that limbs resting against each other do not count as interpenetrating."""

EXTREMITIES = frozenset({"wrist", "hand", "fingers", "thumb", "toes"})
"""Parts too small and too often in contact to count in self-penetration."""

TORSO_PATTERNS: tuple[tuple[str, str], ...] = (
    ("head", r"head"), ("lowerneck", r"neck"), ("thorax", r"chest|thorax|spine|back|torso|abdomen|hip|pelvis|root"))
"""(part, regular expression on the lower-cased joint name) for side-less joints of other rigs."""


@dataclasses.dataclass(frozen=True)
class Capsules:
    """Capsules around B bone segments.

    Attributes:
        segments: the segments (owner joint, start and end point indices).
        radius: (B,) radii, metres.
        extremity: (B,) whether the segment belongs to a hand, finger or toe.
    """

    segments: Segments
    radius: np.ndarray
    extremity: np.ndarray


def _part(skeleton: Skeleton, j: int, parts: list[tuple[str, str] | None]) -> str | None:
    name = skeleton.names[j]
    if "asf" in skeleton.meta:
        return name[1:] if name[:1] in "lr" and name[1:] in PART_RADII else (name if name in PART_RADII else None)
    if parts[j] is not None:
        return parts[j][1]
    return next((part for part, pattern in TORSO_PATTERNS if re.search(pattern, name.lower())), None)


def capsules(skeleton: Skeleton) -> Capsules:
    """Capsules of every bone segment of ``skeleton``, radii by part (see the module docstring);
    unknown parts get a fifth of the segment's length, within 1.5 to 5 cm."""
    segments = bone_segments(skeleton)
    parts = [None] * skeleton.num_joints if "asf" in skeleton.meta else joint_parts(skeleton)
    points = rest_points(skeleton)
    lengths = np.linalg.norm(points[segments.end] - points[segments.start], axis=1)
    names = [_part(skeleton, int(j), parts) or "" for j in segments.owner]
    radius = np.array([PART_RADII.get(name, np.clip(0.2 * length, 0.015, 0.05)) for name, length in zip(names, lengths)])
    return Capsules(segments, radius, np.array([name in EXTREMITIES for name in names]))


def capsule_surface(start: np.ndarray, end: np.ndarray, radius: float, around: int = 12,
                    rings: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Vertices (N, 3) and outward faces (M, 3) of one capsule between two (3,) points, metres."""
    axis = end - start
    length = np.linalg.norm(axis)
    z = axis / length
    x = np.cross(z, [1.0, 0.0, 0.0] if abs(z[0]) < 0.9 else [0.0, 1.0, 0.0])
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    # Latitude rings from the start pole to the end pole: hemisphere, cylinder, hemisphere.
    lat = np.concatenate([np.linspace(-np.pi / 2, 0, rings + 1)[1:], np.linspace(0, np.pi / 2, rings + 1)[:-1]])
    heights = np.concatenate([np.zeros(rings), np.full(rings, length)])
    phi = np.linspace(0, 2 * np.pi, around, endpoint=False)
    ring_points = (start + (heights + radius * np.sin(lat))[:, None, None] * z
                   + radius * np.cos(lat)[:, None, None] * (np.cos(phi)[:, None] * x + np.sin(phi)[:, None] * y))
    vertices = np.concatenate([[start - radius * z], ring_points.reshape(-1, 3), [end + radius * z]])
    n_rings, top = len(lat), len(lat) * around + 1

    def ring(r: int, k: int) -> int:  # index of point k of ring r
        return 1 + r * around + k % around

    faces = [(0, ring(0, k + 1), ring(0, k)) for k in range(around)]
    faces += [f for r in range(n_rings - 1) for k in range(around)
              for f in ((ring(r, k), ring(r, k + 1), ring(r + 1, k + 1)), (ring(r, k), ring(r + 1, k + 1), ring(r + 1, k)))]
    faces += [(top, ring(n_rings - 1, k), ring(n_rings - 1, k + 1)) for k in range(around)]
    return vertices, np.array(faces, dtype=np.int64)


def capsule_body(skeleton: Skeleton) -> BodyMesh:
    """A mesh of the :func:`capsules` of ``skeleton``, each bound rigidly to its bone's joint."""
    caps = capsules(skeleton)
    points = rest_points(skeleton)
    vertices, faces, joints, count = [], [], [], 0
    for owner, start, end, radius in zip(caps.segments.owner, caps.segments.start, caps.segments.end, caps.radius):
        v, f = capsule_surface(points[start], points[end], float(radius))
        vertices.append(v)
        faces.append(f + count)
        joints.append(np.full((len(v), 1), owner, dtype=np.int64))
        count += len(v)
    return BodyMesh(np.concatenate(vertices), np.concatenate(faces), np.concatenate(joints),
                    np.ones((count, 1)), "capsules")
