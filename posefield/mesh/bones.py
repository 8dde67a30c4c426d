"""Bone segments of a skeleton: which joint moves which segment.

A segment is the straight line from a joint to one of its children (or to its end site);
the joint's rotation moves it, so the joint *owns* it. Points are indices into
``forward_kinematics(..., with_end_sites=True)`` (joints first, then end sites in increasing
joint order). Zero-length segments (an ASF hip joint starting at the root) are left out, and
so are repeats: ASF bones start where their parent ends, so ``thorax -> lowerneck`` and
``thorax -> lclavicle`` are the same segment, kept once.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from posefield.skeleton import Skeleton

MIN_LENGTH = 1e-6  # metres; shorter segments are points


@dataclasses.dataclass(frozen=True)
class Segments:
    """B bone segments.

    Attributes:
        owner: (B,) joint whose rotation moves each segment.
        start: (B,) point index of the near end (the owner joint itself).
        end: (B,) point index of the far end (a child joint or an end site).
    """

    owner: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.owner)


def bone_segments(skeleton: Skeleton) -> Segments:
    """Every distinct non-degenerate segment of ``skeleton`` (see the module docstring)."""
    sites = sorted(skeleton.end_sites)
    pairs = [(p, j, skeleton.offsets[j]) for j, p in enumerate(skeleton.parents) if p >= 0]
    pairs += [(j, skeleton.num_joints + i, np.asarray(skeleton.end_sites[j])) for i, j in enumerate(sites)]
    kept: list[tuple[int, int]] = []
    seen: list[tuple[int, np.ndarray]] = []
    for owner, end, offset in pairs:
        if np.linalg.norm(offset) < MIN_LENGTH or any(o == owner and np.allclose(v, offset) for o, v in seen):
            continue
        seen.append((owner, offset))
        kept.append((owner, end))
    owner = np.array([o for o, _ in kept], dtype=np.int64)
    return Segments(owner, owner.copy(), np.array([e for _, e in kept], dtype=np.int64))
