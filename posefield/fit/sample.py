"""Pose generation (Pose-NDF §4.3): poses drawn from a prior.

* Pose-NDF: starting poses moved onto the zero level set of the distance field
  (:func:`posefield.prior.ndf.projection.project`). The starts are either uniformly
  random rotations (``"random"``, the paper's) or per-limb mixtures of neighbouring exemplars
  (``"mix"``, the default): a base exemplar is drawn with a weight that grows with how sparse
  the exemplars are around it (rare poses count as much as common ones), and each limb and the
  trunk is taken from one of the base's :data:`MIX_NEIGHBOURS` nearest exemplars. Only recorded
  exemplars are mixed, not the mirror images a prior trained with them stores beside them
  (:meth:`~posefield.prior.base.PosePrior.recorded_exemplars`). The starts are
  new poses whose every limb is real and fits the rest of the body; see
  ``benchmarks/generation.md`` for how the choices were made and how they compare;
* the VAE and the GMM: their own samplers (z ~ N(0, I) decoded; draws from the components);
* other priors: uniformly random rotations moved down their energy
  (:func:`posefield.fit.manifold.project`); ``none``: uniformly random rotations.
"""
from __future__ import annotations

import numpy as np
import torch

from posefield.data.neighbours import NearestPoses
from posefield.fit.manifold import project_to_manifold as descend
from posefield.fit.points import LIMB_GROUPS, group_joints
from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.prior.ndf.model import PoseNDF
from posefield.prior.ndf.projection import project
from posefield.prior.registry import check_compatible
from posefield.rotations import random_unit_quaternions
from posefield.skeleton import Skeleton

NDF_STARTS = ("mix", "random")
SAMPLE_STEPS = 50  # projection steps from a start (uniformly random starts need more than denoising does)
MIX_NEIGHBOURS = 2  # donors of each limb: the base exemplar and its nearest exemplars (benchmarks/generation.md)
RARITY_POWER = 6.0  # base exemplars drawn ∝ (distance to their DENSITY_RANK-th nearest exemplar) ** power
DENSITY_RANK = 64


def limb_parts(prior: PosePrior) -> list[torch.Tensor]:
    """Positions in ``prior.joint_index`` of each limb (:data:`LIMB_GROUPS`) and of the rest (the trunk)."""
    joints = list(prior.joint_index)
    parts, taken = [], set()
    for group in LIMB_GROUPS:
        in_group = set(group_joints(prior.skeleton, (group,)))
        members = [k for k, j in enumerate(joints) if j in in_group and k not in taken]
        if members:
            parts.append(torch.tensor(members))
            taken.update(members)
    rest = [k for k in range(len(joints)) if k not in taken]
    return parts + ([torch.tensor(rest)] if rest else [])


def rarity_weights(distances: torch.Tensor, power: float = RARITY_POWER) -> torch.Tensor:
    """(M,) float64 weights of drawing each exemplar, ∝ ``distances ** power`` (uniform where all are 0).

    Args:
        distances: (M,) distance (radians) from each exemplar to its :data:`DENSITY_RANK`-th
            nearest other exemplar: large where the exemplars are sparse.
        power: 0 draws uniformly; larger favours rare poses (more diverse, less typical samples).
    """
    weights = distances.double().clamp(min=0) ** power
    return weights if float(weights.sum()) > 0 else torch.ones_like(weights)


def mixed_exemplars(prior: PosePrior, num: int, generator: torch.Generator,
                    neighbours: int = MIX_NEIGHBOURS, power: float = RARITY_POWER) -> torch.Tensor:
    """(num, K, 4) poses whose every limb (and trunk) comes from one of the ``neighbours`` nearest
    exemplars of a base exemplar, drawn by :func:`rarity_weights`; recorded exemplars only.

    Args:
        prior: a prior with stored exemplars (M, K, 4).
        num: number of poses.
        generator: random source.
        neighbours: donors per limb (the base itself included); 1 returns whole exemplars.
        power: rarity weighting of the base (:func:`rarity_weights`).
    """
    exemplars = prior.recorded_exemplars()
    if exemplars is None or not len(exemplars):
        raise ValueError(f"prior {prior.name!r} stores no recorded exemplars to mix")
    exemplars = exemplars.float()
    rank = min(DENSITY_RANK, len(exemplars) - 1)
    neighbours = max(1, min(neighbours, len(exemplars)))
    distances, nearest = NearestPoses(exemplars).nearest(exemplars, max(neighbours, rank + 1))  # (M, n), self first
    base = torch.multinomial(rarity_weights(distances[:, rank], power), num, replacement=True, generator=generator)
    out = exemplars[base].clone()
    for part in limb_parts(prior):
        donor = nearest[base, torch.randint(neighbours, (num,), generator=generator)]
        out[:, part] = exemplars[donor][:, part]
    return out


def draw(prior: PosePrior, num: int, generator: torch.Generator, starts: str = "mix") -> torch.Tensor:
    """``num`` poses of ``prior``'s joint set, (num, K, 4) float32 unit quaternions (see module docstring).

    Args:
        prior: any pose prior.
        num: number of poses.
        generator: random source.
        starts: Pose-NDF only: ``"mix"`` or ``"random"`` (:data:`NDF_STARTS`).
    """
    if starts not in NDF_STARTS:
        raise ValueError(f"unknown sampling starts {starts!r} (expected one of {', '.join(NDF_STARTS)})")
    if isinstance(prior, PoseNDF):
        first = (mixed_exemplars(prior, num, generator) if starts == "mix" and prior.recorded_exemplars() is not None
                 else random_unit_quaternions((num, len(prior.joint_index)), generator))
        return project(prior, first, max_steps=SAMPLE_STEPS).quats.detach().float()
    if hasattr(prior, "sample"):
        with torch.no_grad():
            return prior.sample(num, generator).float()
    return descend(prior, random_unit_quaternions((num, len(prior.joint_index)), generator)).float()


def sample_poses(prior: PosePrior, skeleton: Skeleton, num: int, seed: int = 0, fps: float = 30.0,
                 starts: str = "mix") -> Motion:
    """``num`` poses drawn from ``prior`` (:func:`draw`), one per frame; other joints and the
    global orientation stay at rest and the root at the origin.

    Args:
        prior: pose prior of ``skeleton``'s rig (``none`` gives uniformly random poses).
        skeleton: the rig to pose (any subject of the prior's rig).
        num: number of poses N ≥ 1.
        seed: random seed.
        fps: frame rate of the returned motion.
        starts: Pose-NDF only: where projection starts (:data:`NDF_STARTS`).
    Returns:
        A motion of N frames.
    """
    check_compatible(prior, skeleton)
    prior.use_rig(skeleton)
    quats = draw(prior, num, torch.Generator().manual_seed(seed), starts)
    rotations = skeleton.posed(prior.joint_index, quats.double().numpy())
    return Motion(skeleton, rotations, np.zeros((num, 3)), fps, {"format": "samples", "prior": prior.name})
