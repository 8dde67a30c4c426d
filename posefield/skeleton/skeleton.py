"""The skeleton: joint tree, rest offsets and the channels each joint is animated by.

Canonical local rotation convention (used by every reader and writer):
every joint frame is aligned with the world in the rest pose, and a joint's local rotation
L_j is relative to the rest pose, so that W_j = W_parent · L_j and
p_j = p_parent + W_parent · offset_j. This is what BVH files store directly; ASF/AMC
values are converted with the bone's axis frame C (L = C · R_amc · Cᵀ). Two subjects of the
same rig therefore have comparable rotations.
"""
from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Sequence

import numpy as np

from posefield.errors import SkeletonMismatchError

POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
UP_AXIS = 1
"""Index of the up axis (Y) of posefield's world and rest poses, as in ASF and BVH files."""


@dataclasses.dataclass(eq=False)
class Skeleton:
    """A joint tree with rest offsets.

    Attributes:
        names: (J,) joint names, unique; joint 0 is the root.
        parents: (J,) parent index, -1 for the root; parents come before children.
        offsets: (J, 3) rest position of each joint relative to its parent, metres,
            world-aligned frame (the root's is its rest position).
        channels: (J,) BVH-style channel names per joint in file order, e.g.
            ``("Zrotation", "Xrotation", "Yrotation")``; R = product in listed order.
        axes: (J, 3, 3) frame in which a joint's channels are expressed (ASF ``axis``;
            identity for BVH): local rotation = C · R(channels) · Cᵀ.
        end_sites: leaf joint index -> (3,) offset of the bone's end, metres.
        rig: short name of the rig family, e.g. ``"cmu-asf"``, ``"bvh"``, ``"smpl"``.
        meta: format-specific extras writers need (units, limits, documentation ...).
    """

    names: tuple[str, ...]
    parents: tuple[int, ...]
    offsets: np.ndarray
    channels: tuple[tuple[str, ...], ...]
    axes: np.ndarray | None = None
    end_sites: dict[int, np.ndarray] = dataclasses.field(default_factory=dict)
    rig: str = "bvh"
    meta: dict[str, Any] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        self.names = tuple(self.names)
        self.parents = tuple(int(p) for p in self.parents)
        self.channels = tuple(tuple(c) for c in self.channels)
        self.offsets = np.asarray(self.offsets, dtype=np.float64).reshape(-1, 3)
        j = len(self.names)
        if self.axes is None:
            self.axes = np.tile(np.eye(3), (j, 1, 1))
        self.axes = np.asarray(self.axes, dtype=np.float64)
        if len(set(self.names)) != j:
            raise SkeletonMismatchError("skeleton joint names are not unique")
        if not (len(self.parents) == len(self.channels) == j == self.offsets.shape[0] == self.axes.shape[0]):
            raise SkeletonMismatchError("skeleton fields disagree on the number of joints")
        if j == 0 or self.parents[0] != -1:
            raise SkeletonMismatchError("skeleton must have its root first, with parent -1")
        for i, p in enumerate(self.parents[1:], start=1):
            if not 0 <= p < i:
                raise SkeletonMismatchError(f"joint {self.names[i]!r} has parent {p}, which does not precede it")

    @property
    def num_joints(self) -> int:
        return len(self.names)

    def index(self, name: str) -> int:
        """Index of joint ``name``; raises :class:`SkeletonMismatchError` naming the unknown joint."""
        try:
            return self.names.index(name)
        except ValueError:
            raise SkeletonMismatchError(f"unknown joint {name!r} (skeleton has {', '.join(self.names)})") from None

    def children(self, j: int) -> list[int]:
        return [i for i, p in enumerate(self.parents) if p == j]

    def descendants(self, j: int) -> list[int]:
        """Indices of ``j`` and every joint below it."""
        out = [j]
        for i in range(j + 1, self.num_joints):
            if self.parents[i] in out:
                out.append(i)
        return out

    def rotation_joints(self) -> list[int]:
        """Non-root joints that have at least one rotation channel (the prior's joint set)."""
        return [j for j in range(1, self.num_joints) if any(c.endswith("rotation") for c in self.channels[j])]

    def posed(self, joint_index: Sequence[int], quats: np.ndarray) -> np.ndarray:
        """(N, J, 4) float64 local rotations: (N, K, 4) ``quats`` on the joints ``joint_index``
        (a prior's joint set), the rest pose (identity, xyzw) on every other joint."""
        quats = np.asarray(quats, dtype=np.float64)
        rotations = np.tile([0.0, 0.0, 0.0, 1.0], (len(quats), self.num_joints, 1))
        rotations[:, list(joint_index)] = quats
        return rotations

    def signature(self) -> str:
        """Hash of names and parents: equal for skeletons of the same rig (any proportions)."""
        text = "|".join(f"{n}:{p}" for n, p in zip(self.names, self.parents))
        return hashlib.sha1(text.encode()).hexdigest()[:16]

    def bone_lengths(self) -> np.ndarray:
        """(J,) length of each joint's offset from its parent, metres."""
        return np.linalg.norm(self.offsets, axis=1)
