"""The jobs of the keypoint regressors: ``posefield regress``, ``regress-train`` and ``bench-regress``."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

import torch

from posefield.data.dataset import PoseDataset
from posefield.devices import Distributed, distributed_device
from posefield.errors import CheckpointError, MotionFormatError, SkeletonMismatchError
from posefield.fit.keypoints import load_keypoints
from posefield.io.atomic import atomic_open
from posefield.io.files import motion_output, native_suffix
from posefield.io.formats import save_motion
from posefield.io.outputs import check_output
from posefield.prior.registry import get_prior, prior_or_none
from posefield.regress.bench import BenchConfig, bench_dataset, regress_report
from posefield.regress.checkpoint import model_for, model_from_checkpoint, read_regressor_checkpoint, save_model
from posefield.regress.model import RegressionModel, build_model
from posefield.regress.points import default_keypoints
from posefield.regress.predict import regress_keypoints
from posefield.regress.refine import refine_motion
from posefield.regress.regressor import RegressorConfig, parameter_count
from posefield.regress.synthetic import check_poses
from posefield.regress.train import RegressTrainConfig, train_model
from posefield.settings import settings_from_dict


def regress_file(keypoints: Path, out: Path, model: str = "hkmr", refine: bool = False,
                 prior: str = "ndf") -> list[Path]:
    """Regress the keypoint file with the model ``model`` names (``hkmr``, ``flat``, a shipped
    name or a checkpoint path), optionally refine (HKMR_MF), and write the motion and its
    proportioned skeleton (``OUT.asf`` beside an ``OUT.amc``)."""
    data = load_keypoints(keypoints)
    regressor = model_for(model, data.joint_names)
    # the skeleton written is proportioned to the keypoints: its .asf is checked when it is written
    target = motion_output(out, native_suffix(regressor.body.skeleton), [keypoints])
    motion = regress_keypoints(regressor, data, keypoints)
    if refine:
        motion = refine_motion(motion, data, get_prior(prior, motion.skeleton), path=keypoints)
    return save_motion(motion, target)


def train_file(dataset: Path, out: Path, architecture: RegressorConfig, config: RegressTrainConfig, prior: str = "ndf",
               keypoints: list[str] | None = None, command: str = "",
               notify: Callable[[str], None] = print, device: str = "cpu", resume: bool = False) -> dict:
    """Train a regressor on the pose dataset's training subjects (on ``device``) and save it to
    ``out`` (.pt) after every validation, so an interrupted run can go on. Under torchrun the
    processes share each step's scenes (:func:`posefield.regress.train.train_model`) and rank 0
    writes.

    With ``resume``, the run saved in ``out`` continues where it stopped, with its own
    architecture, settings, keypoints and prior (``architecture``, ``config``, ``prior`` and
    ``keypoints`` are not used; only ``config.max_minutes`` applies to the new run).

    Returns:
        The training record stored in the checkpoint (with the ``command`` that ran it).
    """
    if out.suffix.lower() != ".pt":
        raise CheckpointError(f"{out}: a regressor checkpoint must end in .pt")
    with distributed_device(device) as (dev, ddp):
        return _train_file(dataset, out, architecture, config, prior, keypoints, command,
                           notify if ddp.rank == 0 else (lambda _: None), dev, ddp, resume)


def _train_file(dataset: Path, out: Path, architecture: RegressorConfig, config: RegressTrainConfig, prior: str,
                keypoints: list[str] | None, command: str, notify: Callable[[str], None], device: torch.device,
                ddp: Distributed, resume: bool) -> dict:
    data = PoseDataset.load(dataset)
    if resume:
        model, config, prior, state, kept = resumed_run(out, config.max_minutes)
        if model.body.skeleton.signature() != data.skeleton.signature():
            raise SkeletonMismatchError(f"{dataset}: the dataset's skeleton is not the one {out} was trained on")
        kept["resumed_by"] = [*kept.get("resumed_by", []), command]
        notify(f"resuming {out} after step {state['step']} of {config.steps}")
    else:
        torch.manual_seed(config.seed)
        model = build_model(data.skeleton, keypoints or default_keypoints(data.skeleton), architecture)
        state, kept = None, {"command": command}
    check_poses(model.body, list(data.joint_index))
    train, val = data.split(False), data.split(True)
    if len(train) == 0 or len(val) == 0:
        raise MotionFormatError(dataset, "the dataset needs training and validation poses")
    model_prior = prior_or_none(prior, data.skeleton, notify)
    notify(f"{model.kind}: {parameter_count(model.regressor)} parameters "
           f"({model.regressor.regressor_size()} in the regressor); {len(train)} training poses, {len(val)} validation")
    extra = {**kept, "dataset": dataset.name, "architecture": dataclasses.asdict(model.regressor.config),
             "parameters": parameter_count(model.regressor), "prior_spec": prior}
    record = train_model(model, train, val, config, None if model_prior.name == "none" else model_prior,
                         lambda step, r: notify(f"step {step}: loss {r['loss']:.4f}, validation MPJPE "
                                                f"{r['val_mpjpe_mm']:.1f} mm ({r['seconds']:.0f} s)"),
                         device, state, lambda progress: save_model(out, model, {**progress, **extra}), ddp)
    record.update(extra)
    if ddp.rank == 0:
        save_model(out, model, record)
    if "resume" in record:
        notify(f"stopped after step {record['steps_done']} of {config.steps}; --resume goes on")
    return record


def resumed_run(out: Path, max_minutes: float | None) -> tuple[RegressionModel, RegressTrainConfig, str, dict, dict]:
    """The model, settings (with this run's ``max_minutes``), prior spec and
    :func:`~posefield.regress.train.training_state` of the interrupted run saved in ``out``, and
    the commands that ran it; raises :class:`CheckpointError` (one line) when it holds none."""
    data = read_regressor_checkpoint(out)
    training = data.get("training", {})
    state = training.get("resume")
    if state is None:
        done = training.get("steps_done")
        raise CheckpointError(f"{out}: nothing to resume" + (f" (all {done} steps are done)" if done else
                                                             " (no interrupted training run in it)"))
    model = model_from_checkpoint(data, out)
    config = dataclasses.replace(settings_from_dict(RegressTrainConfig, training["config"]), max_minutes=max_minutes)
    kept = {k: v for k, v in training.items() if k in ("command", "resumed_by")}
    return model, config, training.get("prior_spec", training.get("prior", "none")), state, kept


def bench_file(dataset: Path, out: Path, hkmr: str = "hkmr", flat: str = "flat", prior: str = "ndf",
               refine: bool = True, config: BenchConfig = BenchConfig(), command: str = "",
               notify: Callable[[str], None] = print) -> str:
    """Benchmark the two regressors (and, with ``refine``, HKMR_MF) on the dataset's validation
    subjects (:func:`posefield.regress.bench.bench_dataset`) and write the markdown report, which
    names the ``command`` that ran it, to ``out`` (.md, checked before the work); returns the report."""
    check_output(out, [dataset], (".md",), "report")
    report = regress_report(bench_dataset(dataset, hkmr, flat, prior, refine, config, notify), config, command)
    with atomic_open(out) as handle:
        handle.write(report)
    return report
