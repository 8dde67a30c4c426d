"""Small test rigs written as tables of (name, parent name or None, offset in metres, channels)."""
from __future__ import annotations

import numpy as np
import roma
import torch

from posefield.rotations import channels_to_rotmat, random_unit_quaternions
from posefield.rotations.euler import rotation_order
from posefield.skeleton import Skeleton
from posefield.skeleton.dofs import RigDofs

Joint = tuple[str, "str | None", tuple[float, float, float], tuple[str, ...]]


def skeleton_from_table(joints: list[Joint], end_sites: dict[str, tuple[float, float, float]], rig: str) -> Skeleton:
    """The rig of ``joints`` (parents listed before children) with end sites keyed by joint name."""
    names = [j[0] for j in joints]
    return Skeleton(names=names, parents=[-1 if p is None else names.index(p) for _, p, _, _ in joints],
                    offsets=np.array([o for _, _, o, _ in joints]), channels=[c for *_, c in joints],
                    end_sites={names.index(n): np.array(v) for n, v in end_sites.items()}, rig=rig)


LEG_ROOT = ("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")
LEG = [("root", None, (0, 0, 0), LEG_ROOT),
         ("thigh", "root", (0.1, 0, 0), ("Zrotation", "Yrotation", "Xrotation")),
         ("shin", "thigh", (0, -0.4, 0), ("Xrotation",)),
         ("foot", "shin", (0, -0.4, 0), ("Zrotation", "Xrotation")),
         ("toe", "foot", (0, 0, 0.1), ())]


def leg_with_hinges() -> Skeleton:
    """A leg whose shin has one rotation channel and foot two, in tilted axis frames (like CMU ASF)."""
    skeleton = skeleton_from_table(LEG, {"toe": (0, 0, 0.05)}, rig="leg")
    axes = np.tile(np.eye(3), (5, 1, 1))
    axes[2] = roma.rotvec_to_rotmat(torch.tensor([0.0, 0.0, 0.35], dtype=torch.float64)).numpy()  # like ASF 'axis 0 0 20'
    axes[3] = roma.rotvec_to_rotmat(torch.tensor([0.4, -0.2, 0.1], dtype=torch.float64)).numpy()
    skeleton.axes = axes
    return skeleton


def channel_poses(skeleton: Skeleton, n: int, seed: int = 0) -> torch.Tensor:
    """(n, 3, 4) quaternions of thigh, shin and foot of :func:`leg_with_hinges` from random channel values."""
    rng = np.random.default_rng(seed)
    joints = []
    for j in (1, 2, 3):
        order = rotation_order(skeleton.channels[j])
        rot = channels_to_rotmat(rng.uniform(-120, 120, size=(n, len(order))), order, skeleton.axes[j])
        joints.append(roma.rotmat_to_unitquat(torch.from_numpy(rot).float()))
    return torch.stack(joints, dim=1)


def poses_with_hard_cases(dofs: RigDofs, skeleton: Skeleton, joint_index: list[int], n: int,
                          dtype: torch.dtype) -> torch.Tensor:
    """(4 n, K, 4) poses: random; on the hemispheres' border (w = 0); on the reachable set (no
    swing: the half-angle's norm at its clamp); made from channel values at ±90° and 180°
    (where the outer angle's branch turns), nudged by 1e-4 rad."""
    g = torch.Generator().manual_seed(11)
    random = random_unit_quaternions((n, len(joint_index)), g, dtype)
    border = random_unit_quaternions((n, len(joint_index)), g, dtype)
    border[..., 3] = 0.0
    border /= border.norm(dim=-1, keepdim=True)
    with torch.no_grad():
        on_set = dofs(random_unit_quaternions((n, len(joint_index)), g, dtype))[0]
    corners = torch.tensor([-180.0, -90.0, 0.0, 90.0, 180.0], dtype=torch.float64)
    rng = np.random.default_rng(12)
    turned = []
    for j in joint_index:
        order = rotation_order(skeleton.channels[j]) or ("x",)
        values = corners[rng.integers(0, 5, size=(n, len(order)))].numpy() + rng.normal(0, 0.006, (n, len(order)))
        turned.append(roma.rotmat_to_unitquat(torch.from_numpy(channels_to_rotmat(values, order, skeleton.axes[j]))))
    return torch.cat([random, border, on_set, torch.stack(turned, dim=1).to(dtype)])
