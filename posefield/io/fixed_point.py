"""Tables of numbers as fixed-point text, formatted by numpy instead of one ``%`` per value.

An AMC file is mostly numbers: the 5,133 frames of a CMU clip hold 323,000 of them, and
Python's ``"%.6f" % value`` took longer over them than everything else the writer does.
Here every value is rounded to a whole count of its last decimal (``rint(v · 10^d)``, as
``np.round(v, d)`` rounds), its digits are looked up four at a time in a table, and the
characters of each row are laid out in a byte matrix whose unused (NUL) cells one
``bytes.translate`` drops at the end. Rows go in blocks small enough to stay in cache.

The text equals ``"%.{d}f" % (np.round(v, d) + 0.0)`` of every value (no ``-0.000000``) while
the counts stay below 10^15, where they are exact integers in a double; a table with a
larger one goes through ``%`` formatting.
"""
from __future__ import annotations

import functools

import numpy as np

EXACT_LIMIT = 1e15  # rounded counts below this are exact integers in float64 (and int64)
BLOCK_ROWS = 512  # rows formatted together: small blocks stay in cache (2× faster than 8,192 rows)


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


def _row_template(separators: list[str], decimals: list[int],
                  widths: dict[int, int]) -> tuple[np.ndarray, dict[int, np.ndarray]]:
    """The bytes of one row with NULs where the numbers go, and per number of decimals d the
    (columns with d, cell width) positions of those columns' cells in the row."""
    template = bytearray()
    slots: dict[int, list[range]] = {d: [] for d in widths}
    for separator, d in zip(separators, decimals):
        template += separator.encode("ascii")
        cell = widths[d] + 1 + bool(d)
        slots[d].append(range(len(template), len(template) + cell))
        template += bytes(cell)
    template += separators[-1].encode("ascii")
    return np.frombuffer(bytes(template), dtype=np.uint8), {d: np.array(s) for d, s in slots.items()}


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
    if (np.abs(values).max(axis=0, initial=0.0) * scale >= EXACT_LIMIT).any():
        row = "".join(f"{separators[c]}%.{d}f" for c, d in enumerate(decimals)) + separators[-1]
        return (row * len(values)) % tuple((np.rint(values * scale) / scale + 0.0).ravel().tolist())
    columns = {d: [c for c, dc in enumerate(decimals) if dc == d] for d in set(decimals)}
    widths = {d: max(d + 1, len(str(int(_counts(values[:, cs], d)[1].max(initial=0))))) for d, cs in columns.items()}
    template, slots = _row_template(separators, decimals, widths)
    blocks = []
    for start in range(0, len(values), BLOCK_ROWS):
        block = values[start:start + BLOCK_ROWS]
        rows = np.broadcast_to(template, (len(block), len(template))).copy()
        for d, cs in columns.items():
            rows[:, slots[d]] = _number_cells(block[:, cs], d, widths[d])
        blocks.append(rows.tobytes().translate(None, b"\0"))
    return b"".join(blocks).decode("ascii")
