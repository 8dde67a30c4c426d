"""Measuring the applications on held-out motion: ``python -m posefield.fit.benchmark --help``.

Every experiment compares the chosen prior with ``none`` under identical settings:

* denoise: Gaussian noise of σ degrees on every non-root rotation channel (Euler dof);
  root-aligned joint error (cm) of the noisy input, of ``none`` and of the prior; frames/s;
* complete: a group (default ``left_leg``) is unobserved; error (cm) on the points it moves;
* fit2d: the clip seen by a virtual camera (perfect keypoints of every named point);
  root-aligned 3D error (cm) and reprojection error (px);
* sample: APD (cm) and realism (radians to the nearest reference pose);
* interpolate: mean prior energy of the in-between frames, ``ndf`` scheme against slerp.
"""
from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path
from typing import Callable

import numpy as np
import roma
import torch

from posefield.fit.complete import COMPLETE_DEFAULTS, complete
from posefield.fit.points import moved_points
from posefield.fit.denoise import DENOISE_DEFAULTS, denoise
from posefield.fit.fit2d import Fit2DConfig, fit_keypoints
from posefield.fit.interpolate import interpolate, pick_frame
from posefield.fit.keypoints import point_index, project_motion
from posefield.fit.metrics import average_pairwise_distance, realism, root_aligned_error
from posefield.fit.positions import PositionFitConfig
from posefield.fit.sample import sample_poses
from posefield.fit.terms import prior_energy
from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.rotations import channels_to_rotmat, rotmat_to_channels
from posefield.rotations.euler import rotation_order
from posefield.skeleton.groups import resolve_group

CAMERA = np.array([[1000.0, 0.0, 640.0], [0.0, 1000.0, 360.0], [0.0, 0.0, 1.0]])


def add_channel_noise(motion: Motion, sigma_deg: float, seed: int = 0) -> Motion:
    """``motion`` with N(0, σ²) degrees added to every rotation channel of every non-root joint."""
    rng = np.random.default_rng(seed)
    skeleton = motion.skeleton
    rotmats = motion.rotmats()
    for j in range(1, skeleton.num_joints):
        order = rotation_order(skeleton.channels[j])
        if order:
            angles = rotmat_to_channels(rotmats[:, j], order, skeleton.axes[j])
            noisy = angles + rng.normal(0.0, sigma_deg, angles.shape)
            rotmats[:, j] = channels_to_rotmat(noisy, order, skeleton.axes[j])
    quats = roma.rotmat_to_unitquat(torch.as_tensor(rotmats)).numpy()
    return dataclasses.replace(motion, rotations=quats)


def timed(run: Callable[[], Motion]) -> tuple[Motion, float]:
    """The motion ``run`` returns and the seconds it took."""
    start = time.perf_counter()
    out = run()
    return out, time.perf_counter() - start


def denoise_result(clip: Motion, priors: dict[str, PosePrior], sigma_deg: float = 6.0,
                   config: PositionFitConfig = DENOISE_DEFAULTS, seed: int = 0) -> dict[str, float]:
    """Errors (cm) of the noisy clip and of each prior's denoising, and each run's frames/s."""
    noisy = add_channel_noise(clip, sigma_deg, seed)
    out = {"noisy_cm": root_aligned_error(noisy, clip)}
    for name, prior in priors.items():
        result, seconds = timed(lambda: denoise(noisy, prior, config))
        out[f"{name}_cm"] = root_aligned_error(result, clip)
        out[f"{name}_fps"] = clip.num_frames / seconds
    return out


def complete_result(clip: Motion, priors: dict[str, PosePrior], group: str = "left_leg",
                    config: PositionFitConfig = COMPLETE_DEFAULTS) -> dict[str, float]:
    """Errors (cm) on the points the hidden group moves (and on the others) for each prior."""
    hidden = resolve_group(clip.skeleton, group)
    mask = moved_points(clip.skeleton, hidden)
    out = {}
    for name, prior in priors.items():
        result = complete(clip, prior, hidden, config)
        out[f"{name}_hidden_cm"] = root_aligned_error(result, clip, mask)
        out[f"{name}_observed_cm"] = root_aligned_error(result, clip, ~mask)
    return out


def camera_view(motion: Motion, depth: float = 4.0, yaw_deg: float = 30.0) -> Motion:
    """The motion seen by a camera ``depth`` metres in front of its mean position, turned by
    ``yaw_deg`` about the vertical, in camera coordinates (y down, z forward)."""
    turn = roma.rotvec_to_unitquat(torch.tensor([0.0, np.radians(yaw_deg), 0.0], dtype=torch.float64))
    to_camera = roma.quat_product(torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64), turn)
    rotations = motion.rotations.copy()
    rotations[:, 0] = roma.quat_product(to_camera.expand(motion.num_frames, 4), torch.as_tensor(rotations[:, 0])).numpy()
    centred = torch.as_tensor(motion.root_translation - motion.root_translation.mean(axis=0))
    translation = roma.quat_action(to_camera.expand(motion.num_frames, 4), centred).numpy() + [0.0, 0.0, depth]
    return dataclasses.replace(motion, rotations=rotations, root_translation=translation)


