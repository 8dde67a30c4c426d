"""Two priors of one rig side by side on held-out clips at their own frame rate; prints markdown.

    .venv/bin/python benchmarks/side_by_side.py ../shared/mocap/cmu-asf-amc/{09,13}_*.amc \
        --prior before=runs/old/cmu-asf.pt --prior after=cmu-asf

On non-overlapping 240-frame windows of the clips, every prior (and ``none``) denoises the
same 6°-per-channel noisy windows (:func:`posefield.fit.denoise.denoise`) and completes the same
windows with the left leg hidden (:func:`posefield.bench.experiments.complete_errors`); errors
are root-aligned, in cm (denoising: all joints and end sites; completion: the points the hidden
leg moves). Used to compare the shipped prior with a retrained one (``benchmarks/prior.md``).
"""
from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from posefield.bench.experiments import complete_errors
from posefield.data.noise import add_channel_noise
from posefield.fit.denoise import denoise
from posefield.fit.metrics import per_frame_error
from posefield.io import load_motion
from posefield.prior.registry import get_prior

WINDOW = 240


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="+", type=Path, help="held-out motion files of one rig")
    parser.add_argument("--prior", action="append", required=True, help="NAME=SPEC (a shipped name or a checkpoint)")
    parser.add_argument("--sigma", type=float, default=6.0, help="denoising noise, degrees per channel")
    parser.add_argument("--group", default="left_leg", help="hidden group of the completion")
    args = parser.parse_args()
    torch.set_num_threads(1)
    clips = [load_motion(p) for p in args.clips]
    skeleton = clips[0].skeleton
    priors = {"none": get_prior("none", skeleton)}
    priors.update({name: get_prior(spec, skeleton) for name, spec in (p.split("=", 1) for p in args.prior)})
    windows = [c.slice(slice(s, s + WINDOW)) for c in clips for s in range(0, c.num_frames - WINDOW + 1, WINDOW)]
    start = time.perf_counter()
    noisy_err, denoised, completed = [], {k: [] for k in priors}, {k: [] for k in priors}
    for i, w in enumerate(windows):
        noisy = add_channel_noise(w, args.sigma, seed=i)
        noisy_err.append(per_frame_error(noisy, w).mean())
        for name, prior in priors.items():
            denoised[name].append(per_frame_error(denoise(noisy, prior), w).mean())
        for name, value in complete_errors(w, priors, args.group).items():
            completed[name].append(value)
    print(f"{len(windows)} windows of {WINDOW} frames at {clips[0].fps:g} fps from {len(clips)} clips; "
          f"load average {os.getloadavg()[0]:.1f}; {time.perf_counter() - start:.0f} s\n")
    print(f"| prior | denoising {args.sigma:g}° (noisy {np.mean(noisy_err) / 10:.2f}) | ÷ none | "
          f"completion, {args.group} hidden | ÷ none |")
    print("|---|---:|---:|---:|---:|")
    for name in priors:
        d, c = np.mean(denoised[name]) / 10, np.mean(completed[name]) / 10
        print(f"| {name} | {d:.2f} | {d / (np.mean(denoised['none']) / 10):.3f} | {c:.2f} | "
              f"{c / (np.mean(completed['none']) / 10):.3f} |")


if __name__ == "__main__":
    main()
