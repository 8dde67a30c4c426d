"""Training objective, summed over every outer iteration t and backpropagated once:

    L = Σ_t  w_3d   · mean |X̂^t − X|₁                 root-relative joints and end sites, metres
           + w_2d   · Σ visible |x̂^t − x|₁ / #visible  perspective reprojection, crop units
           + w_rot  · mean (R̂^t − R)²                  rotation matrices of the regressed joints
           + w_beta · mean (β̂^t − β)²                  proportions (log-scales)
           + w_cam  · mean (ĉ^t − c)²                  weak-perspective camera
           + w_prior · mean f(θ̂^t)                     pose prior energy (Pose-NDF distance)

x are the observed (noisy) visible keypoints; x̂^t projects the estimate with the root
translation its camera implies (:mod:`posefield.regress.camera`).
"""
from __future__ import annotations

import dataclasses

import roma
import torch

from posefield.fit.terms import prior_energy
from posefield.prior.base import PosePrior
from posefield.regress.body import Body, full_rotations, posed_points
from posefield.regress.camera import Crop, camera_to_translation, project_to_crop
from posefield.regress.params import Estimate


@dataclasses.dataclass(frozen=True)
class RegressLossWeights:
    """Weights of the loss terms (see the module docstring)."""

    joints3d: float = 5.0
    keypoints2d: float = 1.0
    rotations: float = 1.0
    beta: float = 1.0
    camera: float = 1.0
    prior: float = 0.01


@dataclasses.dataclass
class Target:
    """Ground truth of B samples: ``rotmats`` (B, R, 3, 3), ``beta`` (B, C), ``camera`` (B, 3)
    and ``points`` (B, J + E, 3) root-relative, metres."""

    rotmats: torch.Tensor
    beta: torch.Tensor
    camera: torch.Tensor
    points: torch.Tensor


def reprojection_error(points: torch.Tensor, translation: torch.Tensor, crop: Crop, observed: torch.Tensor,
                       visible: torch.Tensor) -> torch.Tensor:
    """Mean L1 distance (crop units) between projected and observed visible keypoints.

    Args:
        points: (B, P, 3) root-relative keypoint positions, metres.
        translation: (B, 3) root position, metres.
        crop: the samples' crops.
        observed: (B, P, 2) observed keypoints, crop units.
        visible: (B, P) bool.
    """
    projected = project_to_crop(points + translation[:, None], crop)
    weight = visible.to(points.dtype)
    return ((projected - observed).abs().sum(dim=-1) * weight).sum() / weight.sum().clamp(min=1.0)


def prior_term(prior: PosePrior, body: Body, rotmats: torch.Tensor) -> torch.Tensor:
    """Mean prior energy of (B, R, 3, 3) regressed rotations (zero for a prior without joints)."""
    quats = roma.rotmat_to_unitquat(full_rotations(body, rotmats)[:, :body.skeleton.num_joints])
    return prior_energy(prior, quats).mean()


def regression_loss(estimates: list[Estimate], target: Target, body: Body, keypoints: torch.Tensor,
                    observed: torch.Tensor, visible: torch.Tensor, crop: Crop, weights: RegressLossWeights,
                    prior: PosePrior | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """The objective of the module docstring.

    Args:
        estimates: one per outer iteration.
        target: ground truth.
        body: the regressor's body.
        keypoints: (P,) long rows of the points that are observed.
        observed: (B, P, 2) observed keypoints, crop units.
        visible: (B, P) bool.
        crop: the samples' crops.
        weights: term weights.
        prior: pose prior (``None`` or zero weight: no prior term).
    Returns:
        The scalar loss and each term of the last iteration (for logging).
    """
    total = observed.new_zeros(())
    terms: dict[str, torch.Tensor] = {}
    for estimate in estimates:
        rotmats = estimate.rotmats()
        points = posed_points(body, rotmats, estimate.beta)
        translation = camera_to_translation(estimate.camera, crop)
        terms = {
            "joints3d": (points - target.points).abs().mean(),
            "keypoints2d": reprojection_error(points[:, keypoints], translation, crop, observed, visible),
            "rotations": (rotmats - target.rotmats).square().mean(),
            "beta": (estimate.beta - target.beta).square().mean(),
            "camera": (estimate.camera - target.camera).square().mean(),
        }
        if prior is not None and weights.prior > 0:
            terms["prior"] = prior_term(prior, body, rotmats)
        total = total + sum(getattr(weights, name) * value for name, value in terms.items())
    return total, {name: float(value.detach()) for name, value in terms.items()}
