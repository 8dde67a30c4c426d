"""The fixed benchmark protocol (``posefield bench``): what is measured, on which data, how.

Data: the motion files of a folder (``--data``), resampled to 30 fps. Clips of the held-out
subjects (``--subjects``; the shipped CMU priors were trained with subjects 09 and 13 held
out) are the test set; every other subject is the training split, used only for reference
statistics (mean pose and σ, realism's nearest poses), every ``train_stride``-th frame.
Test windows are non-overlapping 60/120/240-frame windows (the paper's layout) drawn with a
fixed seed. Every experiment runs every prior (ndf, vae, gmm, none) on the same inputs.

* denoising: N(0, σ²) degrees (σ = 3°, 6°) on every non-root rotation channel; error of the
  input and of each prior's denoising, per window length;
* completion: the left_leg, left_arm_hand and right_shoulder_upper_arm groups unobserved in
  the 60-frame windows; error on the points the hidden group moves (hidden joints proposed by
  each prior's exemplars: ndf's sample of its training poses, the samplers of vae and gmm,
  the rest pose for none; see :mod:`posefield.fit.complete`);
* 2D fitting: short clips seen by a pinhole camera (1000 px focal length) with a uniformly
  random yaw and distance and Gaussian pixel noise on every named point; 3D error;
* generation: poses drawn as ``posefield sample`` draws them (vae and gmm: their own samplers;
  ndf: per-limb mixtures of neighbouring exemplars projected onto its manifold; none: uniformly
  random rotations): APD (cm), realism (radians to the nearest
  training pose), FID on root-aligned joint positions against the held-out poses (cm²) and the
  share of samples with self-penetrating limbs (capsule body, %);
* interpolation: between frames s and s + gap of a held-out clip (each prior's projected
  scheme; ``none``: slerp): error of the in-between frames against the real ones and their mean
  Pose-NDF distance (energy of the ndf prior);
* σ table: 6° denoising error of the test frames within kσ (k = 1, 2, 3) of the mean training
  pose (cumulative; see :mod:`posefield.bench.sigma`).

Errors are root-aligned mean distances over all joints and end sites, in millimetres.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np

from posefield.data.build import find_motion_files, motion_subject
from posefield.data.resample import resample
from posefield.fit.complete import COMPLETE_DEFAULTS
from posefield.fit.denoise import DENOISE_DEFAULTS
from posefield.io import load_motion
from posefield.motion import Motion

GROUPS = ("left_leg", "left_arm_hand", "right_shoulder_upper_arm")


@dataclasses.dataclass(frozen=True)
class Protocol:
    """Sizes and settings of one benchmark run (see the module docstring).

    Attributes:
        fps: frame rate every clip is resampled to (frames/s).
        window_lengths: denoising window lengths (frames).
        windows: test windows drawn per length.
        noise_deg: denoising noise levels (degrees per rotation channel).
        sigma_noise_deg: the noise level of the σ table (degrees).
        complete_length: length of the completion windows (frames, one of ``window_lengths``).
        fit2d_clips, fit2d_length: 2D-fitting clips and their length (frames).
        yaw_deg, depth_m: ranges of the random camera yaw (degrees) and distance (metres).
        pixel_noise: standard deviation of the keypoint noise (pixels).
        samples: generated poses per prior.
        interp_pairs, interp_gap: interpolated pose pairs and their distance (frames).
        train_stride: training frames kept (every n-th) for reference statistics.
        denoise_steps, complete_steps, fit2d_steps: optimiser steps (denoising and completion:
            L-BFGS iterations; fit2d: Adam steps per stage and scale).
        seed: seed of every random choice.
    """

    fps: float = 30.0
    window_lengths: tuple[int, ...] = (60, 120, 240)
    windows: int = 4
    noise_deg: tuple[float, ...] = (3.0, 6.0)
    sigma_noise_deg: float = 6.0
    complete_length: int = 60
    fit2d_clips: int = 6
    fit2d_length: int = 30
    yaw_deg: tuple[float, float] = (-180.0, 180.0)
    depth_m: tuple[float, float] = (3.0, 6.0)
    pixel_noise: float = 2.0
    samples: int = 1000
    interp_pairs: int = 10
    interp_gap: int = 15
    train_stride: int = 4
    denoise_steps: int = DENOISE_DEFAULTS.steps
    complete_steps: int = COMPLETE_DEFAULTS.steps
    fit2d_steps: int = 100
    seed: int = 0


FULL = Protocol()
QUICK = Protocol(windows=1, fit2d_clips=2, fit2d_length=30, samples=300, interp_pairs=6, train_stride=8,
                 fit2d_steps=60)


@dataclasses.dataclass
class Split:
    """Held-out (``test``) and training clips at the protocol's frame rate, and the file count."""

    test: list[Motion]
    train: list[Motion]
    files: int


