"""The SMPL body: 22 joints (pelvis and 21 body joints; no hands, jaw or eyes).

Only names and the kinematic tree are shipped here. SMPL's rest offsets come from the
licence-gated body model, so :func:`smpl_skeleton` without ``offsets`` gives all-zero
offsets and ``meta["offsets_known"] = False``; see :mod:`posefield.io.amass` for building
them from a template file or the body model.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from posefield.skeleton.skeleton import POSITION_CHANNELS, Skeleton

SMPL_BODY_NAMES = (
    "pelvis", "left_hip", "right_hip", "spine1", "left_knee", "right_knee", "spine2", "left_ankle",
    "right_ankle", "spine3", "left_foot", "right_foot", "neck", "left_collar", "right_collar", "head",
    "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
)
SMPL_BODY_PARENTS = (-1, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9, 12, 13, 14, 16, 17, 18, 19)
SMPL_NUM_BODY_JOINTS = len(SMPL_BODY_NAMES)
# SMPL joints are ball joints; these Euler channels are only how BVH export writes them
# (Z·Y·X keeps the AMASS root, which turns the Y-up body into a Z-up world, clear of gimbal lock).
_ROTATION_CHANNELS = ("Zrotation", "Yrotation", "Xrotation")


def smpl_skeleton(offsets: np.ndarray | None = None, meta: dict[str, Any] | None = None) -> Skeleton:
    """The SMPL 22-joint body skeleton (``rig="smpl"``).

    Args:
        offsets: (22, 3) rest offsets in metres (joint minus parent joint of the rest body;
            the pelvis's is its rest position), or ``None`` for zeros.
        meta: extra entries for ``skeleton.meta`` (e.g. ``betas``, ``gender``).
    Returns:
        A skeleton with ``meta["offsets_known"]`` telling whether ``offsets`` were given.
    """
    known = offsets is not None
    offsets = np.zeros((SMPL_NUM_BODY_JOINTS, 3)) if offsets is None else np.asarray(offsets, dtype=np.float64)
    channels = [POSITION_CHANNELS + _ROTATION_CHANNELS] + [_ROTATION_CHANNELS] * (SMPL_NUM_BODY_JOINTS - 1)
    return Skeleton(names=SMPL_BODY_NAMES, parents=SMPL_BODY_PARENTS, offsets=offsets, channels=tuple(channels),
                    rig="smpl", meta={**(meta or {}), "offsets_known": known})


def is_smpl_body(skeleton: Skeleton) -> bool:
    """Whether ``skeleton`` has the SMPL body's joint names and tree."""
    return skeleton.names == SMPL_BODY_NAMES and skeleton.parents == SMPL_BODY_PARENTS
