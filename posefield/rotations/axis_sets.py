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

from typing import NamedTuple

import torch

Vec = tuple[torch.Tensor, torch.Tensor, torch.Tensor]
EPS = 1e-12  # added to the twist's length before dividing by it


def _dot(u: Vec, v: Vec) -> torch.Tensor:
    return u[0] * v[0] + u[1] * v[1] + u[2] * v[2]


def _cross(u: Vec, v: Vec) -> Vec:
    return u[1] * v[2] - u[2] * v[1], u[2] * v[0] - u[0] * v[2], u[0] * v[1] - u[1] * v[0]


def _norm(u: Vec) -> torch.Tensor:
    """|u| with a zero (not NaN) gradient at u = 0 (where it reads the smallest normal float's root)."""
    squared = u[0] * u[0] + u[1] * u[1] + u[2] * u[2]
    return torch.sqrt(squared.clamp(min=torch.finfo(squared.dtype).tiny))


class Twist(NamedTuple):
    """The twist of q = (v, w) about a unit axis b and what its derivative needs; each (...)."""

    scale: torch.Tensor  # the twist's vector part is scale · b
    w: torch.Tensor  # its scalar part
    angle: torch.Tensor  # half-angle from q to it (radians)
    along: torch.Tensor  # v · b
    size: torch.Tensor  # (along² + w²)^½
    swing: Vec  # v - along b
    swing_norm: torch.Tensor  # |swing| (at least the root of the smallest normal float)


def twist(v: Vec, w: torch.Tensor, b: Vec) -> Twist:
    """Twist of q = (v, w) about the unit axis b, and the half-angle from q to it.

    Args:
        v, w: vector components and scalar component of unit quaternions, each (...).
        b: unit axis components, each broadcastable to (...).
    Returns:
        the twist (vector part scale · b, scalar part w) and (...) half-angles in radians (as
        :func:`posefield.rotations.distance.smooth_geodesic_angles`), with the intermediates.
    """
    along = _dot(v, b)
    size = torch.sqrt(along * along + w * w)
    swing = (v[0] - along * b[0], v[1] - along * b[1], v[2] - along * b[2])
    swing_norm = _norm(swing)
    return Twist(along / (size + EPS), w / (size + EPS), torch.atan2(swing_norm, size), along, size, swing, swing_norm)


def _twist_vjp(t: Twist, w: torch.Tensor, b: Vec, g_scale: torch.Tensor, g_w: torch.Tensor,
               g_angle: torch.Tensor) -> tuple[Vec, torch.Tensor]:
    """Gradients at (v, w) of :func:`twist` from those at its scale, scalar part and angle (each (...))."""
    d = t.size + EPS
    g_size = -(g_scale * t.along + g_w * w) / (d * d)
    g_along, g_rest_w = g_scale / d, g_w / d
    r2 = t.size * t.size + t.swing_norm * t.swing_norm  # atan2(swing_norm, size)
    g_size = g_size - g_angle * t.swing_norm / r2
    g_unit = torch.where(t.swing_norm > torch.finfo(w.dtype).tiny ** 0.5, g_angle * t.size / (r2 * t.swing_norm), 0.0)  # through _norm
    g_swing = (g_unit * t.swing[0], g_unit * t.swing[1], g_unit * t.swing[2])
    g_along = g_along - _dot(g_swing, b) + g_size * t.along / t.size
    g_rest_w = g_rest_w + g_size * w / t.size
    return (g_swing[0] + g_along * b[0], g_swing[1] + g_along * b[1], g_swing[2] + g_along * b[2]), g_rest_w


def about_axis_components(q: tuple[torch.Tensor, ...], axis: Vec) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """Closest rotation about ``axis`` and the half-angle to it, on components.

    Args:
        q: (x, y, z, w) components of unit quaternions, each (...).
        axis: unit axis components, each broadcastable to (...).
    Returns:
        the closest rotations' (x, y, z, w) components, each (...), and (...) half-angles (radians).
    """
    t = twist(q[:3], q[3], axis)
    return twist_rotation(t, axis), t.angle


def twist_rotation(t: Twist, axis: Vec) -> tuple[torch.Tensor, ...]:
    """The (x, y, z, w) components of the twist ``t`` about ``axis``, each (...)."""
    return t.scale * axis[0], t.scale * axis[1], t.scale * axis[2], t.w


