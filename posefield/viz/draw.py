"""Drawing skeletons and shaded meshes on a matplotlib axes through a camera.

Meshes are drawn by the painter's algorithm: faces turned away from the viewer are dropped,
the rest sorted far to near and shaded by the angle between their normal and the view
direction (a headlight). Several meshes drawn in one call are sorted together, so they hide
each other correctly.
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection, PolyCollection
from matplotlib.colors import to_rgb

from posefield.mesh.bones import Segments
from posefield.viz.camera import Camera

AMBIENT = 0.35  # share of a face's colour that does not depend on lighting


@dataclasses.dataclass(frozen=True)
class MeshLayer:
    """One posed mesh to draw: (V, 3) vertices (metres), (F, 3) faces, a colour and opacity."""

    vertices: np.ndarray
    faces: np.ndarray
    colour: str
    alpha: float = 1.0


def face_colours(layer: MeshLayer, camera: Camera) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Visible faces of one layer: (F', 3, 2) screen triangles, (F',) depths and (F', 4) RGBA."""
    tri = layer.vertices[layer.faces]  # (F, 3, 3)
    normal = np.cross(tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0])
    normal /= np.maximum(np.linalg.norm(normal, axis=1, keepdims=True), 1e-12)
    centre = tri.mean(axis=1)
    facing = (normal * camera.to_viewer(centre)).sum(axis=1)
    keep = facing > 0
    screen, depth = camera.project(tri[keep])
    shade = AMBIENT + (1 - AMBIENT) * facing[keep]
    rgba = np.concatenate([np.outer(shade, to_rgb(layer.colour)), np.full((keep.sum(), 1), layer.alpha)], axis=1)
    return screen, depth.mean(axis=1), rgba


def draw_meshes(ax: Axes, layers: Sequence[MeshLayer], camera: Camera) -> None:
    """Draw shaded meshes, far faces first (see the module docstring)."""
    if not layers:
        return
    parts = [face_colours(layer, camera) for layer in layers]
    screen = np.concatenate([p[0] for p in parts])
    depth = np.concatenate([p[1] for p in parts])
    rgba = np.concatenate([p[2] for p in parts])
    order = np.argsort(depth)
    ax.add_collection(PolyCollection(screen[order], facecolors=rgba[order], edgecolors=rgba[order],
                                     linewidths=0.2, antialiaseds=False))


def draw_skeleton(ax: Axes, points: np.ndarray, segments: Segments, camera: Camera, colour: str,
                  width: float = 1.6, alpha: float = 0.9, label: str | None = None) -> None:
    """Draw bone segments between (P, 3) points (joints and end sites, metres), with joint dots."""
    screen, _ = camera.project(points)
    lines = np.stack([screen[segments.start], screen[segments.end]], axis=1)
    ax.add_collection(LineCollection(lines, colors=colour, linewidths=width, alpha=alpha, label=label,
                                     capstyle="round"))
    ax.scatter(screen[segments.start, 0], screen[segments.start, 1], s=width * 3, color=colour, alpha=alpha,
               linewidths=0)
