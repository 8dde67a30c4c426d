"""numpy's fixed-point table text against Python's ``%`` formatting of every value."""
from __future__ import annotations

import numpy as np
import pytest

from posefield.io import fixed_point
from posefield.io.fixed_point import fixed_point_text


def percent_text(values: np.ndarray, decimals: list[int], separators: list[str]) -> str:
    """The slow reference: one ``%`` per value of the rounded table."""
    row = "".join(f"{separators[c]}%.{d}f" for c, d in enumerate(decimals)) + separators[-1]
    return "".join(row % tuple(np.round(x, d) + 0.0 for x, d in zip(v, decimals)) for v in values)


def awkward_table(rows: int, seed: int) -> np.ndarray:
    """Frame numbers, angles, and values that round to -0, carry into a new digit or sit on ties."""
    rng = np.random.default_rng(seed)
    table = rng.uniform(-400.0, 400.0, (rows, 8))
    table[:, 0] = np.arange(1, rows + 1)
    table[:, 1] = rng.choice([-4e-7, -5e-7, 5e-7, 1.5e-6, -0.0, 0.0, 999.9999996, -9.9999995, 12.0], rows)
    table[:, 2] *= 1e-5
    table[:, 3] = rng.uniform(-2e8, 2e8, rows)
    return table


@pytest.mark.parametrize("rows", [1, 7, fixed_point.BLOCK_ROWS + 3])
def test_equals_percent_formatting(rows):
    table = awkward_table(rows, rows)
    decimals = [0, 6, 6, 6, 3, 6, 1, 6]
    separators = ["", "\nroot ", " ", " ", "\nlfemur ", " ", "\nx ", " ", "\n"]
    assert fixed_point_text(table, decimals, separators) == percent_text(table, decimals, separators)


def test_values_beyond_exact_counts_fall_back_to_percent():
    table = np.array([[1.5, 2e9], [-3.25, -1e12]])
    assert fixed_point_text(table, [6, 6], ["", " ", "\n"]) == percent_text(table, [6, 6], ["", " ", "\n"])


def edge_values(rows: int, decimals: int, seed: int) -> np.ndarray:
    """(rows, 6) values below 10^4: ties of the last decimal, -0 after rounding, carries into a new digit."""
    rng = np.random.default_rng(seed)
    last = 10.0 ** -decimals
    table = rng.uniform(-9999.0, 9999.0, (rows, 6))
    table[:, 1] = rng.choice([0.5 * last, -0.5 * last, -0.4 * last, 1.5 * last, -0.0, 9.5 * last, -99.5 * last], rows)
    table[:, 2] = rng.choice([9.0, 99.0, 999.0, 9999.0, -9999.0], rows) + rng.choice([0.0, 0.4, 0.49], rows)
    table[:, 3] *= 1e-4
    return table


@pytest.mark.parametrize("decimals", range(10))
def test_word_cells_equal_percent_formatting(decimals):
    """Every number of decimals on the word-cell path (integer parts below 10^4), with evenly spaced
    cells (a strided view) and unevenly spaced ones (index arrays)."""
    table = edge_values(fixed_point.BLOCK_ROWS + 5, decimals, decimals)
    assert np.abs(np.round(table, decimals)).max() < fixed_point.HEAD_LIMIT
    for separators in (["", " ", " ", " ", " ", " ", "\n"], ["", "\nroot ", " ", "\nlhumerus ", " ", " ", "\n"]):
        assert fixed_point_text(table, [decimals] * 6, separators) == percent_text(table, [decimals] * 6, separators)


@pytest.mark.parametrize("largest", [9999.9999994, 9999.9999996, 10000.0, -123456.7])
def test_groups_at_the_head_limit_equal_percent_formatting(largest):
    """A group whose largest value rounds to 10^4 or more takes the digit path, its neighbours the word path."""
    table = edge_values(9, 6, 1)
    table[4, 0] = largest
    decimals = [6, 6, 6, 6, 3, 0]
    separators = ["", " ", " ", " ", " ", " ", "\n"]
    assert fixed_point_text(table, decimals, separators) == percent_text(table, decimals, separators)
