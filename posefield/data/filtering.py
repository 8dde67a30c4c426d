"""Gaussian temporal filtering of motions: the start of denoising, and the frames a rig map settles on."""
from __future__ import annotations

import math
from typing import Iterable

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


def filter_reach(sigma_frames: float, frames: int) -> int:
    """How many frames on each side of a frame :func:`gaussian_filter` reads for it (the kernel's
    radius on a clip of ``frames``; 0 without filtering): a window of a long clip needs those
    around it."""
    return len(gaussian_kernel(sigma_frames, frames)) // 2 if sigma_frames > 0 else 0


FILTER_CHUNK = 8192  # frames filtered at a time: working memory independent of the clip's length


def gaussian_filter(values: np.ndarray, sigma_frames: float, signs: np.ndarray | None = None,
                    dtype: type | None = None, unit: bool = False, frames: slice | None = None) -> np.ndarray:
    """Filter (T, ...) ``values`` along time with a Gaussian of ``sigma_frames``, repeating the
    end frames beyond the clip; ``sigma_frames <= 0`` returns the values as they are (a copy).
    Computed :data:`FILTER_CHUNK` frames at a time, in float64 for float64 values.

    Args:
        values: (T, ...) samples (or :class:`posefield.data.frames.ForwardFrames`: read forward,
            ``frames`` being the frames not yet released).
        sigma_frames: the Gaussian's σ in frames.
        signs: optional (T, ..., 1) factors the values are multiplied by first (a hemisphere
            choice, :func:`hemisphere_signs`), without a whole-clip copy.
        dtype: the result's (the computation's by default): a float32 result of float64 values
            is each float64 result rounded, without a whole-clip float64 array.
        unit: divide each result (..., 4) by its length (the mean direction of quaternions).
        frames: only these frames of the filtered clip (a window of a long clip), the same
            numbers as the whole clip's there; default: all.
    Returns:
        (n, ...) filtered values of the n frames asked for.
    """
    kernel = gaussian_kernel(sigma_frames, len(values)) if sigma_frames > 0 else np.ones(1, dtype=values.dtype)
    r = len(kernel) // 2  # (filter_reach)
    first, last, _ = (frames or slice(None)).indices(len(values))
    out = np.empty((max(last - first, 0),) + values.shape[1:], dtype=dtype or np.result_type(values.dtype, kernel))
    for start in range(first, last, FILTER_CHUNK):
        stop = min(last, start + FILTER_CHUNK)
        rows = np.clip(np.arange(start - r, stop + r), 0, len(values) - 1)
        block = values[rows] if signs is None else values[rows] * signs[rows]  # (n + 2r, ...)
        if len(kernel) == 1:
            acc = block
        else:
            acc = kernel[0] * block[:stop - start]
            for i in range(1, len(kernel)):
                acc += kernel[i] * block[i:i + stop - start]
        if unit:
            acc /= np.linalg.norm(acc, axis=-1, keepdims=True)
        out[start - first:stop - first] = acc
    return out


def hemisphere_signs(quats: np.ndarray) -> np.ndarray:
    """(T, J, 1) int8 ±1 that put each of (T, J, 4) quaternions within 90° of its predecessor (4D)
    once its predecessor has been flipped the same way (a running product of the sign changes)."""
    signs = np.ones(quats.shape[:-1] + (1,), dtype=np.int8)
    for start in range(1, len(quats), FILTER_CHUNK):
        stop = min(len(quats), start + FILTER_CHUNK)
        dots = np.einsum("tjc,tjc->tj", quats[start:stop], quats[start - 1:stop - 1])
        signs[start:stop, :, 0] = np.where(dots < 0, -1, 1)
    np.cumprod(signs, axis=0, out=signs)
    return signs


def clip_hemisphere_signs(blocks: Iterable[np.ndarray]) -> np.ndarray:
    """:func:`hemisphere_signs` of a clip given as consecutive (n, J, 4) blocks (read block by
    block): the same (T, J, 1) int8 signs, with no whole-clip copy of the quaternions."""
    parts, last = [], None  # last: the previous block's last quaternions and their signs
    for block in blocks:
        if last is None:
            signs = hemisphere_signs(block)
        else:
            signs = hemisphere_signs(np.concatenate([last[0], block]))[1:] * last[1]
        if len(block):
            parts.append(signs)
            last = (block[-1:], signs[-1:])
    return np.concatenate(parts) if parts else np.ones((0, 1, 1), dtype=np.int8)


def normalize_in_place(quats: np.ndarray) -> np.ndarray:
    """Divide (T, ..., 4) quaternions by their lengths in place, :data:`FILTER_CHUNK` frames at a
    time (no whole-clip temporaries); returns ``quats``."""
    for start in range(0, len(quats), FILTER_CHUNK):
        part = quats[start:start + FILTER_CHUNK]
        part /= np.linalg.norm(part, axis=-1, keepdims=True)
    return quats


def smooth_rotations(quats: np.ndarray, sigma_frames: float, dtype: type | None = None,
                     frames: slice | None = None, signs: np.ndarray | None = None) -> np.ndarray:
    """(n, J, 4) unit quaternions filtered along time (normalised weighted means on a continuous
    hemisphere), as ``dtype``, of the ``frames`` asked for (:func:`gaussian_filter`).

    Args:
        quats: (T, J, 4) unit quaternions.
        sigma_frames: the Gaussian's σ in frames.
        dtype: the result's (default float64).
        frames: a window of the clip (default: all of it).
        signs: :func:`hemisphere_signs` of ``quats``, where several windows share them.
    """
    signs = hemisphere_signs(quats) if signs is None else signs
    return gaussian_filter(quats, sigma_frames, signs, dtype, unit=True, frames=frames)
