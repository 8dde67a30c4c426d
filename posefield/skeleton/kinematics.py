"""Batched, differentiable forward kinematics (torch, float32 or float64)."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from posefield.rotations.quaternion import rotmat_entries
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


def _sorted_rotmats(rotations: torch.Tensor, order: torch.Tensor) -> torch.Tensor:
    """(..., J, 4) quaternions or (..., J, 3, 3) matrices -> (3, 3, J, B) matrices with the rows
    and columns first, the joints in the order ``order`` (J,) and the B batch entries last."""
    quats = rotations.shape[-1] == 4
    flat = rotations.reshape(-1, len(order), *rotations.shape[-1 if quats else -2:]).index_select(1, order)
    if quats:  # (4, J, B) contiguous components, then the nine entries
        return torch.stack(rotmat_entries(*flat.permute(2, 1, 0).contiguous())).unflatten(0, (3, 3))
    return flat.permute(2, 3, 1, 0)


def forward_kinematics(skeleton: Skeleton, rotations: torch.Tensor, root_translation: torch.Tensor | None = None,
                       offsets: torch.Tensor | None = None, with_end_sites: bool = False) -> torch.Tensor:
    """Global joint positions from local rotations, one batched step per tree depth.

    The arithmetic runs with the matrix rows and columns as the leading dimensions and the
    batch last ((3, 3, n, B) per depth): a 3 × 3 product is then 27 multiply-adds over long
    contiguous rows, about 4 × faster on CPU than ``bmm`` of (B, 3, 3) blocks, and the joints
    of each depth are slices of one joint-sorted array (no zero-filled gradient per depth).

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
    batch = rotations.shape[:-2] if rotations.shape[-1] == 4 else rotations.shape[:-3]
    dtype, device = rotations.dtype, rotations.device
    num_joints = skeleton.num_joints
    levels = depth_levels(skeleton.parents)
    sizes = [len(level) for level in levels]
    order = [j for level in levels for j in level]
    sorted_at = {j: n for n, j in enumerate(order)}
    order_index = torch.tensor(order, device=device)
    rot = _sorted_rotmats(rotations, order_index)
    if offsets is None:
        offsets = torch.as_tensor(skeleton.offsets, dtype=dtype, device=device)
    offsets = offsets.to(dtype)
    if offsets.dim() > 2:  # (3, J, B) per sample, else (3, J, 1)
        offsets = offsets.expand(*batch, num_joints, 3).reshape(-1, num_joints, 3)
    offsets = offsets.reshape(-1, num_joints, 3).index_select(1, order_index).permute(2, 1, 0)
    rot_levels = rot.split(sizes, dim=2)
    offset_levels = offsets.split(sizes, dim=1)
    size = rot.shape[-1]
    glob = rot_levels[0]  # (3, 3, n, B) global rotations of the current depth
    if root_translation is None:
        pos = offset_levels[0].expand(3, sizes[0], size)
    else:
        pos = root_translation.to(dtype).expand(*batch, 3).reshape(-1, 3).T[:, None, :].expand(3, sizes[0], size)
    globals_, positions = [glob], [pos]
    for previous, level, local, offset in zip(levels, levels[1:], rot_levels[1:], offset_levels[1:]):
        within = {j: n for n, j in enumerate(previous)}
        if len(previous) == 1:  # one parent: a broadcast, whose gradient is a sum
            parent_glob, parent_pos = glob.expand(3, 3, len(level), size), pos.expand(3, len(level), size)
        else:
            parent_index = torch.tensor([within[skeleton.parents[j]] for j in level], device=device)
            parent_glob, parent_pos = glob.index_select(2, parent_index), pos.index_select(1, parent_index)
        pos = parent_pos + (parent_glob * offset[None]).sum(1)
        glob = (parent_glob[:, :, None] * local[None]).sum(1)
        globals_.append(glob)
        positions.append(pos)
    points = positions
    ends = sorted(skeleton.end_sites) if with_end_sites else []
    if ends:
        ends_sorted = torch.tensor([sorted_at[j] for j in ends], device=device)
        site = torch.as_tensor(np.array([skeleton.end_sites[j] for j in ends]), dtype=dtype, device=device)
        end_glob = torch.cat(globals_, dim=2).index_select(2, ends_sorted)  # (3, 3, E, B)
        end_pos = torch.cat(positions, dim=1).index_select(1, ends_sorted)
        points = positions + [end_pos + (end_glob * site.T[None, :, :, None]).sum(1)]
    unorder = torch.tensor([sorted_at[j] for j in range(num_joints)] + list(range(num_joints, num_joints + len(ends))),
                           device=device)
    out = torch.cat(points, dim=1).index_select(1, unorder)  # (3, J [+ E], B)
    return out.permute(2, 1, 0).contiguous().reshape(*batch, out.shape[1], 3)


def rest_points(skeleton: Skeleton) -> np.ndarray:
    """(J + E, 3) rest-pose positions of the joints and then the end sites, metres (root at its rest offset)."""
    identity = torch.zeros(skeleton.num_joints, 4, dtype=torch.float64)
    identity[:, 3] = 1
    return forward_kinematics(skeleton, identity, with_end_sites=True).numpy()
