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

from posefield.rotations.axis_sets import (about_axis_components, about_axis_vjp, twist, twist_rotation,
                                           two_axis, two_axis_components, two_axis_vjp)
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
        stacked = [torch.stack(axes).t()[:, :, None] if axes else torch.zeros(3, 0, 1) for axes in (axis, outer, inner)]
        self.register_buffer("joints", torch.tensor(one + two, dtype=torch.long), persistent=False)
        self.num_one = len(one)
        # (3, n, 1) axis components, each a column over that kind's joints (broadcast along the poses)
        self.register_buffer("axis", stacked[0], persistent=False)
        self.register_buffer("outer", stacked[1], persistent=False)
        self.register_buffer("inner", stacked[2], persistent=False)

    @property
    def restricted(self) -> bool:
        """Whether any joint has fewer than three rotation channels."""
        return bool(len(self.joints))

    def forward(self, quats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Closest reachable pose and the per-joint distance to it.

        The restricted joints (one-channel ones first) are gathered once as quaternion components
        (4, n, poses), projected there (:mod:`posefield.rotations.axis_sets`) and written back with
        one ``index_copy``. In eval mode a gradient comes from the derivative written out
        (:class:`_RigSetFunction`, once differentiable); train mode keeps autograd's (second
        derivatives: the eikonal loss).

        Args:
            quats: (..., K, 4) unit quaternions (xyzw).
        Returns:
            (..., K, 4) reachable poses (three-channel joints unchanged) and (..., K) half-angles
            (radians, as in :func:`posefield.rotations.distance.smooth_geodesic_angles`) from each
            joint to them (zero for three-channel joints).
        """
        if not self.restricted:
            return quats.clone(), quats.new_zeros(quats.shape[:-1])
        if not self.training and torch.is_grad_enabled() and quats.requires_grad:
            return _RigSetFunction.apply(quats, self)
        one, two = self.gather(quats)
        q_one, angle_one = about_axis_components(one, self.axis)
        q_two, angle_two = two_axis_components(two, self.outer, self.inner)
        return self.write_back(quats, q_one + q_two), self.spread(quats, angle_one, angle_two)

    def gather(self, x: torch.Tensor) -> tuple[tuple[torch.Tensor, ...], tuple[torch.Tensor, ...]]:
        """(..., K, 4) per-joint values -> their four components at the one- and two-channel
        joints, each (n_one, M) and (n_two, M) contiguous (M the poses of ``...``)."""
        n = len(self.joints)
        planes = x.index_select(-2, self.joints).reshape(-1, n, 4).permute(2, 1, 0).contiguous()
        return planes[:, :self.num_one].unbind(0), planes[:, self.num_one:].unbind(0)

    def write_back(self, x: torch.Tensor, components: tuple[torch.Tensor, ...]) -> torch.Tensor:
        """Inverse of :meth:`gather`: (..., K, 4) ``x`` with the restricted joints' values replaced by
        ``components`` (the one-channel joints' four components, each (n_one, M), then the two-channel
        joints')."""
        moved = torch.stack([torch.cat([a, b]) for a, b in zip(components[:4], components[4:])], dim=-1)
        return x.index_copy(-2, self.joints, moved.permute(1, 0, 2).reshape(x.shape[:-2] + (len(self.joints), 4)))

    def spread(self, like: torch.Tensor, angle_one: torch.Tensor, angle_two: torch.Tensor) -> torch.Tensor:
        """(n_one, M) and (n_two, M) values of the restricted joints -> (..., K) with zeros elsewhere,
        ``like`` the (..., K, 4) poses."""
        values = torch.cat([angle_one, angle_two]).t().reshape(like.shape[:-2] + (len(self.joints),))
        return like.new_zeros(like.shape[:-1]).index_copy(-1, self.joints, values)

    def forward_saved(self, quats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, tuple]:
        """:meth:`forward` without autograd, with what :meth:`vjp` needs (restricted rigs only).

        Returns:
            (..., K, 4) reachable poses, (..., K) half-angles to them, and the intermediates.
        """
        one, two = self.gather(quats)
        t = twist(one[:3], one[3], self.axis)
        parts = two_axis(two, self.outer, self.inner)
        reachable = self.write_back(quats, twist_rotation(t, self.axis) + parts.out)
        return reachable, self.spread(quats, t.angle, parts.angle), (one, t, two, parts)

    def vjp(self, saved: tuple, g_reachable: torch.Tensor, g_off: torch.Tensor) -> torch.Tensor:
        """Gradient at the poses of :meth:`forward` from those at its two outputs, written out
        (:func:`~posefield.rotations.axis_sets.about_axis_vjp`, :func:`~posefield.rotations.axis_sets.two_axis_vjp`
        on the intermediates ``saved`` by :meth:`forward_saved`): a few dozen elementwise kernels
        instead of autograd's several hundred.

        Args:
            saved: the intermediates of :meth:`forward_saved`.
            g_reachable: (..., K, 4) gradient at the reachable poses; g_off: (..., K) at the half-angles.
        Returns:
            (..., K, 4) gradient at the poses.
        """
        one, t, two, parts = saved
        g_one, g_two = self.gather(g_reachable)
        g_angle = g_off.index_select(-1, self.joints).reshape(-1, len(self.joints)).t().contiguous()
        g_one = about_axis_vjp(t, one, self.axis, g_one, g_angle[:self.num_one])
        g_two = two_axis_vjp(parts, two, self.outer, self.inner, g_two, g_angle[self.num_one:])
        return self.write_back(g_reachable, g_one + g_two)


class _RigSetFunction(torch.autograd.Function):
    """:meth:`RigDofs.forward` as one autograd node whose backward is :meth:`RigDofs.vjp`. Once
    differentiable: a second derivative raises instead of being wrong."""

    @staticmethod
    def forward(ctx, quats: torch.Tensor, dofs: RigDofs) -> tuple[torch.Tensor, torch.Tensor]:
        reachable, off, saved = dofs.forward_saved(quats)
        ctx.dofs, ctx.saved = dofs, saved
        return reachable, off

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, g_reachable: torch.Tensor, g_off: torch.Tensor) -> tuple[torch.Tensor, None]:
        return ctx.dofs.vjp(ctx.saved, g_reachable, g_off), None
