"""Closest rotations within the sets a rig's Euler channels can reach.

A joint animated by fewer than three rotation channels reaches only part of SO(3): one
channel gives the rotations about a fixed axis b (a one-parameter subgroup), two channels
(outer a, inner b, R = R_a(α) · R_b(β)) a two-parameter set. Both projections below are exact
(closest in geodesic angle) and differentiable away from measure-zero ties:

* about one axis: the twist of q about b, normalise(w, (v·b) b);
* two axes: max over α, β of |⟨q, q_a(α) ⊗ q_b(β)⟩|. For fixed α the best β gives
  |⟨q', ·⟩|² = w'² + (v'·b)² with q' = q_a(α)⁻¹ ⊗ q, a quadratic form in (cos α/2, sin α/2),
  so α comes from the top eigenvector of a 2 × 2 matrix and β from the twist of q' about b.

The half-angle from q to its projection follows in closed form: q = twist ⊗ swing with the
swing's vector part of norm |v − (v·b) b| and scalar part |twist| = (w² + (v·b)²)^½, and for two
axes the same holds of q' about b.

The work is done on quaternion components (x, y, z, w as separate tensors): each step is then
one elementwise kernel over the whole batch instead of small reductions and concatenations
over a last dimension of 4, which is what the rig-set step of :class:`posefield.prior.PoseNDF`
spent its time on.
"""
from __future__ import annotations

import torch

Vec = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def _dot(u: Vec, v: Vec) -> torch.Tensor:
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


def _cross(u: Vec, v: Vec) -> Vec:
    return u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]


def _norm(u: Vec) -> torch.Tensor:
    """|u| with a zero (not NaN) gradient at u = 0 (where it reads the smallest normal float's root)."""
    squared = u[0] * u[0] + u[1] * u[1] + u[2] * u[2]
    return torch.sqrt(squared.clamp(min=torch.finfo(squared.dtype).tiny))


def _twist_components(v: Vec, w: torch.Tensor, b: Vec, eps: float = 1e-12) -> tuple[Vec, torch.Tensor, torch.Tensor]:
    """Twist of q = (v, w) about the unit axis b, and the half-angle from q to it.

    Args:
        v, w: vector components and scalar component of unit quaternions, each (...).
        b: unit axis components, each broadcastable to (...).
    Returns:
        the twist's vector components and scalar component (each (...)), and (...) half-angles
        in radians (as :func:`posefield.rotations.distance.smooth_geodesic_angles`).
    """
    along = _dot(v, b)
    size = torch.sqrt(along * along + w * w)
    scale = along / (size + eps)
    swing = (v[0] - along * b[0], v[1] - along * b[1], v[2] - along * b[2])
    return (scale * b[0], scale * b[1], scale * b[2]), w / (size + eps), torch.atan2(_norm(swing), size)


def about_axis_components(q: tuple[torch.Tensor, ...], axis: Vec) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """Closest rotation about ``axis`` and the half-angle to it, on components.

    Args:
        q: (x, y, z, w) components of unit quaternions, each (...).
        axis: unit axis components, each broadcastable to (...).
    Returns:
        the closest rotations' (x, y, z, w) components, each (...), and (...) half-angles (radians).
    """
    (tx, ty, tz), tw, angle = _twist_components(q[:3], q[3], axis)
    return (tx, ty, tz, tw), angle


def two_axis_components(q: tuple[torch.Tensor, ...], outer: Vec, inner: Vec) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """Closest rotation of the form R_outer(α) · R_inner(β) and the half-angle to it, on components.

    Args:
        q: (x, y, z, w) components of unit quaternions, each (...).
        outer, inner: unit axis components (not parallel), each broadcastable to (...).
    Returns:
        the closest rotations' (x, y, z, w) components, each (...), and (...) half-angles (radians).
    """
    v, w = q[:3], q[3]
    a, b = outer, inner
    a_v = _cross(a, v)
    aq_v = (w * a[0] + a_v[0], w * a[1] + a_v[1], w * a[2] + a_v[2])  # (a, 0) ⊗ q = (aq_v, -a·v)
    a_dot_v = _dot(a, v)
    v_b, aq_b = _dot(v, b), _dot(aq_v, b)
    m11 = w * w + v_b * v_b  # the quadratic form in (cos α/2, sin α/2), see the module docstring
    m22 = a_dot_v * a_dot_v + aq_b * aq_b
    m12 = w * a_dot_v - v_b * aq_b
    half = 0.5 * torch.atan2(2 * m12, m11 - m22)
    c, s = torch.cos(half), torch.sin(half)
    rest_v = (c * v[0] - s * aq_v[0], c * v[1] - s * aq_v[1], c * v[2] - s * aq_v[2])  # q_outer(α)⁻¹ ⊗ q
    t_v, t_w, angle = _twist_components(rest_v, c * w + s * a_dot_v, b)
    s_a = (s * a[0], s * a[1], s * a[2])  # q_outer(α) = (s a, c), times the twist (t_v, t_w)
    a_t = _cross(s_a, t_v)
    out_v = tuple(c * t_v[i] + t_w * s_a[i] + a_t[i] for i in range(3))
    return (*out_v, c * t_w - _dot(s_a, t_v)), angle


def closest_about_axis(q: torch.Tensor, axis: torch.Tensor) -> torch.Tensor:
    """Closest rotation about ``axis``.

    Args:
        q: (..., 4) unit quaternions (xyzw).
        axis: (..., 3) unit axes (broadcastable).
    Returns:
        (..., 4) unit quaternions of rotations about ``axis``.
    """
    return torch.stack(about_axis_components(q.unbind(-1), axis.unbind(-1))[0], dim=-1)


def closest_two_axis(q: torch.Tensor, outer: torch.Tensor, inner: torch.Tensor) -> torch.Tensor:
    """Closest rotation of the form R_outer(α) · R_inner(β).

    Args:
        q: (..., 4) unit quaternions (xyzw).
        outer, inner: (..., 3) unit axes (broadcastable), not parallel.
    Returns:
        (..., 4) unit quaternions q_outer(α) ⊗ q_inner(β).
    """
    return torch.stack(two_axis_components(q.unbind(-1), outer.unbind(-1), inner.unbind(-1))[0], dim=-1)
