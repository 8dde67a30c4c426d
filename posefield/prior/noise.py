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


@dataclasses.dataclass(frozen=True)
class NoiseSchedule:
    """How training (and validation) off-manifold poses are made.

    Like Pose-NDF, most samples lie close to the manifold, where the distance field has to be
    precise for projection to land well; a few far samples and uniformly random poses teach
    the field the rest of the space.

    Attributes:
        sigmas_deg: noise scales σ (degrees per rotation-vector component, see :func:`perturb`).
        fractions: share of perturbed samples at each scale (normalised).
        uniform_fraction: share of all samples that are uniformly random poses.
    """

    sigmas_deg: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
    fractions: tuple[float, ...] = (0.2, 0.2, 0.2, 0.18, 0.14, 0.08)
    uniform_fraction: float = 0.04

    def __post_init__(self) -> None:
        object.__setattr__(self, "sigmas_deg", tuple(float(s) for s in self.sigmas_deg))
        object.__setattr__(self, "fractions", tuple(float(f) for f in self.fractions))
        if len(self.sigmas_deg) != len(self.fractions) or not self.sigmas_deg or min(self.fractions) < 0:
            raise ValueError("noise schedule needs one non-negative fraction per noise scale")
        if not 0 <= self.uniform_fraction < 1:
            raise ValueError("uniform_fraction must be in [0, 1)")

    def counts(self, n: int) -> list[int]:
        """Number of samples per scale, then of uniform poses, summing to ``n``."""
        n_uniform = round(n * self.uniform_fraction)
        total = sum(self.fractions)
        bounds = [round((n - n_uniform) * sum(self.fractions[: i + 1]) / total) for i in range(len(self.fractions))]
        return [b - a for a, b in zip([0] + bounds[:-1], bounds)] + [n_uniform]


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
        level: (n,) int64 index into ``schedule.sigmas_deg`` (``len(sigmas_deg)`` for uniform poses).
    """
    counts = schedule.counts(n)
    sigma = torch.repeat_interleave(torch.tensor(schedule.sigmas_deg + (0.0,)), torch.tensor(counts))
    level = torch.repeat_interleave(torch.arange(len(counts)), torch.tensor(counts))
    source = torch.randint(clean.shape[0], (n,), generator=generator)
    quats = perturb(clean[source], sigma.to(clean.dtype), generator)
    uniform = level == len(schedule.sigmas_deg)
    quats[uniform] = random_unit_quaternions((int(uniform.sum()), clean.shape[1]), generator, clean.dtype)
    return quats, level
