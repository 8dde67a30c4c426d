"""Noise on a motion's rotation channels, as the demo and the benchmarks add it before denoising."""
from __future__ import annotations

import dataclasses

import numpy as np
import roma
import torch

from posefield.motion import Motion
from posefield.rotations import channels_to_rotmat, rotmat_to_channels
from posefield.rotations.euler import rotation_order


def add_channel_noise(motion: Motion, sigma_deg: float, seed: int = 0) -> Motion:
    """``motion`` with N(0, σ²) degrees added to every rotation channel of every non-root joint."""
    rng = np.random.default_rng(seed)
    skeleton = motion.skeleton
    rotmats = motion.rotmats()
    for j in range(1, skeleton.num_joints):
        order = rotation_order(skeleton.channels[j])
        if order:
            angles = rotmat_to_channels(rotmats[:, j], order, skeleton.axes[j])
            noisy = angles + rng.normal(0.0, sigma_deg, angles.shape)
            rotmats[:, j] = channels_to_rotmat(noisy, order, skeleton.axes[j])
    quats = roma.rotmat_to_unitquat(torch.as_tensor(rotmats)).numpy()
    return dataclasses.replace(motion, rotations=quats)
