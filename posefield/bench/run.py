"""Running the protocol (:mod:`posefield.bench.protocol`) for every prior, side by side."""
from __future__ import annotations

import dataclasses
import time
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from posefield.bench.experiments import complete_errors, denoise_errors, fit2d_errors, interpolation_metrics, sample_metrics
from posefield.bench.generation import pose_features
from posefield.bench.protocol import GROUPS, Protocol, Split, draw_windows, load_split
from posefield.bench.results import BenchResult, Table
from posefield.bench.sigma import distance_to_mean, mean_pose, spread, within_sigma
from posefield.data.neighbours import NearestPoses
from posefield.errors import InvalidPoseError, PosefieldError
from posefield.fit.complete import COMPLETE_DEFAULTS
from posefield.fit.denoise import DENOISE_DEFAULTS
from posefield.fit.fit2d import Fit2DConfig
from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.prior.registry import get_prior
from posefield.skeleton import Skeleton

SIGMA_LEVELS = (1, 2, 3)
MAX_REAL_POSES = 4000


def load_priors(specs: dict[str, str], skeleton: Skeleton) -> tuple[dict[str, PosePrior], list[str]]:
    """The priors ``specs`` name (name -> spec for :func:`get_prior`) that load and fit ``skeleton``,
    and one note per prior that does not."""
    priors, notes = {}, []
    for name, spec in specs.items():
        try:
            priors[name] = get_prior(spec, skeleton)
        except PosefieldError as exc:
            notes.append(f"prior {name} skipped: {' '.join(str(exc).split())}")
    return priors, notes


def rotation_poses(clips: list[Motion], stride: int) -> torch.Tensor:
    """(N, K, 4) float32 poses over the rotating non-root joints of every ``stride``-th frame."""
    joints = clips[0].skeleton.rotation_joints()
    return torch.as_tensor(np.concatenate([c.rotations[::stride, joints] for c in clips]), dtype=torch.float32)


def denoise_tables(windows: dict[int, list[Motion]], priors: dict[str, PosePrior], protocol: Protocol,
                   train: torch.Tensor | None, log: Callable[[str], None]) -> list[Table]:
    """The denoising table (noise level × window length) and, given training poses, the σ table."""
    config = dataclasses.replace(DENOISE_DEFAULTS, steps=protocol.denoise_steps, progress=False)
    columns = ["noisy", *priors]
    table = Table("denoise", "Denoising: root-aligned joint error", "mm", columns,
                  note="`noisy` is the input's error.")
    sigma_frames: dict[str, list[np.ndarray]] = {c: [] for c in columns}
    clean: list[np.ndarray] = []
    for noise in protocol.noise_deg:
        for length, clips in windows.items():
            if not clips:
                continue
            log(f"denoise {noise:g}° on {len(clips)} × {length} frames")
            errors = [denoise_errors(clip, priors, noise, config, protocol.seed + i) for i, clip in enumerate(clips)]
            table.add(f"{noise:g}° / {length} frames", {c: float(np.mean([e[c] for e in errors])) for c in columns})
            if noise == protocol.sigma_noise_deg:
                for clip, error in zip(clips, errors):
                    clean.append(clip.rotations[:, clip.skeleton.rotation_joints()])
                    for c in columns:
                        sigma_frames[c].append(error[c])
    if train is None or not clean:
        return [table]
    return [table, sigma_table(train, torch.as_tensor(np.concatenate(clean)),
                               {c: np.concatenate(v) for c, v in sigma_frames.items()}, protocol.sigma_noise_deg)]


def sigma_table(train: torch.Tensor, test: torch.Tensor, errors: dict[str, np.ndarray], noise_deg: float) -> Table:
    """Mean per-frame error of the test frames within kσ of the mean training pose (cumulative)."""
    mean = mean_pose(train)
    sigma = spread(distance_to_mean(train, mean))
    distances = distance_to_mean(test, mean)
    table = Table("sigma", f"Denoising ({noise_deg:g}°) by distance from the mean training pose", "mm", list(errors),
                  note=f"σ = {sigma:.3f} rad (RMS geodesic distance of the training poses to their mean pose); "
                       "cumulative buckets; `noisy` is the input's error.")
    for k in SIGMA_LEVELS:
        mask = within_sigma(distances, sigma, k).numpy()
        label = f"{k}σ ({int(mask.sum())} of {len(mask)} frames)"
        table.add(label, {c: float(e[mask].mean()) if mask.any() else float("nan") for c, e in errors.items()})
    return table


def complete_table(clips: list[Motion], priors: dict[str, PosePrior], protocol: Protocol,
                   log: Callable[[str], None]) -> Table:
    """Error on the hidden points of each occlusion group, mean over ``clips``."""
    config = dataclasses.replace(COMPLETE_DEFAULTS, steps=protocol.complete_steps, progress=False)
    table = Table("complete", f"Completion: error on the hidden points ({len(clips)} × {protocol.complete_length} "
                  "frames)", "mm", list(priors))
    for group in GROUPS:
        log(f"complete {group}")
        errors = [complete_errors(clip, priors, group, config) for clip in clips]
        table.add(group, {c: float(np.mean([e[c] for e in errors])) for c in priors})
    return table


