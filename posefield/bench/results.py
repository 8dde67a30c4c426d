"""What a benchmark run produces: tables with one column per prior, notes, timing."""
from __future__ import annotations

import dataclasses


@dataclasses.dataclass
class Table:
    """One result table: ``rows`` of (label, column -> value), values in ``unit``."""

    key: str
    title: str
    unit: str
    columns: list[str]
    rows: list[tuple[str, dict[str, float]]] = dataclasses.field(default_factory=list)
    note: str = ""

    def add(self, label: str, values: dict[str, float]) -> None:
        self.rows.append((label, values))


@dataclasses.dataclass
class BenchResult:
    """Everything :func:`posefield.bench.report.format_report` writes.

    Attributes:
        tables: the result tables in report order.
        priors: name -> where each prior that ran came from.
        notes: one line per skipped prior or experiment.
        data: one-line description of the data and split.
        seconds: wall time of the run.
        extra: further markdown sections (e.g. the HKMR rows).
    """

    tables: list[Table]
    priors: dict[str, str]
    notes: list[str]
    data: str
    seconds: float = 0.0
    extra: list[str] = dataclasses.field(default_factory=list)

    def table(self, key: str) -> Table | None:
        return next((t for t in self.tables if t.key == key), None)
