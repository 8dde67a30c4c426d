"""Elbows and knees: which joints they are and which way they naturally bend.

Hinges are the joints playing the CMU bones ``ltibia``/``rtibia`` (knees) and
``lradius``/``rradius`` (elbows) on the rig, found by :func:`posefield.skeleton.groups.resolve_group`
(``lShin``, ``LeftForeArm``, ``L_Knee`` ... on other rigs).

The flexion axis comes from the rest pose, which is assumed Y-up (as in ASF and BVH files):
the body's forward direction is (left − right) × up, measured between the left and right
hinges; a knee flexes when its bone swings backwards, an elbow when its bone swings forwards.
So for hinge bone direction d and swing direction g the axis is a = d × g / |d × g| and a
positive twist about a (:func:`posefield.fit.terms.twist_angle`) is natural flexion.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from posefield.errors import SkeletonMismatchError
from posefield.skeleton import Skeleton, rest_points
from posefield.skeleton.groups import resolve_group

HINGE_BONES = {"knee": "tibia", "elbow": "radius"}
UP = np.array([0.0, 1.0, 0.0])


@dataclasses.dataclass(frozen=True)
class Hinge:
    """An elbow or knee: ``joint`` index, ``kind`` (knee/elbow), ``side`` (l/r), ``axis`` (3,)
    unit flexion axis in the joint's canonical local frame."""

    joint: int
    kind: str
    side: str
    axis: np.ndarray


def hinge_joints(skeleton: Skeleton) -> dict[int, tuple[str, str]]:
    """Joint index -> (kind, side) of every elbow and knee the rig's names reveal."""
    out = {}
    for kind, bone in HINGE_BONES.items():
        for side in "lr":
            try:
                joints = resolve_group(skeleton, side + bone)
            except SkeletonMismatchError:
                joints = []
            out.update({j: (kind, side) for j in joints})
    return out


def find_hinges(skeleton: Skeleton) -> list[Hinge]:
    """Elbows and knees of ``skeleton`` with their flexion axes; empty when the rig's names are
    not recognised or no left/right pair of hinges gives the forward direction."""
    named = hinge_joints(skeleton)
    rest = rest_points(skeleton)
    left = [j for j, (_, side) in named.items() if side == "l"]
    right = [j for j, (_, side) in named.items() if side == "r"]
    if not left or not right:
        return []
    lateral = rest[left].mean(axis=0) - rest[right].mean(axis=0)
    forward = np.cross(lateral, UP)
    if np.linalg.norm(forward) < 1e-9:
        return []
    forward /= np.linalg.norm(forward)
    sites = sorted(skeleton.end_sites)
    hinges = []
    for j, (kind, side) in named.items():
        children = skeleton.children(j)
        end = rest[children[0]] if children else rest[skeleton.num_joints + sites.index(j)] if j in sites else None
        if end is None:
            continue
        axis = np.cross(end - rest[j], -forward if kind == "knee" else forward)
        if np.linalg.norm(axis) > 1e-9:
            hinges.append(Hinge(j, kind, side, axis / np.linalg.norm(axis)))
    return hinges
