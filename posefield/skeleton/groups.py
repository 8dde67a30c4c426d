"""Named bone groups (limbs) of the CMU ASF rig, and their counterparts on other rigs.

Groups list only bones with rotation dof: ``lhipjoint``/``rhipjoint`` (and the ASF root) have
none, so they carry nothing a pose prior could learn or a fit could change, and are left out.

Other rigs are matched by name: a joint name is split into a side and the words naming its
part by :func:`posefield.skeleton.names.side_and_words` (``lThigh``, ``LeftUpLeg``, ``L_Knee``,
``thigh.L``, ``Bip01 L Thigh``, ``Character1_LeftLeg``), and the part is looked up in
:data:`PART_PATTERNS` (first match wins; a pattern may match inside the words, so twist and
bend joints such as ``calf_twist_01_l`` belong to their limb). A CMU bone name then stands for every joint of that side and part: on the DAZ rig
``lfemur`` is ``lThigh``, ``lradius`` is ``lForeArm``, ``lfingers`` is ``lIndex1 ... lPinky2``
(on SMPL ``left_hip``, ``left_elbow`` ...);
a CMU bone without counterpart (``lwrist`` on DAZ) matches nothing. A ``shoulder`` joint is
the upper arm on rigs that also have a collar/clavicle on that side (SMPL ``left_shoulder``)
and the clavicle otherwise (Mixamo ``LeftShoulder`` before ``LeftArm``).
"""
from __future__ import annotations

import re

from posefield.errors import SkeletonMismatchError
from posefield.skeleton.names import side_and_words
from posefield.skeleton.skeleton import Skeleton


def _sides(bones: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    return {"left": tuple(f"l{b}" for b in bones), "right": tuple(f"r{b}" for b in bones)}


_LIMBS = {"leg": ("femur", "tibia", "foot", "toes"),
          "arm_hand": ("humerus", "radius", "wrist", "hand", "fingers", "thumb"),
          "shoulder_upper_arm": ("clavicle", "humerus")}

BONE_GROUPS: dict[str, tuple[str, ...]] = {
    f"{side}_{limb}": names for limb, bones in _LIMBS.items() for side, names in _sides(bones).items()}
"""Group name -> CMU ASF bone names, e.g. ``left_leg`` -> lfemur, ltibia, lfoot, ltoes."""

PART_PATTERNS: tuple[tuple[str, str], ...] = (
    ("thumb", r"thumb"),
    ("fingers", r"index|mid|ring|pinky|little|finger"),
    ("toes", r"toe"),
    ("radius", r"forearm|lowerarm|elbow|radius"),
    ("humerus", r"shldr|upperarm|humerus|^arm$"),
    ("clavicle", r"collar|clavicle"),
    ("wrist", r"wrist"),
    ("hand", r"hand"),
    ("tibia", r"shin|calf|knee|lowerleg|tibia|^leg$"),
    ("femur", r"thigh|upleg|upperleg|femur|hip"),
    ("foot", r"foot|ankle"),
    ("shoulder", r"shoulder"),  # resolved per rig by joint_parts
)
"""(part, regular expression on the lower-cased side-free joint name), first match wins."""

_CMU_PARTS = {part for part, _ in PART_PATTERNS} - {"shoulder"}


def side_and_cmu_part(name: str) -> tuple[str, str] | None:
    """``("l" | "r", CMU part)`` of a non-CMU joint name, e.g. ``"lForeArm"`` -> ``("l", "radius")``;
    ``None`` when the name has no side or no known part. A shoulder gives part ``"shoulder"``,
    which :func:`joint_parts` resolves."""
    side, words = side_and_words(name)
    if side is None:
        return None
    rest = "".join(words)
    part = next((p for p, pattern in PART_PATTERNS if re.search(pattern, rest)), None)
    return (side, part) if part else None


def joint_parts(skeleton: Skeleton) -> list[tuple[str, str] | None]:
    """(side, CMU part) of each joint of a non-CMU skeleton (``None`` where unknown)."""
    parts = [side_and_cmu_part(name) for name in skeleton.names]
    for j, found in enumerate(parts):
        if found and found[1] == "shoulder":
            side = found[0]
            parts[j] = (side, "humerus" if (side, "clavicle") in parts else "clavicle")
    return parts


def _cmu_side_and_part(name: str) -> tuple[str, str] | None:
    """``("l", "femur")`` for the CMU bone ``lfemur``; ``None`` for other names."""
    return (name[0], name[1:]) if name[:1] in ("l", "r") and name[1:] in _CMU_PARTS else None


def _joints_for(skeleton: Skeleton, name: str) -> list[int]:
    """The joint called ``name``, else the joints playing CMU bone ``name``'s part."""
    if name in skeleton.names:
        return [skeleton.names.index(name)]
    wanted = _cmu_side_and_part(name)
    if wanted is None:
        return []
    return [j for j, found in enumerate(joint_parts(skeleton)) if found == wanted]


def resolve_group(skeleton: Skeleton, spec: str) -> list[int]:
    """Joint indices (sorted) of a group name from :data:`BONE_GROUPS` or comma-separated names.

    Names are joint names of ``skeleton`` or CMU bone names, which also work on other rigs
    (see the module docstring). Raises :class:`SkeletonMismatchError` (one line) for a name
    that matches nothing, or a group with no joint on this skeleton.
    """
    spec = spec.strip()
    group = BONE_GROUPS.get(spec)
    names = group if group is not None else tuple(n.strip() for n in spec.split(",") if n.strip())
    if not names:
        raise SkeletonMismatchError(f"empty bone group {spec!r}")
    found: set[int] = set()
    for name in names:
        joints = _joints_for(skeleton, name)
        if not joints and group is None:
            raise SkeletonMismatchError(f"unknown bone or group {name!r} for this {skeleton.rig} skeleton "
                                        f"(groups: {', '.join(BONE_GROUPS)})")
        found.update(joints)
    if not found:
        raise SkeletonMismatchError(f"group {spec!r} matches no joint of this {skeleton.rig} skeleton")
    return sorted(found)
