"""Projecting poses onto a prior's manifold of plausible poses (Pose-NDF §3.4)."""
from __future__ import annotations

import roma
import torch

from posefield.prior.base import PosePrior


def project_to_manifold(prior: PosePrior, quats: torch.Tensor, steps: int = 50, step_size: float = 1.0,
            tolerance: float = 1e-4) -> torch.Tensor:
    """Move poses to the zero level set of the prior's energy: θ ← θ − α f(θ) ∇f(θ), renormalised.

    Pose-NDF priors use their own projection (:func:`posefield.prior.ndf.projection.project`,
    along the gradient in the distance's metric, with its own step and tolerance defaults);
    other priors the generic loop here.

    Args:
        prior: the pose prior; zero energy everywhere (``none``) leaves poses unchanged.
        quats: (B, K, 4) unit quaternions over ``prior.joint_index``.
        steps: gradient steps of the generic projection.
        step_size: α; 1 reaches the manifold in one step for an exact distance field.
        tolerance: stop once every energy is below it.
    Returns:
        (B, K, 4) projected unit quaternions.
    """
    from posefield.prior.ndf.model import PoseNDF

    if isinstance(prior, PoseNDF):
        from posefield.prior.ndf.projection import project as ndf_project

        return ndf_project(prior, quats).quats.to(quats.dtype)
    q = quats.detach()
    for _ in range(steps):
        q = q.clone().requires_grad_(True)
        f = prior.energy(q)
        if f.max() < tolerance:
            break
        (grad,) = torch.autograd.grad(f.sum(), q)
        q = roma.quat_normalize(q.detach() - step_size * f.detach()[:, None, None] * grad)
    return q.detach()
