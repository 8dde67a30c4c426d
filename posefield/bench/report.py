"""The benchmark's markdown report: provenance (commit, data, seed, machine, time), the tables
side by side, and the targets' ratios stated plainly."""
from __future__ import annotations

import dataclasses
import datetime
import math
import os
import platform
import subprocess
from pathlib import Path

import torch

from posefield.bench.protocol import Protocol
from posefield.bench.results import BenchResult, Table

DENOISE_TARGET = 0.9


def commit_hash(repo: Path = Path(".")) -> str:
    """The checked-out commit (short hash, ``+dirty`` with uncommitted changes), or ``unknown``."""
    try:
        head = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo where there is one)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_line() -> str:
    """CPU model, core count and torch threads."""
    return f"{cpu_model()}, {os.cpu_count()} cores, torch threads {torch.get_num_threads()}"


def format_value(value: float) -> str:
    return "–" if math.isnan(value) else f"{value:.3g}" if abs(value) < 1 else f"{value:.1f}"


def format_table(table: Table) -> str:
    """A markdown table, one column per prior."""
    unit = f" ({table.unit})" if table.unit else ""
    lines = [f"### {table.title}{unit}", "", "| | " + " | ".join(table.columns) + " |",
             "|---|" + "---:|" * len(table.columns)]
    for label, values in table.rows:
        lines.append(f"| {label} | " + " | ".join(format_value(values.get(c, math.nan)) for c in table.columns) + " |")
    return "\n".join(lines + ([f"\n{table.note}"] if table.note else []))


def mean_ratio(table: Table | None, num: str, den: str) -> float:
    """Mean over the table's rows of value(num) / value(den) (NaN when either is missing)."""
    if table is None or num not in table.columns or den not in table.columns:
        return math.nan
    ratios = [v[num] / v[den] for _, v in table.rows if v.get(den)]
    return sum(ratios) / len(ratios) if ratios else math.nan


def target_lines(result: BenchResult) -> list[str]:
    """Plain statements of the targets: ndf ≤ 0.9 × vae/gmm error on denoising and completion,
    and a higher APD than vae at equal or better realism."""
    lines = []
    for key in ("denoise", "complete"):
        for other in ("vae", "gmm"):
            ratio = mean_ratio(result.table(key), "ndf", other)
            if math.isnan(ratio):
                lines.append(f"- {key}: ndf / {other} not measured (a prior or the table is missing).")
            else:
                verdict = "met" if ratio <= DENOISE_TARGET else "NOT met"
                lines.append(f"- {key}: mean error ratio ndf / {other} = {ratio:.3f} (target ≤ {DENOISE_TARGET}): "
                             f"{verdict}.")
    gen = result.table("generation")
    if gen is None or not {"ndf", "vae"} <= set(gen.columns):
        lines.append("- generation: ndf vs vae not measured.")
    else:
        apd, real = gen.rows[0][1], gen.rows[1][1]
        met = apd["ndf"] > apd["vae"] and real["ndf"] <= real["vae"]
        lines.append(f"- generation: APD ndf {apd['ndf']:.1f} cm vs vae {apd['vae']:.1f} cm, realism ndf "
                     f"{real['ndf']:.3f} rad vs vae {real['vae']:.3f} rad (target: higher APD at equal or better "
                     f"realism): {'met' if met else 'NOT met'}.")
    return lines


def format_report(result: BenchResult, protocol: Protocol, command: str, plots: list[str],
                  commit: str | None = None) -> str:
    """The whole ``results.md``; ``commit`` is the code's revision (default: :func:`commit_hash` now)."""
    from posefield.bench import protocol as protocol_module

    settings = ", ".join(f"{f.name}={getattr(protocol, f.name)}" for f in dataclasses.fields(protocol))
    lines = ["# Pose prior benchmark: ndf vs vae vs gmm vs none", "",
             "## Protocol", "", protocol_module.__doc__.strip(), "",
             "## This run", "",
             f"- command: `{command}`",
             f"- commit: {commit or commit_hash()}",
             f"- data: {result.data}",
             f"- seed: {protocol.seed}; settings: {settings}",
             f"- priors: " + ", ".join(f"{n} = `{s}`" for n, s in result.priors.items()),
             f"- machine: {machine_line()}",
             f"- date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC",
             f"- wall time: {result.seconds / 60:.1f} min", ""]
    lines += [f"- note: {n}" for n in result.notes] + ([""] if result.notes else [])
    lines += ["## Targets", "", *target_lines(result), "", "## Results", ""]
    for table in result.tables:
        lines += [format_table(table), ""]
    lines += result.extra
    lines += [f"![{p}]({p})" for p in plots]
    return "\n".join(lines).rstrip() + "\n"
