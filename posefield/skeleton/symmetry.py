"""Left–right mirror images of poses: which joint is whose mirror, and the mirrored rotations.

In the canonical convention (world-aligned joint frames at rest, see
:mod:`posefield.skeleton.skeleton`) reflecting a pose in the body's sagittal plane x = 0
(Y up, the body's left +x: CMU ASF, the DAZ BVH rig, SMPL) maps the local rotation R of joint
j to M R M (M = diag(−1, 1, 1)) on j's mirror joint: for a quaternion (x, y, z, w) that is
(x, −y, −z, w). The joint pairing is read from the rest pose: a joint's mirror is the joint
whose rest position and subtree centroid lie nearest the reflected ones (joints on the mid-line
are their own mirrors). Mirrored motion-capture poses are as real as the originals up to the
rig's left–right asymmetry, which is why they serve as training data.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from posefield.errors import SkeletonMismatchError
from posefield.skeleton.kinematics import rest_points
from posefield.skeleton.skeleton import Skeleton

SAGITTAL_AXIS = 0  # x: the body's left is +x
MIRROR_TOLERANCE = 0.05  # largest pairing distance, as a fraction of the rest pose's extent


def rest_geometry(skeleton: Skeleton) -> tuple[np.ndarray, np.ndarray, float]:
    """Rest-pose joint positions (J, 3) and subtree centroids (J, 3), metres, and the pose's extent (m).

    A joint's subtree centroid is the mean position of its descendants and their end sites
    (joints without either: the joint itself), which tells apart joints that start at one point
    (CMU ``lfingers`` and ``lthumb``).
    """
    points = rest_points(skeleton)
    joints = points[: skeleton.num_joints]
    site_of = {j: skeleton.num_joints + i for i, j in enumerate(sorted(skeleton.end_sites))}
    centroids = np.empty_like(joints)
    for j in range(skeleton.num_joints):
        subtree = skeleton.descendants(j)  # j first
        rows = subtree[1:] + [site_of[d] for d in subtree if d in site_of]
        centroids[j] = points[rows].mean(axis=0) if rows else joints[j]
    extent = float(np.ptp(points, axis=0).max())
    return joints, centroids, extent


def mirror_joints(skeleton: Skeleton, tolerance: float = MIRROR_TOLERANCE) -> list[int]:
    """(J,) index of each joint's mirror joint (itself on the mid-line).

    Raises:
        SkeletonMismatchError: the rest pose is not left–right symmetric within ``tolerance``
            (fraction of its extent), or the pairing does not respect the joint tree.
    """
    joints, centroids, extent = rest_geometry(skeleton)
    reflect = np.ones(3)
    reflect[SAGITTAL_AXIS] = -1.0
    cost = (np.linalg.norm(joints[:, None] * reflect - joints[None], axis=-1)
            + np.linalg.norm(centroids[:, None] * reflect - centroids[None], axis=-1))
    pairing = np.zeros(skeleton.num_joints, dtype=np.int64)
    for j in range(skeleton.num_joints):  # parents come before children
        # a mirror's parent is the parent's mirror: choose among those children only, which tells
        # apart joints that start close together (a hand and the fingers at its end)
        parent = skeleton.parents[j]
        options = [c for c, p in enumerate(skeleton.parents) if p == (-1 if parent < 0 else pairing[parent])]
        pairing[j] = options[int(np.argmin(cost[j, options]))]
    for j, m in enumerate(pairing):
        if cost[j, m] > 2 * tolerance * extent:
            raise SkeletonMismatchError(f"skeleton is not left-right symmetric: no mirror joint for "
                                        f"{skeleton.names[j]!r} within {100 * tolerance:g}% of its size")
        if pairing[m] != j or skeleton.parents[m] != (-1 if skeleton.parents[j] < 0 else pairing[skeleton.parents[j]]):
            raise SkeletonMismatchError(f"skeleton is not left-right symmetric: joints {skeleton.names[j]!r} and "
                                        f"{skeleton.names[m]!r} pair up but their parents do not")
    return [int(m) for m in pairing]


def mirror_quaternions(quats: torch.Tensor) -> torch.Tensor:
    """(..., 4) xyzw rotations reflected in the sagittal plane: M R M, i.e. (x, −y, −z, w)."""
    sign = torch.ones(4, dtype=quats.dtype, device=quats.device)
    sign[[a for a in range(3) if a != SAGITTAL_AXIS]] = -1.0
    return quats * sign


def mirror_poses(skeleton: Skeleton, joint_index: Sequence[int], quats: torch.Tensor) -> torch.Tensor:
    """Mirror images of poses of a joint set.

    Args:
        skeleton: the rig (its rest pose gives the pairing, :func:`mirror_joints`).
        joint_index: (K,) skeleton indices of the posed joints; must hold each one's mirror.
        quats: (..., K, 4) local unit quaternions (xyzw), canonical convention.
    Returns:
        (..., K, 4) the mirrored poses, same hemisphere convention as the input's rotations.
    """
    pairing = mirror_joints(skeleton)
    position = {int(j): k for k, j in enumerate(joint_index)}
    missing = [skeleton.names[pairing[int(j)]] for j in joint_index if pairing[int(j)] not in position]
    if missing:
        raise SkeletonMismatchError(f"cannot mirror the joint set: it lacks the mirror joints {', '.join(missing)}")
    order = [position[pairing[int(j)]] for j in joint_index]
    return mirror_quaternions(quats[..., order, :])
