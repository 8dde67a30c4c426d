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

Inputs are mapped to the w ≥ 0 hemisphere and re-normalised inside, so f(q) = f(-q) and
∇_q f is tangent to each joint's sphere.
"""
from __future__ import annotations

import dataclasses
import math
from typing import Sequence

import torch
from torch import nn

from posefield.data.dataset import joint_subset
from posefield.errors import InvalidPoseError
from posefield.prior.base import PosePrior
from posefield.prior.registry import check_compatible
from posefield.rotations import canonical_hemisphere, check_unit_quaternions, joint_weights, normalize_quaternions
from posefield.skeleton import Skeleton
from posefield.skeleton.dofs import RigDofs
from posefield.skeleton.kinematics import depth_levels

ACTIVATIONS = {"silu": nn.SiLU, "relu": nn.ReLU, "softplus": nn.Softplus}


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
        if self.dofs is None or not self.dofs.restricted:
            return self.field(quats)
        reachable, off = self.dofs(canonical_hemisphere(quats))
        off_set = (0.5 * self.weights * off.square()).sum(-1)
        inside = self.field(reachable)
        # within the set (clean poses) f = g exactly: sqrt(g² + ε) would bend |g| at 0 with a
        # curvature of 1/√ε, which a double backward amplifies
        away = off_set > 1e-12
        return torch.where(away, torch.sqrt(torch.where(away, inside.square() + off_set, 1.0)), inside)

    def field(self, quats: torch.Tensor) -> torch.Tensor:
        """The learned distance g (what training fits, on poses on and off the rig's set).

        Args:
            quats: (B, K, 4) unit quaternions (xyzw), either hemisphere.
        Returns:
            (B,) distances g ≥ 0 in radians.
        """
        q = normalize_quaternions(canonical_hemisphere(quats))
        return self.distance(self.encoder(q)).squeeze(-1).abs()

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
