"""A tiny synthetic pose dataset for the baseline prior tests: a 5-joint chain whose poses lie
near a 2-D family of rotations (training-like), split into training and validation rows.
Test modules import the fixtures."""
from __future__ import annotations

import numpy as np
import pytest
import roma
import torch

from posefield.data import PoseDataset
from posefield.prior.checkpoint import load_prior
from posefield.prior.registry import get_prior
from posefield.skeleton import Skeleton

ROT3 = ("Zrotation", "Xrotation", "Yrotation")


def chain_skeleton(names: tuple[str, ...] = ("root", "spine", "neck", "arm", "elbow")) -> Skeleton:
    """A chain rig: root with translation, then joints with 3 rotation channels (the last with 1)."""
    channels = [("Xposition", "Yposition", "Zposition") + ROT3] + [ROT3] * (len(names) - 2) + [("Xrotation",)]
    return Skeleton(names=names, parents=[-1] + list(range(len(names) - 1)),
                    offsets=[[0, 1, 0]] + [[0, 0.2, 0]] * (len(names) - 1), channels=channels, rig="chain")


def synthetic_poses(num: int, num_joints: int, seed: int = 0, noise: float = 0.02) -> torch.Tensor:
    """(num, K, 4) canonical quaternions of rotation vectors A·(cos t, sin t)·a + noise (radians)."""
    g = torch.Generator().manual_seed(seed)
    basis = torch.randn(num_joints, 3, 2, generator=torch.Generator().manual_seed(123)) * 0.6
    t = torch.rand(num, generator=g) * 2 * torch.pi
    amp = 0.5 + 0.5 * torch.rand(num, generator=g)
    latent = torch.stack([t.cos(), t.sin()], dim=1) * amp[:, None]
    rotvec = torch.einsum("kij,nj->nki", basis, latent) + noise * torch.randn(num, num_joints, 3, generator=g)
    q = roma.rotvec_to_unitquat(rotvec)
    return torch.where(q[..., 3:] < 0, -q, q)


def make_dataset(skeleton: Skeleton, num: int = 600, num_val: int = 100) -> PoseDataset:
    joint_index = np.array(skeleton.rotation_joints())
    quats = synthetic_poses(num, len(joint_index)).numpy()
    return PoseDataset(quats=quats, skeleton=skeleton, joint_index=joint_index, source=np.zeros(num, np.int32),
                       files=["synthetic"], subjects=["s0"], frame=np.arange(num), is_val=np.arange(num) >= num - num_val,
                       fps=30.0)


@pytest.fixture(scope="session")
def tiny_dataset() -> PoseDataset:
    return make_dataset(chain_skeleton())


@pytest.fixture(scope="session")
def foreign_dataset() -> PoseDataset:
    """Same shapes, another rig (different joint names)."""
    return make_dataset(chain_skeleton(("hips", "a", "b", "c", "d")))


def assert_sign_invariant_and_differentiable(model, poses: torch.Tensor, rtol: float, atol: float) -> None:
    """The energy of (N, K, 4) ``poses`` ignores each quaternion's sign and has a finite, non-zero gradient."""
    q = poses.clone().requires_grad_(True)
    flip = torch.where(torch.rand(*q.shape[:2], 1, generator=torch.Generator().manual_seed(1)) < 0.5, -1.0, 1.0)
    e = model.energy(q)
    assert torch.allclose(e, model.energy(q * flip), rtol=rtol, atol=atol)
    (grad,) = torch.autograd.grad(e.sum(), q)
    assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def assert_round_trip_through_load_prior_and_get_prior(model, path, dataset: PoseDataset, kind: type) -> None:
    """The checkpoint at ``path`` of trained ``model`` loads by path as a ``kind`` with its config and
    the same energies on 16 training poses, and ``get_prior`` accepts it for ``dataset``'s skeleton."""
    loaded = load_prior(str(path))
    assert isinstance(loaded, kind) and loaded.config == model.config
    q = dataset.split(True)[:16]
    assert torch.equal(loaded.energy(q), model.energy(q))
    assert isinstance(get_prior(str(path), dataset.skeleton), kind)
