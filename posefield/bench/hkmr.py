"""The HKMR rows of the benchmark: flat / HKMR / HKMR_MF via :mod:`posefield.regress.bench`."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from posefield.errors import PosefieldError


def hkmr_section(dataset: Path | None, prior: str, samples: int, clip_length: int,
                 log: Callable[[str], None]) -> str:
    """A markdown section with the MPJPE / PA-MPJPE (mm) table of the shipped regressors on the
    held-out people of the pose ``dataset`` (their validation poses on their own skeletons;
    HKMR_MF refined with the ``prior`` spec), or one line saying why it was not run."""
    from posefield.regress.bench import BenchConfig, bench_dataset, regress_table

    title = "### HKMR: 3D pose from 2D keypoints (MPJPE P1 / PA-MPJPE P2, mm)\n\n"
    if dataset is None:
        return title + "Not run: no pose dataset given (`--hkmr-dataset`).\n"
    try:
        result = bench_dataset(dataset, "hkmr", "flat", prior, True, BenchConfig(samples=samples, clip_length=clip_length),
                               notify=log)
    except PosefieldError as exc:
        return title + f"Not run: {' '.join(str(exc).split())}.\n"
    return (title + f"{samples} synthetic test frames per condition of the held-out people of `{dataset.name}` "
            f"({', '.join(result.people)}, on their own skeletons); "
            f"HKMR_MF refined with the {result.prior!r} prior.\n\n" + regress_table(result) + "\n")
