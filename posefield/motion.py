"""The one motion type every reader returns and every writer takes."""
from __future__ import annotations

import dataclasses
from typing import Any

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
