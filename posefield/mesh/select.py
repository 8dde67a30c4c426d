"""Choosing a body for a skeleton: Anny where it can be had, capsules otherwise."""
from __future__ import annotations

from posefield.errors import SkeletonMismatchError
from posefield.mesh.anny_body import ANNY_TO_CMU, anny_available, anny_body
from posefield.mesh.body import BodyMesh
from posefield.mesh.capsules import capsule_body
from posefield.skeleton import Skeleton

BODY_KINDS = ("auto", "anny", "capsules")


def anny_fits(skeleton: Skeleton) -> bool:
    """Whether ``skeleton`` has every CMU ASF bone the Anny body is mapped onto."""
    return set(ANNY_TO_CMU.values()) <= set(skeleton.names)


def body_mesh(skeleton: Skeleton, kind: str = "auto") -> BodyMesh:
    """A body bound to ``skeleton``.

    Args:
        skeleton: any skeleton.
        kind: ``"anny"`` (CMU ASF skeletons; Anny installed or its template cached),
            ``"capsules"`` (any skeleton), or ``"auto"``: Anny when it fits and can be had,
            else capsules.
    """
    if kind not in BODY_KINDS:
        raise SkeletonMismatchError(f"unknown body {kind!r} (expected one of {', '.join(BODY_KINDS)})")
    if kind == "auto":
        kind = "anny" if anny_fits(skeleton) and anny_available() else "capsules"
    return _cached_body(skeleton, kind)


_BODIES: dict[tuple[str, bytes, str], BodyMesh] = {}
_MAX_CACHED = 8


def _cached_body(skeleton: Skeleton, kind: str) -> BodyMesh:
    """Bodies are remembered per skeleton tree, proportions and kind (a few at most)."""
    key = (skeleton.signature(), skeleton.offsets.tobytes(), kind)
    if key not in _BODIES:
        if len(_BODIES) >= _MAX_CACHED:
            _BODIES.clear()
        _BODIES[key] = anny_body(skeleton) if kind == "anny" else capsule_body(skeleton)
    return _BODIES[key]