def about_axis_vjp(t: Twist, q: tuple[torch.Tensor, ...], axis: Vec, g_out: tuple[torch.Tensor, ...],
                   g_angle: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Gradient at q of :func:`about_axis_components`, written out (no autograd graph).

    Args:
        t: ``twist(q[:3], q[3], axis)``, as the forward computed it.
        q, axis: as for :func:`about_axis_components`.
        g_out: gradients at the four output components, each (...); g_angle: at the half-angles, (...).
    Returns:
        the gradient's (x, y, z, w) components, each (...).
    """
    g_v, g_w = _twist_vjp(t, q[3], axis, _dot(g_out[:3], axis), g_out[3], g_angle)
    return (*g_v, g_w)


class TwoAxis(NamedTuple):
    """The steps of :func:`two_axis_components` that its derivative needs; each (...)."""

    out: tuple[torch.Tensor, ...]  # the closest rotations' (x, y, z, w)
    angle: torch.Tensor  # half-angle to them (radians)
    aq_v: Vec  # vector part of (a, 0) ⊗ q
    a_dot_v: torch.Tensor
    v_b: torch.Tensor
    aq_b: torch.Tensor
    m12: torch.Tensor
    spread: torch.Tensor  # m11 - m22
    c: torch.Tensor  # cos α/2
    s: torch.Tensor  # sin α/2
    rest_w: torch.Tensor  # scalar part of q_outer(α)⁻¹ ⊗ q
    inner_twist: Twist  # of q_outer(α)⁻¹ ⊗ q about the inner axis


def two_axis(q: tuple[torch.Tensor, ...], outer: Vec, inner: Vec) -> TwoAxis:
    """:func:`two_axis_components` with the intermediates its derivative needs (same arguments)."""
    v, w = q[:3], q[3]
    a, b = outer, inner
    a_v = _cross(a, v)
    aq_v = (w * a[0] + a_v[0], w * a[1] + a_v[1], w * a[2] + a_v[2])  # (a, 0) ⊗ q = (aq_v, -a·v)
    a_dot_v = _dot(a, v)
    v_b, aq_b = _dot(v, b), _dot(aq_v, b)
    m11 = w * w + v_b * v_b  # the quadratic form in (cos α/2, sin α/2), see the module docstring
    m22 = a_dot_v * a_dot_v + aq_b * aq_b
    m12 = w * a_dot_v - v_b * aq_b
    spread = m11 - m22
    half = 0.5 * torch.atan2(2 * m12, spread)
    c, s = torch.cos(half), torch.sin(half)
    rest_v = (c * v[0] - s * aq_v[0], c * v[1] - s * aq_v[1], c * v[2] - s * aq_v[2])  # q_outer(α)⁻¹ ⊗ q
    rest_w = c * w + s * a_dot_v
    t = twist(rest_v, rest_w, b)
    t_v = (t.scale * b[0], t.scale * b[1], t.scale * b[2])
    s_a = (s * a[0], s * a[1], s * a[2])  # q_outer(α) = (s a, c), times the twist (t_v, t.w)
    a_t = _cross(s_a, t_v)
    out_v = tuple(c * t_v[i] + t.w * s_a[i] + a_t[i] for i in range(3))
    return TwoAxis((*out_v, c * t.w - _dot(s_a, t_v)), t.angle, aq_v, a_dot_v, v_b, aq_b, m12, spread, c, s,
                   rest_w, t)


def two_axis_components(q: tuple[torch.Tensor, ...], outer: Vec, inner: Vec) -> tuple[tuple[torch.Tensor, ...], torch.Tensor]:
    """Closest rotation of the form R_outer(α) · R_inner(β) and the half-angle to it, on components.

    Args:
        q: (x, y, z, w) components of unit quaternions, each (...).
        outer, inner: unit axis components (not parallel), each broadcastable to (...).
    Returns:
        the closest rotations' (x, y, z, w) components, each (...), and (...) half-angles (radians).
    """
    parts = two_axis(q, outer, inner)
    return parts.out, parts.angle


def two_axis_vjp(p: TwoAxis, q: tuple[torch.Tensor, ...], outer: Vec, inner: Vec, g_out: tuple[torch.Tensor, ...],
                 g_angle: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """Gradient at q of :func:`two_axis_components`, written out (no autograd graph): the chain
    rule through its steps in reverse, with out = scale (c b + s a×b, -s a·b) + t_w (s a, c).

    Args:
        p: ``two_axis(q, outer, inner)``, as the forward computed it.
        q, outer, inner: as for :func:`two_axis_components`.
        g_out: gradients at the four output components, each (...); g_angle: at the half-angles, (...).
    Returns:
        the gradient's (x, y, z, w) components, each (...).
    """
    v, w, a, b, t, c, s = q[:3], q[3], outer, inner, p.inner_twist, p.c, p.s
    u_b, u_a, u_ab = _dot(g_out[:3], b), _dot(g_out[:3], a), _dot(g_out[:3], _cross(a, b))
    u_ab = u_ab - _dot(a, b) * g_out[3]
    g_c = t.scale * u_b + t.w * g_out[3]
    g_s = t.scale * u_ab + t.w * u_a
    g_rest_v, g_rest_w = _twist_vjp(t, p.rest_w, b, c * u_b + s * u_ab, s * u_a + c * g_out[3], g_angle)
    g_c = g_c + _dot(g_rest_v, v) + g_rest_w * w
    g_s = g_s + g_rest_w * p.a_dot_v - _dot(g_rest_v, p.aq_v)
    g_half = c * g_s - s * g_c
    r2 = p.spread * p.spread + 4 * p.m12 * p.m12  # atan2(2 m12, spread)
    g_m12, g_spread = g_half * p.spread / r2, -g_half * p.m12 / r2
    g_w = c * g_rest_w + 2 * w * g_spread + p.a_dot_v * g_m12  # m11 = w² + v_b²
    g_v_b = 2 * p.v_b * g_spread - p.aq_b * g_m12
    g_a_dot_v = s * g_rest_w - 2 * p.a_dot_v * g_spread + w * g_m12  # m22 = a_dot_v² + aq_b²
    g_aq_b = -2 * p.aq_b * g_spread - p.v_b * g_m12
    g_aq_v = tuple(g_aq_b * b[i] - s * g_rest_v[i] for i in range(3))
    g_a_v = _cross(g_aq_v, a)  # aq_v = w a + a × v
    g_v = tuple(c * g_rest_v[i] + g_v_b * b[i] + g_a_dot_v * a[i] + g_a_v[i] for i in range(3))
    return (*g_v, g_w + _dot(g_aq_v, a))


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
