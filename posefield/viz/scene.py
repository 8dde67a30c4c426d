"""What a picture shows: each motion's joints (and posed body mesh) over the frames, and a
framing that stays fixed over the clip (following the first motion's root sideways)."""
from __future__ import annotations

import dataclasses
from typing import Sequence

import numpy as np

from posefield.errors import SkeletonMismatchError
from posefield.mesh.body import skin_motion
from posefield.mesh.bones import Segments, bone_segments
from posefield.mesh.select import body_mesh
from posefield.motion import Motion
from posefield.viz.camera import Orthographic

COLOURS = ("#8c8c8c", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#ff7f0e")
"""Colour of each input in order: grey for the first (the "before" of an overlay)."""
MARGIN = 0.1  # metres around the body
MAX_DRAWN_FPS = 30.0
"""Frames drawn per second at most: an animation's default rate and the viewer's thinning."""


@dataclasses.dataclass(eq=False)
class Track:
    """One motion ready to draw.

    Attributes:
        label: legend entry.
        colour: matplotlib colour.
        points: (T, P, 3) joints and end sites, metres.
        segments: bone segments into ``points``.
        vertices: (T, V, 3) posed body vertices, or ``None`` without a mesh.
        faces: (F, 3) body triangles, or ``None``.
    """

    label: str
    colour: str
    points: np.ndarray
    segments: Segments
    vertices: np.ndarray | None = None
    faces: np.ndarray | None = None


def make_tracks(motions: Sequence[Motion], labels: Sequence[str], mesh: str | None = None) -> list[Track]:
    """Tracks of equal length (the shortest motion's) for ``motions``.

    Args:
        motions: one or more motions (any skeletons).
        labels: one legend entry per motion.
        mesh: ``None`` for skeletons, else a body kind for :func:`posefield.mesh.body_mesh`
            (``"auto"``, ``"anny"``, ``"capsules"``).
    """
    if len(labels) != len(motions):
        raise SkeletonMismatchError(f"{len(labels)} labels for {len(motions)} motions")
    frames = min(m.num_frames for m in motions)
    tracks = []
    for k, (motion, label) in enumerate(zip(motions, labels)):
        motion = motion.slice(slice(0, frames))
        track = Track(label, COLOURS[k % len(COLOURS)], motion.joint_positions(with_end_sites=True),
                      bone_segments(motion.skeleton))
        if mesh is not None:
            body = body_mesh(motion.skeleton, mesh)
            track.vertices, track.faces = skin_motion(body, motion), body.faces
        tracks.append(track)
    return tracks


@dataclasses.dataclass(frozen=True)
class Framing:
    """Fixed screen extent of one view over a clip: x relative to the followed root, y absolute.

    Attributes:
        centre: (T,) screen x of the first track's root per frame.
        half_width: metres either side of the centre.
        bottom, top: vertical limits, metres; ``bottom`` is also the ground line.
    """

    centre: np.ndarray
    half_width: float
    bottom: float
    top: float

    def limits(self, frame: int) -> tuple[tuple[float, float], tuple[float, float]]:
        """(x limits, y limits) at ``frame``."""
        c = float(self.centre[frame])
        return (c - self.half_width, c + self.half_width), (self.bottom - MARGIN, self.top + MARGIN)


def frame_view(tracks: Sequence[Track], camera: Orthographic) -> Framing:
    """The framing of ``camera`` that holds every track over every frame."""
    centre = tracks[0].points[:, 0] @ camera.right  # (T,)
    clouds = [t.points if t.vertices is None else t.vertices for t in tracks]
    xs = np.concatenate([np.abs(c @ camera.right - centre[:, None]).reshape(-1) for c in clouds])
    ys = np.concatenate([(c @ camera.up).reshape(-1) for c in clouds])
    return Framing(centre, float(xs.max()) + MARGIN, float(ys.min()), float(ys.max()))
