"""The benchmark's experiments, each run for every prior under identical settings.

Every function takes ``priors`` (name -> prior) and returns plain numbers per prior; errors are
root-aligned distances over the skeleton's joints and end sites, in millimetres.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from posefield.bench.generation import frechet_distance, pose_features
from posefield.data.neighbours import NearestPoses
from posefield.data.noise import add_channel_noise
from posefield.fit.complete import COMPLETE_DEFAULTS, complete
from posefield.fit.denoise import DENOISE_DEFAULTS, denoise
from posefield.fit.fit2d import Fit2DConfig, fit_keypoints
from posefield.fit.interpolate import interpolate, pick_frame
from posefield.fit.keypoints import CAMERA, camera_keypoints, camera_view, point_index
from posefield.fit.metrics import average_pairwise_distance, per_frame_error, per_point_error, realism
from posefield.fit.points import moved_points
from posefield.fit.positions import PositionFitConfig
from posefield.fit.sample import sample_poses
from posefield.fit.terms import prior_energy
from posefield.mesh import self_penetration
from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.skeleton import Skeleton
from posefield.skeleton.groups import resolve_group

def denoise_errors(clip: Motion, priors: dict[str, PosePrior], sigma_deg: float,
                   config: PositionFitConfig = DENOISE_DEFAULTS, seed: int = 0) -> dict[str, np.ndarray]:
    """(T,) per-frame errors (mm) of the noisy clip (key ``noisy``) and of each prior's denoising."""
    noisy = add_channel_noise(clip, sigma_deg, seed)
    out = {"noisy": per_frame_error(noisy, clip)}
    for name, prior in priors.items():
        out[name] = per_frame_error(denoise(noisy, prior, config), clip)
    return out


def complete_errors(clip: Motion, priors: dict[str, PosePrior], group: str,
                    config: PositionFitConfig = COMPLETE_DEFAULTS) -> dict[str, float]:
    """Mean error (mm) on the points the hidden ``group`` moves, per prior."""
    hidden = resolve_group(clip.skeleton, group)
    mask = moved_points(clip.skeleton, hidden)
    return {name: float(per_point_error(complete(clip, prior, hidden, config), clip)[:, mask].mean())
            for name, prior in priors.items()}


def fit2d_errors(clip: Motion, priors: dict[str, PosePrior], yaw_deg: float, depth: float, pixel_noise: float,
                 seed: int = 0, config: Fit2DConfig = Fit2DConfig()) -> dict[str, float]:
    """Root-aligned 3D error (mm) of fitting each prior to the keypoints of every named point of
    the clip seen by :func:`camera_view` (``yaw_deg``, ``depth`` metres) with N(0, ``pixel_noise``²) px noise."""
    truth = camera_view(clip, depth, yaw_deg)
    keypoints = camera_keypoints(truth, list(point_index(clip.skeleton)), CAMERA)
    rng = np.random.default_rng(seed)
    noisy = dataclasses.replace(keypoints, pixels=keypoints.pixels + rng.normal(0.0, pixel_noise, keypoints.pixels.shape))
    return {name: float(per_frame_error(fit_keypoints(noisy, clip.skeleton, prior, config), truth).mean())
            for name, prior in priors.items()}


def sample_metrics(priors: dict[str, PosePrior], skeleton: Skeleton, reference: NearestPoses,
                   real_features: np.ndarray, num: int, seed: int = 0) -> dict[str, dict[str, float]]:
    """Per prior, of ``num`` poses generated on ``skeleton`` (:func:`posefield.fit.sample.sample_poses`): APD (cm), realism (radians to the
    nearest ``reference`` pose over ``skeleton.rotation_joints()``), FID against ``real_features``
    (:func:`pose_features` of real poses on ``skeleton``; cm²) and the share of samples with
    self-penetrating limbs (%)."""
    out = {}
    for name, prior in priors.items():
        motion = sample_poses(prior, skeleton, num, seed=seed)
        quats = torch.as_tensor(motion.rotations[:, skeleton.rotation_joints()], dtype=torch.float32)
        out[name] = {"apd_cm": average_pairwise_distance(skeleton, motion.rotations),
                     "realism_rad": realism(quats, reference),
                     "fid": frechet_distance(pose_features(skeleton, motion.rotations), real_features),
                     "penetration_pct": 100 * self_penetration(motion)}
    return out


def interpolation_metrics(segments: list[Motion], priors: dict[str, PosePrior],
                          ndf: PosePrior | None) -> dict[str, dict[str, float]]:
    """Per prior, interpolating from the first to the last frame of each real segment with its
    projected scheme (``vae``: along its latent space, as VPoser does; ``none``: slerp): mean error (mm) of the in-between frames against the real
    ones and, given the ``ndf`` prior, its mean distance (energy) of the in-between poses."""
    out = {}
    for name, prior in priors.items():
        method = {"none": "slerp", "vae": "latent"}.get(prior.name, "ndf")
        errors, distances = [], []
        for real in segments:
            path = interpolate(pick_frame(real, 0), pick_frame(real, -1), real.num_frames, prior, method)
            errors.append(per_frame_error(path, real)[1:-1].mean())
            if ndf is not None:
                inner = torch.as_tensor(path.rotations[1:-1], dtype=torch.float32)
                with torch.no_grad():
                    distances.append(float(prior_energy(ndf, inner).mean()))
        out[name] = {"error_mm": float(np.mean(errors)),
                     "ndf_distance": float(np.mean(distances)) if distances else float("nan")}
    return out
