"""Bar charts of the result tables (one PNG per table, priors side by side)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from posefield.bench.results import Table


def plot_table(table: Table, path: Path) -> None:
    """Grouped bars: one group per row, one bar per column (each row scaled to its own maximum
    when the table has no common unit)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    values = np.array([[v.get(c, np.nan) for c in table.columns] for _, v in table.rows], dtype=float)
    if not table.unit:
        values = values / np.nanmax(np.abs(values), axis=1, keepdims=True)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.2 * len(table.rows) * len(table.columns) / 3), 4))
    width = 0.8 / len(table.columns)
    x = np.arange(len(table.rows))
    for i, column in enumerate(table.columns):
        ax.bar(x + i * width - 0.4 + width / 2, values[:, i], width, label=column)
    ax.set_xticks(x, [label for label, _ in table.rows], rotation=20, ha="right", fontsize=8)
    ax.set_ylabel(table.unit or "relative to the row's largest value")
    ax.set_title(table.title, fontsize=10)
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def write_plots(tables: list[Table], folder: Path) -> list[str]:
    """One PNG per table in ``folder`` (named after the table's key); the file names."""
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for table in tables:
        if table.rows:
            plot_table(table, folder / f"{table.key}.png")
            names.append(f"{table.key}.png")
    return names
