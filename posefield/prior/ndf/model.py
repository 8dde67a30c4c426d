"""Pose-NDF: a neural (unsigned) distance field over the poses of a joint set.

f(θ) approximates the weighted geodesic distance (:func:`posefield.rotations.pose_distance`,
radians) from pose θ ∈ (S³)^K / ±1 to the manifold of plausible poses; the manifold is its
zero level set.

Architecture (Tiwari et al., ECCV 2022):

* hierarchical encoder: one two-layer MLP per joint maps (θ_k, v_parent(k)) to a feature v_k,
  following the kinematic tree of the modelled joints (a joint without a modelled ancestor
  gets a zero parent feature). Joints of one tree depth are evaluated together with one
  batched matmul, so a forward pass costs one ``bmm`` per depth level, not per joint;
* distance MLP on the concatenated features [v_1 ‖ … ‖ v_K], followed by ``abs`` so that
  f ≥ 0 while f·∇f stays smooth across the zero level set.

In eval mode the learned part is evaluated by :class:`FrozenField` (block matrices per depth
level, the input gradient by hand, cache-sized chunks), and the distance and its gradient come
in one pass through it and the rig-set step (:meth:`PoseNDF.distance_and_gradient`, one autograd
node under autograd); train mode runs the modules above under autograd.

Inputs are mapped to the w ≥ 0 hemisphere and re-normalised inside, so f(q) = f(-q) and
∇_q f is tangent to each joint's sphere.
"""
from __future__ import annotations

import dataclasses
import functools
import math
from typing import Sequence

import torch
from torch import nn

from posefield.data.dataset import joint_subset
from posefield.errors import InvalidPoseError
from posefield.prior.base import PosePrior
from posefield.prior.registry import check_compatible
from posefield.rotations import (canonical_hemisphere, check_unit_quaternions, hemisphere_sign, joint_weights,
                                 normalize_quaternions, quaternion_dot)
from posefield.skeleton import Skeleton
from posefield.skeleton.dofs import RigDofs
from posefield.skeleton.kinematics import depth_levels

ACTIVATIONS = {"silu": nn.SiLU, "relu": nn.ReLU, "softplus": nn.Softplus}
# (upstream gradient, pre-activation) -> gradient at the pre-activation, as autograd computes it
ACTIVATION_GRADIENTS = {"silu": torch.ops.aten.silu_backward,
                        "relu": lambda grad, pre: torch.ops.aten.threshold_backward(grad, pre, 0),
                        "softplus": lambda grad, pre: torch.ops.aten.softplus_backward(grad, pre, 1, 20)}
CHUNK = 512  # poses per pass of the frozen field: one chunk's activations stay in the core's L2 cache


@dataclasses.dataclass(frozen=True)
class NDFConfig:
    """Sizes of a :class:`PoseNDF`. The defaults keep a projection step at ~0.1 ms per pose
    on two CPU cores while fitting the CMU/DAZ manifolds well (see ``benchmarks/prior.md``).

    Attributes:
        feature_dim: F, size of each joint's feature v_k.
        encoder_hidden: hidden width of each joint's two-layer encoder MLP.
        hidden: widths of the distance MLP's hidden layers.
        activation: ``"silu"`` (smooth, so ∇f is continuous for projection), ``"relu"`` or ``"softplus"``.
        weight_scheme: joint weights w_i of the distance (:func:`posefield.rotations.joint_weights`).
        rig_dofs: at use (not in training), take the distance to the rotations the rig's
            channels reach exactly (:class:`posefield.skeleton.dofs.RigDofs`) and the learned
            field only within them (see :meth:`PoseNDF.forward`); no effect on rigs whose
            joints all have three channels.
    """

    feature_dim: int = 8
    encoder_hidden: int = 32
    hidden: tuple[int, ...] = (256, 256, 128)
    activation: str = "silu"
    weight_scheme: str = "subtree"
    rig_dofs: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r} (expected one of {', '.join(ACTIVATIONS)})")


def _uniform(shape: tuple[int, ...], fan_in: int) -> nn.Parameter:
    """nn.Linear's default initialisation U(-1/√fan_in, 1/√fan_in)."""
    bound = 1.0 / math.sqrt(fan_in)
    return nn.Parameter(torch.empty(shape).uniform_(-bound, bound))