def load_split(data: Path, subjects: set[str], fps: float) -> Split:
    """Every motion file under ``data`` resampled to ``fps``, split by subject (``subjects``: held out)."""
    split = Split([], [], 0)
    for path in find_motion_files([data]):
        motion = resample(load_motion(path), fps)
        (split.test if motion_subject(motion, path) in subjects else split.train).append(motion)
        split.files += 1
    return split


def draw_windows(clips: list[Motion], length: int, count: int, rng: np.random.Generator) -> list[Motion]:
    """``count`` (or all, if fewer) distinct non-overlapping ``length``-frame windows of ``clips``."""
    slots = [(c, s) for c, clip in enumerate(clips) for s in range(0, clip.num_frames - length + 1, length)]
    chosen = sorted(rng.choice(len(slots), size=min(count, len(slots)), replace=False)) if slots else []
    return [clips[slots[i][0]].slice(slice(slots[i][1], slots[i][1] + length)) for i in chosen]


SETTING_MAX = 1_000_000
"""The largest number a protocol setting takes (counts, steps, frames, degrees, metres)."""
RANGES = {"fps": (1.0, 1000.0), "yaw_deg": (-360.0, 360.0), "seed": (0, 2**32 - 1), "pixel_noise": (0.0, SETTING_MAX),
          "noise_deg": (0.0, 90.0), "sigma_noise_deg": (0.0, 90.0)}
"""Closed ranges of the settings that are not simply positive (positive: at most SETTING_MAX)."""
PAIRS = ("yaw_deg", "depth_m")
"""Settings that are a (low, high) range."""


def with_overrides(protocol: Protocol, settings: list[str]) -> Protocol:
    """``protocol`` with ``NAME=VALUE`` settings applied (tuples as comma-separated values).

    Raises:
        ValueError: unknown name, unparsable value, or a value outside the setting's range
            (:data:`RANGES`; other settings are positive and at most :data:`SETTING_MAX`).
    """
    fields = {f.name: getattr(protocol, f.name) for f in dataclasses.fields(protocol)}
    changes = {}
    for setting in settings:
        name, _, text = setting.partition("=")
        if name not in fields:
            raise ValueError(f"unknown protocol setting {name!r} (one of {', '.join(fields)})")
        default = fields[name]
        kind = type(default[0]) if isinstance(default, tuple) else type(default)
        try:
            values = tuple(kind(v) for v in text.split(","))
        except ValueError:
            raise ValueError(f"{setting!r}: expected {'comma-separated ' * isinstance(default, tuple)}"
                             f"{kind.__name__} values") from None
        if len(values) > 1 and not isinstance(default, tuple):
            raise ValueError(f"{setting!r}: expected one value")
        low, high = RANGES.get(name, (0, SETTING_MAX))
        inside = all(math.isfinite(v) and (low <= v if name in RANGES else low < v) and v <= high for v in values)
        pair = name not in PAIRS or (len(values) == 2 and values[0] <= values[1])
        if not (inside and pair):
            raise ValueError(f"{setting!r}: out of range ({'low,high within ' * (name in PAIRS)}"
                             f"{'[' if name in RANGES else '('}{low:g}, {high:g}])")
        changes[name] = values if isinstance(default, tuple) else values[0]
    return dataclasses.replace(protocol, **changes)
