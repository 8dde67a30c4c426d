"""Body landmarks of any humanoid rig, found from joint names and the joint tree.

A landmark is a body part every humanoid rig has a joint for: the pelvis, the spine chain
(``spine``, ``spine_mid``, ``chest``), ``neck``, ``head`` and per side (``l_``/``r_``) the
``clavicle``, ``upperarm``, ``forearm``, ``hand``, ``thigh``, ``shin``, ``foot`` and ``toe``.
Its joint is the one whose rotation moves that part (the thigh's joint sits at the hip).

Limb joints are recognised by name, in every naming family in use: CMU ASF and HDM05
(``lfemur``, ``rradius``), CMU BVH conversions and Mixamo (``LeftUpLeg``, ``LeftLeg``,
``mixamorig:LeftForeArm``), DAZ (``lThigh``, ``lShin``, ``lCollar``, ``lShldr``; Genesis 3-9's
``lShldrBend`` above ``lShldrTwist``), Biovision (``LeftUpArm``, ``LeftLowArm``), OptiTrack (``LUArm``, ``LFArm``), SMPL
(``left_hip``, ``left_knee``, ``left_collar``, ``left_shoulder``, ``left_wrist``), Unity and
Unreal humanoids (``UpperLeg_L``, ``upperarm_l``, ``LowerArm_R``, ``thigh_l``, ``calf_r``,
``clavicle_l``, ``ball_l``), 3ds Max bipeds (``Bip01 L Thigh``). :func:`name_tokens`
normalises a name: any namespace prefix (``mixamorig:``, ``Armature|``) is dropped,
camelCase, separators and digits split it into lower-case words; a side is a leading or
trailing ``l``/``left``/``r``/``right`` word (else the only one inside the name). The
remaining words, joined, are looked up in :data:`PART_ALIASES`.

The trunk is found from the tree, which works whatever the spine joints are called: the
pelvis is the deepest joint above both thighs and the chest (a joint above the legs alone,
DAZ Genesis' ``pelvis`` under ``hip``, is none), the chest the deepest joint above both upper
arms (or clavicles), the spine chain the joints between them, the neck the first joint from
the chest towards the head. ``spine_mid`` exists where a spine chain has three or more joints.
Across rigs the spine landmarks pair by place (:func:`trunk_fractions`), not by rank.
"""
from __future__ import annotations

import re

import numpy as np

from posefield.skeleton.skeleton import Skeleton

SIDES = ("l", "r")
LIMB_PARTS = ("clavicle", "upperarm", "forearm", "hand", "thigh", "shin", "foot", "toe")
LIMB_CHAINS = (("clavicle", "upperarm", "forearm", "hand"), ("thigh", "shin", "foot", "toe"))
"""The limb parts of each side, from the body outwards: each part's joint hangs below the one before."""
TRUNK = ("pelvis", "spine", "spine_mid", "chest", "neck", "head")
SPINE = ("spine", "spine_mid")
"""The trunk landmarks between pelvis and chest (paired across rigs by place, not by name)."""
LANDMARKS: tuple[str, ...] = TRUNK + tuple(f"{s}_{p}" for s in SIDES for p in LIMB_PARTS)
"""Every landmark, trunk first, then the left and the right limbs from the body outwards."""

PART_ALIASES: dict[str, tuple[str, ...]] = {
    "clavicle": ("clavicle", "collar", "collarbone"),
    "upperarm": ("upperarm", "uparm", "uarm", "arm", "shldr", "humerus"),
    "forearm": ("forearm", "lowerarm", "lowarm", "farm", "elbow", "radius"),
    "hand": ("hand", "wrist"),
    "thigh": ("thigh", "upleg", "upperleg", "femur", "hip"),
    "shin": ("shin", "calf", "leg", "lowerleg", "lowleg", "knee", "tibia", "crus"),
    "foot": ("foot", "ankle"),
    "toe": ("toe", "toes", "toebase", "ball"),
    "shoulder": ("shoulder",),  # the clavicle where the side also has an upper arm, else the upper arm
}
"""Limb part -> side-free joint names (words joined, lower case) that play it."""

_CMU = re.compile(r"^(?P<side>[lr])(?P<part>clavicle|humerus|radius|hand|femur|tibia|foot|toes)$")
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_HEAD = ("head",)


