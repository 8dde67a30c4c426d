"""Left–right mirrored copies of a dataset's training poses (data augmentation)."""
from __future__ import annotations

import dataclasses

import numpy as np

from posefield.data.dataset import PoseDataset
from posefield.skeleton.symmetry import mirror_poses


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
