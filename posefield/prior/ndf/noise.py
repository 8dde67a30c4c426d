"""Off-manifold poses: clean poses perturbed at a schedule of noise scales, plus random poses."""
from __future__ import annotations

import dataclasses
import math

import roma
import torch

from posefield.rotations import canonical_hemisphere, random_unit_quaternions


def perturb(quats: torch.Tensor, sigma_deg: float | torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """"σ° Gaussian per dof" noise: rotate every joint by a rotation vector with N(0, σ²) components.

    Args:
        quats: (B, K, 4) unit quaternions (xyzw).
        sigma_deg: noise standard deviation per rotation-vector component, degrees; a scalar
            or a (B,) tensor (one scale per pose).
        generator: random source.
    Returns:
        (B, K, 4) canonical unit quaternions q · exp(ω), ω ~ N(0, σ² I₃) per joint.
    """
    sigma = torch.as_tensor(sigma_deg, dtype=quats.dtype, device=quats.device) * (math.pi / 180)
    sigma = sigma.reshape(-1, 1, 1) if sigma.ndim else sigma
    omega = torch.randn(quats.shape[:-1] + (3,), generator=generator, dtype=quats.dtype, device=quats.device) * sigma
    return canonical_hemisphere(roma.quat_product(quats, roma.rotvec_to_unitquat(omega)))


def blend_toward(quats: torch.Tensor, target: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Per-joint geodesic blend: each joint turned the share ``t`` of the way to ``target``.

    Args:
        quats: (B, K, 4) unit quaternions (xyzw), the start.
        target: (B, K, 4) unit quaternions, the end (taken on the hemisphere nearest the start).
        t: (B,) blend weights in [0, 1] (0: ``quats``, 1: ``target``).
    Returns:
        (B, K, 4) canonical unit quaternions q ⊗ exp(t · log(q⁻¹ ⊗ r)); the pose distance to
        ``quats`` is exactly t times that of ``target``.
    """
    relative = canonical_hemisphere(roma.quat_product(roma.quat_conjugation(quats), target))
    step = roma.unitquat_to_rotvec(relative) * t.to(quats.dtype).reshape(-1, 1, 1)
    return canonical_hemisphere(roma.quat_product(quats, roma.rotvec_to_unitquat(step)))


@dataclasses.dataclass(frozen=True)
class NoiseSchedule:
    """How training (and validation) off-manifold poses are made.

    Like Pose-NDF, most samples lie close to the manifold, where the distance field has to be
    precise for projection to land well. Far from it the field is supervised by two kinds of
    samples that together reach every distance up to that of a uniformly random pose (after
    NRDF, He et al., CVPR 2024): uniformly random poses, and *blends*, clean poses whose every
    joint is turned the share t of the way to a uniformly random pose, t = u^``blend_power``
    with u uniform (heavy-tailed toward small t: half the blends lie within (½)^power of the way).

    Attributes:
        sigmas_deg: noise scales σ (degrees per rotation-vector component, see :func:`perturb`).
        fractions: share of Gaussian-perturbed samples at each scale (normalised).
        uniform_fraction: share of all samples that are uniformly random poses.
        blend_fraction: share of all samples that are blends toward a uniformly random pose
            (0.3: on a tuning split it brought projected random poses nearer the data than 0 did,
            and 0.5 no nearer still; ``benchmarks/farfield.md``).
        blend_power: exponent of the blend weight t = u^power.
    """

    sigmas_deg: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
    fractions: tuple[float, ...] = (0.2, 0.2, 0.2, 0.18, 0.14, 0.08)
    uniform_fraction: float = 0.04
    blend_fraction: float = 0.3
    blend_power: float = 2.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigmas_deg", tuple(float(s) for s in self.sigmas_deg))
        object.__setattr__(self, "fractions", tuple(float(f) for f in self.fractions))
        if len(self.sigmas_deg) != len(self.fractions) or not self.sigmas_deg or min(self.fractions) < 0:
            raise ValueError("noise schedule needs one non-negative fraction per noise scale")
        if not (0 <= self.uniform_fraction and 0 <= self.blend_fraction and self.uniform_fraction + self.blend_fraction < 1):
            raise ValueError("uniform_fraction and blend_fraction must be non-negative and sum to less than 1")
        if not self.blend_power > 0:
            raise ValueError("blend_power must be positive")

    def counts(self, n: int) -> list[int]:
        """Number of samples per scale, then of uniform poses, then of blends, summing to ``n``."""
        n_uniform, n_blend = round(n * self.uniform_fraction), round(n * self.blend_fraction)
        n_noise = n - n_uniform - n_blend
        total = sum(self.fractions)
        bounds = [round(n_noise * sum(self.fractions[: i + 1]) / total) for i in range(len(self.fractions))]
        return [b - a for a, b in zip([0] + bounds[:-1], bounds)] + [n_uniform, n_blend]


def sample_off_manifold(clean: torch.Tensor, n: int, schedule: NoiseSchedule,
                        generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw ``n`` off-manifold poses following ``schedule``.

    Args:
        clean: (N, K, 4) clean unit quaternions to perturb (sources drawn uniformly).
        n: number of poses.
        schedule: noise scales and shares.
        generator: random source (the result is a function of its state).
    Returns:
        quats: (n, K, 4) canonical unit quaternions;
        level: (n,) int64 index into ``schedule.sigmas_deg``; ``len(sigmas_deg)`` for uniform
        poses, ``len(sigmas_deg) + 1`` for blends.
    """
    counts = schedule.counts(n)
    sigma = torch.repeat_interleave(torch.tensor(schedule.sigmas_deg + (0.0, 0.0)), torch.tensor(counts))
    level = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    source = torch.randint(clean.shape[0], (n,), generator=generator)
    quats = perturb(clean[source], sigma.to(clean.dtype), generator)
    uniform = level == len(schedule.sigmas_deg)
    quats[uniform] = random_unit_quaternions((int(uniform.sum()), clean.shape[1]), generator, clean.dtype)
    blend = level == len(schedule.sigmas_deg) + 1
    if blend.any():
        count = int(blend.sum())
        target = random_unit_quaternions((count, clean.shape[1]), generator, clean.dtype)
        t = torch.rand(count, generator=generator, dtype=clean.dtype) ** schedule.blend_power
        quats[blend] = blend_toward(quats[blend], target, t)
    return quats, level
