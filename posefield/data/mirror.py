"""Left–right mirrored copies of a dataset's training poses (data augmentation)."""
from __future__ import annotations

import dataclasses
from typing import Callable, TypeVar

import numpy as np

from posefield.data.dataset import PoseDataset
from posefield.errors import SkeletonMismatchError
from posefield.skeleton.symmetry import mirror_poses

Config = TypeVar("Config")


def with_mirrored_training(dataset: PoseDataset) -> PoseDataset:
    """``dataset`` with the mirror image of every training pose appended to its training split.

    The mirrored poses keep their source file and frame; the validation split is unchanged.
    Raises :class:`~posefield.errors.SkeletonMismatchError` for a rig that is not left–right
    symmetric (:func:`posefield.skeleton.symmetry.mirror_joints`).
    """
    train = ~dataset.is_val
    mirrored = mirror_poses(dataset.skeleton, dataset.joint_index, dataset.split(False)).numpy()
    return dataclasses.replace(
        dataset, quats=np.concatenate([dataset.quats, mirrored]),
        source=np.concatenate([dataset.source, dataset.source[train]]),
        frame=np.concatenate([dataset.frame, dataset.frame[train]]),
        is_val=np.concatenate([dataset.is_val, np.zeros(int(train.sum()), dtype=bool)]))


def mirrored_if_asked(dataset: PoseDataset, config: Config, log: Callable[[str], None]) -> tuple[PoseDataset, Config]:
    """The training data a training config's ``mirror`` field asks for (``True``: mirror or fail,
    ``False``: as is, ``None``: mirror when the rig is symmetric, else log why not), and the
    config (a frozen dataclass) with ``mirror`` resolved to what was done."""
    if config.mirror is False:
        return dataset, config
    try:
        return with_mirrored_training(dataset), dataclasses.replace(config, mirror=True)
    except SkeletonMismatchError as err:
        if config.mirror:
            raise
        log(f"training without mirrored poses: {err}")
        return dataset, dataclasses.replace(config, mirror=False)