def fit2d_result(clip: Motion, priors: dict[str, PosePrior], config: Fit2DConfig = Fit2DConfig()) -> dict[str, float]:
    """Root-aligned 3D error (cm) and reprojection error (px) of fitting each prior to the clip's
    perfect keypoints (every named point of the rig) seen by :func:`camera_view`."""
    truth = camera_view(clip)
    names = list(point_index(clip.skeleton))
    keypoints = project_motion(truth, names, CAMERA)
    out = {}
    for name, prior in priors.items():
        result = fit_keypoints(keypoints, clip.skeleton, prior, config)
        out[f"{name}_3d_cm"] = root_aligned_error(result, truth)
        out[f"{name}_px"] = float(np.abs(project_motion(result, names, CAMERA).pixels - keypoints.pixels).mean())
    return out


def sample_result(priors: dict[str, PosePrior], reference, num: int = 500, seed: int = 0) -> dict[str, float]:
    """APD (cm) and realism (radians; ``reference``: a :class:`NearestPoses` over the prior's joints)."""
    out = {}
    for name, prior in priors.items():
        motion = sample_poses(prior, prior.skeleton, num, seed=seed)
        quats = torch.as_tensor(motion.rotations[:, prior.joint_index], dtype=torch.float32)
        out[f"{name}_apd_cm"] = average_pairwise_distance(prior.skeleton, motion.rotations)
        out[f"{name}_realism_rad"] = realism(quats, reference)
    return out


def interpolate_result(clip: Motion, prior: PosePrior, pairs: int = 10, num_frames: int = 10,
                       gap_s: float = 1.0) -> dict[str, float]:
    """Mean prior energy of the in-between frames of ``pairs`` interpolations between frames
    ``gap_s`` seconds apart, for the projected scheme and for slerp."""
    gap = int(gap_s * clip.fps)
    starts = np.linspace(0, clip.num_frames - gap - 1, pairs).astype(int)
    out = {}
    for method in ("ndf", "slerp"):
        energies = []
        for s in starts:
            path = interpolate(pick_frame(clip, s), pick_frame(clip, s + gap), num_frames, prior, method)
            energies.append(prior_energy(prior, torch.as_tensor(path.rotations[1:-1], dtype=torch.float32)).mean())
        out[f"{method}_energy"] = float(torch.stack(energies).mean())
    return out


def main(argv: list[str] | None = None) -> None:
    """Run the experiments on held-out clips and print one markdown table row per clip."""
    from posefield.data.dataset import PoseDataset
    from posefield.data.neighbours import NearestPoses
    from posefield.io import load_motion
    from posefield.prior.registry import get_prior

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="+", type=Path, help="held-out motion files")
    parser.add_argument("--prior", default="ndf", help="prior spec (see posefield.prior.registry.get_prior)")
    parser.add_argument("--frames", type=int, default=1000, help="frames used from the start of each clip")
    parser.add_argument("--experiments", default="denoise,complete,fit2d,sample,interpolate")
    parser.add_argument("--reference", type=Path, help="pose dataset (.npz) for realism; its validation split")
    parser.add_argument("--fit2d-frames", type=int, default=60, help="frames of each clip fitted in 2D")
    args = parser.parse_args(argv)
    experiments = args.experiments.split(",")
    for path in args.clips:
        clip = load_motion(path).slice(slice(0, args.frames))
        priors = {"none": get_prior("none", clip.skeleton), "prior": get_prior(args.prior, clip.skeleton)}
        print(f"## {path.name}: {clip.num_frames} frames at {clip.fps:g} fps, torch threads {torch.get_num_threads()}")
        if "denoise" in experiments:
            print("denoise", _fmt(denoise_result(clip, priors)))
        if "complete" in experiments:
            for group in ("left_leg", "left_arm_hand", "right_shoulder_upper_arm"):
                print(f"complete {group}", _fmt(complete_result(clip, priors, group)))
        if "fit2d" in experiments:
            print("fit2d", _fmt(fit2d_result(clip.slice(slice(0, args.fit2d_frames)), priors)))
        if "interpolate" in experiments:
            print("interpolate", _fmt(interpolate_result(clip, priors["prior"])))
    if "sample" in experiments and args.reference is not None:
        data = PoseDataset.load(args.reference)
        reference = NearestPoses(data.split(True) if data.is_val.any() else data.split(False))
        priors = {"none": get_prior("none", data.skeleton), "prior": get_prior(args.prior, data.skeleton)}
        print("sample", _fmt(sample_result(priors, reference)))


def _fmt(values: dict[str, float]) -> str:
    return " | ".join(f"{k} {v:.3f}" for k, v in values.items())


if __name__ == "__main__":
    main()
