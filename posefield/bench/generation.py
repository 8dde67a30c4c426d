"""Fréchet distance (FID) between generated and real poses, on root-aligned joint positions.

Each set of poses becomes (N, 3P) features: the positions (cm) of the skeleton's P joints
and end sites with the global orientation and translation removed. Each set is summarised by a
Gaussian (mean μ, covariance Σ) and

    FID = |μ₁ − μ₂|² + tr(Σ₁ + Σ₂ − 2 (Σ₁^½ Σ₂ Σ₁^½)^½)        (cm²)

with matrix square roots of symmetric positive semi-definite matrices by eigendecomposition.
"""
from __future__ import annotations

import numpy as np
import torch

from posefield.skeleton import Skeleton, forward_kinematics


def pose_features(skeleton: Skeleton, rotations: np.ndarray) -> np.ndarray:
    """(N, 3P) joint and end-site positions (cm) of (N, J, 4) local rotations posed on ``skeleton``
    with the root at the origin and the root rotation at rest."""
    quats = torch.as_tensor(rotations, dtype=torch.float64).clone()
    quats[:, 0] = torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=torch.float64)
    pos = forward_kinematics(skeleton, quats, torch.zeros(len(quats), 3, dtype=torch.float64), with_end_sites=True)
    return 100 * pos.reshape(len(quats), -1).numpy()


def gaussian_fit(features: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean (D,) and covariance (D, D) of (N, D) features, N ≥ 2, in float64."""
    x = torch.as_tensor(features, dtype=torch.float64)
    return x.mean(dim=0), torch.cov(x.T).reshape(x.shape[1], x.shape[1])


def psd_sqrt(matrix: torch.Tensor) -> torch.Tensor:
    """Square root of a symmetric positive semi-definite matrix (negative round-off eigenvalues clipped)."""
    values, vectors = torch.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    """Fréchet distance (units of the features, squared) between Gaussian fits of two (N, D) feature sets."""
    mu_a, cov_a = gaussian_fit(a)
    mu_b, cov_b = gaussian_fit(b)
    root_a = psd_sqrt(cov_a)
    cross = psd_sqrt(root_a @ cov_b @ root_a)
    return float(((mu_a - mu_b) ** 2).sum() + torch.trace(cov_a + cov_b - 2 * cross))
