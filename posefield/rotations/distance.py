"""The Pose-NDF weighted geodesic pose distance.

d(θ, θ') = sqrt( Σ_i  w_i / 2 · arccos(|θ_i · θ'_i|)² )   (radians)

arccos(|q·q'|) is half the rotation angle between the two joint rotations and is
invariant to the q / -q sign. Weights: Pose-NDF weighs every joint 1 by default; posefield
offers ``joint_weights(parents, "depth")`` which weighs a joint by the number of joints in
its subtree (itself included), since a rotation near the root moves more of the body.
"""
from __future__ import annotations

from typing import Sequence

import torch


def geodesic_angles(q1: torch.Tensor, q2: torch.Tensor) -> torch.Tensor:
    """Per-joint half-angle arccos(|q1·q2|) in radians.

    Args:
        q1, q2: (..., K, 4) unit quaternions (broadcastable).
    Returns:
        (..., K) angles in [0, π/2].
    """
    dot = (q1 * q2).sum(dim=-1).abs().clamp(max=1.0)
    return torch.acos(dot)


def smooth_geodesic_angles(q1: torch.Tensor, q2: torch.Tensor) -> torch.Tensor:
    """The half-angles of :func:`geodesic_angles` with a finite gradient where q1 = ±q2.

    Args:
        q1, q2: (..., 4) unit quaternions (xyzw, broadcastable).
    Returns:
        (...) angles in [0, π/2]: atan2(|vector part|, |scalar part|) of q1⁻¹ ⊗ q2.
    """
    import roma  # imports torch._dynamo (seconds): only where needed

    d = roma.quat_product(roma.quat_conjugation(q1), q2)
    return torch.atan2(d[..., :3].norm(dim=-1), d[..., 3].abs())


def pose_distance(q1: torch.Tensor, q2: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Weighted geodesic pose distance of Pose-NDF.

    Args:
        q1, q2: (..., K, 4) unit quaternions (broadcastable).
        weights: (K,) non-negative joint weights w_i; ``None`` means all ones.
    Returns:
        (...) distances in radians.
    """
    ang = geodesic_angles(q1, q2)
    w = torch.ones(ang.shape[-1], dtype=ang.dtype, device=ang.device) if weights is None else weights.to(ang)
    return torch.sqrt((0.5 * w * ang.square()).sum(dim=-1))


def joint_weights(parents: Sequence[int], scheme: str = "uniform") -> torch.Tensor:
    """Per-joint weights for :func:`pose_distance`.

    Args:
        parents: (K,) parent index of each joint within the same list, -1 for a root.
        scheme: ``"uniform"`` (all 1, the paper's default) or ``"subtree"`` (size of each
            joint's subtree, normalised to mean 1).
    Returns:
        (K,) float32 weights.
    """
    k = len(parents)
    if scheme == "uniform":
        return torch.ones(k)
    if scheme == "subtree":
        size = [1.0] * k
        for j in reversed(range(k)):
            if parents[j] >= 0:
                if parents[j] >= j:
                    raise ValueError("parents must list every parent before its children")
                size[parents[j]] += size[j]
        w = torch.tensor(size)
        return w / w.mean()
    raise ValueError(f"unknown weight scheme {scheme!r} (expected 'uniform' or 'subtree')")