class HierarchicalEncoder(nn.Module):
    """Per-joint two-layer MLPs (θ_k, v_parent) -> v_k, evaluated one depth level at a time.

    Joints are processed in level order (all of depth 0, then depth 1, …): the inputs and each
    weight are gathered into that order once and ``split`` by level (whose backward is one
    concatenation; a slice per level would make autograd build a full-size zero gradient per
    slice). Each level concatenates its joints' quaternions with their parents' features,
    gathered from the previous level's output, and runs both layers as batched matmuls; the
    features go back to joint order once at the end. Parameters stay per joint, in joint order.
    """

    def __init__(self, parents: Sequence[int], feature_dim: int, hidden: int, activation: str):
        super().__init__()
        k, f = len(parents), feature_dim
        self.num_joints, self.feature_dim = k, f
        self.w1, self.b1 = _uniform((k, 4 + f, hidden), 4 + f), _uniform((k, 1, hidden), 4 + f)
        self.w2, self.b2 = _uniform((k, hidden, f), hidden), _uniform((k, 1, f), hidden)
        self.act = ACTIVATIONS[activation]()
        levels = depth_levels(parents)
        self.levels, self.parents = levels, list(parents)
        order = [j for level in levels for j in level]
        self.register_buffer("order", torch.tensor(order, dtype=torch.long), persistent=False)
        self.register_buffer("unorder", torch.argsort(self.order), persistent=False)
        self.level_sizes = [len(level) for level in levels]
        # the parents of level i's joints, as positions within level i - 1
        for i in range(1, len(levels)):
            within = {j: n for n, j in enumerate(levels[i - 1])}
            self.register_buffer(f"level{i}_parent", torch.tensor([within[parents[j]] for j in levels[i]]),
                                 persistent=False)

    def forward(self, quats: torch.Tensor) -> torch.Tensor:
        """(B, K, 4) quaternions -> (B, K·F) concatenated joint features (joint order)."""
        sizes = self.level_sizes
        w1, b1, w2, b2 = (p.index_select(0, self.order).split(sizes) for p in (self.w1, self.b1, self.w2, self.b2))
        q = quats.index_select(1, self.order).transpose(0, 1).split(sizes)  # (K, B, 4) in levels
        features: list[torch.Tensor] = []
        for i in range(len(sizes)):
            if i:
                parent = features[-1].index_select(0, getattr(self, f"level{i}_parent"))
                pre = torch.baddbmm(b1[i], torch.cat([q[i], parent], dim=-1), w1[i])
            else:  # depth 0 has no modelled parent: a zero parent feature
                pre = torch.baddbmm(b1[i], q[i], w1[i][:, :4])
            features.append(torch.baddbmm(b2[i], self.act(pre), w2[i]))
        return torch.cat(features).transpose(0, 1).index_select(1, self.unorder).flatten(1)

    def buffer_layout(self) -> tuple[list[slice], list[slice]]:
        """Column spans of each depth level's quaternions and features in the frozen field's buffer
        (:class:`FrozenField`), laid out q_0 | v_0 | q_1 | v_1 | …, so that the input of level i ≥ 1,
        its parents' features and its own quaternions [v_{i-1} | q_i], is one span.

        Returns:
            per level (level order), the span of its 4 n_i quaternion columns (joints in level
            order) and that of its F n_i feature columns.
        """
        quats, features, col = [], [], 0
        for size in self.level_sizes:
            quats.append(slice(col, col + 4 * size))
            features.append(slice(col + 4 * size, col + (4 + self.feature_dim) * size))
            col += (4 + self.feature_dim) * size
        return quats, features

    def level_blocks(self) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
        """The weights of each depth level as block matrices over its joints (detached copies),
        on the input span of :meth:`buffer_layout`.

        Per level i with n_i joints (level order): ``w_in`` (F n_{i-1} + 4 n_i, H n_i), the first
        layer's rows of each joint's parent feature (at the parent's place in level i - 1; none at
        depth 0) then of its quaternion (block-diagonal); ``b1`` (H n_i,); ``w2`` (H n_i, F n_i)
        block-diagonal; ``b2`` (F n_i,). With them a level is two matrix products on (B, ·) rows.
        """
        f, hidden = self.feature_dim, self.w1.shape[-1]
        w1, b1, w2, b2 = (p.detach() for p in (self.w1, self.b1, self.w2, self.b2))
        blocks = []
        for i, level in enumerate(self.levels):
            above = len(self.levels[i - 1]) * f if i else 0
            w_in = w1.new_zeros(above + 4 * len(level), hidden * len(level))
            within = {j: n for n, j in enumerate(self.levels[i - 1])} if i else {}
            for n, j in enumerate(level):
                cols = slice(n * hidden, (n + 1) * hidden)
                w_in[above + 4 * n:above + 4 * n + 4, cols] = w1[j, :4]
                if i:
                    row = within[self.parents[j]] * f
                    w_in[row:row + f, cols] = w1[j, 4:]
            blocks.append((w_in, b1[level].flatten(), torch.block_diag(*(w2[j] for j in level)), b2[level].flatten()))
        return blocks


