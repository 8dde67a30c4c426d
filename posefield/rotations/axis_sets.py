"""Closest rotations within the sets a rig's Euler channels can reach.

A joint animated by fewer than three rotation channels reaches only part of SO(3): one
channel gives the rotations about a fixed axis b (a one-parameter subgroup), two channels
(outer a, inner b, R = R_a(α) · R_b(β)) a two-parameter set. Both projections below are exact
(closest in geodesic angle) and differentiable away from measure-zero ties:

* about one axis: the twist of q about b, normalise(w, (v·b) b);
* two axes: max over α, β of |⟨q, q_a(α) ⊗ q_b(β)⟩|. For fixed α the best β gives
  |⟨q', ·⟩|² = w'² + (v'·b)² with q' = q_a(α)⁻¹ ⊗ q, a quadratic form in (cos α/2, sin α/2),
  so α comes from the top eigenvector of a 2 × 2 matrix and β from the twist of q' about b.
"""
from __future__ import annotations

import roma
import torch


def _twist(q: torch.Tensor, axis: torch.Tensor, eps: float = 1e-12) -> torch.Tensor:
    """(..., 4) xyzw quaternions, (..., 3) unit axes -> (..., 4) closest rotations about the axis."""
    along = (q[..., :3] * axis).sum(-1, keepdim=True)
    t = torch.cat([along * axis, q[..., 3:]], dim=-1)
    return t / (t.norm(dim=-1, keepdim=True) + eps)


def _left_axis_product(axis: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """(a, 0) ⊗ q for (..., 3) axes a and (..., 4) xyzw quaternions q."""
    v, w = q[..., :3], q[..., 3:]
    return torch.cat([w * axis + torch.cross(axis, v, dim=-1), -(axis * v).sum(-1, keepdim=True)], dim=-1)


def closest_about_axis(q: torch.Tensor, axis: torch.Tensor) -> torch.Tensor:
    """Closest rotation about ``axis``.

    Args:
        q: (..., 4) unit quaternions (xyzw).
        axis: (..., 3) unit axes (broadcastable).
    Returns:
        (..., 4) unit quaternions of rotations about ``axis``.
    """
    return _twist(q, axis.expand(*q.shape[:-1], 3))


def closest_two_axis(q: torch.Tensor, outer: torch.Tensor, inner: torch.Tensor) -> torch.Tensor:
    """Closest rotation of the form R_outer(α) · R_inner(β).

    Args:
        q: (..., 4) unit quaternions (xyzw).
        outer, inner: (..., 3) unit axes (broadcastable), not parallel.
    Returns:
        (..., 4) unit quaternions q_outer(α) ⊗ q_inner(β).
    """
    outer, inner = outer.expand(*q.shape[:-1], 3), inner.expand(*q.shape[:-1], 3)
    aq = _left_axis_product(outer, q)  # q' = cos(α/2) q − sin(α/2) (a ⊗ q)
    u_w = torch.stack([q[..., 3], -aq[..., 3]], dim=-1)  # w' = u_w · (c, s)
    u_b = torch.stack([(q[..., :3] * inner).sum(-1), -(aq[..., :3] * inner).sum(-1)], dim=-1)
    m11 = u_w[..., 0] ** 2 + u_b[..., 0] ** 2
    m22 = u_w[..., 1] ** 2 + u_b[..., 1] ** 2
    m12 = u_w[..., 0] * u_w[..., 1] + u_b[..., 0] * u_b[..., 1]
    half = 0.5 * torch.atan2(2 * m12, m11 - m22)  # α/2 of the top eigenvector (cos, sin)
    c, s = torch.cos(half)[..., None], torch.sin(half)[..., None]
    rest = c * q - s * aq  # q_outer(α)⁻¹ ⊗ q
    q_outer = torch.cat([s * outer, c], dim=-1)
    return roma.quat_product(q_outer, _twist(rest, inner))

