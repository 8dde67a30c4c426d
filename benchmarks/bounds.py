"""What the training poses allow: reference bounds for the projection and denoising targets; prints markdown.

    .venv/bin/python benchmarks/bounds.py projection runs/cmu-asf.npz
    .venv/bin/python benchmarks/bounds.py denoise runs/cmu-asf.npz ../shared/mocap/cmu-asf-amc/09_12.amc ...

``projection``: 2,000 held-out poses with 15° noise per dof (the seed and draw of
``posefield prior eval``). Replaces each noisy pose by its exact nearest training pose under
several joint weightings, by its nearest pose among the training poses and their mirror
images, and chain by chain (each kinematic chain from the training pose nearest on that
chain: the manifold widened to every mix of limbs), and gives the nearest training pose of
the clean pose itself (no noise: the best that any pose of the set can do).

``denoise``: 240-frame windows (every third) of held-out clips with 6° on every non-root
channel, denoised with the default settings and four priors whose energy is a distance
(radians, the Pose-NDF joint weights): the shipped field, the exact distance to the nearest
training pose (what a field that reproduced its labels would be), and the distance to the
nearest of the window's own clean poses (an oracle that knows the answer), the last two also
at 4 × the prior weight.
"""
from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import numpy as np
import torch

from posefield.data.noise import add_channel_noise
from posefield.data import PoseDataset
from posefield.data.mirror import with_mirrored_training
from posefield.fit.denoise import DENOISE_DEFAULTS, denoise
from posefield.fit.metrics import per_frame_error
from posefield.io import load_motion
from posefield.prior.base import PosePrior
from posefield.prior.evaluation.evaluate import EvalConfig, pose_position_error
from posefield.prior.ndf.labels import exact_nearest
from posefield.prior.ndf.noise import perturb
from posefield.prior.ndf.projection import project
from posefield.prior.registry import get_prior
from posefield.regress.chains import kinematic_chains
from posefield.skeleton import Skeleton