class FrozenField:
    """The learned field g of a :class:`PoseNDF` with its weights held fixed, for inference:
    the same function, evaluated with the encoder's joints of one depth as two block matrix
    products (:meth:`HierarchicalEncoder.level_blocks`) and g's input gradient written out by hand
    (every matrix product of the forward pass once more, transposed, and the activations'
    derivatives), ``CHUNK`` poses at a time so that a chunk's activations stay in cache. No
    autograd graph is built; the gradient reaches the poses only.

    A chunk's quaternions and features share one buffer (:meth:`HierarchicalEncoder.buffer_layout`),
    so each level reads its input as one span and writes its features in place; its gradient
    flows back through a buffer of the same layout. The hemisphere sign and normalisation are
    applied to the whole batch, once on the way in and once on the way out.

    Args:
        model: the prior whose weights are taken as they are now (a later change of them needs a
            new ``FrozenField``: :meth:`PoseNDF.frozen` rebuilds it when a parameter changed).
    """

    def __init__(self, model: "PoseNDF"):
        enc = model.encoder
        self.act = enc.act
        self.act_grad = ACTIVATION_GRADIENTS[model.config.activation]
        quat_spans, feature_spans = enc.buffer_layout()
        self.width = feature_spans[-1].stop
        # each level: (its input span, its feature span, w_in, w_inᵀ, b1, w2, w2ᵀ, b2)
        self.levels = []
        for i, (w_in, b1, w2, b2) in enumerate(enc.level_blocks()):
            span = slice(feature_spans[i - 1].start if i else quat_spans[0].start, quat_spans[i].stop)
            self.levels.append((span, feature_spans[i], w_in, w_in.t().contiguous(), b1, w2, w2.t().contiguous(), b2))
        order = enc.order.tolist()
        starts = [quat_spans[i].start + 4 * n for i, size in enumerate(enc.level_sizes) for n in range(size)]
        at = dict(zip(order, starts))  # joint -> its quaternion's first column
        self.quat_columns = torch.tensor([at[j] + c for j in range(len(order)) for c in range(4)], device=enc.order.device)
        self.feature_columns = torch.cat([torch.arange(s.start, s.stop) for s in feature_spans]).to(enc.order.device)
        linears = [m for m in model.distance if isinstance(m, nn.Linear)]
        # the first layer's columns in level order, the order the features are gathered in
        columns = torch.arange(enc.feature_dim, device=enc.order.device)
        level_order = (enc.order[:, None] * enc.feature_dim + columns).flatten()
        self.weights = [linears[0].weight.detach()[:, level_order]] + [m.weight.detach() for m in linears[1:]]
        self.weights_t = [w.t().contiguous() for w in self.weights]
        self.biases = [m.bias.detach() for m in linears]

    def __call__(self, quats: torch.Tensor, with_gradient: bool) -> tuple[torch.Tensor, torch.Tensor | None]:
        """g and, if asked, its gradient.

        Args:
            quats: (B, K, 4) unit quaternions (xyzw), either hemisphere.
            with_gradient: also return ∂g/∂quats.
        Returns:
            (B,) distances g ≥ 0 in radians and (B, K, 4) ∂g/∂quats (radians per unit) or None.
        """
        b, k = quats.shape[:2]
        # q = normalize_quaternions(canonical_hemisphere(quats)) = factor · quats, factor = ±1 / |quats|
        factor = hemisphere_sign(quats).mul_(torch.rsqrt(quaternion_dot(quats, quats)))
        q = quats * factor
        flat = q.reshape(b, 4 * k)
        g = quats.new_empty(b)
        grad = quats.new_empty(b, 4 * k) if with_gradient else None
        for start in range(0, b, CHUNK):
            part = slice(start, start + CHUNK)
            self._chunk(flat[part], g[part], None if grad is None else grad[part])
        if grad is None:
            return g, None
        dq = grad.view(b, k, 4)
        return g, dq.sub_(q * quaternion_dot(q, dq)).mul_(factor)  # through the normalisation and the sign

    def _chunk(self, flat: torch.Tensor, g: torch.Tensor, grad: torch.Tensor | None) -> None:
        """g (and ∂g/∂q) of (c, 4 K) normalised quaternions in joint order, written into (c,) ``g``
        and (c, 4 K) ``grad``."""
        buffer = flat.new_empty(len(flat), self.width)
        buffer.index_copy_(1, self.quat_columns, flat)
        pres = []
        for span, features, w_in, _, b1, w2, _, b2 in self.levels:
            pre = torch.addmm(b1, buffer[:, span], w_in)
            torch.addmm(b2, self.act(pre), w2, out=buffer[:, features])
            pres.append(pre)
        z, mlp_pres = buffer.index_select(1, self.feature_columns), []
        for w_t, bias in zip(self.weights_t[:-1], self.biases[:-1]):
            mlp_pres.append(torch.addmm(bias, z, w_t))
            z = self.act(mlp_pres[-1])
        y = torch.addmm(self.biases[-1], z, self.weights_t[-1]).squeeze(-1)
        torch.abs(y, out=g)
        if grad is None:
            return
        dz = torch.sign(y)[:, None] * self.weights[-1]  # d|y|/dz
        for w, pre in zip(reversed(self.weights[:-1]), reversed(mlp_pres)):
            dz = self.act_grad(dz, pre) @ w
        d_buffer = buffer  # the forward's values are no longer needed: the gradient takes their place
        column = dz.shape[1]
        for (span, features, _, w_in_t, _, _, w2_t, _), pre in zip(reversed(self.levels), reversed(pres)):
            d_feature = dz[:, column - (features.stop - features.start):column]
            column -= features.stop - features.start
            if features.stop < self.width:  # from the children's inputs, written by the level below
                d_feature = d_feature + d_buffer[:, features]
            torch.mm(self.act_grad(d_feature @ w2_t, pre), w_in_t, out=d_buffer[:, span])
        torch.index_select(d_buffer, 1, self.quat_columns, out=grad)


