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

Each epoch mines afresh from the model at its start. With ``accumulate`` the pairs mined in
earlier epochs stay in the training set too, so false zeros already raised stay raised (mined
afresh each epoch alone, the field moved its false zeros back and forth: ``benchmarks/farfield.md``);
they are kept beside the checkpoint (:func:`mined_path`, written atomically every epoch), so a
resumed run trains on what the uninterrupted run would have.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import torch

from posefield.data.neighbours import NearestPoses
from posefield.errors import CheckpointError
from posefield.io.atomic import atomic_path
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
    steps (as :func:`posefield.prior.ndf.projection.project`'s ``max_steps``); accumulate: keep
    the pairs of every earlier epoch in the training set too."""

    poses: int = 0
    steps: int = 20
    accumulate: bool = True

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


def mined_path(checkpoint: str | Path, rank: int = 0) -> Path:
    """Where a run writing ``checkpoint`` keeps its accumulated mined pairs (one file per process)."""
    checkpoint = Path(checkpoint)
    return checkpoint.with_name(f"{checkpoint.stem}.mined{'' if rank == 0 else f'-{rank}'}.npz")


def save_mined(path: str | Path, pairs: LabelledPairs, epochs: torch.Tensor) -> None:
    """Write mined ``pairs`` and the (N,) epoch each was mined in, atomically (.npz)."""
    with atomic_path(path) as tmp:
        np.savez(tmp, quats=pairs.quats.cpu().numpy(), distance=pairs.distance.cpu().numpy(),
                 epochs=epochs.cpu().numpy())


def load_mined(path: str | Path, before: int) -> tuple[LabelledPairs, torch.Tensor]:
    """The pairs of :func:`save_mined` mined before epoch ``before`` (0-based), and their epochs.

    Raises:
        CheckpointError: the file is missing or unreadable (one line naming it).
    """
    try:
        with np.load(path) as data:
            quats, distance, epochs = (torch.from_numpy(data[k]) for k in ("quats", "distance", "epochs"))
    except Exception as exc:  # missing, truncated, not an npz
        raise CheckpointError(f"{path}: the mined pairs this run accumulated cannot be read ({type(exc).__name__}); "
                              "resuming needs them") from None
    keep = epochs < before
    return LabelledPairs(quats[keep], distance[keep], torch.full((int(keep.sum()),), MINED_LEVEL)), epochs[keep]
