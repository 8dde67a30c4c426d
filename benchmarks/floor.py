"""Completion with and without the floor term: error and how far completed points sink; prints markdown.

    .venv/bin/python benchmarks/floor.py ../shared/mocap/cmu-asf-amc/09_*.amc ../shared/mocap/cmu-asf-amc/13_*.amc

Non-overlapping 240-frame windows of the clips at their own frame rate (the completion windows
of ``benchmarks/applications.py``); each leg in turn is hidden and completed with the shipped
prior, without a floor and with ``floor="auto"`` (the lowest height the other, observed leg
reaches in the window). For the hidden leg's points: mean error (mm), the share of frames
where one of them is more than 2 cm below that floor, and the deepest point (cm). The true
motion is measured the same way.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from posefield.fit.complete import AUTO_FLOOR, complete
from posefield.fit.floor import observed_floor_height
from posefield.skeleton import UP_AXIS
from posefield.fit.metrics import per_point_error
from posefield.fit.points import moved_points
from posefield.io import load_motion
from posefield.motion import Motion
from posefield.prior.registry import get_prior
from posefield.skeleton.groups import resolve_group

WINDOW = 240
SINK_TOLERANCE = 0.02  # metres
LEGS = ("left_leg", "right_leg")


def sinking(motion: Motion, mask: np.ndarray, height: float) -> tuple[float, float]:
    """(share of frames with a ``mask`` point more than 2 cm below ``height``, deepest depth in metres)."""
    depth = (height - motion.joint_positions(with_end_sites=True)[:, mask, UP_AXIS]).max(axis=1)
    return float((depth > SINK_TOLERANCE).mean()), float(max(depth.max(), 0.0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="+", type=Path, help="held-out motion files of one rig")
    args = parser.parse_args()
    torch.set_num_threads(1)
    clips = [load_motion(p) for p in args.clips]
    parts = [c.slice(slice(s, s + WINDOW)) for c in clips for s in range(0, c.num_frames - WINDOW + 1, WINDOW)]
    prior = get_prior("ndf", clips[0].skeleton)
    print(f"{len(parts)} windows of {WINDOW} frames\n")
    print("| hidden | motion | error (mm) | frames > 2 cm below the floor | deepest (cm) |\n|---|---|---:|---:|---:|")
    for group in LEGS:
        rows: dict[str, list[tuple[float, float, float]]] = {"true": [], "no floor": [], "floor auto": []}
        for part in parts:
            mask = moved_points(part.skeleton, resolve_group(part.skeleton, group))
            height = observed_floor_height(part.skeleton, part.joint_positions(with_end_sites=True), ~mask)
            for name, floor in (("no floor", None), ("floor auto", AUTO_FLOOR)):
                out = complete(part, prior, resolve_group(part.skeleton, group), floor=floor)
                rows[name].append((float(per_point_error(out, part)[:, mask].mean()), *sinking(out, mask, height)))
            rows["true"].append((0.0, *sinking(part, mask, height)))
        for name, values in rows.items():
            error, share, deepest = np.mean([v[0] for v in values]), np.mean([v[1] for v in values]), max(v[2] for v in values)
            print(f"| {group} | {name} | {'-' if name == 'true' else f'{error:.1f}'} | {100 * share:.1f} % | {100 * deepest:.1f} |")


if __name__ == "__main__":
    main()
