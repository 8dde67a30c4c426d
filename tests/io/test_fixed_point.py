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
