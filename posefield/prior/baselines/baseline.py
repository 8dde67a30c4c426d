"""What the baseline priors (:mod:`~posefield.prior.baselines.vae`, :mod:`~posefield.prior.baselines.gmm`) share:
a model of one skeleton's joint set with checked inputs and a sampler, and the plausibility
AUC used to compare priors (real poses against the same poses perturbed by noise)."""
from __future__ import annotations

import abc
from typing import Any, Sequence

import torch

from posefield.data import PoseDataset
from posefield.errors import InvalidPoseError, SkeletonMismatchError
from posefield.prior.base import PosePrior
from posefield.prior.checkpoint import EXEMPLARS
from posefield.prior.ranks import auc
from posefield.prior.ndf.noise import perturb
from posefield.prior.registry import check_compatible
from posefield.rotations import check_unit_quaternions
from posefield.skeleton import Skeleton


class BaselinePrior(PosePrior):
    """A prior over ``skeleton``'s joints ``joint_index`` (K,) built from a config dataclass.

    Subclasses set ``name``, implement ``forward`` ((B, K, 4) quaternions -> (B,) energies,
    without input checks, differentiable) and ``sample``; their tensors live in parameters or
    buffers so that :mod:`posefield.prior.checkpoint` saves and restores them.
    """

    def __init__(self, skeleton: Skeleton, joint_index: Sequence[int], config: Any):
        super().__init__()
        self.skeleton = skeleton
        self.joint_index = [int(j) for j in joint_index]
        self.config = config
        self._drawn_exemplars: torch.Tensor | None = None

    @property
    def num_joints(self) -> int:
        return len(self.joint_index)

    @property
    def dtype(self) -> torch.dtype:
        """Floating type of the model's tensors (inputs are cast to it)."""
        return next(self.buffers(), next(self.parameters(), torch.empty(0))).dtype

    def validate(self, quats: torch.Tensor) -> None:
        """Raise :class:`InvalidPoseError` (one line) unless ``quats`` is (B, K, 4) finite unit quaternions."""
        if quats.ndim != 3 or quats.shape[1] != self.num_joints:
            raise InvalidPoseError(f"{self.name} prior expects poses of shape (B, {self.num_joints}, 4), "
                                   f"got {tuple(quats.shape)}")
        check_unit_quaternions(quats, what="pose")

    def energy(self, quats: torch.Tensor) -> torch.Tensor:
        """(B, K, 4) unit quaternions (xyzw, either sign) -> (B,) energies ≥ 0, differentiable."""
        self.validate(quats)
        return self(quats.to(self.dtype))

    @abc.abstractmethod
    def sample(self, num: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``num`` poses drawn from the model: (num, K, 4) canonical unit quaternions."""

    @torch.no_grad()
    def exemplars(self) -> torch.Tensor:
        """(M, K, 4) stored exemplars, or else :data:`EXEMPLARS` poses of the model's own sampler (seed 0),
        drawn on the first call and kept."""
        if self.stored_exemplars is not None:
            return self.stored_exemplars
        if self._drawn_exemplars is None:
            self._drawn_exemplars = self.sample(EXEMPLARS, torch.Generator().manual_seed(0)).float()
        return self._drawn_exemplars


def check_dataset(prior: PosePrior, dataset: PoseDataset) -> None:
    """Raise :class:`SkeletonMismatchError` unless ``dataset`` holds poses of ``prior``'s rig and joint set."""
    check_compatible(prior, dataset.skeleton)
    if [int(j) for j in dataset.joint_index] != list(prior.joint_index):
        raise SkeletonMismatchError(f"the dataset's joint set ({len(dataset.joint_index)} joints) is not the one "
                                    f"the {prior.name!r} prior models ({len(prior.joint_index)} joints)")


@torch.no_grad()
def noise_auc(prior: PosePrior, clean: torch.Tensor, sigma_deg: float, generator: torch.Generator,
              chunk: int = 4096) -> float:
    """How well the energy tells real poses from the same poses with σ° of noise per rotation dof.

    Args:
        prior: energy to evaluate.
        clean: (N, K, 4) real poses (typically held-out subjects).
        sigma_deg: noise of :func:`posefield.prior.ndf.noise.perturb`, degrees per rotation-vector component.
        generator: source of the noise.
        chunk: poses per energy call.
    Returns:
        P(energy(perturbed) > energy(clean)), ties counting ½ (:func:`posefield.prior.ranks.auc`).
    """
    noisy = perturb(clean, sigma_deg, generator)
    energies = [torch.cat([prior.energy(q[i:i + chunk]) for i in range(0, len(q), chunk)]) for q in (clean, noisy)]
    return auc(energies[0], energies[1])
