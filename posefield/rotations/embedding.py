"""A sign-invariant Euclidean embedding of poses for nearest-neighbour search.

Each joint's rotation matrix R_i (invariant to q / -q) is scaled by sqrt(w_i / 16), so that
‖e(θ) − e(θ')‖² = Σ_i w_i/2 · sin²(φ_i) with φ_i = arccos|θ_i·θ'_i| — a lower bound of the
squared weighted geodesic distance d² that agrees with it to second order for close poses.
"""
from __future__ import annotations

import torch

from posefield.rotations.quaternion import quaternion_to_rotmat


def pose_embedding(quats: torch.Tensor, weights: torch.Tensor | None = None) -> torch.Tensor:
    """Embed poses for L2 search.

    Args:
        quats: (N, K, 4) unit quaternions (xyzw).
        weights: (K,) joint weights of :func:`posefield.rotations.pose_distance`; ``None`` = ones.
    Returns:
        (N, 9K) float32 embedding.
    """
    rot = quaternion_to_rotmat(quats.float())  # (N, K, 3, 3)
    w = torch.ones(quats.shape[-2]) if weights is None else weights.float()
    scaled = rot * (w / 16.0).sqrt()[None, :, None, None]
    return scaled.flatten(start_dim=1).contiguous()  # flatten, not reshape(N, -1): N may be 0