def name_tokens(name: str) -> list[str]:
    """Lower-case words of a joint name without namespace: ``"mixamorig:LeftUpLeg"`` -> left, up, leg.
    A leading side letter glued to a one-letter abbreviation is split (OptiTrack's ``LUArm``,
    ``RFArm`` -> l, u, arm)."""
    bare = re.split(r"[:|]", name)[-1]
    words = _WORDS.findall(bare)
    if len(words) > 1 and len(words[0]) == 2 and words[0][0] in "LR" and words[0].isalpha():
        words[:1] = list(words[0])
    return [w.lower() for w in words]


def side_and_part(name: str) -> tuple[str | None, str | None]:
    """(side ``"l"``/``"r"`` or ``None``, part from :data:`PART_ALIASES` or ``None``) of a joint name.

    The side is a leading or trailing side word, else the only side word inside the name
    (``Bip01 L Thigh``); the part is the longest run of the remaining words, ending the name,
    that is an alias (``Bip01 L Thigh`` -> thigh, ``calf_twist_01_l`` -> none).
    """
    words = [w for w in name_tokens(name) if not w.isdigit()]
    cmu = _CMU.match("".join(words))
    if cmu:
        return cmu["side"], {"humerus": "upperarm", "radius": "forearm", "femur": "thigh", "tibia": "shin",
                             "toes": "toe"}.get(cmu["part"], cmu["part"])
    side, part_words = side_and_words(name)
    return (side, _part(part_words)) if side else (None, None)


def side_and_words(name: str) -> tuple[str | None, list[str]]:
    """(side ``"l"``/``"r"`` or ``None``, the words that name the part) of a joint name.

    The side is a leading or trailing side word, else the only side word inside the name; the
    part's words are those after it (``Bip01 L Thigh``, ``Character1_LeftLeg`` -> thigh, leg),
    or before it when it ends the name (``calf_twist_01_l`` -> calf, twist). Digits are dropped.
    Without a side: ``(None, every word)``.
    """
    words = [w for w in name_tokens(name) if not w.isdigit()]
    sides = [i for i, w in enumerate(words) if w in _SIDE_WORDS]
    at = next((i for i in (0, len(words) - 1) if i in sides), sides[0] if len(sides) == 1 else None)
    if len(words) < 2 or at is None:
        return None, words
    return words[at][0], (words[:at] if at == len(words) - 1 else words[at + 1:])


_SIDE_WORDS = ("l", "left", "r", "right")


_BEND = "bend"
"""A last word that names the bending joint of a bend/twist pair (DAZ Genesis 3-9: ``lShldrBend``
above ``lShldrTwist``): that joint plays the part; the twist joint plays none."""


def _part(words: list[str]) -> str | None:
    """The part of the longest run of ``words`` ending them that is an alias (a last ``bend``
    word dropped), else ``None``."""
    if len(words) > 1 and words[-1] == _BEND:
        words = words[:-1]
    for start in range(len(words)):
        joined = "".join(words[start:])
        part = next((p for p, aliases in PART_ALIASES.items() if joined in aliases), None)
        if part:
            return part
    return None


def is_head(name: str) -> bool:
    """Whether a joint name names the head (``Head``, ``Bip01 Head``; not ``HeadTop_End``)."""
    words = [w for w in name_tokens(name) if not w.isdigit()]
    return bool(words) and words[-1] in _HEAD


def _ancestors(skeleton: Skeleton, j: int) -> list[int]:
    """``j`` and its ancestors, from ``j`` up to the root."""
    out = [j]
    while skeleton.parents[out[-1]] >= 0:
        out.append(skeleton.parents[out[-1]])
    return out


def _common_ancestor(skeleton: Skeleton, a: int, b: int) -> int:
    above = set(_ancestors(skeleton, b))
    return next(j for j in _ancestors(skeleton, a) if j in above)


def _depth(skeleton: Skeleton, j: int) -> int:
    return len(_ancestors(skeleton, j))


