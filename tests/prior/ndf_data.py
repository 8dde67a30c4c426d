"""Small random-tree rigs, poses near a low-dimensional family, and tiny Pose-NDF settings."""
from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import numpy as np
import pytest
import roma
import torch

from posefield.data import PoseDataset
from posefield.prior.ndf.model import NDFConfig
from posefield.prior.ndf.pairs import PairSettings
from posefield.prior.ndf.train import TrainConfig, train
from posefield.skeleton import Skeleton

ROT3 = ("Zrotation", "Xrotation", "Yrotation")
TINY_MODEL = NDFConfig(feature_dim=4, encoder_hidden=8, hidden=(32, 32))
TINY_PAIRS = PairSettings(num_train=3000, num_val=300, k=8, nprobe=8, far_k=64, recall_sample=200)
TINY_TRAIN = TrainConfig(epochs=2, batch_size=256, model=TINY_MODEL, pairs=TINY_PAIRS)


def random_tree(num_joints: int = 9, seed: int = 0, prefix: str = "j") -> Skeleton:
    """A rig with a translating root and ``num_joints - 1`` rotating joints under random parents."""
    rng = np.random.default_rng(seed)
    drawn = [-1] + [int(rng.integers(0, j)) for j in range(1, num_joints)]
    order = _depth_first(drawn, 0)  # joints in file (BVH) order, so that files round-trip
    parents = [-1] + [order.index(drawn[j]) for j in order[1:]]
    channels = [("Xposition", "Yposition", "Zposition") + ROT3] + [ROT3] * (num_joints - 1)
    return Skeleton(names=[f"{prefix}{j}" for j in range(num_joints)], parents=parents,
                    offsets=rng.normal(size=(num_joints, 3)) * 0.2, channels=channels, rig=f"tree-{prefix}")


def _depth_first(parents: list[int], joint: int) -> list[int]:
    return [joint] + [j for child in range(len(parents)) if parents[child] == joint for j in _depth_first(parents, child)]


def family_poses(num: int, num_joints: int, seed: int = 0) -> torch.Tensor:
    """(num, K, 4) canonical quaternions exp(A z), z on a 2-D torus (a curved pose manifold)."""
    g = torch.Generator().manual_seed(seed)
    basis = torch.randn(num_joints, 3, 4, generator=torch.Generator().manual_seed(7)) * 0.5
    t = torch.rand(num, 2, generator=g) * 2 * torch.pi
    latent = torch.cat([t.cos(), t.sin()], dim=1)
    q = roma.rotvec_to_unitquat(torch.einsum("kij,nj->nki", basis, latent))
    return torch.where(q[..., 3:] < 0, -q, q)


def tree_dataset(skeleton: Skeleton, num: int = 1500, num_val: int = 300) -> PoseDataset:
    joint_index = np.array(skeleton.rotation_joints())
    return PoseDataset(quats=family_poses(num, len(joint_index)).numpy(), skeleton=skeleton, joint_index=joint_index,
                       source=(np.arange(num) >= num - num_val).astype(np.int32), files=["a", "b"], subjects=["s0", "s1"],
                       frame=np.arange(num), is_val=np.arange(num) >= num - num_val, fps=30.0)


def train_tiny(dataset: PoseDataset, out: Path, cache: Path, resume: bool = False, init: Path | None = None,
               **changes) -> torch.nn.Module:
    """Train with :data:`TINY_TRAIN` (fields replaced by ``changes``), quietly."""
    return train(dataset, out, dataclasses.replace(TINY_TRAIN, **changes), resume=resume, cache_dir=cache,
                 progress=False, log=lambda _: None, init=init)


@functools.cache
def _tree() -> PoseDataset:
    return tree_dataset(random_tree())


@functools.cache
def _trained(root: Path) -> tuple[Path, torch.nn.Module]:
    torch.set_num_threads(1)
    return root / "prior.pt", train_tiny(_tree(), root / "prior.pt", root / "cache", epochs=6)


# Test modules import these fixtures; the caches make every module share one dataset and model.
@pytest.fixture()
def tree() -> PoseDataset:
    return _tree()


@pytest.fixture()
def trained(tmp_path_factory) -> tuple[Path, torch.nn.Module]:
    """A tiny prior trained for 6 epochs: (checkpoint path, model)."""
    return _trained(tmp_path_factory.getbasetemp())
