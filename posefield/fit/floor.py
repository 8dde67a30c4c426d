"""The floor under a motion, read from its observed feet, so completed limbs stay above it.

When part of the body is not observed, nothing in the data keeps a completed foot out of the
floor: the prior knows poses, not where the ground is. Mocap rigs are Y-up (ASF and BVH
files), and a standing or walking performer's lowest leg point touches the floor at least
once. The floor is therefore taken as the lowest height that any observed point of the legs
reaches over the whole motion. On request (``posefield complete --floor auto``), points the
completion fills in are kept from going below it (:func:`posefield.fit.terms.floor_energy`).
Without an observed leg point (both legs hidden, or a rig whose names show no legs) there is
no estimate, and the caller may give a height.
A performer who never puts a visible foot down, for example standing on the hidden leg the
whole clip, gives a floor that is too high. Pass the true height then, or none.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from posefield.fit.points import group_joints, moved_points
from posefield.skeleton import UP_AXIS, Skeleton

LEG_GROUPS = ("left_leg", "right_leg")


@dataclasses.dataclass(frozen=True)
class Floor:
    """A horizontal floor at ``height`` (metres along Y) under the points ``points`` ((J + E,) bool).

    The floor term moves no rotation of the joints ``held``: with a hidden leg's hip held, it
    lifts a sinking foot by bending the knee and ankle rather than by swinging the whole leg.
    """

    height: float
    points: np.ndarray
    held: tuple[int, ...] = ()


def chain_tops(skeleton: Skeleton, joints: list[int]) -> list[int]:
    """The first rotating joint on each path down into ``joints`` (the hip of a hidden leg, the
    shoulder of a hidden arm): those of ``joints`` with rotation channels and no rotating
    ancestor among ``joints``."""
    members, rotating = set(joints), set(skeleton.rotation_joints())
    tops = []
    for joint in joints:
        parent = skeleton.parents[joint]
        while parent in members and parent not in rotating:
            parent = skeleton.parents[parent]
        if joint in rotating and parent not in members:
            tops.append(joint)
    return sorted(tops)


def leg_points(skeleton: Skeleton) -> np.ndarray:
    """(J + E,) bool: the points the legs' joints move (knees, ankles, feet, toes and their ends);
    all false when the rig's names show no legs."""
    return moved_points(skeleton, group_joints(skeleton, LEG_GROUPS))


def observed_floor_height(skeleton: Skeleton, points: np.ndarray, observed: np.ndarray) -> float | None:
    """Lowest height (metres) of the observed leg points over all frames; ``None`` without any.

    Args:
        skeleton: the rig (Y up).
        points: (T, J + E, 3) joint and end-site positions, metres.
        observed: (J + E,) bool, the points that were observed.
    """
    feet = leg_points(skeleton) & observed
    if not feet.any() or points.shape[0] == 0:
        return None
    return float(points[:, feet, UP_AXIS].min())
