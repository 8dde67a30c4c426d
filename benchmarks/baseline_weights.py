"""Choose the baseline priors' energy scales (``energy_scale``) on training-subject clips; prints markdown.

    .venv/bin/python benchmarks/baseline_weights.py ../shared/mocap/cmu-asf-amc

The fit weights were tuned for Pose-NDF (energy: a distance in radians); the VAE's energy
(−2 log p) and the GMM's (nats) are far larger. :func:`posefield.fit.terms.prior_energy` multiplies
a prior's energy by its ``energy_scale`` s; this script sweeps s per baseline with the library's
fit settings left as they are and reports, per s, on the same windows:

* denoise: 6° per rotation channel (:func:`~posefield.data.noise.add_channel_noise`, seed
  = window number) removed by :func:`~posefield.fit.denoise.denoise` (``DENOISE_DEFAULTS``);
  mean root-aligned error of all joints and end sites (mm);
* complete: the ``left_leg`` group hidden (:func:`~posefield.bench.experiments.complete_errors`,
  ``COMPLETE_DEFAULTS``); mean error on the points it moves (mm);
* fit2d: the window's first 30 frames seen by the benchmark's camera at a random yaw and
  distance with 2 px noise (:func:`~posefield.bench.experiments.fit2d_errors`, ``Fit2DConfig()``);
  3D root-aligned error (mm).

Score = mean over the tasks of the error divided by the ``none`` prior's error on the same
windows (so every task counts alike); the s with the lowest score is chosen. Windows: 120-frame
non-overlapping windows at 30 fps drawn with a fixed seed from the clips of each training
subject given; the benchmark's test subjects (09, 13) are refused.
"""
from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np
import torch

from posefield.bench.experiments import complete_errors, fit2d_errors
from posefield.data.noise import add_channel_noise
from posefield.data.resample import resample
from posefield.fit.denoise import denoise
from posefield.fit.fit2d import Fit2DConfig
from posefield.fit.metrics import per_frame_error
from posefield.io import load_motion
from posefield.prior.registry import get_prior

HELD_OUT = {"09", "13"}
SCALES = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 2e-3, 3e-3, 5e-3, 1e-2, 3e-2, 1e-1, 3e-1, 1.0)
TASKS = ("denoise", "complete", "fit2d")


def training_windows(data: Path, subjects: list[str], length: int, per_subject: int, fps: float, seed: int):
    """(label, window) pairs: ``per_subject`` windows of ``length`` frames from each subject's clips."""
    rng = np.random.default_rng(seed)
    out = []
    for subject in subjects:
        paths = sorted(data.glob(f"{subject}_*.amc"))
        if not paths:
            raise SystemExit(f"no {subject}_*.amc clips in {data}")
        clips = [resample(load_motion(p), fps) for p in paths]
        slots = [(c, s) for c, clip in enumerate(clips) for s in range(0, clip.num_frames - length + 1, length)]
        for i in sorted(rng.choice(len(slots), size=min(per_subject, len(slots)), replace=False)):
            c, s = slots[i]
            out.append((f"{paths[c].stem}[{s}:{s + length}]", clips[c].slice(slice(s, s + length))))
    return out


