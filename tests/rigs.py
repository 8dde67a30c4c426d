"""Small test rigs written as tables of (name, parent name or None, offset in metres, channels)."""
from __future__ import annotations

import numpy as np

from posefield.skeleton import Skeleton

Joint = tuple[str, "str | None", tuple[float, float, float], tuple[str, ...]]


def skeleton_from_table(joints: list[Joint], end_sites: dict[str, tuple[float, float, float]], rig: str) -> Skeleton:
    """The rig of ``joints`` (parents listed before children) with end sites keyed by joint name."""
    names = [j[0] for j in joints]
    return Skeleton(names=names, parents=[-1 if p is None else names.index(p) for _, p, _, _ in joints],
                    offsets=np.array([o for _, _, o, _ in joints]), channels=[c for *_, c in joints],
                    end_sites={names.index(n): np.array(v) for n, v in end_sites.items()}, rig=rig)
