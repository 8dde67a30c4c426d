"""The optimisation variables shared by every fitting application.

Each joint's rotation is a tangent-space offset from an initial rotation (the exponential map),
restricted to the axes the joint has rotation channels for, so a fitted motion stays
writable in its own format (an ASF knee with ``dof rx`` only ever bends about its x axis):

    q_tj = q0_tj ⊗ exp(B_j u_tj),      t_t = t0_t + Δt_t

with u (T, J, 3) and Δt (T, 3) the free parameters (zero at the start), B_j (3, 3) the
joint's dof basis in its canonical local frame.
"""
from __future__ import annotations

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


def left_product_matrices(p: torch.Tensor) -> torch.Tensor:
    """(..., 4) quaternions p (xyzw) -> (..., 4, 4) matrices L(p) with p ⊗ q = L(p) q for any q."""
    x, y, z, w = p.unbind(-1)
    return torch.stack([w, -z, y, x,
                        z, w, -x, y,
                        -y, x, w, z,
                        -x, -y, -z, w], dim=-1).unflatten(-1, (4, 4))


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
        self.register_buffer("left", left_product_matrices(rotations))  # q0 ⊗ · as (T, J, 4, 4) matrices
        self.register_buffer("t0", translation.to(dtype))
        self.register_buffer("basis", basis.to(dtype))
        self.offsets = torch.nn.Parameter(torch.zeros(*rotations.shape[:-1], 3, dtype=dtype))
        self.shift = torch.nn.Parameter(torch.zeros_like(self.t0))

    def rotations(self) -> torch.Tensor:
        """(T, J, 4) current local unit quaternions q0 ⊗ exp(B u): exp(v) = (sin(|v|/2) v / |v|,
        cos(|v|/2)), written with ``sinc`` and a norm whose gradients are finite at v = 0 (the start);
        the product as one batched product with the constant matrices L(q0) (1,000 frames of 31
        joints, forward + backward: 3.4 ms against 4.2-4.6 ms through roma's ``cross``-based product)."""
        rotvec = torch.einsum("jab,tjb->tja", self.basis, self.offsets)
        angle = torch.linalg.vector_norm(rotvec, dim=-1, keepdim=True)
        exp = torch.cat([0.5 * torch.sinc(angle / (2 * torch.pi)) * rotvec, torch.cos(0.5 * angle)], dim=-1)
        return (self.left @ exp[..., None])[..., 0]

    def translation(self) -> torch.Tensor:
        """(T, 3) current root translation, metres."""
        return self.t0 + self.shift
