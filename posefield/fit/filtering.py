"""Gaussian temporal filtering of motions, the starting point of denoising."""
from __future__ import annotations

import numpy as np


def gaussian_kernel(sigma_frames: float) -> np.ndarray:
    """(2r + 1,) normalised Gaussian weights, r = ⌈3σ⌉."""
    radius = int(np.ceil(3 * sigma_frames))
    k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma_frames) ** 2)
    return k / k.sum()


def gaussian_filter(values: np.ndarray, sigma_frames: float) -> np.ndarray:
    """Filter (T, ...) ``values`` along time with a Gaussian of ``sigma_frames``, repeating the
    end frames beyond the clip; ``sigma_frames <= 0`` returns a copy."""
    if sigma_frames <= 0:
        return values.copy()
    kernel = gaussian_kernel(sigma_frames)
    r = len(kernel) // 2
    padded = np.concatenate([np.repeat(values[:1], r, axis=0), values, np.repeat(values[-1:], r, axis=0)])
    return sum(w * padded[i:i + len(values)] for i, w in enumerate(kernel))


def continuous_hemisphere(quats: np.ndarray) -> np.ndarray:
    """(T, J, 4) quaternions with signs flipped so that each is within 90° of its predecessor (4D)."""
    out = quats.copy()
    for t in range(1, len(out)):
        out[t] *= np.where((out[t] * out[t - 1]).sum(axis=-1, keepdims=True) < 0, -1.0, 1.0)
    return out


def smooth_rotations(quats: np.ndarray, sigma_frames: float) -> np.ndarray:
    """(T, J, 4) unit quaternions filtered along time (normalised weighted means on a continuous hemisphere)."""
    filtered = gaussian_filter(continuous_hemisphere(quats), sigma_frames)
    return filtered / np.linalg.norm(filtered, axis=-1, keepdims=True)