def _limbs(skeleton: Skeleton) -> dict[str, int]:
    """Side-part landmarks (``l_thigh`` ...) found by name; each part's joint along its chain."""
    found: dict[tuple[str, str], list[int]] = {}
    for j, name in enumerate(skeleton.names):
        side, part = side_and_part(name)
        if side and part:
            found.setdefault((side, part), []).append(j)
    out: dict[str, int] = {}
    for side in SIDES:
        parts = {part: joints for (s, part), joints in found.items() if s == side}
        if "shoulder" in parts:
            role = "clavicle" if "upperarm" in parts and "clavicle" not in parts else "upperarm"
            parts.setdefault(role, []).extend(parts.pop("shoulder"))
        if "foot" in parts and any("ankle" in name_tokens(skeleton.names[j]) for j in parts["foot"]):
            feet = parts["foot"]  # SMPL: left_ankle is the foot, left_foot its toes
            parts["toe"] = parts.get("toe", []) + [j for j in feet if "ankle" not in name_tokens(skeleton.names[j])]
            parts["foot"] = [j for j in feet if "ankle" in name_tokens(skeleton.names[j])]
        for chain in LIMB_CHAINS:
            above = None
            for part in chain:
                # a part's joint hangs below the part before it (UE's ik_foot_l under the root is no foot)
                joints = [j for j in parts.get(part, []) if above is None or above in _ancestors(skeleton, j)[1:]]
                if joints:
                    # thigh: the deepest (LHipJoint sits above LeftUpLeg); others: the first along the chain
                    pick = max if part == "thigh" else min
                    above = out[f"{side}_{part}"] = pick(joints, key=lambda j: (_depth(skeleton, j), j))
    return out


def trunk_chain(skeleton: Skeleton, found: dict[str, int]) -> list[int]:
    """Joints strictly between the ``pelvis`` and the ``chest`` of ``found`` (landmark -> joint),
    bottom up; empty without both."""
    if "pelvis" not in found or "chest" not in found:
        return []
    chain = _ancestors(skeleton, found["chest"])
    return chain[1:chain.index(found["pelvis"])][::-1] if found["pelvis"] in chain else []


def trunk_fractions(skeleton: Skeleton, found: dict[str, int]) -> np.ndarray:
    """(N,) where each joint of :func:`trunk_chain` sits from pelvis (0) to chest (1), by bone
    length along the chain (rest-pose independent); evenly spaced where the chain has no length."""
    chain = trunk_chain(skeleton, found)
    lengths = np.linalg.norm(skeleton.offsets[chain + [found["chest"]]], axis=-1) if chain else np.zeros(1)
    total = lengths.sum()
    if total < 1e-9:
        return np.arange(1, len(chain) + 1) / (len(chain) + 1)
    return np.cumsum(lengths)[:-1] / total


def find_landmarks(skeleton: Skeleton) -> dict[str, int]:
    """Landmark name -> joint index of every landmark found on ``skeleton`` (see the module docstring)."""
    out = _limbs(skeleton)
    arms = [(out.get(f"l_{p}"), out.get(f"r_{p}")) for p in ("upperarm", "clavicle")]
    pair = next(((a, b) for a, b in arms if a is not None and b is not None), None)
    chest = _common_ancestor(skeleton, *pair) if pair is not None else None
    if "l_thigh" in out and "r_thigh" in out:
        out["pelvis"] = _common_ancestor(skeleton, out["l_thigh"], out["r_thigh"])
        if chest is not None:  # a hip joint of the legs alone under the root (DAZ Genesis 3-9's 'pelvis')
            out["pelvis"] = _common_ancestor(skeleton, out["pelvis"], chest)
    if chest is not None:
        if "pelvis" in out and out["pelvis"] in _ancestors(skeleton, chest)[1:]:
            out["chest"] = chest
            chain = trunk_chain(skeleton, out) + [chest]
            if len(chain) >= 2:
                out["spine"] = chain[0]
            if len(chain) >= 3:
                out["spine_mid"] = chain[len(chain) // 2]
        heads = [j for j in skeleton.descendants(chest)[1:] if is_head(skeleton.names[j])]
        if heads:
            head = min(heads, key=lambda j: (_depth(skeleton, j), j))
            out["head"] = head
            neck = _ancestors(skeleton, head)
            neck = neck[1:neck.index(chest)]
            if neck:
                out["neck"] = neck[-1]
    return {name: out[name] for name in LANDMARKS if name in out}
