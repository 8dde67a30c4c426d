"""Kinematic chains: the skeleton tree cut into the parts HKMR regresses one after another.

The tree is split at the root and at the branching joint of the spine:

* ``root``: the root joint alone (global orientation; the regressor adds the camera).
* ``head``: the spine from the root's spine child down to its first joint with several
  children (the branching joint: CMU ``thorax``, DAZ ``chest``, SMPL ``spine3``), continued
  by the branching joint's child subtree that stays nearest the vertical through it (neck
  and head). The spine is the root child subtree with the most leaves.
* ``left_arm`` / ``right_arm``: the other child subtrees of the branching joint.
* ``left_leg`` / ``right_leg``: the other child subtrees of the root (CMU ``lhipjoint``...).

Every joint belongs to exactly one chain. Chains are named by the limb they reach and its
side, read from the rest pose: Y is up (as in ASF and BVH files) and the body's left is +x
(CMU ASF, the DAZ BVH rig, SMPL); a limb on the mid-line gets no side, and a name used twice
gets a numeric suffix. The parent of ``head`` and of the legs is ``root``; the parent of the
arms is ``head``. The rig's root must be where the legs and the spine meet.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from posefield.skeleton import UP_AXIS, Skeleton, rest_points

LEFT_AXIS = 0
ROOT_CHAIN = 0


@dataclasses.dataclass(frozen=True)
class Chain:
    """One kinematic chain: ``name``, its ``joints`` (skeleton indices, increasing) and the
    index of its ``parent`` chain in the chain list (-1 for the root chain)."""

    name: str
    joints: tuple[int, ...]
    parent: int


def leaf_count(skeleton: Skeleton, joint: int) -> int:
    """Number of joints without children in the subtree of ``joint``."""
    return sum(not skeleton.children(j) for j in skeleton.descendants(joint))


def branching_joint(skeleton: Skeleton, start: int) -> int | None:
    """The first joint at or below ``start`` with several children (``None``: the path ends in a leaf)."""
    joint = start
    while len(skeleton.children(joint)) == 1:
        joint = skeleton.children(joint)[0]
    return joint if skeleton.children(joint) else None


def horizontal_spread(points: np.ndarray, joints: list[int], centre: int) -> float:
    """Mean distance of ``joints`` from the vertical line through joint ``centre``, metres."""
    offsets = np.delete(points[joints] - points[centre], UP_AXIS, axis=1)
    return float(np.linalg.norm(offsets, axis=1).mean())


def lateral(points: np.ndarray, joints: list[int]) -> float:
    """Sideways position (+x: the body's left) of the joints' mean relative to the root, metres."""
    return float(points[joints, LEFT_AXIS].mean() - points[0, LEFT_AXIS])


def limb_name(points: np.ndarray, joints: list[int], kind: str, tolerance: float = 1e-3) -> str:
    """``left_<kind>``, ``right_<kind>`` or ``<kind>`` (on the mid-line) by :func:`lateral`."""
    x = lateral(points, joints)
    return kind if abs(x) < tolerance else f"{'left' if x > 0 else 'right'}_{kind}"


def unique_names(names: list[str]) -> list[str]:
    """``names`` with repeats suffixed ``_2``, ``_3`` ... in order."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name}_{seen[name]}")
    return out


def kinematic_chains(skeleton: Skeleton) -> list[Chain]:
    """The chains of ``skeleton`` in regression order: root, head, arms (right first), legs
    (right first); see the module docstring for the rules."""
    points = rest_points(skeleton)  # joints first: joint indices address them
    branches = skeleton.children(0)
    if not branches:
        return [Chain("root", (0,), -1)]
    spine = max(branches, key=lambda j: (leaf_count(skeleton, j), len(skeleton.descendants(j))))
    split = branching_joint(skeleton, spine)
    arm_roots: list[int] = []
    head = skeleton.descendants(spine)
    if split is not None:
        kids = skeleton.children(split)
        up = min(kids, key=lambda k: horizontal_spread(points, skeleton.descendants(k), split))
        arm_roots = [k for k in kids if k != up]
        arm_joints = {j for k in arm_roots for j in skeleton.descendants(k)}
        head = [j for j in head if j not in arm_joints]
    arms = [sorted(skeleton.descendants(k)) for k in arm_roots]
    legs = [sorted(skeleton.descendants(k)) for k in branches if k != spine]
    arms.sort(key=lambda limb: lateral(points, limb))  # right (−x) first
    legs.sort(key=lambda limb: lateral(points, limb))
    names = unique_names(["root", "head"] + [limb_name(points, a, "arm") for a in arms]
                         + [limb_name(points, leg, "leg") for leg in legs])
    parents = [-1, ROOT_CHAIN] + [1] * len(arms) + [ROOT_CHAIN] * len(legs)
    joint_sets = [[0], sorted(head)] + arms + legs
    return [Chain(n, tuple(js), p) for n, js, p in zip(names, joint_sets, parents)]


def chain_of_joint(skeleton: Skeleton, chains: list[Chain]) -> np.ndarray:
    """(J,) index of the chain each joint belongs to."""
    out = np.full(skeleton.num_joints, -1, dtype=np.int64)
    for c, chain in enumerate(chains):
        out[list(chain.joints)] = c
    return out
