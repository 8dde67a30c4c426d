"""The points fits are measured on: a skeleton's joints followed by its end sites, as
``forward_kinematics(..., with_end_sites=True)`` returns them (J + E points)."""
from __future__ import annotations

import numpy as np

from posefield.errors import SkeletonMismatchError
from posefield.skeleton import Skeleton
from posefield.skeleton.groups import resolve_group

LIMB_GROUPS = ("left_leg", "right_leg", "left_arm_hand", "right_arm_hand")


def moved_points(skeleton: Skeleton, joints: list[int]) -> np.ndarray:
    """Which points move with the rotation of any of ``joints``: their strict descendants and the
    end sites of the joints and their descendants (the ends of the bones they turn).

    Returns:
        (J + E,) bool.
    """
    below = np.zeros(skeleton.num_joints, dtype=bool)
    for j in joints:
        below[skeleton.descendants(j)] = True
    joint_moved = np.array([p >= 0 and below[p] for p in skeleton.parents], dtype=bool)
    site_moved = np.array([below[j] for j in sorted(skeleton.end_sites)], dtype=bool)
    return np.concatenate([joint_moved, site_moved])


def group_joints(skeleton: Skeleton, groups: tuple[str, ...]) -> list[int]:
    """Joints of the named ``groups`` that the rig's names reveal (groups it lacks are skipped)."""
    found: set[int] = set()
    for group in groups:
        try:
            found.update(resolve_group(skeleton, group))
        except SkeletonMismatchError:
            continue
    return sorted(found)


def limb_joints(skeleton: Skeleton) -> list[int]:
    """Joints of the legs and arms (:data:`LIMB_GROUPS`) the rig's names reveal."""
    return group_joints(skeleton, LIMB_GROUPS)


def torso_points(skeleton: Skeleton) -> np.ndarray:
    """(J + E,) bool: points no limb rotation moves (pelvis, spine, neck, head, shoulders)."""
    return ~moved_points(skeleton, limb_joints(skeleton))


def point_parents(skeleton: Skeleton) -> np.ndarray:
    """(J + E,) index of the point each point hangs from by one bone (-1 for the root)."""
    return np.array(list(skeleton.parents) + sorted(skeleton.end_sites), dtype=np.int64)


def rigid_pairs(skeleton: Skeleton, points: np.ndarray) -> np.ndarray:
    """(P, P) bool: pairs of the given points whose distance no pose changes (the two ends of
    one bone, or two torso points) — up to the spine's own bending.

    Args:
        points: (P,) point indices.
    """
    parents = point_parents(skeleton)[points]
    bone = (parents[:, None] == points[None, :]) | (parents[None, :] == points[:, None])
    torso = torso_points(skeleton)[points]
    return bone | (torso[:, None] & torso[None, :])
