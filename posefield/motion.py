"""The one motion type every reader returns and every writer takes."""
from __future__ import annotations

import dataclasses
from typing import Any, Callable, Iterator

import numpy as np
import torch

from posefield.errors import InvalidPoseError, SkeletonMismatchError
from posefield.rotations.quaternion import quaternion_to_rotmat
from posefield.skeleton import Skeleton, forward_kinematics

FK_CHUNK = 8192  # frames posed at a time by Motion.joint_positions: working memory independent of the clip's length


@dataclasses.dataclass(eq=False)
class Motion:
    """A skeleton animated over T frames.

    Attributes:
        skeleton: the joint tree (J joints).
        rotations: (T, J, 4) float64 local unit quaternions (xyzw), canonical convention.
        root_translation: (T, 3) float64 root position, metres.
        fps: frames per second.
        source: provenance (``path``, ``format``, ``subject`` ...).
    """

    skeleton: Skeleton
    rotations: np.ndarray
    root_translation: np.ndarray
    fps: float
    source: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rotations = np.asarray(self.rotations, dtype=np.float64)
        self.root_translation = np.asarray(self.root_translation, dtype=np.float64)
        t, j = self.rotations.shape[0], self.skeleton.num_joints
        if self.rotations.shape != (t, j, 4):
            raise SkeletonMismatchError(f"rotations have shape {self.rotations.shape}, expected (T, {j}, 4)")
        if self.root_translation.shape != (t, 3):
            raise SkeletonMismatchError(f"root translation has shape {self.root_translation.shape}, expected ({t}, 3)")
        if not (np.isfinite(self.rotations).all() and np.isfinite(self.root_translation).all()):
            raise InvalidPoseError("motion contains NaN or inf values")
        if not (np.isfinite(self.fps) and self.fps > 0):
            raise InvalidPoseError(f"frame rate must be positive, got {self.fps}")

    @property
    def num_frames(self) -> int:
        return self.rotations.shape[0]

    def rotmats(self) -> np.ndarray:
        """(T, J, 3, 3) local rotation matrices."""
        return quaternion_to_rotmat(torch.as_tensor(self.rotations)).numpy()

    def joint_positions(self, with_end_sites: bool = False, dtype: type | None = None) -> np.ndarray:
        """(T, J [+ E], 3) global joint positions in metres (posed :data:`FK_CHUNK` frames at a
        time), as ``dtype`` (default: the motion's; float32 rounds each piece as it is posed)."""
        points = self.skeleton.num_joints + (len(self.skeleton.end_sites) if with_end_sites else 0)
        out = np.empty((self.num_frames, points, 3), dtype=dtype or np.result_type(self.rotations, self.root_translation))
        for start in range(0, self.num_frames, FK_CHUNK):
            part = slice(start, start + FK_CHUNK)
            out[part] = forward_kinematics(self.skeleton, torch.as_tensor(self.rotations[part]),
                                           torch.as_tensor(self.root_translation[part]),
                                           with_end_sites=with_end_sites).numpy()
        return out

    def slice(self, frames: slice | np.ndarray) -> "Motion":
        """A new motion holding the given frames."""
        return dataclasses.replace(self, rotations=self.rotations[frames].copy(),
                                   root_translation=self.root_translation[frames].copy(), source=dict(self.source))


BLOCK_FRAMES = 8192  # frames of a clip taken at a time (MotionBlocks.of, project_motion): bounds temporaries


@dataclasses.dataclass(frozen=True, eq=False)
class MotionBlocks:
    """A clip as consecutive :class:`Motion` blocks, read (or made) a block at a time, so that a
    job can run over a clip never held whole; each call of ``blocks`` reads the clip again from
    its first frame (a job may need several passes).

    Attributes:
        header: the clip's skeleton, frame rate and source, with no frames.
        blocks: () -> the clip's blocks in order, each a :class:`Motion` of the header's skeleton and rate.
        num_frames: T where it is known before a pass (``None``: a file read block by block).
        whole: the motion itself where it is held whole (:meth:`of`), which :meth:`gather` returns.
    """

    header: Motion
    blocks: Callable[[], Iterator[Motion]]
    num_frames: int | None = None
    whole: Motion | None = dataclasses.field(default=None, repr=False)

    @classmethod
    def of(cls, motion: Motion, frames: int = BLOCK_FRAMES) -> "MotionBlocks":
        """A whole motion's frames in blocks of ``frames``."""
        def blocks() -> Iterator[Motion]:
            for start in range(0, motion.num_frames, frames):
                yield motion.slice(slice(start, start + frames))
        return cls(motion.slice(slice(0, 0)), blocks, motion.num_frames, motion)

    def gather(self) -> Motion:
        """The whole clip as one motion (filled block by block where :attr:`num_frames` is known)."""
        if self.whole is not None:
            return self.whole
        if self.num_frames is None:
            parts = list(self.blocks())
            rotations = np.concatenate([p.rotations for p in parts] or [self.header.rotations])
            translation = np.concatenate([p.root_translation for p in parts] or [self.header.root_translation])
        else:
            rotations = np.empty((self.num_frames,) + self.header.rotations.shape[1:])
            translation, row = np.empty((self.num_frames, 3)), 0
            for part in self.blocks():
                rotations[row:row + part.num_frames], translation[row:row + part.num_frames] = (
                    part.rotations, part.root_translation)
                row += part.num_frames
            if row != self.num_frames:
                raise ValueError(f"the blocks hold {row} frames, not {self.num_frames}")
        return dataclasses.replace(self.header, rotations=rotations, root_translation=translation,
                                   source=dict(self.header.source))
