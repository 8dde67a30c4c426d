"""Pictures and animations of motions: skeletons or body meshes, several views, overlays.

``render_motions`` writes a ``.png`` (a grid: one row per view, one column per chosen frame),
or an animation, ``.gif`` (pillow) or ``.mp4`` (imageio-ffmpeg, optional), with the views
side by side. Every input is drawn over the others in its own colour, so before/after pairs
(noisy vs denoised, observed vs completed) read at a glance.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from posefield.errors import MotionFormatError
from posefield.motion import Motion
from posefield.viz.camera import Orthographic, body_axes, view_camera
from posefield.viz.draw import MeshLayer, draw_meshes, draw_skeleton
from posefield.viz.scene import MARGIN, MAX_DRAWN_FPS, Framing, Track, frame_view, make_tracks
from posefield.viz.video import GIF_MAX_FPS, save_frames, save_png

PANEL_INCHES = 3.0  # width of one view; its height follows the body's aspect
DPI = 90
MESH_ALPHAS = (0.45, 0.9)  # the first mesh of an overlay is see-through, the others nearly opaque


def _figure(rows: int, cols: int, aspect: float):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    height = float(np.clip(PANEL_INCHES * aspect, 2.0, 6.0))
    fig, axes = plt.subplots(rows, cols, figsize=(PANEL_INCHES * cols, height * rows + 0.4), squeeze=False,
                             dpi=DPI)
    return fig, axes


def draw_panel(ax, tracks: Sequence[Track], frame: int, camera: Orthographic, framing: Framing, title: str) -> None:
    """Draw every track at ``frame`` into ``ax`` as seen by ``camera``."""
    from matplotlib.patches import Patch

    ax.cla()
    (x0, x1), (y0, y1) = framing.limits(frame)
    ax.plot([x0, x1], [framing.bottom, framing.bottom], color="#cccccc", lw=1, zorder=0)
    layers = [MeshLayer(t.vertices[frame], t.faces, t.colour, MESH_ALPHAS[min(k, 1)] if len(tracks) > 1 else 1.0)
              for k, t in enumerate(tracks) if t.vertices is not None]
    draw_meshes(ax, layers, camera)
    for k, t in enumerate(tracks):
        if t.vertices is None:
            draw_skeleton(ax, t.points[frame], t.segments, camera, t.colour, width=2.4 if k == 0 else 1.6,
                          alpha=0.6 if k == 0 and len(tracks) > 1 else 0.95, label=t.label)
    if layers:
        ax.legend(handles=[Patch(color=t.colour, label=t.label) for t in tracks], fontsize=7, loc="upper left")
    elif len(tracks) > 1 or tracks[0].label:
        ax.legend(fontsize=7, loc="upper left")
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_title(title, fontsize=8)


def _setup(motions: Sequence[Motion], labels: Sequence[str], mesh: str | None, views: Sequence[str]):
    tracks = make_tracks(motions, labels, mesh)
    up, front = body_axes(motions[0])
    cameras = [view_camera(v, up, front) for v in views]
    framings = [frame_view(tracks, c) for c in cameras]
    half_width = max(f.half_width for f in framings)  # equal scale in every view
    framings = [dataclasses.replace(f, half_width=half_width) for f in framings]
    aspect = max((f.top - f.bottom + 2 * MARGIN) / (2 * half_width) for f in framings)
    return tracks, cameras, framings, aspect


def _canvas_rgb(fig) -> np.ndarray:
    fig.canvas.draw()
    return np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()


def render_grid(motions: Sequence[Motion], labels: Sequence[str], frames: Sequence[int] | None = None,
                views: Sequence[str] = ("front", "side"), mesh: str | None = None) -> np.ndarray:
    """(H, W, 3) uint8 picture: one row per view, one column per frame (default 4 evenly spaced)."""
    import matplotlib.pyplot as plt

    tracks, cameras, framings, aspect = _setup(motions, labels, mesh, views)
    count = tracks[0].points.shape[0]
    frames = list(frames) if frames is not None else sorted(set(np.linspace(0, count - 1, 4).astype(int).tolist()))
    bad = [f for f in frames if not 0 <= f < count]
    if bad:
        raise MotionFormatError(motions[0].source.get("path"), f"frame(s) {bad} outside 0..{count - 1}")
    fig, axes = _figure(len(views), len(frames), aspect)
    fps = motions[0].fps
    for row, (view, camera, framing) in enumerate(zip(views, cameras, framings)):
        for col, f in enumerate(frames):
            draw_panel(axes[row, col], tracks, f, camera, framing, f"{view} · frame {f} ({f / fps:.2f} s)")
    fig.tight_layout()
    image = _canvas_rgb(fig)
    plt.close(fig)
    return image


def animation_frames(motions: Sequence[Motion], labels: Sequence[str], views: Sequence[str] = ("front", "side"),
                     mesh: str | None = None, step: int = 1) -> Iterator[np.ndarray]:
    """(H, W, 3) uint8 images of every ``step``-th frame, the views side by side."""
    import matplotlib.pyplot as plt

    tracks, cameras, framings, aspect = _setup(motions, labels, mesh, views)
    fig, axes = _figure(1, len(views), aspect)
    fps = motions[0].fps
    try:
        for f in range(0, tracks[0].points.shape[0], step):
            for col, (view, camera, framing) in enumerate(zip(views, cameras, framings)):
                draw_panel(axes[0, col], tracks, f, camera, framing, f"{view} · {f / fps:.2f} s")
            if f == 0:
                fig.tight_layout()
            yield _canvas_rgb(fig)
    finally:
        plt.close(fig)


def render_motions(motions: Sequence[Motion], labels: Sequence[str], path: str | Path,
                   views: Sequence[str] = ("front", "side"), mesh: str | None = None,
                   frames: Sequence[int] | None = None, fps: float | None = None) -> Path:
    """Write a picture (``.png``) or animation (``.gif``, ``.mp4``) of ``motions``, atomically.

    Args:
        motions: motions to overlay (the shortest sets the length).
        labels: a legend entry per motion.
        path: output file; its suffix picks the format.
        views: named views or azimuths in degrees (see :mod:`posefield.viz.camera`).
        mesh: ``None`` for skeletons, or a body kind (``"auto"``, ``"anny"``, ``"capsules"``).
        frames: frames of a ``.png`` (default 4 evenly spaced).
        fps: frame rate of an animation (default: the motion's, at most 30; a GIF's at most
            :data:`~posefield.viz.video.GIF_MAX_FPS`); every ``step``-th frame is drawn, the
            step chosen to come nearest, so the animation lasts as long as the motion.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".png":
        save_png(render_grid(motions, labels, frames, views, mesh), path)
        return path
    limit = GIF_MAX_FPS if suffix == ".gif" else math.inf
    target = min(fps or motions[0].fps, MAX_DRAWN_FPS if fps is None else fps, limit)
    step = max(1, int(round(motions[0].fps / target)))
    if motions[0].fps / step > limit:
        step = math.ceil(motions[0].fps / limit)
    save_frames(animation_frames(motions, labels, views, mesh, step), path, motions[0].fps / step)
    return path
