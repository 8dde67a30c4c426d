"""Overlapping windows, so that long clips are fitted in bounded memory and stitched smoothly."""
from __future__ import annotations

from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Callable, Iterable, Iterator, TypeVar

import numpy as np

from posefield.data.filtering import normalize_in_place

T = TypeVar("T")
W = TypeVar("W")


def plan_windows(num_frames: int, size: int, overlap: int) -> list[slice]:
    """Cover ``num_frames`` frames with windows of at most ``size`` frames overlapping by at least ``overlap``.

    A clip of ``size - overlap`` to ``2 size - overlap`` frames is cut into two halves that
    overlap by ``overlap`` (the plan depends on the clip alone, never on the thread count):
    two fits to run at once, and less work than a second full window that overlaps the first by
    most of its frames. Side by side on two threads (``benchmarks/speed.md``), a 1,000-frame clip
    denoised 1.26 x faster that way, to the same error (14 clips, −0.06 ± 0.02 mm); on one
    thread it is 0.82 x as fast. Longer clips get windows of ``size``; the last one ends at the
    clip's end (it may overlap its neighbour by more).
    """
    if size <= overlap:
        raise ValueError(f"window size {size} must exceed the overlap {overlap}")
    if size - overlap <= num_frames <= 2 * size - overlap and num_frames > 2 * overlap:
        half = (num_frames + overlap + 1) // 2
        return [slice(0, half), slice(num_frames - half, num_frames)]
    if num_frames <= size:
        return [slice(0, num_frames)]
    starts = list(range(0, num_frames - size, size - overlap)) + [num_frames - size]
    return [slice(s, s + size) for s in starts]


def blend_weights(windows: list[slice], num_frames: int) -> list[np.ndarray]:
    """Per-window frame weights summing to one over windows: a frame belongs more to the window
    it is farther inside, ramping linearly across overlaps (clip ends are not window edges).

    Returns:
        one (stop − start,) float64 array per window.
    """
    raw = []
    for w in windows:
        t = np.arange(w.start, w.stop) + 0.5
        from_start = t - w.start if w.start > 0 else np.full_like(t, np.inf)
        to_end = w.stop - t if w.stop < num_frames else np.full_like(t, np.inf)
        raw.append(np.minimum(np.minimum(from_start, to_end), 1e9))
    total = np.zeros(num_frames)
    for w, r in zip(windows, raw):
        total[w] += r
    return [r / total[w] for w, r in zip(windows, raw)]


def stitch(windows: list[slice], results: Iterable[tuple[np.ndarray, np.ndarray]],
           num_frames: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Blend per-window results, taking each window's as it comes, and yield the frames each one
    finishes (those before the next window), so that only the frames of overlapping windows are
    held (a generator of results keeps one window's in memory at a time).

    Args:
        windows: the windows of :func:`plan_windows`.
        results: per window, (n, J, 4) unit quaternions and (n, 3) root translations, metres.
        num_frames: T.
    Yields:
        consecutive blocks of (m, J, 4) unit quaternions (normalised weighted means on a common
        hemisphere) and (m, 3) translations, T frames in all.
    """
    rot: np.ndarray | None = None  # the blend of the frames from `first` on
    trans, first, count = np.zeros((0, 3)), 0, 0
    for (q, t), w, weight in zip(results, windows, blend_weights(windows, num_frames)):
        count += 1
        if rot is None:
            rot = np.zeros((0,) + q.shape[1:])
        grow = w.stop - first - len(rot)
        if grow > 0:
            rot = np.concatenate([rot, np.zeros((grow,) + q.shape[1:])])
            trans = np.concatenate([trans, np.zeros((grow, 3))])
        here = slice(w.start - first, w.stop - first)
        sign = np.where((q * rot[here]).sum(axis=-1, keepdims=True) < 0, -1.0, 1.0)
        rot[here] += weight[:, None, None] * sign * q
        trans[here] += weight[:, None] * t
        done = (windows[count].start if count < len(windows) else num_frames) - first
        yield normalize_in_place(rot[:done]), trans[:done]
        rot, trans, first = rot[done:], trans[done:], first + done
    if count != len(windows) or first != num_frames:
        raise ValueError("stitch needs one result per window")


def in_order(work: Callable[[W], T], windows: Iterable[W], workers: int) -> Iterator[T]:
    """``work(w)`` for each window (or each window's inputs, taken from ``windows`` as threads
    free up), on up to ``workers`` threads, yielded in window order with at most ``workers``
    results waiting (memory bounded whatever the clip's length). The windows are independent
    and each runs as it would alone, so the results do not depend on ``workers``."""
    if workers <= 1:
        yield from map(work, windows)
        return
    with ThreadPoolExecutor(workers) as pool:
        pending: deque[Future[T]] = deque()
        for w in windows:
            pending.append(pool.submit(work, w))
            if len(pending) >= workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
