"""Tables of numbers as fixed-point text, formatted by numpy instead of one ``%`` per value.

An AMC file is mostly numbers: the 5,133 frames of a CMU clip hold 323,000 of them, and
Python's ``"%.6f" % value`` took longer over them than everything else the writer does.
Here every value is rounded to a whole count of its last decimal (``rint(v · 10^d)``, as
``np.round(v, d)`` rounds), its digits are looked up four at a time in a table, and the
characters of each row are laid out in a byte matrix whose unused (NUL) cells one
``bytes.translate`` drops at the end. Rows go in blocks small enough to stay in cache.

Where a column group's integer parts stay below :data:`HEAD_LIMIT` (angles, lengths in
centimetres), a cell is made of 4- and 8-byte words only: the sign, integer part and point in
one look-up (NUL-padded on the left), the decimals four at a time (and the first d mod 4 of
them in a NUL-padded word), so no byte-wise masking or shifting is needed. Other groups take
the digit-by-digit path. Cells go into the rows through strided views, one per run of evenly
spaced columns (one for a BVH row, about one per bone for AMC), instead of index arrays.

The text equals ``"%.{d}f" % (np.round(v, d) + 0.0)`` of every value (no ``-0.000000``) while
the counts stay below 10^15, where they are exact integers in a double; a table with a
larger one goes through ``%`` formatting.
"""
from __future__ import annotations

import functools

import numpy as np

EXACT_LIMIT = 1e15  # rounded counts below this are exact integers in float64 (and int64)
BLOCK_ROWS = 512  # rows formatted together: small blocks stay in cache (2× faster than 8,192 rows)
HEAD_LIMIT = 10_000  # integer parts below this are written by one table look-up (word cells)


@functools.cache
def _four_digits() -> np.ndarray:
    """(10000,) uint32 whose four bytes are the ASCII digits of 0 … 9999, zero-padded."""
    digits = np.arange(10000)[:, None] // 10 ** np.arange(3, -1, -1) % 10 + ord("0")
    return np.ascontiguousarray(digits.astype(np.uint8)).view(np.uint32)[:, 0]