def fit2d_table(clips: list[Motion], priors: dict[str, PosePrior], protocol: Protocol, rng: np.random.Generator,
                log: Callable[[str], None]) -> Table:
    """3D error of fitting noisy 2D keypoints of each clip seen by a random camera."""
    config = Fit2DConfig(steps=protocol.fit2d_steps, orientation_steps=protocol.fit2d_steps)
    table = Table("fit2d", f"Fitting to 2D keypoints ({protocol.pixel_noise:g} px noise): 3D root-aligned error",
                  "mm", list(priors))
    for i, clip in enumerate(clips):
        yaw, depth = rng.uniform(*protocol.yaw_deg), rng.uniform(*protocol.depth_m)
        log(f"fit2d clip {i + 1}/{len(clips)}")
        table.add(f"clip {i + 1}: yaw {yaw:.0f}°, {depth:.1f} m, {clip.num_frames} frames",
                  fit2d_errors(clip, priors, yaw, depth, protocol.pixel_noise, protocol.seed + i, config))
    if len(table.rows) > 1:
        table.add("mean", {c: float(np.mean([v[c] for _, v in table.rows])) for c in priors})
    return table


def generation_table(priors: dict[str, PosePrior], skeleton: Skeleton, split: Split, train: torch.Tensor,
                     protocol: Protocol) -> Table:
    """APD, realism, FID and self-penetration of each prior's samples."""
    real = np.concatenate([c.rotations for c in split.test])
    real = real[:: max(1, len(real) // MAX_REAL_POSES)]
    metrics = sample_metrics(priors, skeleton, NearestPoses(train), pose_features(skeleton, real), protocol.samples,
                             protocol.seed)
    table = Table("generation", f"Generation ({protocol.samples} samples per prior)", "", list(priors),
                  note=f"realism: to the nearest of {len(train)} training poses; FID: against {len(real)} held-out poses.")
    for key, label in (("apd_cm", "APD (cm), higher = more diverse"), ("realism_rad", "realism (rad), lower = more real"),
                       ("fid", "FID (cm²), lower = closer to real"), ("penetration_pct", "self-penetrating (%)")):
        table.add(label, {c: metrics[c][key] for c in priors})
    return table


def interpolation_table(segments: list[Motion], priors: dict[str, PosePrior], protocol: Protocol) -> Table:
    """Error of the in-between frames and their Pose-NDF distance, per prior."""
    metrics = interpolation_metrics(segments, priors, priors.get("ndf"))
    table = Table("interpolate", f"Interpolation over {protocol.interp_gap} frames ({len(segments)} pairs; "
                  "`vae` = its latent space, `none` = slerp)", "", list(priors),
                  note="vae walks the line between the two poses' latent codes and decodes (VPoser's "
                       "interpolation). gmm takes the projected scheme, whose step θ ← θ − f(θ)∇f(θ) assumes "
                       "f is a distance; the GMM's energy (nats) is not, and is used as it is.")
    table.add("in-between error (mm)", {c: metrics[c]["error_mm"] for c in priors})
    if "ndf" in priors:
        table.add("ndf distance of in-between poses", {c: metrics[c]["ndf_distance"] for c in priors})
    return table


def run_bench(data: Path, subjects: set[str], protocol: Protocol, specs: dict[str, str],
              log: Callable[[str], None] = print) -> BenchResult:
    """Run every experiment of ``protocol`` for the priors ``specs`` names on the clips of ``data``.

    Raises:
        InvalidPoseError: no clip of the held-out ``subjects``.
    """
    start = time.perf_counter()
    split = load_split(data, subjects, protocol.fps)
    if not split.test:
        raise InvalidPoseError(f"{data}: no clip of the held-out subjects {', '.join(sorted(subjects))}")
    skeleton = split.test[0].skeleton
    priors, notes = load_priors(specs, skeleton)
    rng = np.random.default_rng(protocol.seed)
    windows = {n: draw_windows(split.test, n, protocol.windows, rng) for n in protocol.window_lengths}
    notes += [f"no held-out clip has {n} frames: no {n}-frame rows" for n, w in windows.items() if not w]
    train = rotation_poses(split.train, protocol.train_stride) if split.train else None
    if train is None:
        notes.append("no training clips: no σ table, generation and realism skipped")
    tables = denoise_tables(windows, priors, protocol, train, log)
    if windows.get(protocol.complete_length):
        tables.append(complete_table(windows[protocol.complete_length], priors, protocol, log))
    fit2d_clips = draw_windows(split.test, protocol.fit2d_length, protocol.fit2d_clips, rng)
    if fit2d_clips:
        tables.append(fit2d_table(fit2d_clips, priors, protocol, rng, log))
    if train is not None:
        log("generation")
        tables.append(generation_table(priors, skeleton, split, train, protocol))
    segments = draw_windows(split.test, protocol.interp_gap + 1, protocol.interp_pairs, rng)
    if segments:
        log("interpolation")
        tables.append(interpolation_table(segments, priors, protocol))
    description = (f"{split.files} motion files in `{data.name}` at {protocol.fps:g} fps; held out (test): subjects "
                   f"{', '.join(sorted(subjects))} ({len(split.test)} clips, {sum(c.num_frames for c in split.test)} "
                   f"frames); training split: {len(split.train)} clips of the other subjects")
    return BenchResult(tables, {name: specs[name] for name in priors}, notes, description,
                       time.perf_counter() - start)
