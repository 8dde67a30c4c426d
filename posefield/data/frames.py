"""A clip's frames read forward, block by block: whole-clip arithmetic on a clip never held whole."""
from __future__ import annotations

from collections import deque
from typing import Iterable, Iterator

import numpy as np


class ForwardFrames:
    """A (T, ...) array of a clip whose frames arrive in consecutive blocks (a file read block by
    block), indexed like the array it stands for while only the frames from :meth:`release`'s
    point to the last one asked for are held.

    Reading it asks for frames in increasing order: rows (a slice or an integer array, as numpy
    indexes) at or after the release point, any distance ahead (the blocks up to there are read).

    Args:
        blocks: the clip's (n, ...) blocks, in order, of one dtype and trailing shape.
        length: T, the clip's frame count (the blocks' total).
        tail: the trailing shape of a frame.
        dtype: the blocks' dtype.
    """

    def __init__(self, blocks: Iterable[np.ndarray], length: int, tail: tuple[int, ...], dtype: type = np.float64):
        self._blocks = iter(blocks)
        self.shape = (int(length),) + tuple(tail)
        self.dtype = np.dtype(dtype)
        self._held = np.empty((0,) + self.shape[1:], dtype=self.dtype)
        self._first = 0  # clip row of self._held[0]

    @classmethod
    def of(cls, values: np.ndarray, block: int = 8192) -> "ForwardFrames":
        """The frames of a whole (T, ...) array, as the blocks of a file would come."""
        return cls((values[start:start + block] for start in range(0, len(values), block)), len(values),
                   values.shape[1:], values.dtype)

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, rows: slice | np.ndarray) -> np.ndarray:
        """The frames ``rows`` (a slice with step 1, or (n,) clip rows): a new array."""
        if isinstance(rows, slice):
            start, stop, step = rows.indices(len(self))
            if step != 1:
                raise ValueError("forward frames are read in slices of step 1")
            low, high = start, max(start, stop)
        else:
            rows = np.asarray(rows)
            low, high = (int(rows.min()), int(rows.max()) + 1) if rows.size else (self._first, self._first)
        if low < self._first:
            raise IndexError(f"frame {low} was released (frames from {self._first} are held)")
        self._read_to(high)
        if isinstance(rows, slice):
            return self._held[low - self._first:high - self._first].copy()
        return self._held[rows - self._first]

    def release(self, before: int) -> None:
        """Drop the frames before clip row ``before``: they are not asked for again."""
        drop = min(max(before - self._first, 0), len(self._held))
        if drop:
            self._held = self._held[drop:].copy()
            self._first += drop

    def _read_to(self, stop: int) -> None:
        """Read blocks until the frames before ``stop`` are held."""
        if stop > len(self):
            raise IndexError(f"frame {stop - 1} is past the clip's {len(self)} frames")
        parts = [self._held]
        held = self._first + len(self._held)
        while held < stop:
            block = next(self._blocks, None)
            if block is None:
                raise ValueError(f"the blocks ended after {held} frames, short of {len(self)}")
            parts.append(np.asarray(block, dtype=self.dtype))
            held += len(block)
        if len(parts) > 1:
            self._held = np.concatenate(parts)



def unzip(blocks: Iterable[tuple[np.ndarray, ...]], count: int) -> tuple[Iterator[np.ndarray], ...]:
    """``count`` iterators over the fields of a stream of ``count``-tuples (the rotations and the
    translation of a clip's blocks), each field kept only until its own iterator has taken it
    (``itertools.tee`` keeps whole runs of blocks taken by every iterator: a clip-sized share of
    a long clip)."""
    source = iter(blocks)
    pending: tuple[deque[np.ndarray], ...] = tuple(deque() for _ in range(count))

    def field(i: int) -> Iterator[np.ndarray]:
        while True:
            if not pending[i]:
                item = next(source, None)
                if item is None:
                    return
                for k in range(count):
                    pending[k].append(item[k])
                item = None  # (the generator would keep the last tuple)
            yield pending[i].popleft()

    return tuple(field(i) for i in range(count))