def run_tasks(windows, prior, tasks, cameras, noise_deg: float, group: str) -> dict[str, list[float]]:
    """Per task, the error (mm) of each window with ``prior``."""
    out = {t: [] for t in tasks}
    for i, (_, w) in enumerate(windows):
        if "denoise" in tasks:
            out["denoise"].append(float(per_frame_error(denoise(add_channel_noise(w, noise_deg, i), prior), w).mean()))
        if "complete" in tasks:
            out["complete"].append(complete_errors(w, {"p": prior}, group)["p"])
        if "fit2d" in tasks:
            yaw, depth = cameras[i]
            out["fit2d"].append(fit2d_errors(w.slice(slice(0, 30)), {"p": prior}, yaw, depth, 2.0, i, Fit2DConfig())["p"])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="folder of CMU ASF/AMC clips")
    parser.add_argument("--subjects", nargs="+", default=["05", "16", "49", "105"], help="training subjects")
    parser.add_argument("--per-subject", type=int, default=2, help="windows per subject")
    parser.add_argument("--length", type=int, default=120, help="frames per window (at 30 fps)")
    parser.add_argument("--kinds", nargs="+", default=["vae", "gmm"])
    parser.add_argument("--scales", type=float, nargs="+", default=list(SCALES))
    parser.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    parser.add_argument("--noise", type=float, default=6.0, help="denoising noise, degrees per channel")
    parser.add_argument("--group", default="left_leg", help="hidden group of the completion task")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="also write every window's errors here")
    args = parser.parse_args()
    if HELD_OUT & set(args.subjects):
        raise SystemExit(f"subjects {sorted(HELD_OUT & set(args.subjects))} are the benchmark's test set")
    torch.set_num_threads(1)
    start = time.time()
    windows = training_windows(args.data, args.subjects, args.length, args.per_subject, 30.0, args.seed)
    rng = np.random.default_rng(args.seed + 1)
    cameras = [(rng.uniform(-180.0, 180.0), rng.uniform(3.0, 6.0)) for _ in windows]
    skeleton = windows[0][1].skeleton
    tasks = [t for t in TASKS if t in args.tasks]

    raw = {"windows": [name for name, _ in windows]}
    reference = {}
    for kind in ("none", "ndf"):
        reference[kind] = run_tasks(windows, get_prior(kind, skeleton), tasks, cameras, args.noise, args.group)
    raw["reference"] = reference
    none = {t: float(np.mean(reference["none"][t])) for t in tasks}

    def score(errors: dict[str, list[float]]) -> float:
        return float(np.mean([np.mean(errors[t]) / none[t] for t in tasks]))

    sweeps, chosen = {}, {}
    for kind in args.kinds:
        prior = get_prior(kind, skeleton)
        sweeps[kind] = {}
        for s in args.scales:
            prior.energy_scale = s
            sweeps[kind][s] = run_tasks(windows, prior, tasks, cameras, args.noise, args.group)
        chosen[kind] = min(args.scales, key=lambda s: score(sweeps[kind][s]))
        del prior.energy_scale
        print(f"{kind}: class energy_scale {prior.energy_scale:g}, chosen {chosen[kind]:g}", flush=True)
    raw["sweeps"] = {k: {str(s): v for s, v in d.items()} for k, d in sweeps.items()}

    head = " | ".join(f"{t} (mm)" for t in tasks)
    print(f"\n{len(windows)} windows of {args.length} frames at 30 fps (subjects {', '.join(args.subjects)}); "
          f"denoise {args.noise:g}°, complete {args.group}, fit2d first 30 frames, 2 px; "
          f"torch threads {torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f}\n")
    print(f"windows: {', '.join(raw['windows'])}\n")
    print(f"| prior | scale s | {head} | score |")
    print("|---|---:|" + "---:|" * (len(tasks) + 1))
    for kind, errors in reference.items():
        cells = " | ".join(f"{np.mean(errors[t]):.1f}" for t in tasks)
        print(f"| {kind} | – | {cells} | {score(errors):.3f} |")
    for kind in args.kinds:
        for s, errors in sweeps[kind].items():
            cells = " | ".join(f"{np.mean(errors[t]):.1f}" for t in tasks)
            mark = "**" if s == chosen[kind] else ""
            print(f"| {kind} | {mark}{s:g}{mark} | {cells} | {mark}{score(errors):.3f}{mark} |")
    print(f"\nchosen: {', '.join(f'{k} {s:g}' for k, s in chosen.items())}; wall time {(time.time() - start) / 60:.1f} min")
    if args.json:
        args.json.write_text(json.dumps(raw, indent=1))


if __name__ == "__main__":
    main()
