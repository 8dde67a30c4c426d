"""Batched, differentiable forward kinematics (torch, float32 or float64)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from posefield.rotations.quaternion import quaternion_to_rotmat
from posefield.skeleton.skeleton import Skeleton


def depth_levels(parents: Sequence[int]) -> list[list[int]]:
    """Group joints by tree depth: level 0 holds joints without a parent (-1).

    Args:
        parents: (K,) parent position of each joint, -1 for none; parents precede children.
    Returns:
        lists of joint positions, one per depth.
    """
    depth: list[int] = []
    for k, p in enumerate(parents):
        if p >= k:
            raise ValueError("parents must list every parent before its children")
        depth.append(0 if p < 0 else depth[p] + 1)
    return [[k for k, d in enumerate(depth) if d == level] for level in range(max(depth, default=-1) + 1)]


def forward_kinematics(skeleton: Skeleton, rotations: torch.Tensor, root_translation: torch.Tensor | None = None,
                       offsets: torch.Tensor | None = None, with_end_sites: bool = False) -> torch.Tensor:
    """Global joint positions from local rotations, one batched step per tree depth.

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
    levels = depth_levels(skeleton.parents)
    roots = torch.tensor(levels[0], device=device)
    glob = rot.index_select(-3, roots)  # (..., n, 3, 3) of the current level
    if root_translation is None:
        pos = offsets.index_select(-2, roots)
    else:
        pos = root_translation.to(dtype)[..., None, :].expand(*batch, len(roots), 3)
    globals_, positions = [glob], [pos]
    for previous, level in zip(levels, levels[1:]):
        within = {j: n for n, j in enumerate(previous)}
        parent = torch.tensor([within[skeleton.parents[j]] for j in level], device=device)
        index = torch.tensor(level, device=device)
        parent_glob = glob.index_select(-3, parent)
        pos = pos.index_select(-2, parent) + (parent_glob @ offsets.index_select(-2, index)[..., None])[..., 0]
        glob = parent_glob @ rot.index_select(-3, index)
        globals_.append(glob)
        positions.append(pos)
    order = torch.tensor([j for level in levels for j in level], device=device)
    unorder = torch.argsort(order)
    joints = torch.cat(positions, dim=-2).index_select(-2, unorder)
    if not with_end_sites or not skeleton.end_sites:
        return joints
    ends = sorted(skeleton.end_sites)
    ends_index = torch.tensor(ends, device=device)
    site = torch.as_tensor(np.array([skeleton.end_sites[j] for j in ends]), dtype=dtype, device=device)
    end_glob = torch.cat(globals_, dim=-3).index_select(-3, unorder).index_select(-3, ends_index)
    sites = joints.index_select(-2, ends_index) + (end_glob @ site[..., None])[..., 0]
    return torch.cat([joints, sites], dim=-2)


def rest_points(skeleton: Skeleton) -> np.ndarray:
    """(J + E, 3) rest-pose positions of the joints and then the end sites, metres (root at its rest offset)."""
    identity = torch.zeros(skeleton.num_joints, 4, dtype=torch.float64)
    identity[:, 3] = 1
    return forward_kinematics(skeleton, identity, with_end_sites=True).numpy()
