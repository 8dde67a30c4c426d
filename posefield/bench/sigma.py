"""The paper's σ/2σ/3σ split of test frames by how far their pose lies from the mean training pose.

The mean pose is the per-joint quaternion mean (principal eigenvector of Σ q qᵀ) of the training
poses; a pose's distance to it is the Pose-NDF weighted geodesic distance (radians, unit weights)
over the skeleton's rotating non-root joints; σ is the root mean square of the training poses'
distances (the spread of the training distribution about its mean pose). The buckets are
cumulative: bucket k holds the test frames within k·σ of the mean.
"""
from __future__ import annotations

import torch

from posefield.rotations.distance import pose_distance
from posefield.rotations.quaternion import quaternion_mean


def mean_pose(quats: torch.Tensor) -> torch.Tensor:
    """(K, 4) float64 per-joint mean of (N, K, 4) unit quaternions, sign-invariant."""
    return quaternion_mean(quats.double(), dim=0)


def distance_to_mean(quats: torch.Tensor, mean: torch.Tensor) -> torch.Tensor:
    """(N,) geodesic pose distance (radians) of (N, K, 4) poses to the (K, 4) mean pose."""
    return pose_distance(quats.double(), mean.double().expand_as(quats))


def spread(distances: torch.Tensor) -> float:
    """σ (radians): root mean square distance of the training poses to their mean pose."""
    return float(distances.double().pow(2).mean().sqrt())


def within_sigma(distances: torch.Tensor, sigma: float, k: float) -> torch.Tensor:
    """(N,) bool: the poses within ``k``·σ of the mean pose."""
    return distances <= k * sigma
