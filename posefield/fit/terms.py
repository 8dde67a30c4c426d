"""Energy terms shared by the fitting objectives (torch, differentiable)."""
from __future__ import annotations

import torch

from posefield.prior.base import PosePrior
from posefield.prior.ndf.model import PoseNDF


def prior_energy(prior: PosePrior, rotations: torch.Tensor, within_channels: bool = False) -> torch.Tensor:
    """(B,) prior energies s · f(θ) of poses given as (B, J, 4) local quaternions of the whole skeleton.

    ``within_channels``: a Pose-NDF prior with its rig's channel set scores the nearest pose
    the channels reach instead, g(Pθ) (:meth:`posefield.prior.ndf.model.PoseNDF.within_channels`), leaving
    out the off-set part. On poses within the channels (every pose of the prior's own rig)
    both are equal; a pose mapped from another rig keeps what the prior's channels cannot
    hold (a forearm twist on CMU's one-channel elbow), which the fit cannot change, and with
    it in f the prior's pull on the rest vanished (∂f/∂g = g / f, and ρ saturates at f).

    s is the prior's calibration multiplier ``prior.energy_scale``. The fit weights (``prior_weight``
    of :mod:`posefield.fit.denoise`, :mod:`~posefield.fit.complete` and :mod:`~posefield.fit.fit2d`,
    the regressors' prior loss) were tuned for Pose-NDF, whose energy f is a distance in radians
    (s = 1; real poses score ≈ 0–1). The baselines' energies are in other units — the VAE's
    −2 log p(θ, z = μ(θ)), the GMM's nats — and 100–1000 times larger, so with the same weights
    they over-regularise. Each baseline class therefore sets its own s, chosen by a sweep on
    training-subject clips (``benchmarks/baseline_weights.py``, ``benchmarks/baseline-weights.md``),
    and every objective sees s · f; an instance may override it (``prior.energy_scale = s``).
    ``prior.energy`` itself (AUCs, projection, reports) stays unscaled.
    """
    if not prior.joint_index:
        return rotations.new_zeros(rotations.shape[0])
    parameter = next(prior.parameters(), None)
    quats = rotations[:, prior.joint_index]
    if parameter is not None:
        quats = quats.to(parameter.dtype)
    if within_channels and isinstance(prior, PoseNDF):
        prior.validate(quats)
        energy = prior.within_channels(quats)
    else:
        energy = prior.energy(quats)
    return (prior.energy_scale * energy).to(rotations.dtype)


def saturated(energy: torch.Tensor, scale: float) -> torch.Tensor:
    """ρ(f) = s · log(1 + f / s) of non-negative energies f (same units as the scale s; s ≤ 0: f itself).

    ρ ≈ f near zero (slope 1) and grows only logarithmically for f ≫ s (slope s / (s + f)), so a
    pose far from every training pose, which the prior knows little about, is pulled less.
    """
    if scale <= 0:
        return energy
    return scale * torch.log1p(energy / scale)


def weighted_squared_error(pred: torch.Tensor, target: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Mean over frames of Σ_p w_p |pred_p − target_p|² / Σ_p w_p.

    Args:
        pred, target: (T, P, 3) points, metres.
        weights: (P,) or (T, P) non-negative point weights.
    Returns:
        scalar, m².
    """
    sq = (pred - target).square().sum(dim=-1)
    w = weights.expand_as(sq)
    return ((w * sq).sum(dim=-1) / w.sum(dim=-1).clamp(min=1e-12)).mean()


def acceleration_energy(points: torch.Tensor, fps: float) -> torch.Tensor:
    """Mean squared acceleration of (T, P, 3) point trajectories, (m/s²)²; zero for T < 3."""
    if points.shape[0] < 3:
        return points.new_zeros(())
    acc = (points[2:] - 2 * points[1:-1] + points[:-2]) * fps ** 2
    return acc.square().sum(dim=-1).mean()


def floor_energy(points: torch.Tensor, height: float, mask: torch.Tensor, up_axis: int = 1) -> torch.Tensor:
    """Mean over frames of Σ_p m_p max(0, h − y_p)²: how far the masked points are below the floor.

    Args:
        points: (T, P, 3) points, metres.
        height: h, the floor's height along ``up_axis``, metres.
        mask: (P,) bool, the points kept above the floor.
    Returns:
        scalar, m².
    """
    below = (height - points[:, mask, up_axis]).clamp(min=0.0)
    return below.square().sum(dim=-1).mean() if points.shape[0] else points.new_zeros(())


def geman_mcclure(sq_residual: torch.Tensor, sigma: float) -> torch.Tensor:
    """Robust Geman–McClure penalty σ² r² / (σ² + r²) of squared residuals r² (same units as σ²)."""
    return sigma ** 2 * sq_residual / (sigma ** 2 + sq_residual)


def twist_angle(quats: torch.Tensor, axis: torch.Tensor) -> torch.Tensor:
    """Signed angle (radians) of the rotation component about ``axis`` (swing-twist decomposition).

    Args:
        quats: (..., 4) unit quaternions (xyzw).
        axis: (..., 3) unit axes (broadcastable).
    Returns:
        (...) angles in (−π, π].
    """
    along = (quats[..., :3] * axis).sum(dim=-1)
    angle = 2 * torch.atan2(along, quats[..., 3])
    return torch.remainder(angle + torch.pi, 2 * torch.pi) - torch.pi
