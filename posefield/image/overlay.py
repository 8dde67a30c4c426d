"""The recovered body drawn over the photo it came from, through the photo's pinhole camera."""
from __future__ import annotations

import numpy as np

from posefield.fit.keypoints import Keypoints
from posefield.mesh.body import skin_motion
from posefield.mesh.bones import bone_segments
from posefield.mesh.select import body_mesh
from posefield.motion import Motion
from posefield.viz.camera import Pinhole
from posefield.viz.draw import MeshLayer, draw_meshes, draw_skeleton

BODY_COLOUR = "#4a90d9"
KEYPOINT_COLOUR = "#ffd400"


def render_overlay(photo: np.ndarray, motion: Motion, keypoints: Keypoints, mesh: str | None = "auto",
                   frame: int = 0, alpha: float = 0.6) -> np.ndarray:
    """(H, W, 3) uint8: ``photo`` with the body of ``motion`` (camera coordinates) at ``frame``
    drawn through ``keypoints.intrinsics``, its skeleton, and the detected keypoints as dots.

    Args:
        photo: (H, W, 3) uint8 RGB.
        motion: the recovered motion, camera frame (metres, y down, z forward).
        keypoints: the detections it was recovered from.
        mesh: body kind for :func:`posefield.mesh.body_mesh`, or ``None`` for the skeleton only.
        frame: which frame of ``motion`` and ``keypoints``.
        alpha: opacity of the mesh.
    """
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    h, w = photo.shape[:2]
    dpi = 100
    fig = plt.figure(figsize=(w / dpi, h / dpi), dpi=dpi)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.imshow(photo, extent=(0, w, h, 0))
    camera = Pinhole(keypoints.intrinsics)
    one = motion.slice(slice(frame, frame + 1))
    if mesh is not None:
        body = body_mesh(motion.skeleton, mesh)
        draw_meshes(ax, [MeshLayer(skin_motion(body, one)[0], body.faces, BODY_COLOUR, alpha)], camera)
    draw_skeleton(ax, one.joint_positions(with_end_sites=True)[0], bone_segments(motion.skeleton), camera,
                  "#ffffff", width=1.5, alpha=0.9)
    seen = keypoints.confidence[frame] > 0
    ax.scatter(*keypoints.pixels[frame, seen].T, s=18, color=KEYPOINT_COLOUR, edgecolors="black", linewidths=0.5,
               zorder=5)
    ax.set_xlim(0, w)
    ax.set_ylim(h, 0)
    ax.axis("off")
    fig.canvas.draw()
    image = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
    plt.close(fig)
    return image
