"""PoseDataset: clean poses of one skeleton's joint set, stored as one ``.npz``.

File keys: ``quats`` (N, K, 4) float32 canonical unit quaternions (xyzw, w >= 0);
``joint_index`` (K,) indices into the skeleton; ``skeleton`` (JSON); ``source`` (N,) index
into ``files``; ``files`` (F,) source paths; ``subjects`` (F,) subject of each file;
``frame`` (N,) nearest 0-based frame of the source file; ``is_val`` (N,) bool validation mask; ``fps``;
``skeletons`` (JSON list) the distinct skeletons of the source files (the performers' own bone
lengths) and ``file_skeleton`` (F,) which of them each file was recorded on. A dataset written
before the last two existed reads with none.
"""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import torch

from posefield.errors import MotionFormatError
from posefield.io.atomic import atomic_path
from posefield.skeleton import Skeleton
from posefield.skeleton.serialize import skeleton_from_dict, skeleton_to_dict

DATASET_FORMAT_VERSION = 1


def joint_subset(skeleton: Skeleton, joint_index: list[int] | np.ndarray) -> list[int]:
    """Parents within a joint subset: each joint's nearest ancestor that is in the subset.

    Args:
        skeleton: the full skeleton.
        joint_index: (K,) skeleton indices of the subset, increasing.
    Returns:
        (K,) parent positions within the subset, -1 where no ancestor is in it.
    """
    pos = {int(j): k for k, j in enumerate(joint_index)}
    parents = []
    for j in joint_index:
        p = skeleton.parents[int(j)]
        while p >= 0 and p not in pos:
            p = skeleton.parents[p]
        parents.append(pos.get(p, -1))
    return parents


def is_pose_dataset(path: str | Path) -> bool:
    """Whether ``path`` is an ``.npz`` written by :meth:`PoseDataset.save`."""
    try:
        with np.load(path, allow_pickle=False) as data:
            return "quats" in data.files and "skeleton" in data.files
    except Exception:
        return False


@dataclasses.dataclass(eq=False)
class PoseDataset:
    """Clean poses of a joint set (see module docstring for the fields)."""

    quats: np.ndarray
    skeleton: Skeleton
    joint_index: np.ndarray
    source: np.ndarray
    files: list[str]
    subjects: list[str]
    frame: np.ndarray
    is_val: np.ndarray
    fps: float
    skeletons: list[Skeleton] = dataclasses.field(default_factory=list)
    file_skeleton: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0, np.int32))

    @property
    def joint_names(self) -> list[str]:
        return [self.skeleton.names[j] for j in self.joint_index]

    @property
    def parents(self) -> list[int]:
        """(K,) parent of each modelled joint within the joint set (-1: none)."""
        return joint_subset(self.skeleton, self.joint_index)

    def __len__(self) -> int:
        return self.quats.shape[0]

    def split(self, validation: bool) -> torch.Tensor:
        """(N', K, 4) float32 quaternions of the validation (or training) part."""
        return torch.from_numpy(self.quats[self.is_val == validation])

    def pose_skeleton(self) -> np.ndarray:
        """(N,) index into ``skeletons`` of the skeleton each pose was recorded on (a dataset
        that records ``skeletons``)."""
        return self.file_skeleton[self.source]

    def subjects_of(self, validation: bool) -> list[str]:
        rows = np.unique(self.source[self.is_val == validation])
        return sorted({self.subjects[i] for i in rows})

    def save(self, path: str | Path) -> None:
        """Write atomically to ``path`` (.npz)."""
        with atomic_path(path) as tmp:
            np.savez_compressed(
                tmp, quats=self.quats.astype(np.float32), joint_index=np.asarray(self.joint_index, np.int64),
                skeleton=json.dumps(skeleton_to_dict(self.skeleton)), source=self.source.astype(np.int32),
                files=np.asarray(self.files, dtype=str), subjects=np.asarray(self.subjects, dtype=str),
                frame=self.frame.astype(np.int32), is_val=self.is_val.astype(bool), fps=np.float64(self.fps),
                skeletons=json.dumps([skeleton_to_dict(s) for s in self.skeletons]),
                file_skeleton=np.asarray(self.file_skeleton, np.int32), format_version=np.int64(DATASET_FORMAT_VERSION))

    @classmethod
    def load(cls, path: str | Path) -> "PoseDataset":
        """Read a dataset written by :meth:`save`; raises :class:`MotionFormatError` naming the file."""
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as data:
                if "quats" not in data or "skeleton" not in data:
                    raise MotionFormatError(path, "not a posefield pose dataset (missing 'quats' or 'skeleton')")
                version = int(data["format_version"]) if "format_version" in data else DATASET_FORMAT_VERSION
                if version > DATASET_FORMAT_VERSION:
                    raise MotionFormatError(path, f"pose dataset format {version} is newer than this posefield reads "
                                                  f"({DATASET_FORMAT_VERSION})")
                out = cls(quats=data["quats"].astype(np.float32), skeleton=skeleton_from_dict(json.loads(str(data["skeleton"]))),
                          joint_index=data["joint_index"], source=data["source"], files=[str(f) for f in data["files"]],
                          subjects=[str(s) for s in data["subjects"]], frame=data["frame"], is_val=data["is_val"],
                          fps=float(data["fps"]), **recorded_skeletons(data))
        except MotionFormatError:
            raise
        except FileNotFoundError:
            raise MotionFormatError(path, "no such file") from None
        except Exception as exc:  # zip/pickle/key errors from a corrupt file
            raise MotionFormatError(path, f"cannot read pose dataset ({type(exc).__name__}: {exc})") from None
        if out.quats.ndim != 3 or out.quats.shape[1:] != (len(out.joint_index), 4):
            raise MotionFormatError(path, f"quats have shape {out.quats.shape}, expected (N, {len(out.joint_index)}, 4)")
        if not np.isfinite(out.quats).all():
            raise MotionFormatError(path, "quats contain NaN or inf")
        check_contents(out, path)
        if out.skeletons and (out.file_skeleton.shape != (len(out.files),)
                              or not np.isin(out.file_skeleton, np.arange(len(out.skeletons))).all()):
            raise MotionFormatError(path, f"file_skeleton must hold one index below {len(out.skeletons)} per file")
        return out