class _GradientInForward(torch.autograd.Function):
    """A function whose input gradient is computed with its value, ``value_and_gradient(quats)``
    -> ((B,) values, (B, K, 4) gradient), as an autograd node: the backward scales that gradient
    by the upstream one. Once differentiable: a second derivative raises instead of being wrong."""

    @staticmethod
    def forward(ctx, quats: torch.Tensor, value_and_gradient) -> torch.Tensor:
        value, grad = value_and_gradient(quats)
        ctx.save_for_backward(grad)
        return value

    @staticmethod
    @torch.autograd.function.once_differentiable
    def backward(ctx, upstream: torch.Tensor) -> tuple[torch.Tensor, None]:
        (grad,) = ctx.saved_tensors
        return upstream[:, None, None] * grad, None


class PoseNDF(PosePrior):
    """The Pose-NDF prior of one skeleton's joint set; ``energy`` is the distance f(θ) ≥ 0 (radians).

    Args:
        skeleton: the rig whose poses are modelled.
        joint_index: (K,) skeleton indices of the modelled joints (increasing, root excluded).
        config: network sizes and distance weights.
    """

    name = "ndf"
    energy_is_distance = True

    def __init__(self, skeleton: Skeleton, joint_index: Sequence[int], config: NDFConfig = NDFConfig()):
        super().__init__()
        self.skeleton = skeleton
        self.joint_index = [int(j) for j in joint_index]
        self.config = config
        self.parents = joint_subset(skeleton, self.joint_index)
        self.register_buffer("weights", joint_weights(self.parents, config.weight_scheme))
        self.encoder = HierarchicalEncoder(self.parents, config.feature_dim, config.encoder_hidden, config.activation)
        layers: list[nn.Module] = []
        width = len(self.joint_index) * config.feature_dim
        for h in config.hidden:
            layers += [nn.Linear(width, h), ACTIVATIONS[config.activation]()]
            width = h
        layers.append(nn.Linear(width, 1))
        self.distance = nn.Sequential(*layers)
        self.dofs = RigDofs(skeleton, self.joint_index) if config.rig_dofs else None
        self._frozen: tuple[tuple[tuple[int, int], ...], FrozenField] | None = None

    @property
    def num_joints(self) -> int:
        return len(self.joint_index)

    def forward(self, quats: torch.Tensor) -> torch.Tensor:
        """Distance without input checks (projection, fitting).

        With ``rig_dofs`` on a rig with one- or two-channel joints, the pose θ is first
        projected onto the rotations the channels reach (P θ, per joint r_k from θ_k to it) and
        f(θ) = sqrt(g(Pθ)² + Σ_k w_k/2 · r_k²), g the learned :meth:`field`: the manifold lies
        inside that set, so the exact off-set part and the in-set part add like the two legs
        of a right angle (the distance's own form, :func:`posefield.rotations.pose_distance`).
        Otherwise f = g.

        Args:
            quats: (B, K, 4) unit quaternions (xyzw), either hemisphere.
        Returns:
            (B,) distances f ≥ 0 in radians.
        """
        if self._frozen_use(quats) and torch.is_grad_enabled() and quats.requires_grad:
            return _GradientInForward.apply(quats, self.distance_and_gradient)
        if self.dofs is None or not self.dofs.restricted:
            return self.field(quats)
        reachable, off = self.dofs(canonical_hemisphere(quats))
        return _on_and_off_set(self.field(reachable), self._off_set(off))[0]

    def distance_and_gradient(self, quats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The distance and its input gradient, in one pass.

        In eval mode the chain rule is written out (:class:`FrozenField`, :meth:`RigDofs.vjp`):
        no autograd graph, and what :meth:`forward` returns under autograd is this; train mode
        differentiates :meth:`forward` with autograd.

        Args:
            quats: (B, K, 4) unit quaternions (xyzw), either hemisphere.
        Returns:
            (B,) distances f ≥ 0 in radians and (B, K, 4) ∂f/∂quats (radians per unit), detached.
        """
        if not self._frozen_use(quats):
            x = quats.detach().requires_grad_(True)
            with torch.enable_grad():
                f = self(x)
                (grad,) = torch.autograd.grad(f.sum(), x)
            return f.detach(), grad
        if self.dofs is None or not self.dofs.restricted:
            return self.frozen()(quats.detach(), with_gradient=True)
        return self._frozen_distance_and_gradient(quats.detach())

    def _off_set(self, off: torch.Tensor) -> torch.Tensor:
        """(B, K) half-angles to the rig's set -> (B,) Σ_k w_k/2 · r_k² (radians²)."""
        return (0.5 * self.weights * off.square()).sum(-1)

    def within_channels(self, quats: torch.Tensor) -> torch.Tensor:
        """g(Pθ): the learned distance of the nearest pose the rig's channels reach, without the
        part off the channels' set (the fits' prior term on poses mapped from another rig:
        :func:`posefield.fit.terms.prior_energy`). On poses within the channels it is :meth:`forward`.

        Args:
            quats: (B, K, 4) unit quaternions (xyzw), either hemisphere.
        Returns:
            (B,) distances g(Pθ) ≥ 0 in radians.
        """
        if self.dofs is None or not self.dofs.restricted:
            return self.field(quats)
        if self._frozen_use(quats) and torch.is_grad_enabled() and quats.requires_grad:
            return _GradientInForward.apply(quats, functools.partial(self._frozen_distance_and_gradient,
                                                                     within_channels=True))
        return self.field(self.dofs(canonical_hemisphere(quats))[0])

    def _frozen_distance_and_gradient(self, quats: torch.Tensor,
                                      within_channels: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """:meth:`distance_and_gradient` (or, ``within_channels``, :meth:`within_channels` and its
        gradient) in eval mode on a restricted rig: through the :class:`FrozenField`'s gradient,
        the rig-set step's (:meth:`RigDofs.vjp`) and the hemisphere sign."""
        sign = hemisphere_sign(quats)
        reachable, off, saved = self.dofs.forward_saved(quats * sign)
        inside, d_inside = self.frozen()(reachable, with_gradient=True)
        if within_channels:
            return inside, self.dofs.vjp(saved, d_inside, torch.zeros_like(off)).mul_(sign)
        f, away = _on_and_off_set(inside, self._off_set(off))
        f_away = torch.where(away, f, 1.0)  # ∂f/∂g = g / f and ∂f/∂r_k = w_k/2 · r_k / f off the set; 1 and 0 on it
        d_reachable = d_inside * torch.where(away, inside / f_away, 1.0)[:, None, None]
        d_off = torch.where(away[:, None], (0.5 * self.weights) * off / f_away[:, None], 0.0)
        return f, self.dofs.vjp(saved, d_reachable, d_off).mul_(sign)

    def _frozen_use(self, quats: torch.Tensor) -> bool:
        """Whether :class:`FrozenField` evaluates g for ``quats`` (eval mode, the weights' dtype)."""
        return not self.training and quats.dtype == self.weights.dtype

    def field(self, quats: torch.Tensor) -> torch.Tensor:
        """The learned distance g (what training fits, on poses on and off the rig's set).

        In eval mode (as loaded from a checkpoint) g is evaluated by :class:`FrozenField`: the
        same function with a faster forward and input gradient (``benchmarks/speed.md``), but
        gradients reach the input poses only (none for the parameters, no second derivatives).
        Train mode keeps the autograd graph of every parameter (training, the eikonal term's
        double backward).

        Args:
            quats: (B, K, 4) unit quaternions (xyzw), either hemisphere.
        Returns:
            (B,) distances g ≥ 0 in radians.
        """
        if self._frozen_use(quats):
            if torch.is_grad_enabled() and quats.requires_grad:
                return _GradientInForward.apply(quats, functools.partial(self.frozen(), with_gradient=True))
            return self.frozen()(quats, with_gradient=False)[0]
        q = normalize_quaternions(canonical_hemisphere(quats))
        return self.distance(self.encoder(q)).squeeze(-1).abs()

    def frozen(self) -> FrozenField:
        """The :class:`FrozenField` of the current weights (rebuilt when a parameter changed)."""
        key = tuple((p.data_ptr(), p._version) for p in self.parameters())
        if self._frozen is None or self._frozen[0] != key:
            self._frozen = (key, FrozenField(self))
        return self._frozen[1]

    def validate(self, quats: torch.Tensor) -> None:
        """Raise :class:`InvalidPoseError` (one line) unless ``quats`` is (B, K, 4) finite unit quaternions."""
        if quats.ndim != 3 or quats.shape[1] != self.num_joints:
            raise InvalidPoseError(f"prior expects poses of shape (B, {self.num_joints}, 4), got {tuple(quats.shape)}")
        check_unit_quaternions(quats, what="pose")

    def energy(self, quats: torch.Tensor) -> torch.Tensor:
        """(B, K, 4) unit quaternions -> (B,) distances to the pose manifold (radians)."""
        self.validate(quats)
        return self(quats.to(self.weights.dtype))

    def use_rig(self, skeleton: Skeleton) -> None:
        """Take the rig-set distance from ``skeleton``'s channels and axis frames.

        Subjects of one rig share joint names and tree but each file states its own axis
        frames and dofs (ASF ``axis``/``dof``); the rotations its poses reach are that file's,
        not the training skeleton's. The learned field is unchanged.
        """
        if self.dofs is not None:
            self.dofs = RigDofs(skeleton, self.joint_index).to(self.weights.device)

    def check_skeleton(self, skeleton: Skeleton) -> None:
        """Raise :class:`SkeletonMismatchError` (one line) unless ``skeleton`` is this prior's rig."""
        check_compatible(self, skeleton)


def _on_and_off_set(inside: torch.Tensor, off_set: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(B,) f = sqrt(g² + off_set) from the learned distance g within the rig's set and the
    squared distance to the set, and (B,) whether the pose is off the set. On the set (clean
    poses) f = g exactly: sqrt(g² + ε) would bend |g| at 0 with a curvature of 1/√ε, which a
    double backward amplifies."""
    away = off_set > 1e-12
    return torch.where(away, torch.sqrt(torch.where(away, inside.square() + off_set, 1.0)), inside), away
