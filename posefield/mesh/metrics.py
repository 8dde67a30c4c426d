"""Errors measured on the body surface."""
from __future__ import annotations

import numpy as np

from posefield.errors import SkeletonMismatchError
from posefield.mesh.body import BodyMesh, skin_motion
from posefield.mesh.select import body_mesh
from posefield.motion import Motion


def per_vertex_error(motion_a: Motion, motion_b: Motion, body: BodyMesh | None = None) -> np.ndarray:
    """Per-frame mean distance between corresponding body vertices of two motions, millimetres.

    Args:
        motion_a, motion_b: motions of the same skeleton tree and length T (e.g. an estimate
            and the truth); both are skinned with ``motion_a``'s skeleton's body.
        body: the body to use (default :func:`posefield.mesh.body_mesh` of motion_a's skeleton).
    Returns:
        (T,) float64 mean per-vertex Euclidean error of each frame, mm (average it for PVE).
    """
    if motion_a.skeleton.signature() != motion_b.skeleton.signature():
        raise SkeletonMismatchError("per-vertex error needs two motions of the same skeleton")
    if motion_a.num_frames != motion_b.num_frames:
        raise SkeletonMismatchError(f"per-vertex error needs motions of equal length, got "
                                    f"{motion_a.num_frames} and {motion_b.num_frames} frames")
    body = body or body_mesh(motion_a.skeleton)
    diff = skin_motion(body, motion_a) - skin_motion(body, motion_b)
    return 1000.0 * np.linalg.norm(diff, axis=-1).mean(axis=1)