def _digits(counts: np.ndarray, width: int) -> np.ndarray:
    """(..., width) ASCII digits of non-negative int64 ``counts`` (each below 10^width), zero-padded.

    Four digits per table look-up; the quotients by 10⁴ are numpy's fast integer division
    by a constant (a remainder operator would be several times slower)."""
    table = _four_digits()
    groups = []
    for _ in range(-(-width // 4)):
        quotient = counts // 10000
        groups.append(table[counts - quotient * 10000])
        counts = quotient
    chars = np.stack(groups[::-1], axis=-1).view(np.uint8)
    return chars[..., chars.shape[-1] - width:]


def _counts(values: np.ndarray, decimals: int) -> tuple[np.ndarray, np.ndarray]:
    """``rint(values · 10^decimals)`` (as ``np.round`` rounds) and its magnitude as int64."""
    scaled = np.rint(values * 10.0 ** decimals)
    return scaled, np.abs(scaled).astype(np.int64)


def _number_cells(values: np.ndarray, decimals: int, width: int) -> np.ndarray:
    """(T, C, width + 1 + (decimals > 0)) uint8 characters of ``values`` (T, C) with ``decimals``
    places and at most ``width`` digits, right-aligned; NUL marks a character to drop (leading
    zeros, the sign of values that do not round below zero)."""
    scaled, counts = _counts(values, decimals)
    digits = _digits(counts, width)
    whole = width - decimals
    cells = np.empty(counts.shape + (width + 1 + bool(decimals),), dtype=np.uint8)
    cells[..., 0] = (scaled < 0) * np.uint8(ord("-"))
    cells[..., 1:whole + 1] = digits[..., :whole]
    # a leading zero of the integer part goes, except its last digit
    cells[..., 1:whole] *= counts[..., None] >= 10 ** (decimals + np.arange(whole - 1, 0, -1))
    if decimals:
        cells[..., whole + 1] = ord(".")
        cells[..., whole + 2:] = digits[..., whole:]
    return cells


@functools.cache
def _heads(point: bool) -> np.ndarray:
    """(2 · HEAD_LIMIT,) uint64 whose 8 bytes are the text of 0 … 9999, then of −0 … −9999,
    followed by a point when ``point``, right-aligned after NULs (no leading zeros)."""
    numbers = np.arange(HEAD_LIMIT)
    shown = 1 + (numbers >= 10) + (numbers >= 100) + (numbers >= 1000)  # digits written
    end = 8 - point
    chars = np.zeros((2, HEAD_LIMIT, 8), dtype=np.uint8)
    chars[..., end - 4:end] = _four_digits().view(np.uint8).reshape(HEAD_LIMIT, 4)
    chars[..., end - 4:end] *= np.arange(4, 0, -1) <= shown[:, None]
    chars[1, numbers, end - 1 - shown] = ord("-")
    if point:
        chars[..., 7] = ord(".")
    return chars.reshape(2 * HEAD_LIMIT, 8).view(np.uint64)[:, 0]


@functools.cache
def _short_digits(count: int) -> np.ndarray:
    """(10^count,) uint32 whose four bytes are NULs and then the ``count`` (1 … 3) zero-padded
    digits of 0 … 10^count − 1."""
    chars = _four_digits()[:10 ** count].view(np.uint8).reshape(-1, 4).copy()
    chars[:, :4 - count] = 0
    return chars.view(np.uint32)[:, 0]


def _word_cell_bytes(decimals: int) -> int:
    """Bytes of a word cell: the head (8), a word for the first decimals mod 4 if any, one per four decimals."""
    return 8 + 4 * (decimals % 4 > 0) + 4 * (decimals // 4)


def _word_cells(values: np.ndarray, decimals: int) -> np.ndarray:
    """(T, C, :func:`_word_cell_bytes`) uint8 characters of ``values`` (T, C) with ``decimals`` places,
    every integer part below :data:`HEAD_LIMIT` after rounding; NUL marks a character to drop."""
    scaled, counts = _counts(values, decimals)
    whole = counts // 10 ** decimals
    cells = np.empty(values.shape + (_word_cell_bytes(decimals) // 4,), dtype=np.uint32)
    cells[..., :2].view(np.uint64)[..., 0] = _heads(decimals > 0)[whole + (scaled < 0) * HEAD_LIMIT]
    rest = counts - whole * 10 ** decimals  # the decimals, filled from the last word back
    table = _four_digits()
    for word in range(cells.shape[-1] - 1, cells.shape[-1] - 1 - decimals // 4, -1):
        quotient = rest // 10000
        cells[..., word] = table[rest - quotient * 10000]
        rest = quotient
    if decimals % 4:
        cells[..., 2] = _short_digits(decimals % 4)[rest]
    return cells.view(np.uint8)


Run = tuple[slice, int, int]  # columns of a group, byte of the first one's cell in the row, bytes between cells


def _row_template(separators: list[str], decimals: list[int],
                  cell_bytes: dict[int, int]) -> tuple[np.ndarray, dict[int, list[Run]]]:
    """The bytes of one row with NULs where the numbers go, and per number of decimals d where
    the cells (``cell_bytes[d]`` wide) of the columns with d go, as runs of evenly spaced cells."""
    template = bytearray()
    starts: dict[int, list[int]] = {d: [] for d in cell_bytes}
    for separator, d in zip(separators, decimals):
        template += separator.encode("ascii")
        starts[d].append(len(template))
        template += bytes(cell_bytes[d])
    template += separators[-1].encode("ascii")
    return np.frombuffer(bytes(template), dtype=np.uint8), {d: _even_runs(s) for d, s in starts.items()}


def _even_runs(starts: list[int]) -> list[Run]:
    """``starts`` (increasing) cut into maximal runs of equal gaps, first to last."""
    runs, first = [], 0
    while first < len(starts):
        gap = starts[first + 1] - starts[first] if first + 1 < len(starts) else 0
        last = first + 1
        while last < len(starts) and starts[last] - starts[last - 1] == gap:
            last += 1
        runs.append((slice(first, last), starts[first], gap))
        first = last
    return runs


def _place(rows: np.ndarray, runs: list[Run], cells: np.ndarray) -> None:
    """Copy (T, C, W) ``cells`` into (T, L) ``rows`` where ``runs`` say, through strided views
    of ``rows`` (plain copies: 1.7× faster than index arrays on a block of AMC rows)."""
    for columns, first, gap in runs:
        part = cells[:, columns]
        view = np.lib.stride_tricks.as_strided(rows[:, first:], shape=part.shape, strides=(rows.strides[0], gap, 1))
        view[...] = part


def fixed_point_text(values: np.ndarray, decimals: list[int], separators: list[str]) -> str:
    """The rows of a table as text: row t is ``separators[0]``, value (t, 0), ``separators[1]``,
    …, value (t, C − 1), ``separators[C]``; column c's values are written as
    ``"%.{d}f" % (np.round(v, d) + 0.0)`` with d = ``decimals[c]`` (d = 0: no point).

    Args:
        values: (T, C) finite numbers.
        decimals: C numbers of decimal places.
        separators: C + 1 ASCII strings without NUL characters.
    Returns:
        the text of all T rows, one after the other.
    """
    values = np.asarray(values, dtype=np.float64)
    scale = 10.0 ** np.asarray(decimals, dtype=np.float64)
    magnitude = np.abs(values).max(axis=0, initial=0.0)  # (C,)
    if (magnitude * scale >= EXACT_LIMIT).any():
        row = "".join(f"{separators[c]}%.{d}f" for c, d in enumerate(decimals)) + separators[-1]
        return (row * len(values)) % tuple((np.rint(values * scale) / scale + 0.0).ravel().tolist())
    columns = {d: [c for c, dc in enumerate(decimals) if dc == d] for d in set(decimals)}
    cell_bytes, formats = {}, {}
    for d, cs in columns.items():
        # rint is monotone: the largest count of a column is that of its largest magnitude
        largest = int(np.rint(magnitude[cs].max(initial=0.0) * 10.0 ** d))
        if largest < HEAD_LIMIT * 10 ** d:
            cell_bytes[d], formats[d] = _word_cell_bytes(d), functools.partial(_word_cells, decimals=d)
        else:
            width = max(d + 1, len(str(largest)))
            cell_bytes[d], formats[d] = width + 1 + bool(d), functools.partial(_number_cells, decimals=d, width=width)
    template, runs = _row_template(separators, decimals, cell_bytes)
    # one group takes the block as it is (no copy)
    selections = {d: slice(None) if len(cs) == values.shape[1] else cs for d, cs in columns.items()}
    blocks = []
    for start in range(0, len(values), BLOCK_ROWS):
        block = values[start:start + BLOCK_ROWS]
        rows = np.broadcast_to(template, (len(block), len(template))).copy()
        for d, cs in selections.items():
            _place(rows, runs[d], formats[d](block[:, cs]))
        blocks.append(rows.tobytes().translate(None, b"\0"))
    return b"".join(blocks).decode("ascii")
