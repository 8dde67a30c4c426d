"""Gaussian temporal filtering of motions: the start of denoising, and the frames a rig map settles on."""
from __future__ import annotations

import math

import numpy as np


EXACT_TAIL = 1 << 20  # Gaussian weights summed one by one beyond a clip's end; a longer tail is integrated


def gaussian_kernel(sigma_frames: float, frames: int | None = None) -> np.ndarray:
    """(2r + 1,) normalised Gaussian weights, r = ⌈3σ⌉. Given the clip's ``frames`` (T), a
    filter that repeats the end frames puts every weight beyond ±(T - 1) on an end frame: those
    weights are added to the outermost ones and r is at most T - 1, however large σ is (a clip
    claiming 10⁹ fps)."""
    radius = int(np.ceil(3 * sigma_frames))
    if frames is None or radius < frames:
        k = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma_frames) ** 2)
        return k / k.sum()
    inner = max(frames - 1, 0)
    k = np.exp(-0.5 * (np.arange(-inner, inner + 1) / sigma_frames) ** 2)
    if radius - inner <= EXACT_TAIL:
        tail = np.exp(-0.5 * (np.arange(inner + 1, radius + 1) / sigma_frames) ** 2).sum()
    else:  # the sum of weights inner + 1 ... radius, as the integral over [inner + 0.5, radius + 0.5]
        scale = sigma_frames * math.sqrt(2.0)
        tail = sigma_frames * math.sqrt(math.pi / 2) * (math.erf((radius + 0.5) / scale) - math.erf((inner + 0.5) / scale))
    k[0] += tail
    k[-1] += tail
    return k / k.sum()


FILTER_CHUNK = 8192  # frames filtered at a time: working memory independent of the clip's length


def gaussian_filter(values: np.ndarray, sigma_frames: float, signs: np.ndarray | None = None) -> np.ndarray:
    """Filter (T, ...) ``values`` along time with a Gaussian of ``sigma_frames``, repeating the
    end frames beyond the clip; ``sigma_frames <= 0`` returns a copy. Computed
    :data:`FILTER_CHUNK` frames at a time.

    Args:
        values: (T, ...) samples.
        sigma_frames: the Gaussian's σ in frames.
        signs: optional (T, ..., 1) factors the values are multiplied by first (a hemisphere
            choice, :func:`hemisphere_signs`), without a whole-clip copy.
    """
    if sigma_frames <= 0:
        return values.copy() if signs is None else values * signs
    kernel = gaussian_kernel(sigma_frames, len(values))
    r = len(kernel) // 2
    out = np.empty(values.shape, dtype=np.result_type(values, kernel))
    for start in range(0, len(values), FILTER_CHUNK):
        stop = min(len(values), start + FILTER_CHUNK)
        rows = np.clip(np.arange(start - r, stop + r), 0, len(values) - 1)
        block = values[rows] if signs is None else values[rows] * signs[rows]  # (n + 2r, ...)
        acc = kernel[0] * block[:stop - start]
        for i in range(1, len(kernel)):
            acc += kernel[i] * block[i:i + stop - start]
        out[start:stop] = acc
    return out


def hemisphere_signs(quats: np.ndarray) -> np.ndarray:
    """(T, J, 1) ±1 that put each of (T, J, 4) quaternions within 90° of its predecessor (4D)
    once its predecessor has been flipped the same way (a running product of the sign changes)."""
    signs = np.ones(quats.shape[:-1] + (1,))
    for start in range(1, len(quats), FILTER_CHUNK):
        stop = min(len(quats), start + FILTER_CHUNK)
        dots = np.einsum("tjc,tjc->tj", quats[start:stop], quats[start - 1:stop - 1])
        signs[start:stop, :, 0] = np.where(dots < 0, -1.0, 1.0)
    np.cumprod(signs, axis=0, out=signs)
    return signs


def normalize_in_place(quats: np.ndarray) -> np.ndarray:
    """Divide (T, ..., 4) quaternions by their lengths in place, :data:`FILTER_CHUNK` frames at a
    time (no whole-clip temporaries); returns ``quats``."""
    for start in range(0, len(quats), FILTER_CHUNK):
        part = quats[start:start + FILTER_CHUNK]
        part /= np.linalg.norm(part, axis=-1, keepdims=True)
    return quats


def smooth_rotations(quats: np.ndarray, sigma_frames: float) -> np.ndarray:
    """(T, J, 4) unit quaternions filtered along time (normalised weighted means on a continuous hemisphere)."""
    return normalize_in_place(gaussian_filter(quats, sigma_frames, hemisphere_signs(quats)))
