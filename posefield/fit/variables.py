"""The optimisation variables shared by every fitting application.

Each joint's rotation is a tangent-space offset from an initial rotation (roma's exp map),
restricted to the axes the joint has rotation channels for, so a fitted motion stays
writable in its own format (an ASF knee with ``dof rx`` only ever bends about its x axis):

    q_tj = q0_tj ⊗ exp(B_j u_tj),      t_t = t0_t + Δt_t

with u (T, J, 3) and Δt (T, 3) the free parameters (zero at the start), B_j (3, 3) the
joint's dof basis in its canonical local frame.
"""
from __future__ import annotations

import roma
import torch

from posefield.rotations.euler import AXIS_INDEX, ROTATION_CHANNELS
from posefield.skeleton import Skeleton


def dof_basis(skeleton: Skeleton) -> torch.Tensor:
    """(J, 3, 3) float64 per-joint basis C_j · diag(m_j): column i is the canonical-frame
    rotation axis of the joint's channel about local axis i, or zero where the joint has no
    such channel (C_j is the ASF axis frame, identity for BVH)."""
    mask = torch.zeros(skeleton.num_joints, 3, dtype=torch.float64)
    for j, channels in enumerate(skeleton.channels):
        for c in channels:
            if c in ROTATION_CHANNELS:
                mask[j, AXIS_INDEX[ROTATION_CHANNELS[c]]] = 1.0
    return torch.as_tensor(skeleton.axes) * mask[:, None, :]


class PoseVariables(torch.nn.Module):
    """Rotations and root translation of T frames as offsets from an initial motion.

    Args:
        rotations: (T, J, 4) initial local unit quaternions (xyzw).
        translation: (T, 3) initial root translation, metres.
        basis: (J, 3, 3) dof basis (:func:`dof_basis`).
    """

    def __init__(self, rotations: torch.Tensor, translation: torch.Tensor, basis: torch.Tensor):
        super().__init__()
        dtype = rotations.dtype
        self.register_buffer("q0", rotations)
        self.register_buffer("t0", translation.to(dtype))
        self.register_buffer("basis", basis.to(dtype))
        self.offsets = torch.nn.Parameter(torch.zeros(*rotations.shape[:-1], 3, dtype=dtype))
        self.shift = torch.nn.Parameter(torch.zeros_like(self.t0))

    def rotations(self) -> torch.Tensor:
        """(T, J, 4) current local unit quaternions."""
        rotvec = torch.einsum("jab,tjb->tja", self.basis, self.offsets)
        return roma.quat_product(self.q0, roma.rotvec_to_unitquat(rotvec))

    def translation(self) -> torch.Tensor:
        """(T, 3) current root translation, metres."""
        return self.t0 + self.shift
