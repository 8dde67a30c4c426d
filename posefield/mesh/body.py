"""A skinned body mesh and linear blend skinning on posefield skeletons.

Rest vertices live in the skeleton's rest pose (world-aligned joint frames, metres, root at
its rest offset). Because every rest joint frame is aligned with the world, the skinning
transform of joint j at a frame is simply x -> p_j + G_j (x - P_j), with G_j its global
rotation, p_j its position and P_j its rest position; a vertex blends these over its K
joints with its weights.

A mesh modelled in another pose (Anny stands in an A-pose) can keep, per vertex and joint,
where that joint alone would put the vertex in the rest pose (``bound``): skinning then blends
once, from the pose the mesh was modelled in straight to the target pose, instead of blending
into the rest pose first, which would pinch shoulders and hips twice.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import roma
import torch

from posefield.errors import SkeletonMismatchError
from posefield.motion import Motion
from posefield.skeleton import Skeleton, forward_kinematics, rest_points


@dataclasses.dataclass(eq=False)
class BodyMesh:
    """A triangle mesh bound to the joints of one skeleton.

    Attributes:
        vertices: (V, 3) float64 rest positions, metres.
        faces: (F, 3) int64 vertex indices, counter-clockwise seen from outside.
        joints: (V, K) int64 skinning joints of each vertex.
        weights: (V, K) float64 skinning weights, each row summing to 1.
        kind: which body this is (``"anny"`` or ``"capsules"``).
        bound: optional (V, K, 3) float64 rest-pose position of each vertex under each of its
            joints alone (module docstring); ``None`` means ``vertices`` for every joint.
    """

    vertices: np.ndarray
    faces: np.ndarray
    joints: np.ndarray
    weights: np.ndarray
    kind: str
    bound: np.ndarray | None = None

    def __post_init__(self) -> None:
        v = self.vertices.shape[0]
        if self.joints.shape != self.weights.shape or self.joints.shape[0] != v:
            raise SkeletonMismatchError(f"skinning joints {self.joints.shape} and weights {self.weights.shape} "
                                        f"do not match {v} vertices")

    @property
    def num_vertices(self) -> int:
        return self.vertices.shape[0]


def global_rotations(skeleton: Skeleton, rotmats: torch.Tensor) -> torch.Tensor:
    """(..., J, 3, 3) global rotations G_j = G_parent · L_j from (..., J, 3, 3) local ones."""
    out: list[torch.Tensor] = []
    for j, p in enumerate(skeleton.parents):
        out.append(rotmats[..., j, :, :] if p < 0 else out[p] @ rotmats[..., j, :, :])
    return torch.stack(out, dim=-3)


def skin(body: BodyMesh, skeleton: Skeleton, rotations: torch.Tensor, root_translation: torch.Tensor) -> torch.Tensor:
    """Posed vertices by linear blend skinning (differentiable in rotations and translation).

    Args:
        body: a mesh bound to ``skeleton``'s joints.
        skeleton: the J-joint skeleton.
        rotations: (T, J, 4) local unit quaternions (xyzw).
        root_translation: (T, 3) root positions, metres.
    Returns:
        (T, V, 3) vertex positions, metres, dtype of ``rotations``.
    """
    dtype = rotations.dtype
    rest_joints = torch.as_tensor(rest_points(skeleton)[: skeleton.num_joints], dtype=dtype)
    positions = forward_kinematics(skeleton, rotations, root_translation)  # (T, J, 3)
    glob = global_rotations(skeleton, roma.unitquat_to_rotmat(rotations))  # (T, J, 3, 3)
    shift = positions - (glob @ rest_joints[..., None])[..., 0]  # (T, J, 3)
    joints = torch.as_tensor(body.joints)
    weights = torch.as_tensor(body.weights, dtype=dtype)
    rest = torch.as_tensor(body.vertices[:, None] if body.bound is None else body.bound, dtype=dtype)
    out = torch.zeros(rotations.shape[0], body.num_vertices, 3, dtype=dtype)
    for k in range(joints.shape[1]):
        g, t = glob[:, joints[:, k]], shift[:, joints[:, k]]  # (T, V, 3, 3), (T, V, 3)
        out = out + weights[:, k, None] * ((g @ rest[:, min(k, rest.shape[1] - 1), :, None])[..., 0] + t)
    return out


def skin_motion(body: BodyMesh, motion: Motion) -> np.ndarray:
    """(T, V, 3) float64 vertices of ``body`` following ``motion``, metres."""
    with torch.no_grad():
        return skin(body, motion.skeleton, torch.as_tensor(motion.rotations),
                    torch.as_tensor(motion.root_translation)).numpy()
