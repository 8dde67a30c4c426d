"""False zeros mined from the field itself: hard training pairs where the field is wrong.

Pairs made by perturbing training poses label the field near the data and, through blends,
out to uniformly random poses (:mod:`posefield.prior.ndf.noise`), but a network still makes
zeros of its own far from the data: uniformly random poses projected onto its zero level set
end where f ≈ 0 while the true distance to the nearest training pose is about 1 rad
(``benchmarks/farfield.md``). Mining finds them where they are: at the start of an epoch,
``poses`` uniformly random poses are projected with the current field, and their end points
plus one point on the way from each to its nearest training pose (a geodesic blend, share t
uniform) are labelled like every pair, by :class:`~posefield.data.neighbours.NearestPoses`,
and join that epoch's pairs. The distance and eikonal losses then raise the false zeros and
carve a slope from each toward the data.

Each epoch mines afresh from the model at its start, so a run resumed from a checkpoint mines
what the uninterrupted run would have.
"""
from __future__ import annotations

import dataclasses

import torch

from posefield.data.neighbours import NearestPoses
from posefield.prior.ndf.model import PoseNDF
from posefield.prior.ndf.noise import blend_toward
from posefield.prior.ndf.pairs import LabelledPairs
from posefield.prior.ndf.projection import project
from posefield.rotations import random_unit_quaternions

MINED_LEVEL = -1  # LabelledPairs.level of mined pairs


@dataclasses.dataclass(frozen=True)
class MiningSettings:
    """poses: uniformly random poses projected per epoch (0: no mining); each gives two pairs
    (its end point and a point on the way to its nearest training pose); steps: projection
    steps (as :func:`posefield.prior.ndf.projection.project`'s ``max_steps``)."""

    poses: int = 0
    steps: int = 20

    def __post_init__(self) -> None:
        if self.poses < 0 or self.steps < 1:
            raise ValueError("mining needs poses >= 0 and steps >= 1")


def mine_pairs(model: PoseNDF, index: NearestPoses, settings: MiningSettings,
               generator: torch.Generator) -> tuple[LabelledPairs, dict[str, float]]:
    """Pairs where ``model``'s projection ends (see module docstring).

    Args:
        model: the field being trained (put in eval mode for the projection, then restored).
        index: nearest-pose search over the clean training poses (N, K, 4) the labels measure to.
        settings: number of starts and projection steps.
        generator: random source of the starts and of the blend shares.
    Returns:
        2·``poses`` pairs on the CPU (quats (2P, K, 4), distance (2P,), level ``MINED_LEVEL``),
        and ``mined_distance`` (mean true distance of the end points, radians) and ``mined_f``
        (their mean f) for the epoch's log.
    """
    training = model.training
    model.eval()
    starts = random_unit_quaternions((settings.poses, len(model.joint_index)), generator)
    result = project(model, starts.to(model.weights), max_steps=settings.steps)
    model.train(training)
    ends = result.quats.detach().float().cpu()
    distance, nearest = index.query(ends)
    way = blend_toward(ends, index.reference[nearest], torch.rand(len(ends), generator=generator))
    quats = torch.cat([ends, way])
    labels = torch.cat([distance, index.query(way)[0]])
    level = torch.full((len(quats),), MINED_LEVEL, dtype=torch.int64)
    return LabelledPairs(quats, labels, level), {"mined_distance": float(distance.mean()),
                                                 "mined_f": float(result.distance.mean())}
