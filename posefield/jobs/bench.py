"""``posefield bench`` end to end: run the protocol, write the plots and the report."""
from __future__ import annotations

import time
from pathlib import Path
from typing import Callable

from posefield.bench.hkmr import hkmr_section
from posefield.bench.plots import write_plots
from posefield.bench.protocol import Protocol
from posefield.bench.report import commit_hash, format_report
from posefield.bench.run import run_bench
from posefield.io.atomic import atomic_open


def bench_to_file(data: Path, subjects: set[str], protocol: Protocol, specs: dict[str, str], output: Path,
                  command: str, hkmr_dataset: Path | None = None, hkmr_samples: int = 512,
                  log: Callable[[str], None] = print) -> str:
    """Run the benchmark, write one PNG per table next to ``output`` and the report to ``output``;
    return the report."""
    start, commit = time.perf_counter(), commit_hash()  # before the run writes its plots into the tree
    result = run_bench(data, subjects, protocol, specs, log)
    result.extra.append(hkmr_section(hkmr_dataset, specs["ndf"], hkmr_samples, min(32, hkmr_samples), log))
    result.seconds = time.perf_counter() - start
    plots = write_plots(result.tables, output.parent)
    report = format_report(result, protocol, command, plots, commit)
    with atomic_open(output) as handle:
        handle.write(report)
    return report
