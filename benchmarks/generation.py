"""Generated poses of every prior, measured against real poses; prints markdown.

    .venv/bin/python benchmarks/generation.py runs/cmu16.npz --skeleton ../shared/mocap/cmu-asf-amc/09.asf

Draws ``--num`` poses per prior on the skeleton of a held-out subject (``posefield sample``'s
:func:`posefield.fit.sample.sample_poses`; Pose-NDF from both kinds of start, per-limb mixtures of
its exemplars and uniformly random rotations) and measures:

* APD (cm, :func:`posefield.fit.metrics.average_pairwise_distance`): diversity;
* realism in radians: weighted geodesic distance to the nearest training pose of the dataset;
* realism in degrees: RMS angle between bone directions and those of the nearest pose of the
  whole dataset, training and held-out poses (:func:`posefield.fit.metrics.direction_realism`);
* FID (cm²) of root-aligned joint positions against the held-out poses;
* self-penetrating samples (%, capsule body).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from posefield.bench.generation import frechet_distance, pose_features
from posefield.data import PoseDataset
from posefield.data.neighbours import NearestPoses
from posefield.fit.metrics import average_pairwise_distance, direction_realism, realism
from posefield.fit.sample import sample_poses
from posefield.io import load_skeleton
from posefield.mesh.penetration import self_penetration
from posefield.prior.registry import get_prior


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="pose dataset of the rig (its training split: the prior's poses)")
    parser.add_argument("--skeleton", type=Path, required=True, help="skeleton of a held-out subject (.asf/.bvh)")
    parser.add_argument("--prior", action="append", default=None, help="NAME=SPEC; default ndf, vae, gmm, none")
    parser.add_argument("--num", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--reference", type=Path, default=None,
                        help="also the bone-direction realism against every pose of this dataset of the rig "
                             "(issue 20's reference: the CMU clips alone, held-out people included)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    data = PoseDataset.load(args.dataset)
    skeleton = load_skeleton(args.skeleton)
    joints = [int(j) for j in data.joint_index]
    every = skeleton.posed(joints, data.quats)
    other = skeleton.posed(joints, PoseDataset.load(args.reference).quats) if args.reference else None
    held_out = pose_features(skeleton, skeleton.posed(joints, data.split(True).double().numpy()))
    index = NearestPoses(data.split(False))
    specs = dict(p.split("=", 1) for p in args.prior) if args.prior else {k: k for k in ("ndf", "vae", "gmm", "none")}
    rows = ["| prior | APD (cm) | realism (rad) | realism (° bone directions) |"
            + (f" realism (°) against {args.reference.name} |" if other is not None else "")
            + " FID (cm²) | self-penetrating |", "|---|---:|---:|---:|" + ("---:|" if other is not None else "") + "---:|---:|"]
    for name, spec in specs.items():
        prior = get_prior(spec, skeleton)
        for starts in (("mix", "random") if prior.name == "ndf" else ("mix",)):
            motion = sample_poses(prior, skeleton, args.num, seed=args.seed, starts=starts)
            quats = torch.as_tensor(motion.rotations[:, joints], dtype=torch.float32)
            label = f"{name} ({'exemplar mixtures' if starts == 'mix' else 'random starts'}, projected)" \
                if prior.name == "ndf" else name
            rows.append(f"| {label} | {average_pairwise_distance(skeleton, motion.rotations):.1f} | "
                        f"{realism(quats, index):.3f} | {direction_realism(skeleton, motion.rotations, every).mean():.1f} | "
                        + (f"{direction_realism(skeleton, motion.rotations, other).mean():.1f} | " if other is not None else "")
                        + f"{frechet_distance(pose_features(skeleton, motion.rotations), held_out):,.0f} | "
                        f"{100 * self_penetration(motion):.1f}% |")
            print(rows[-1], flush=True)
    print(f"\n{args.num} samples per prior on {args.skeleton.name}; realism against {len(data)} poses "
          f"({int((~data.is_val).sum())} training) of {args.dataset.name}\n")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
