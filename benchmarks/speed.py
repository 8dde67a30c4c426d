"""Speed at the machine's limit (issue 22), side by side with a reference Pose-NDF network; writes markdown.

    .venv/bin/python benchmarks/speed.py --data ../shared/mocap [--out benchmarks/speed.md]
                                         [--sizes 100,1000,10000,100000] [--repeats 5]
                                         [--networks-only | --end-to-end-only]

One process measures, in this order: the matmul peak (1 thread, all threads); distance,
distance + gradient and projection throughput at batch 4,096 (1 thread) of the shipped prior
and of :class:`ReferenceNDF`, with their share of the 1-thread peak; AMC, BVH and npz read and
write; the CLI's start-up, ``info`` and ``project`` against ``python -c "import torch"`` (these
four in child processes, the only way to time a start-up); ``project`` and ``denoise`` end to end
(read, work, write, as the command line runs them: :mod:`posefield.jobs.fit`) on clips of the given lengths with their peak memory, each job once in a child
process of its own (a process keeps memory it has freed, which would hide the next job's peak),
after a run on 10 frames (the first optimiser of a process imports ``torch._dynamo``).
The other figures are the best of ``--repeats`` runs (posefield and the reference interleaved), so a busy machine shows as noise
rather than bias; the load average is recorded at the start and the end. ``--networks-only``
measures the matmul peak and the network table only (about a minute) and prints them without
writing the file; ``--end-to-end-only`` likewise prints the end-to-end table alone (at the
given ``--sizes``) with the load average before and after.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from torch import nn

from posefield.io import load_motion, load_skeleton, save_motion
from posefield.jobs.fit import denoise_file, project_file
from posefield.motion import Motion
from posefield.prior.ndf.losses import metric_gradient
from posefield.prior.ndf.model import PoseNDF
from posefield.prior.ndf.projection import project
from posefield.prior.registry import get_prior
from posefield.rotations import random_unit_quaternions

BATCH = 4096
STEPS = 10  # projection steps, equal for both networks (tol 0: no pose stops early)
CLIP = "cmu-asf-amc/01_06.amc"  # 5,133 frames, CMU rig
REPO = Path(__file__).resolve().parent.parent
NOTES = "<!-- notes below are kept when speed.py rewrites the tables above -->"

# SMPL's 21 body joints (pelvis excluded), parent of each within the list (-1: child of the pelvis)
SMPL_BODY_PARENTS = (-1, -1, -1, 0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 8, 11, 12, 13, 15, 16, 17, 18)


class ReferenceNDF(nn.Module):
    """The published Pose-NDF configuration written plainly (random weights): 21 joints, one
    two-layer encoder per joint, (θ_k, v_parent) -> v_k with 6 features (4 -> 6 for joints
    without a modelled parent; hidden width 6), joint by joint in tree order; then the distance
    MLP 126 -> 256 -> 512 -> 1024 -> 512 -> 256 -> 64 -> 1 (ReLU), abs."""

    def __init__(self, parents: tuple[int, ...] = SMPL_BODY_PARENTS, feature: int = 6, hidden: int = 6,
                 widths: tuple[int, ...] = (256, 512, 1024, 512, 256, 64)):
        super().__init__()
        self.parents = parents
        self.encoders = nn.ModuleList(
            nn.Sequential(nn.Linear(4 + (feature if p >= 0 else 0), hidden), nn.ReLU(), nn.Linear(hidden, feature))
            for p in parents)
        layers: list[nn.Module] = []
        width = feature * len(parents)
        for w in widths:
            layers += [nn.Linear(width, w), nn.ReLU()]
            width = w
        self.distance = nn.Sequential(*layers, nn.Linear(width, 1))

    def forward(self, quats: torch.Tensor) -> torch.Tensor:
        """(B, 21, 4) quaternions -> (B,) distances."""
        q = nn.functional.normalize(quats, dim=-1)
        features: list[torch.Tensor] = []
        for k, (parent, encoder) in enumerate(zip(self.parents, self.encoders)):
            features.append(encoder(q[:, k] if parent < 0 else torch.cat([q[:, k], features[parent]], dim=-1)))
        return self.distance(torch.cat(features, dim=-1)).squeeze(-1).abs()


def linear_flops(modules) -> int:
    """Multiply-add FLOPs (2 per MAC) per pose of the ``nn.Linear`` layers among ``modules``."""
    return sum(2 * m.in_features * m.out_features for m in modules if isinstance(m, nn.Linear))


def posefield_flops(prior: PoseNDF) -> int:
    """Forward matmul FLOPs per pose of a Pose-NDF prior (encoder as evaluated: depth 0 reads 4 inputs)."""
    enc = prior.encoder
    hidden = enc.w1.shape[-1]
    inputs = sum(size * (4 if i == 0 else 4 + enc.feature_dim) for i, size in enumerate(enc.level_sizes))
    return 2 * (inputs * hidden + enc.num_joints * hidden * enc.feature_dim) + linear_flops(prior.distance)


def best_time(fn: Callable[[], object], repeats: int) -> float:
    """Seconds of the fastest of ``repeats`` calls (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def interleaved(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Best seconds of each function, the functions taking turns (same load for all)."""
    for fn in fns.values():
        fn()
    best = {name: float("inf") for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    return best


def matmul_peak(threads: int, repeats: int, size: int = 2048) -> float:
    """GFLOP/s of a square float32 matmul on ``threads`` threads."""
    torch.set_num_threads(threads)
    a, b = torch.randn(size, size), torch.randn(size, size)
    return 2 * size ** 3 / best_time(lambda: a @ b, repeats) / 1e9


def distance_and_gradient(net: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """(B,) distances and their input gradient (what a projection step needs)."""
    x = x.detach().requires_grad_(True)
    f = net(x)
    (grad,) = torch.autograd.grad(f.sum(), x)
    return grad


def reference_projection(net: ReferenceNDF, quats: torch.Tensor, steps: int) -> torch.Tensor:
    """Pose-NDF's projection θ ← normalise(θ − f ∇f), ``steps`` steps and a last distance."""
    q = quats
    for _ in range(steps):
        x = q.detach().requires_grad_(True)
        f = net(x)
        (grad,) = torch.autograd.grad(f.sum(), x)
        q = nn.functional.normalize(x.detach() - f.detach()[:, None, None] * grad, dim=-1)
    with torch.no_grad():
        return net(q)


def network_table(prior: PoseNDF, repeats: int, peak: float) -> list[str]:
    """Throughput rows of the shipped prior and the reference at batch ``BATCH``, 1 thread."""
    torch.set_num_threads(1)
    ref = ReferenceNDF().eval()
    for p in (*prior.parameters(), *ref.parameters()):
        p.requires_grad_(False)
    g = torch.Generator().manual_seed(0)
    x_pf = random_unit_quaternions((BATCH, prior.num_joints), g)
    x_ref = random_unit_quaternions((BATCH, len(SMPL_BODY_PARENTS)), g)
    flops = {"posefield": posefield_flops(prior), "reference": linear_flops(ref.modules())}

    def no_grad(fn):
        def run():
            with torch.no_grad():
                return fn()
        return run

    seconds = interleaved({
        ("posefield", "distance"): no_grad(lambda: prior(x_pf)),
        ("reference", "distance"): no_grad(lambda: ref(x_ref)),
        ("posefield", "distance + gradient"): lambda: metric_gradient(*_with_input(prior, x_pf), prior.weights),
        ("reference", "distance + gradient"): lambda: distance_and_gradient(ref, x_ref),
        ("posefield", f"projection, {STEPS} steps"): lambda: project(prior, x_pf, max_steps=STEPS, tol=0.0),
        ("reference", f"projection, {STEPS} steps"): lambda: reference_projection(ref, x_ref, STEPS),
    }, repeats)
    rows = [f"| measure (batch {BATCH:,}, 1 thread) | posefield poses/s | % of 1-thread peak | reference poses/s "
            "| % of 1-thread peak | posefield / reference |", "|---|---:|---:|---:|---:|---:|"]
    for measure, evals in (("distance", 1), ("distance + gradient", 2), (f"projection, {STEPS} steps", None)):
        cells = []
        rates = {}
        for net in ("posefield", "reference"):
            rate = BATCH / seconds[net, measure]
            work = flops[net] * (evals if evals else (2 * STEPS + 1))  # a step: forward + input gradient
            rates[net] = rate
            cells += [f"{rate:,.0f}", f"{100 * rate * work / 1e9 / peak:.0f} %"]
        rows.append(f"| {measure} | " + " | ".join(cells) + f" | {rates['posefield'] / rates['reference']:.2f} |")
    rows.append("")
    rows.append(f"Forward FLOPs per pose (matmuls, 2 per multiply-add): posefield {flops['posefield']:,}, "
                f"reference {flops['reference']:,}; distance + gradient counts twice that (the input gradient "
                f"repeats every matmul), a projection step likewise, plus the last distance.")
    return rows


def _with_input(prior: PoseNDF, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    x = x.detach().requires_grad_(True)
    return prior(x), x


class PeakMemory:
    """Peak resident memory above the level at entry (MiB), sampled every 5 ms from /proc (Linux)."""

    def __enter__(self) -> "PeakMemory":
        self.base = self.peak = _rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss_mib())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_mib())

    @property
    def above_entry(self) -> float:
        return self.peak - self.base


def _rss_mib() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def tiled(motion: Motion, frames: int) -> Motion:
    """The first ``frames`` frames of ``motion`` repeated as often as needed (root travel kept continuous)."""
    reps = -(-frames // motion.num_frames)
    travel = motion.root_translation[-1] - motion.root_translation[0]
    root = np.concatenate([motion.root_translation + i * travel for i in range(reps)])[:frames]
    rotations = np.concatenate([motion.rotations] * reps)[:frames]
    return dataclasses.replace(motion, rotations=rotations, root_translation=root, source={})


def end_to_end_table(clip: Motion, sizes: list[int], folder: Path) -> list[str]:
    """``project`` and ``denoise`` from an AMC file to an AMC file at each clip length, each job
    in a child process of its own (:func:`end_to_end_job`), so that its peak memory does not
    depend on what ran before it in the same process (freed memory a process keeps)."""
    rows = ["| frames | project s | project frames/s | project peak MiB | denoise s | denoise frames/s "
            "| denoise peak MiB |", "|---:|---:|---:|---:|---:|---:|---:|"]
    print("\n".join(rows), flush=True)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    for frames in sizes:
        src = folder / f"clip{frames}.amc"
        save_motion(tiled(clip, frames), src)
        cells = [f"{frames:,}"]
        for job in ("project", "denoise"):
            done = subprocess.run([sys.executable, __file__, "--job", job, str(src), str(folder / f"{job}{frames}.amc")],
                                  check=True, env=env, capture_output=True, text=True)
            seconds, peak = (float(x) for x in done.stdout.split()[-2:])
            cells += [f"{seconds:.2f}", f"{frames / seconds:,.0f}", f"{peak:,.0f}"]
        rows.append("| " + " | ".join(cells) + " |")
        print(rows[-1], flush=True)
    return rows


def end_to_end_job(job: str, src: Path, out: Path) -> None:
    """Print the wall seconds and the peak resident memory (MiB above the state after the job
    ran once on a 10-frame clip) of ``job`` (``project`` or ``denoise``, as the command line
    runs it: :mod:`posefield.jobs.fit`, the prior loaded by the job) reading ``src`` and writing
    ``out``, on all threads."""
    torch.set_num_threads(os.cpu_count() or 1)
    work = {"project": project_file, "denoise": denoise_file}[job]
    # warm: the first optimiser of a process imports torch._dynamo (1.7 s), which a CLI run pays once
    skeleton = load_skeleton(src.with_suffix(".asf"))  # (not the clip: memory it freed would stay with the process)
    rest = np.tile([0.0, 0.0, 0.0, 1.0], (10, skeleton.num_joints, 1))
    warm = out.with_name(f"warm-{job}.amc")
    save_motion(Motion(skeleton=skeleton, rotations=rest, root_translation=np.zeros((10, 3)), fps=120.0), warm)
    work(warm, out.with_name(f"warm-{job}-out.amc"))
    with PeakMemory() as memory:
        start = time.perf_counter()
        work(src, out)
        seconds = time.perf_counter() - start
    print(f"{seconds:.4f} {memory.above_entry:.1f}")


def files_table(clip_path: Path, folder: Path, repeats: int) -> list[str]:
    """Read and write frames/s of AMC, BVH and npz on the CMU clip."""
    motion = load_motion(clip_path)
    rows = [f"| format ({motion.num_frames:,}-frame CMU clip) | read frames/s | write frames/s |", "|---|---:|---:|"]
    for suffix in (".amc", ".bvh", ".npz"):
        target = folder / f"files{suffix}"
        write = best_time(lambda: save_motion(motion, target), repeats)
        source = clip_path if suffix == ".amc" else target
        read = best_time(lambda: load_motion(source), repeats)
        rows.append(f"| {suffix[1:].upper()} | {motion.num_frames / read:,.0f} | {motion.num_frames / write:,.0f} |")
    return rows


def command_seconds(args: list[str], repeats: int) -> float:
    """Best wall seconds of a child ``python`` process running ``args`` (this repository first on the path)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run([sys.executable, *args], check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        best = min(best, time.perf_counter() - start)
    return best


def cli_table(clip_path: Path, folder: Path, repeats: int) -> list[str]:
    """Start-up, ``info`` and ``project`` of the CLI against importing torch."""
    frames = load_motion(clip_path).num_frames
    out = folder / "cli-projected.amc"
    rows = ["| command (child process, wall time) | seconds | / import torch |", "|---|---:|---:|"]
    runs = {"python -c 'import torch'": ["-c", "import torch"],
            "posefield --help": ["-m", "posefield.cli", "--help"],
            f"posefield info ({frames:,}-frame AMC)": ["-m", "posefield.cli", "info", str(clip_path)],
            f"posefield project ({frames:,}-frame AMC -> AMC)": ["-m", "posefield.cli", "project", str(clip_path),
                                                                 "-o", str(out)]}
    seconds = {name: command_seconds(args, repeats) for name, args in runs.items()}
    torch_s = seconds["python -c 'import torch'"]
    rows += [f"| {name} | {s:.2f} | {s / torch_s:.2f} |" for name, s in seconds.items()]
    return rows


def machine_lines() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return [f"- CPU: {cpu}, {os.cpu_count()} logical cores; torch {torch.__version__}, Python {platform.python_version()}",
            f"- load average at the start: {', '.join(f'{x:.2f}' for x in os.getloadavg())}"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/mocap"), help="the shared mocap folder")
    parser.add_argument("--out", type=Path, default=Path(__file__).with_name("speed.md"))
    parser.add_argument("--sizes", default="100,1000,10000,100000", help="clip lengths of the end-to-end runs")
    parser.add_argument("--repeats", type=int, default=5)
    only = parser.add_mutually_exclusive_group()
    only.add_argument("--networks-only", action="store_true", help="peak and network table only, printed, no file")
    only.add_argument("--end-to-end-only", action="store_true", help="end-to-end table only, printed, no file")
    only.add_argument("--job", nargs=3, metavar=("JOB", "SRC", "OUT"), help=argparse.SUPPRESS)  # one end-to-end child
    args = parser.parse_args()
    if args.job:
        end_to_end_job(args.job[0], Path(args.job[1]), Path(args.job[2]))
        return
    clip_path = args.data / CLIP
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.end_to_end_only:
        print("\n".join(machine_lines()), flush=True)
        with tempfile.TemporaryDirectory() as tmp:
            end_to_end_table(load_motion(clip_path), sizes, Path(tmp))
        print(f"- load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
        return
    lines = ["# Speed at the machine's limit (issue 22)", "", "Written by `benchmarks/speed.py` (one run; best of "
             "repeated runs, except the end-to-end jobs: once each, in a child process of its own).", ""] + machine_lines() + [""]
    peak1 = matmul_peak(1, args.repeats)
    peak_all = matmul_peak(os.cpu_count() or 1, args.repeats)
    lines += ["## Matmul peak (float32, 2048²)", "", "| threads | GFLOP/s |", "|---:|---:|",
              f"| 1 | {peak1:.1f} |", f"| {os.cpu_count()} | {peak_all:.1f} |", ""]
    print("\n".join(lines), flush=True)
    prior = get_prior("cmu-asf")
    section = ["## Networks: shipped prior (`cmu-asf`) against the reference Pose-NDF network", ""]
    section += network_table(prior, args.repeats, peak1) + [""]
    print("\n".join(section), flush=True)
    if args.networks_only:
        return
    lines += section
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for title, table in (("Files", lambda: files_table(clip_path, folder, args.repeats)),
                             ("CLI", lambda: cli_table(clip_path, folder, max(2, args.repeats // 2))),
                             ("End to end: AMC in, AMC out (all threads)",
                              lambda: end_to_end_table(load_motion(clip_path), sizes, folder))):
            section = [f"## {title}", ""] + table() + [""]
            print("\n".join(section), flush=True)
            lines += section
    lines += [f"- load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}", ""]
    kept = args.out.read_text().partition(NOTES)[2] if args.out.exists() else ""
    args.out.write_text("\n".join(lines) + ("\n" + NOTES + kept if kept else ""))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
