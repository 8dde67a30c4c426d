"""Batched, differentiable forward kinematics (torch, float32 or float64)."""
from __future__ import annotations

import numpy as np
import torch

from posefield.rotations.quaternion import quaternion_to_rotmat
from posefield.skeleton.skeleton import Skeleton


def forward_kinematics(skeleton: Skeleton, rotations: torch.Tensor, root_translation: torch.Tensor | None = None,
                       offsets: torch.Tensor | None = None, with_end_sites: bool = False) -> torch.Tensor:
    """Global joint positions from local rotations.

    Args:
        skeleton: the joint tree (J joints).
        rotations: (..., J, 4) local unit quaternions (xyzw) or (..., J, 3, 3) matrices,
            canonical convention (see :mod:`posefield.skeleton.skeleton`).
        root_translation: (..., 3) root position in metres; ``None`` puts the root at its rest offset.
        offsets: optional (..., J, 3) per-sample offsets in metres (other body proportions);
            defaults to ``skeleton.offsets``.
        with_end_sites: also return the skeleton's end sites, appended after the J joints
            in increasing joint order.
    Returns:
        (..., J [+ E], 3) positions in metres, same dtype as ``rotations``.
    """
    rot = rotations if rotations.shape[-1] == 3 else quaternion_to_rotmat(rotations)
    dtype, device = rot.dtype, rot.device
    if offsets is None:
        offsets = torch.as_tensor(skeleton.offsets, dtype=dtype, device=device)
    batch = rot.shape[:-3]
    offsets = offsets.expand(*batch, -1, -1)
    globals_: list[torch.Tensor] = []
    positions: list[torch.Tensor] = []
    for j, p in enumerate(skeleton.parents):
        if p < 0:
            pos = offsets[..., j, :] if root_translation is None else root_translation.to(dtype)
            glob = rot[..., j, :, :]
        else:
            pos = positions[p] + (globals_[p] @ offsets[..., j, :, None])[..., 0]
            glob = globals_[p] @ rot[..., j, :, :]
        positions.append(pos)
        globals_.append(glob)
    if with_end_sites:
        for j in sorted(skeleton.end_sites):
            site = torch.as_tensor(skeleton.end_sites[j], dtype=dtype, device=device)
            positions.append(positions[j] + (globals_[j] @ site[:, None])[..., 0])
    return torch.stack(positions, dim=-2)


def rest_points(skeleton: Skeleton) -> np.ndarray:
    """(J + E, 3) rest-pose positions of the joints and then the end sites, metres (root at its rest offset)."""
    identity = torch.zeros(skeleton.num_joints, 4, dtype=torch.float64)
    identity[:, 3] = 1
    return forward_kinematics(skeleton, identity, with_end_sites=True).numpy()