def outer_embedding(quats: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """(..., K, 4) -> (..., 16 K): √w_k vec(q_k q_kᵀ), so that 2 Σ w − 2 e(q)·e(p) = Σ 2 w_k (1 − (q_k·p_k)²)."""
    return (weights.sqrt()[:, None, None] * quats[..., :, None] * quats[..., None, :]).flatten(-3)


class NearestPose(PosePrior):
    """Distance (radians, √(Σ 2 w_k sin²(θ_k/2)) ≈ the weighted geodesic one) to the nearest of a pose set."""

    name = "nearest"
    energy_is_distance = True

    def __init__(self, skeleton: Skeleton, joint_index: list[int], weights: torch.Tensor, poses: torch.Tensor):
        super().__init__()
        self.skeleton, self.joint_index = skeleton, joint_index
        self.weights, self.poses = weights.float(), poses.float()
        self.embedded = outer_embedding(self.poses, self.weights)

    def energy(self, quats: torch.Tensor) -> torch.Tensor:
        q = quats.float()
        with torch.no_grad():
            nearest = self.poses[(outer_embedding(q, self.weights) @ self.embedded.T).argmax(dim=1)]
        squared = (2 * self.weights * (1 - (q * nearest).sum(-1).square()).clamp(min=0)).sum(-1)
        return (squared + 1e-12).sqrt().to(quats.dtype)


def projection_bounds(dataset: PoseDataset) -> list[str]:
    prior = get_prior("ndf", dataset.skeleton)
    config = EvalConfig()
    generator = torch.Generator().manual_seed(config.seed)
    val, train = dataset.split(True), dataset.split(False)
    real = val[torch.randperm(len(val), generator=generator)[: config.num_poses]]
    noisy = perturb(real, config.projection_noise_deg, generator)
    w = prior.weights.float()

    def error(poses: torch.Tensor) -> float:
        return float(pose_position_error(dataset.skeleton, prior.joint_index, poses, real).mean())

    def nearest(pool: torch.Tensor, queries: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
        return pool[exact_nearest(pool, queries, weights)[1]]

    def per_chain(pool: torch.Tensor, queries: torch.Tensor) -> torch.Tensor:
        out = queries.clone()
        column = {j: k for k, j in enumerate(prior.joint_index)}
        for chain in kinematic_chains(dataset.skeleton):
            ks = [column[j] for j in chain.joints if j in column]
            if ks:
                out[:, ks] = nearest(pool[:, ks], queries[:, ks], w[ks])
        return out

    before = error(noisy)
    mirrored = with_mirrored_training(dataset).split(False)
    rows = [f"{len(real)} held-out poses, 15° per dof: root-aligned joint error {1000 * before:.1f} mm.", "",
            "| replace each pose by | joint error (mm) | / noisy |", "|---|---:|---:|"]
    projected = project(prior, noisy, max_steps=config.max_steps, tol=config.tol, method=config.method).quats.detach()
    candidates = {
        "its projection by the shipped field": projected,
        "nearest training pose of the noisy pose (subtree weights, the prior's)": nearest(train, noisy, w),
        "the same, uniform weights": nearest(train, noisy, torch.full_like(w, float(w.mean()))),
        "the same, √ subtree weights": nearest(train, noisy, w.sqrt()),
        "the same, squared subtree weights": nearest(train, noisy, w.square()),
        "nearest of the training poses and their mirror images": nearest(mirrored, noisy, w),
        "chain by chain, nearest training chain of the noisy pose": per_chain(train, noisy),
        "nearest training pose of the clean pose (no noise)": nearest(train, real, w),
        "chain by chain, nearest training chain of the clean pose": per_chain(train, real),
    }
    rows += [f"| {name} | {1000 * error(poses):.1f} | {error(poses) / before:.3f} |" for name, poses in candidates.items()]
    return rows


def denoise_bounds(dataset: PoseDataset, clips: list[Path]) -> list[str]:
    strong = dataclasses.replace(DENOISE_DEFAULTS, prior_weight=4 * DENOISE_DEFAULTS.prior_weight)
    names = ("none", "ndf", "nearest training pose", "nearest training pose, 4 × weight",
             "oracle: nearest own clean pose", "oracle, 4 × weight")
    errors: dict[str, list[float]] = {name: [] for name in names}
    for path in clips:
        motion = load_motion(path)
        ndf = get_prior("ndf", motion.skeleton)
        train = NearestPose(motion.skeleton, ndf.joint_index, ndf.weights, dataset.split(False))
        for start in range(0, motion.num_frames - 240 + 1, 720):
            window = motion.slice(slice(start, start + 240))
            noisy = add_channel_noise(window, 6.0, seed=start)
            oracle = NearestPose(motion.skeleton, ndf.joint_index, ndf.weights,
                                 torch.as_tensor(window.rotations)[:, ndf.joint_index])
            priors = (get_prior("none", motion.skeleton), ndf, train, train, oracle, oracle)
            configs = (DENOISE_DEFAULTS,) * 3 + (strong, DENOISE_DEFAULTS, strong)
            for name, prior, config in zip(names, priors, configs):
                errors[name].append(float(per_frame_error(denoise(noisy, prior, config), window).mean()))
    mean = {name: float(np.mean(v)) for name, v in errors.items()}
    rows = [f"{len(errors['none'])} windows of 240 frames from {', '.join(p.stem for p in clips)}.", "",
            "| prior | error (mm) | / none |", "|---|---:|---:|"]
    return rows + [f"| {name} | {mean[name]:.2f} | {mean[name] / mean['none']:.3f} |" for name in names]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("projection", "denoise"))
    parser.add_argument("dataset", type=Path, help="the prior's pose dataset (its training split is the pose set)")
    parser.add_argument("clips", nargs="*", type=Path, help="held-out motion files (denoise)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    dataset = PoseDataset.load(args.dataset)
    rows = projection_bounds(dataset) if args.what == "projection" else denoise_bounds(dataset, args.clips)
    print("\n".join(rows))


if __name__ == "__main__":
    main()
