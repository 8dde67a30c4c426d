"""Body proportions β and posing a body with them.

β (C,) holds one log-scale per kinematic chain: every bone of chain c is ``exp(β_c)`` times
its length on the reference skeleton. A bone belongs to the chain of the joint it starts
at, so the offset of joint j (from its parent p) scales with p's chain and an end site with
its joint's chain; all children of a joint then scale alike, which ASF bones require (the
offset from the thorax to a clavicle is part of the spine, not the arm).

Posing uses the *extended* skeleton: the skeleton's end sites appended as extra joints
(no channels), so that per-sample offsets reach them too and point p of the extended
skeleton is point p of ``forward_kinematics(..., with_end_sites=True)``.
"""
from __future__ import annotations

import copy
import dataclasses

import numpy as np
import torch

from posefield.regress.chains import Chain, chain_of_joint
from posefield.skeleton import Skeleton, forward_kinematics


def extended_skeleton(skeleton: Skeleton) -> Skeleton:
    """``skeleton`` with each end site turned into a channel-less leaf joint ``<joint>.end``,
    appended in increasing joint order (E sites give J + E joints)."""
    sites = sorted(skeleton.end_sites)
    return Skeleton(names=skeleton.names + tuple(f"{skeleton.names[j]}.end" for j in sites),
                    parents=skeleton.parents + tuple(sites),
                    offsets=np.concatenate([skeleton.offsets, np.array([skeleton.end_sites[j] for j in sites]).reshape(-1, 3)]),
                    channels=skeleton.channels + ((),) * len(sites), rig=skeleton.rig)


def offset_chains(skeleton: Skeleton, chains: list[Chain]) -> np.ndarray:
    """(J + E,) chain whose scale applies to each offset of the extended skeleton: the chain of
    the joint's parent (the root's own chain for the root)."""
    owner = chain_of_joint(skeleton, chains)
    parents = extended_skeleton(skeleton).parents
    return np.array([owner[max(p, 0)] for p in parents], dtype=np.int64)


@dataclasses.dataclass(eq=False)
class Body:
    """What posing needs, as tensors (float32).

    Attributes:
        skeleton: the reference skeleton (J joints, E end sites).
        chains: its kinematic chains (C).
        extended: :func:`extended_skeleton` of ``skeleton``.
        offsets: (J + E, 3) reference offsets of the extended skeleton, metres.
        offset_chain: (J + E,) long, see :func:`offset_chains`.
        regressed: (R,) long, joints whose rotation is regressed: the root and every joint
            with a rotation channel, increasing.
    """

    skeleton: Skeleton
    chains: list[Chain]
    extended: Skeleton
    offsets: torch.Tensor
    offset_chain: torch.Tensor
    regressed: torch.Tensor

    @classmethod
    def of(cls, skeleton: Skeleton, chains: list[Chain]) -> "Body":
        extended = extended_skeleton(skeleton)
        return cls(skeleton, chains, extended, torch.as_tensor(extended.offsets, dtype=torch.float32),
                   torch.as_tensor(offset_chains(skeleton, chains)),
                   torch.as_tensor([0] + skeleton.rotation_joints(), dtype=torch.long))

    @property
    def num_points(self) -> int:
        """J + E: joints and end sites."""
        return self.extended.num_joints


def scaled_offsets(body: Body, beta: torch.Tensor) -> torch.Tensor:
    """(B, J + E, 3) offsets of bodies with proportions ``beta`` (B, C), metres."""
    return body.offsets.to(beta.dtype) * beta.exp()[:, body.offset_chain, None]


def full_rotations(body: Body, rotmats: torch.Tensor) -> torch.Tensor:
    """(B, J + E, 3, 3) local rotations of the extended skeleton from the (B, R, 3, 3) regressed
    ones; identity for every other joint."""
    batch = rotmats.shape[0]
    eye = torch.eye(3, dtype=rotmats.dtype, device=rotmats.device)
    full = eye.expand(batch, body.num_points, 3, 3).clone()
    full[:, body.regressed] = rotmats
    return full


def posed_points(body: Body, rotmats: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
    """(B, J + E, 3) joint and end-site positions (metres) with the root at the origin.

    Args:
        rotmats: (B, R, 3, 3) local rotations of the regressed joints (the root's is the
            global orientation).
        beta: (B, C) proportions.
    """
    root = rotmats.new_zeros(rotmats.shape[0], 3)
    return forward_kinematics(body.extended, full_rotations(body, rotmats), root, scaled_offsets(body, beta))


def proportioned_skeleton(skeleton: Skeleton, chains: list[Chain], beta: np.ndarray) -> Skeleton:
    """``skeleton`` with proportions ``beta`` (C,): offsets and end sites scaled; a skeleton read
    from an ASF gets its bone lengths scaled alike, so it is written back as the same rig."""
    scale = np.exp(np.asarray(beta, dtype=np.float64))
    owner = chain_of_joint(skeleton, chains)
    bone = scale[owner]  # scale of the bones starting at each joint
    offsets = skeleton.offsets * bone[[max(p, 0) for p in skeleton.parents], None]
    end_sites = {j: np.asarray(v) * bone[j] for j, v in skeleton.end_sites.items()}
    meta = copy.deepcopy(skeleton.meta)
    for entry in meta.get("asf", {}).get("bones", []):
        if entry["name"] in skeleton.names:
            entry["length"] = float(entry["length"]) * bone[skeleton.names.index(entry["name"])]
    return dataclasses.replace(skeleton, offsets=offsets, end_sites=end_sites, meta=meta)
