"""Where the keypoint regressors' error lies: depth against image plane, chain by chain; prints markdown.

    .venv/bin/python benchmarks/regress_errors.py runs/cmu-asf.npz

Same test scenes as ``posefield bench-regress`` (the validation poses on the held-out people's
own skeletons, seed 2020, every condition). For the shipped flat and HKMR models, in mm over
the regressor's keypoints, root-relative, camera frame:

* MPJPE after each outer iteration;
* the mean error along the viewing axis (|Δz|, depth) and across it (|Δ(x, y)|, which is
  also the MPJPE the estimate would have with its depth taken from the truth: what is left
  once the depth ambiguity of a single view is removed);
* MPJPE per kinematic chain (the keypoints on each chain's joints; the root keypoint, always
  at zero, is left out).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import torch

from posefield.regress.bench import (CONDITIONS, CONDITION_TITLES, BenchConfig, Person, dataset_people, held_out_batch,
                                     shared_keypoints)
from posefield.regress.body import posed_points
from posefield.regress.chains import chain_of_joint
from posefield.regress.checkpoint import model_for
from posefield.regress.model import RegressionModel
from posefield.regress.synthetic import SyntheticConfig
from posefield.regress.train import Batch

MM = 1000.0


def point_chains(model: RegressionModel) -> list[str]:
    """(P,) name of the chain each keypoint lies on (an end site: its bone's chain)."""
    body = model.body
    joints = body.skeleton.num_joints
    owner = chain_of_joint(body.skeleton, body.chains)
    parents = body.extended.parents
    return [body.chains[owner[p if p < joints else parents[p]]].name for p in model.keypoints.tolist()]


def iteration_points(model: RegressionModel, batch: Batch) -> list[torch.Tensor]:
    """(B, P, 3) root-relative keypoints of each outer iteration's estimate, metres."""
    with torch.no_grad():
        estimates = model.regressor(batch.inputs)
        return [posed_points(model.body, e.rotmats(), e.beta)[:, model.keypoints] for e in estimates]


def report(models: dict[str, RegressionModel], people: list[Person]) -> str:
    """The markdown tables of the module docstring."""
    reference = next(iter(models.values()))
    names = shared_keypoints(models)
    chains = point_chains(reference)
    chain_names = list(dict.fromkeys(c for c, p in zip(chains, reference.keypoints.tolist()) if p != 0))
    split = ["| Condition | Model | MPJPE per iteration | depth \\|Δz\\| | image plane \\|Δ(x, y)\\| | "
             + " | ".join(chain_names) + " |", "|---|---|---|---:|---:|" + "---:|" * len(chain_names)]
    for condition in CONDITIONS:
        batch = held_out_batch(people, names, condition, BenchConfig(), SyntheticConfig())
        truth = batch.target.points[:, reference.keypoints]
        for name, model in models.items():
            points = iteration_points(model, batch)
            per_iteration = " → ".join(f"{MM * (p - truth).norm(dim=-1).mean():.1f}" for p in points)
            delta = points[-1] - truth
            depth, plane = MM * delta[..., 2].abs().mean(), MM * delta[..., :2].norm(dim=-1).mean()
            error = delta.norm(dim=-1)
            per_chain = " | ".join(
                f"{MM * error[:, [i for i, c in enumerate(chains) if c == chain and reference.keypoints[i] != 0]].mean():.1f}"
                for chain in chain_names)
            split.append(f"| {CONDITION_TITLES[condition]} | {name} | {per_iteration} | {depth:.1f} | {plane:.1f} | {per_chain} |")
    return "\n".join(split)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="pose dataset (.npz) whose held-out people are tested")
    args = parser.parse_args()
    torch.set_num_threads(1)
    _, people = dataset_people(args.dataset)
    print(report({"flat": model_for("flat", []), "HKMR": model_for("hkmr", [])}, people))


if __name__ == "__main__":
    main()