def require_splits(dataset: PoseDataset, path: str | Path, training: bool = False,
                   validation: bool = False) -> PoseDataset:
    """``dataset`` (read from ``path``), checked to hold training poses (with ``training``) and
    validation poses (with ``validation``), as a job needs: :class:`MotionFormatError` naming
    ``path`` otherwise."""
    for needed, part, split in ((training, "training", False), (validation, "validation", True)):
        if needed and not (dataset.is_val == split).any():
            raise MotionFormatError(path, f"holds no {part} poses")
    return dataset


FLOAT32_UNIT_TOLERANCE = 1e-3  # |norm - 1| a float32 quaternion of a stored dataset may be off by


def check_contents(dataset: PoseDataset, path: Path) -> None:
    """Raise :class:`MotionFormatError` naming ``path`` unless ``dataset`` holds poses of unit
    quaternions, its ``joint_index`` names distinct joints of its skeleton, and ``source``,
    ``frame`` and ``is_val`` hold one entry per pose, ``source`` indexing ``files``/``subjects``."""
    n, joints, files = len(dataset), len(dataset.skeleton.names), len(dataset.files)
    if n == 0:
        raise MotionFormatError(path, "holds no poses")
    norm_error = np.abs(np.linalg.norm(dataset.quats, axis=-1) - 1).max()
    if norm_error > FLOAT32_UNIT_TOLERANCE:
        raise MotionFormatError(path, f"quats are not unit quaternions (max |norm - 1| = {norm_error:.3g})")
    index = np.asarray(dataset.joint_index)
    if index.ndim != 1 or index.dtype.kind not in "iu" or len(np.unique(index)) != len(index) \
            or not ((0 <= index) & (index < joints)).all():
        raise MotionFormatError(path, f"joint_index must hold distinct joints of its {joints}-joint skeleton")
    for name in ("source", "frame", "is_val"):
        if np.shape(getattr(dataset, name)) != (n,):
            raise MotionFormatError(path, f"{name} has shape {np.shape(getattr(dataset, name))}, expected ({n},)")
    if len(dataset.subjects) != files or dataset.source.dtype.kind not in "iu" \
            or not ((0 <= dataset.source) & (dataset.source < files)).all():
        raise MotionFormatError(path, f"source must index its {files} files (with one subject each)")


def recorded_skeletons(data) -> dict:
    """The ``skeletons`` and ``file_skeleton`` fields stored in an open ``.npz`` (none in a file
    written before they existed)."""
    if "skeletons" not in data:
        return {}
    return {"skeletons": [skeleton_from_dict(d) for d in json.loads(str(data["skeletons"]))],
            "file_skeleton": data["file_skeleton"].astype(np.int32)}
