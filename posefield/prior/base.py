"""The pose-prior interface every application takes (``--prior ndf|vae|gmm|none``)."""
from __future__ import annotations

import abc

import torch

from posefield.skeleton import Skeleton


class PosePrior(abc.ABC, torch.nn.Module):
    """A differentiable energy over the poses of a joint set; low means plausible.

    ``joint_index`` (K,) lists the skeleton joints the prior models (the root's global
    orientation is never part of it). ``energy`` takes (B, K, 4) unit quaternions (xyzw)
    and returns (B,) non-negative energies (for Pose-NDF: the distance to the manifold in
    radians of the weighted geodesic distance). The fit objectives weigh ``energy_scale`` ·
    ``energy`` (:func:`posefield.fit.terms.prior_energy`): 1 for Pose-NDF, whose units the fit
    weights were tuned in; priors with other energy units set their own.
    ``energy_is_distance`` says whether the energy is a distance to the plausible poses (zero
    on them), which the fits may saturate far from the data (``PositionFitConfig.prior_saturation``).
    """

    name: str = "prior"
    skeleton: Skeleton | None
    joint_index: list[int]
    stored_exemplars: torch.Tensor | None = None
    exemplars_recorded: torch.Tensor | None = None
    energy_scale: float = 1.0
    energy_is_distance: bool = False

    @abc.abstractmethod
    def energy(self, quats: torch.Tensor) -> torch.Tensor:
        """(B, K, 4) quaternions -> (B,) energies."""

    def exemplars(self) -> torch.Tensor | None:
        """(M, K, 4) poses this prior holds plausible (hypotheses for unobserved joints), or ``None``.

        Pose-NDF checkpoints store a sample of their training poses
        (:func:`posefield.prior.checkpoint.exemplar_sample`); samplers of the baselines draw theirs.
        """
        return self.stored_exemplars

    def recorded_exemplars(self) -> torch.Tensor | None:
        """(M', K, 4) the exemplars that are recorded poses, without the mirror images a prior
        trained with ``--mirror`` draws its exemplars among (``exemplars_recorded``, (M,) bool;
        ``None``: all of them), or ``None`` without exemplars. Mirror images help completion
        propose hidden joints; a generator that copies limbs from exemplars takes recorded ones.
        """
        exemplars = self.exemplars()
        if exemplars is None or self.exemplars_recorded is None:
            return exemplars
        return exemplars[self.exemplars_recorded]

    def use_rig(self, skeleton: Skeleton) -> None:
        """Adapt the parts of the energy that belong to the rig rather than to the learned
        model to ``skeleton`` (a subject of the same rig, already checked compatible); none here."""


class NoPrior(PosePrior):
    """The ``none`` prior: zero energy everywhere."""

    name = "none"

    def __init__(self, skeleton: Skeleton | None = None, joint_index: list[int] | None = None):
        super().__init__()
        self.skeleton = skeleton
        self.joint_index = list(joint_index or [])

    def energy(self, quats: torch.Tensor) -> torch.Tensor:
        return quats.sum(dim=(-1, -2)) * 0.0


@torch.no_grad()
def energies(prior: PosePrior, quats: torch.Tensor, chunk: int = 8192) -> torch.Tensor:
    """(N, K, 4) unit quaternions -> (N,) prior energies, ``chunk`` poses at a time (bounded memory)."""
    device = next(iter(prior.buffers()), quats).device
    parts = [prior.energy(quats[i:i + chunk].to(device)) for i in range(0, len(quats), chunk)]
    return torch.cat(parts) if parts else quats.new_zeros(0)
