"""The rotations a rig's channels can reach, per joint, and the projection onto them.

A joint with three rotation channels reaches every rotation; one with one or two (CMU ASF:
``dof rx`` of a knee, ``dof ry rz`` of a clavicle) reaches only rotations about those axes of
its frame C (local rotation C · R(channels) · Cᵀ, :class:`~posefield.skeleton.Skeleton`).
Every pose a file of that rig stores lies in this set, so the distance of a pose to it is
known exactly and need not be learned (see :class:`posefield.prior.PoseNDF`).
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from posefield.rotations.axis_sets import about_axis_components, two_axis_components
from posefield.rotations.euler import AXIS_INDEX, rotation_order
from posefield.skeleton.skeleton import Skeleton


class RigDofs(nn.Module):
    """Projection of poses of a joint set onto the rotations its channels reach.

    Args:
        skeleton: the rig.
        joint_index: (K,) skeleton indices of the modelled joints.
    """

    def __init__(self, skeleton: Skeleton, joint_index: Sequence[int]):
        super().__init__()
        one, two, outer, inner, axis = [], [], [], [], []
        for k, j in enumerate(joint_index):
            order = rotation_order(skeleton.channels[j])
            frame = torch.as_tensor(skeleton.axes[j], dtype=torch.float32)
            columns = [frame[:, AXIS_INDEX[a]] for a in order]  # axes in the joint's local frame
            if len(order) == 1:
                one.append(k)
                axis.append(columns[0])
            elif len(order) == 2:
                two.append(k)
                outer.append(columns[0])
                inner.append(columns[1])
        empty = torch.zeros(0, 3)
        self.register_buffer("one", torch.tensor(one, dtype=torch.long), persistent=False)
        self.register_buffer("two", torch.tensor(two, dtype=torch.long), persistent=False)
        self.register_buffer("axis", torch.stack(axis) if axis else empty, persistent=False)
        self.register_buffer("outer", torch.stack(outer) if outer else empty, persistent=False)
        self.register_buffer("inner", torch.stack(inner) if inner else empty, persistent=False)

    @property
    def restricted(self) -> bool:
        """Whether any joint has fewer than three rotation channels."""
        return bool(len(self.one) or len(self.two))

    def forward(self, quats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Closest reachable pose and the per-joint distance to it.

        The restricted joints are gathered once as quaternion components (4, ..., n), projected
        there (:mod:`posefield.rotations.axis_sets`) and written back with one ``index_copy``.

        Args:
            quats: (..., K, 4) unit quaternions (xyzw).
        Returns:
            (..., K, 4) reachable poses (three-channel joints unchanged) and (..., K) half-angles
            (radians, as in :func:`posefield.rotations.distance.smooth_geodesic_angles`) from each
            joint to them (zero for three-channel joints).
        """
        if not self.restricted:
            return quats.clone(), quats.new_zeros(quats.shape[:-1])
        planes = quats.movedim(-1, 0)
        moved, angles = [], []
        if len(self.one):
            q, angle = about_axis_components(planes[..., self.one].unbind(0), self.axis.unbind(-1))
            moved.append(torch.stack(q, dim=-1))
            angles.append(angle)
        if len(self.two):
            q, angle = two_axis_components(planes[..., self.two].unbind(0), self.outer.unbind(-1), self.inner.unbind(-1))
            moved.append(torch.stack(q, dim=-1))
            angles.append(angle)
        joints = torch.cat([self.one, self.two])
        off = quats.new_zeros(quats.shape[:-1]).index_copy(-1, joints, torch.cat(angles, dim=-1))
        return quats.index_copy(-2, joints, torch.cat(moved, dim=-2)), off
