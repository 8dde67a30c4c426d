"""Skeleton <-> plain dict (JSON-safe), for datasets and checkpoints."""
from __future__ import annotations

from typing import Any

import numpy as np

from posefield.skeleton.skeleton import Skeleton


def skeleton_to_dict(skeleton: Skeleton) -> dict[str, Any]:
    """A JSON-safe dict holding everything needed to rebuild ``skeleton``."""
    return {
        "names": list(skeleton.names),
        "parents": list(skeleton.parents),
        "offsets": skeleton.offsets.tolist(),
        "channels": [list(c) for c in skeleton.channels],
        "axes": skeleton.axes.tolist(),
        "end_sites": {str(j): np.asarray(v).tolist() for j, v in skeleton.end_sites.items()},
        "rig": skeleton.rig,
        "meta": _json_safe(skeleton.meta),
    }


def skeleton_from_dict(data: dict[str, Any]) -> Skeleton:
    """Inverse of :func:`skeleton_to_dict`."""
    return Skeleton(
        names=tuple(data["names"]),
        parents=tuple(data["parents"]),
        offsets=np.asarray(data["offsets"], dtype=np.float64),
        channels=tuple(tuple(c) for c in data["channels"]),
        axes=np.asarray(data["axes"], dtype=np.float64),
        end_sites={int(j): np.asarray(v, dtype=np.float64) for j, v in data.get("end_sites", {}).items()},
        rig=data.get("rig", "bvh"),
        meta=dict(data.get("meta", {})),
    )


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
