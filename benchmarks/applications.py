"""Measure the applications' targets on held-out clips at their own frame rate; prints markdown.

    .venv/bin/python benchmarks/applications.py ../shared/mocap/cmu-asf-amc/09_*.amc [--prior ndf]
    .venv/bin/python benchmarks/applications.py ../shared/mocap/cmu-daz-bvh/salsa_05.bvh --fps 60 --drop-frames 4

Reuses the experiments of :mod:`posefield.bench.experiments` (the fixed 30 fps protocol of
``posefield bench`` lives there); this script adds the 120 fps setting of the targets and timings.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import time
from pathlib import Path

import numpy as np
import torch

from posefield.bench.experiments import complete_errors, fit2d_errors
from posefield.data.noise import add_channel_noise
from posefield.data.resample import resample
from posefield.fit.denoise import denoise
from posefield.fit.metrics import per_frame_error
from posefield.io import load_motion
from posefield.prior.registry import get_prior

GROUPS = ("left_leg", "left_arm_hand", "right_shoulder_upper_arm")


def windows(clips, length: int):
    """Non-overlapping ``length``-frame windows of every clip."""
    return [c.slice(slice(s, s + length)) for c in clips for s in range(0, c.num_frames - length + 1, length)]


def denoise_table(clips, priors, sigma: float) -> list[str]:
    rows = ["| window | noisy | none | ndf | ndf / none | ndf / noisy |", "|---|---:|---:|---:|---:|---:|"]
    for length in (60, 240, 1000):
        errors = {k: [] for k in ("noisy", *priors)}
        for i, w in enumerate(windows(clips, length)):
            noisy = add_channel_noise(w, sigma, seed=i)
            errors["noisy"].append(per_frame_error(noisy, w).mean())
            for name, prior in priors.items():
                errors[name].append(per_frame_error(denoise(noisy, prior), w).mean())
        m = {k: np.mean(v) / 10 for k, v in errors.items()}
        rows.append(f"| {length} frames × {len(errors['noisy'])} | {m['noisy']:.2f} | {m['none']:.2f} | "
                    f"{m['ndf']:.2f} | {m['ndf'] / m['none']:.3f} | {m['ndf'] / m['noisy']:.3f} |")
    return rows


def speed_row(clip, prior) -> str:
    clip = clip.slice(slice(0, 1000))
    noisy = add_channel_noise(clip, 6.0)
    start = time.perf_counter()
    denoise(noisy, prior)
    seconds = time.perf_counter() - start
    return f"{clip.num_frames} frames in {seconds:.1f} s = **{clip.num_frames / seconds:.0f} frames/s**"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="+", type=Path, help="held-out motion files of one rig")
    parser.add_argument("--prior", default="ndf")
    parser.add_argument("--fps", type=float, help="the clips' true frame rate, where the files claim another")
    parser.add_argument("--drop-frames", type=int, default=0, help="frames dropped at the start of every clip")
    parser.add_argument("--resample", type=float, help="resample the clips to this frame rate first")
    args = parser.parse_args()
    clips = [load_motion(p).slice(slice(args.drop_frames, None)) for p in args.clips]
    if args.fps:
        clips = [dataclasses.replace(c, fps=args.fps) for c in clips]
    if args.resample:
        clips = [resample(c, args.resample) for c in clips]
    skeleton = clips[0].skeleton
    priors = {"none": get_prior("none", skeleton), "ndf": get_prior(args.prior, skeleton)}
    print(f"{', '.join(p.name for p in args.clips)}: {sum(c.num_frames for c in clips)} frames at "
          f"{clips[0].fps:g} fps; load average {os.getloadavg()[0]:.1f}; torch threads {torch.get_num_threads()}\n")
    print("### Denoising, 6° per dof (cm)\n")
    print("\n".join(denoise_table(clips, priors, 6.0)))
    print(f"\nspeed (ndf, 6°): {speed_row(max(clips, key=lambda c: c.num_frames), priors['ndf'])}\n")
    print("### Completion, 240-frame windows (cm on the hidden points)\n")
    print("| group | none | ndf | ndf / none |\n|---|---:|---:|---:|")
    parts = windows(clips, 240)
    for group in GROUPS:
        e = [complete_errors(w, priors, group) for w in parts]
        none, ndf = (np.mean([x[k] for x in e]) / 10 for k in ("none", "ndf"))
        print(f"| {group} | {none:.2f} | {ndf:.2f} | {ndf / none:.3f} |")
    print("\n### 2D fitting, 60-frame windows, perfect + 2 px noise keypoints (cm, 3D root-aligned)\n")
    print("| window | none | ndf | ndf / none |\n|---|---:|---:|---:|")
    e = [fit2d_errors(w, priors, yaw_deg=30.0 * i, depth=4.0, pixel_noise=2.0, seed=i)
         for i, w in enumerate(windows(clips, 60)[::4])]
    none, ndf = (np.mean([x[k] for x in e]) / 10 for k in ("none", "ndf"))
    print(f"| 60 frames × {len(e)} | {none:.2f} | {ndf:.2f} | {ndf / none:.3f} |")


if __name__ == "__main__":
    main()
