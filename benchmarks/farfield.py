"""Far-field variants of Pose-NDF training, compared on a tuning split (never the test subjects).

Each variant trains a reduced prior (``--pairs``, ``--epochs``, the learning rate decayed to
the default's final value) on a dataset whose validation subjects are neither CMU 09 nor 13,
then ``posefield.prior.evaluation.evaluate`` measures it on those validation subjects: separation (AUC),
projection of 15° noise, the far field per distance bin and the false zeros of projected
uniformly random poses. Each run writes its results (json) beside its checkpoint; :func:`table` makes the markdown
table of ``benchmarks/farfield.md``.

    python benchmarks/farfield.py runs/tune16.npz --variant default --variant blend30
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

from posefield.data import PoseDataset
from posefield.prior.evaluation.evaluate import EvalConfig, evaluate
from posefield.prior.ndf.labels import bin_labels
from posefield.prior.ndf.model import NDFConfig
from posefield.prior.ndf.noise import NoiseSchedule
from posefield.prior.ndf.train import TrainConfig, train

FINAL_LR_FACTOR = TrainConfig().lr_decay ** TrainConfig().epochs  # the default schedule's last/first lr

VARIANTS: dict[str, dict] = {  # schedule (and model) changes from the library defaults; results: farfield.md
    "default": {"schedule": {"blend_fraction": 0.0}},  # the schedule shipped before blends
    "blend30": {"schedule": {"blend_fraction": 0.30}},
    "blend50": {"schedule": {"blend_fraction": 0.50, "uniform_fraction": 0.05}},
}


def variant_config(name: str, pairs: int, epochs: int, seed: int) -> TrainConfig:
    """The default :class:`TrainConfig` with variant ``name``'s schedule and model changes."""
    spec = VARIANTS[name]
    base = TrainConfig()
    schedule = dataclasses.replace(NoiseSchedule(), **spec.get("schedule", {}))
    return dataclasses.replace(base, epochs=epochs, seed=seed, lr_decay=FINAL_LR_FACTOR ** (1 / epochs),
                               model=dataclasses.replace(NDFConfig(), **spec.get("model", {})),
                               pairs=dataclasses.replace(base.pairs, num_train=pairs, schedule=schedule, seed=seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path, help="tuning dataset (.npz) whose validation subjects are not the test ones")
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS), required=True)
    parser.add_argument("--pairs", type=int, default=300_000)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=Path, default=Path("runs/farfield"), help="checkpoints and results (json)")
    parser.add_argument("--cache-dir", type=Path, default=Path("runs/pairs-cache"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dataset = PoseDataset.load(args.dataset)
    args.runs.mkdir(parents=True, exist_ok=True)
    for name in args.variant:
        config = variant_config(name, args.pairs, args.epochs, args.seed)
        start = time.perf_counter()
        model = train(dataset, args.runs / f"{name}.pt", config, cache_dir=args.cache_dir, progress=False)
        minutes = (time.perf_counter() - start) / 60
        results = evaluate(model, dataset, EvalConfig(num_poses=1000, far_poses=500))
        results["train_minutes"] = minutes
        (args.runs / f"{name}.json").write_text(json.dumps(results, indent=1))
        print(name, json.dumps({k: round(v, 4) for k, v in results.items() if not k.startswith("angle")}), flush=True)


def table(paths: list[Path]) -> str:
    """A markdown table of the results (json) of several variants."""
    labels = bin_labels(EvalConfig().far_bins)
    head = ["variant", "AUC 5°", "AUC 5° channels", "15° ratio", "far ρ", *[f"rel. err {b}" for b in labels[2:]],
            "random → f<0.05", "random → true d (rad)", "min"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for path in paths:
        r = json.loads(path.read_text())
        rows.append("| " + " | ".join([path.stem, f"{r['auc5']:.4f}", f"{r.get('auc_channels5', float('nan')):.4f}",
                                        f"{r['error_ratio']:.3f}", f"{r['far_spearman']:.3f}",
                                        *[f"{r[f'far_rel_error:{b}']:.3f}" for b in labels[2:]],
                                        f"{100 * r['zeros_reached']:.1f}%", f"{r['zeros_distance']:.3f}",
                                        f"{r['train_minutes']:.1f}"]) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    main()
