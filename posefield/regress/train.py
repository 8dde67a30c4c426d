"""Training a regressor on synthetic keypoints of a pose dataset, on the CPU or one GPU.

Every step draws fresh scenes from the training poses (:mod:`posefield.regress.synthetic`),
runs the regressor and backpropagates the loss of :mod:`posefield.regress.losses` summed over
all outer iterations. Adam, learning rate decaying along a half cosine to 5 %. Every draw
comes from one generator seeded by ``seed`` (weights are initialised from ``seed`` too), so
a run is reproducible on the same machine and thread count. Scenes are drawn on the CPU
(the same draws on any device) and moved to the training device with the network, the
body it poses and the prior.

Training is resumable: at every validation the run hands its full state (the
:func:`posefield.resume.resume_state` counting steps, with the scene generators, plus float32
weights and seconds; :func:`training_state`) to a ``checkpoint`` callback, and a run started
from such a state continues exactly where it stopped, with the same draws and updates as one
that never stopped.

Under torchrun (:class:`posefield.devices.Distributed`, ``WORLD_SIZE`` > 1) every process draws
an equal share of each step's ``batch_size`` scenes from its own generator (rank 0's is the
single-process one), :class:`~torch.nn.parallel.DistributedDataParallel` averages the
gradients, and rank 0 validates and checkpoints, with every process's generator state, so a
job resumes with the same number of processes.
"""
from __future__ import annotations

import dataclasses
import math
import time
from typing import Callable

import roma
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from posefield.devices import Distributed
from posefield.errors import PosefieldError
from posefield.prior.base import PosePrior
from posefield.regress.body import Body, posed_points
from posefield.regress.camera import Crop, translation_to_camera
from posefield.regress.encoder import keypoint_inputs
from posefield.regress.losses import RegressLossWeights, Target, regression_loss
from posefield.regress.metrics import mpjpe
from posefield.regress.model import RegressionModel
from posefield.regress.params import Estimate, rotmat_to_rot6d
from posefield.regress.synthetic import (CAMERA_FLIP, Observation, Scene, SyntheticConfig, observe, random_kinds,
                                         sample_scenes)
from posefield.resume import restore, resume_state

VALIDATION_SAMPLES = 512
RANK_SEED_STRIDE = 1_000_003  # process r draws its scenes from seed + r · stride


@dataclasses.dataclass(frozen=True)
class RegressTrainConfig:
    """Everything that determines a training run besides the architecture.

    Attributes:
        steps: optimiser steps.
        batch_size: scenes per step.
        lr: initial Adam learning rate.
        seed: seed of initialisation and of every random draw.
        log_every: steps between validation measurements.
        max_minutes: stop after this much training time in this run, even before ``steps``
            (``None``: never); a resumed run counts afresh.
        weights: loss weights.
        synthetic: scene and detector ranges.
    """

    steps: int = 3000
    batch_size: int = 256
    lr: float = 1e-3
    seed: int = 0
    log_every: int = 250
    max_minutes: float | None = None
    weights: RegressLossWeights = RegressLossWeights()
    synthetic: SyntheticConfig = SyntheticConfig()


@dataclasses.dataclass
class Batch:
    """A synthetic batch ready for the regressor: encoder ``inputs`` (B, P, 3), ``crop``,
    ground truth ``target``, the ``scene`` and its ``observation``."""

    inputs: torch.Tensor
    crop: Crop
    target: Target
    scene: Scene
    observation: Observation


def moved(obj, device: torch.device | str):
    """A copy of dataclass ``obj`` whose tensor fields, in nested dataclasses too, are on ``device``."""
    changes = {}
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        if isinstance(value, torch.Tensor):
            changes[field.name] = value.to(device)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            changes[field.name] = moved(value, device)
    return dataclasses.replace(obj, **changes)


def synthetic_batch(body: Body, keypoints: torch.Tensor, poses: torch.Tensor, kinds: torch.Tensor,
                    config: SyntheticConfig, generator: torch.Generator) -> Batch:
    """Scenes of ``poses`` (B, R − 1, 4) on ``body`` whose (P,) ``keypoints`` (rows of its joints
    and end sites) are observed, with occluders of ``kinds`` (B,)."""
    scene = sample_scenes(body, poses, config, generator)
    observation = observe(scene, keypoints, kinds, config, generator)
    inputs, crop = keypoint_inputs(observation.pixels, observation.confidence, scene.intrinsics)
    target = Target(scene.rotmats, scene.beta, translation_to_camera(scene.translation, crop), scene.points)
    return Batch(inputs, crop, target, scene, observation)


def batch_loss(model: RegressionModel, batch: Batch, weights: RegressLossWeights,
               prior: PosePrior | None) -> tuple[torch.Tensor, dict[str, float]]:
    """The training objective on one batch."""
    estimates = model.regressor(batch.inputs)
    return regression_loss(estimates, batch.target, model.body, model.keypoints, batch.inputs[..., :2],
                           batch.observation.visible, batch.crop, weights, prior)


def initial_parameters(model: RegressionModel, poses: torch.Tensor, config: SyntheticConfig,
                       generator: torch.Generator) -> None:
    """Set the regressor's start to the mean parameters: the mean rotation of each joint over
    ``poses`` (projected onto rotations), an upright root facing the camera (rigs face +z at rest), the
    mean camera of a synthetic batch and average proportions (β = 0)."""
    mean = roma.special_procrustes(roma.unitquat_to_rotmat(poses.float()).mean(dim=0))
    rotmats = torch.cat([CAMERA_FLIP[None], mean])[None]
    sample = poses[torch.randint(len(poses), (1024,), generator=generator)]
    kinds = torch.zeros(len(sample), dtype=torch.long)
    batch = synthetic_batch(model.body, model.keypoints, sample, kinds, config, generator)
    camera = batch.target.camera.mean(dim=0, keepdim=True)
    layout = model.regressor.layout
    theta = layout.pack(Estimate(rotmat_to_rot6d(rotmats), camera, torch.zeros(1, len(model.body.chains))))
    model.regressor.initial_theta.copy_(theta[0])
    model.regressor.initial_beta.zero_()


def validation_error(model: RegressionModel, batch: Batch) -> float:
    """Mean MPJPE (mm) of the last estimate over the observed points of ``batch``."""
    with torch.no_grad():
        estimate = model.regressor(batch.inputs)[-1]
        points = posed_points(model.body, estimate.rotmats(), estimate.beta)
        return float(mpjpe(points[:, model.keypoints], batch.target.points[:, model.keypoints]).mean())


def cosine_schedule(steps: int) -> Callable[[int], float]:
    """Learning-rate factor at step i: from 1 down to 0.05 along a half cosine."""
    return lambda i: 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(i, steps) / max(steps, 1)))


# a regressor's resume state written before the shared scheme: its keys -> the scheme's
LEGACY_RESUME_KEYS = {"optimiser": "optimizer", "schedule": "scheduler"}


def training_state(model: RegressionModel, optimiser: torch.optim.Optimizer, schedule: torch.optim.lr_scheduler.LRScheduler,
                   generators: list[torch.Tensor], step: int, seconds: float, history: list[dict],
                   device: torch.device | str) -> dict:
    """Everything a run needs to continue after ``step``: the :func:`posefield.resume.resume_state`
    (``step``, optimiser, schedule, validation ``history``, random state and the scene
    ``generators``' states, one per process), float32 ``weights`` (the saved model is half
    precision) and training ``seconds`` so far (tensors on the CPU)."""
    return {**resume_state(optimiser, schedule, history, "step", step, device, generators),
            "seconds": round(seconds, 1),
            "weights": {k: v.detach().cpu().clone() for k, v in model.regressor.state_dict().items()}}


def current_keys(state: dict) -> dict:
    """A :func:`training_state`, its keys renamed from those written before the shared scheme."""
    return {LEGACY_RESUME_KEYS.get(k, k): v for k, v in state.items()}


def generator_states(generator: torch.Generator, ddp: Distributed) -> list[torch.Tensor]:
    """Every process's generator state, in rank order (a collective call under DDP)."""
    if ddp.world == 1:
        return [generator.get_state()]
    states: list[torch.Tensor | None] = [None] * ddp.world
    dist.all_gather_object(states, generator.get_state())
    return states


def any_process(flag: bool, ddp: Distributed, device: torch.device | str) -> bool:
    """Whether ``flag`` holds in any process (a collective call under DDP), so all stop together."""
    if ddp.world == 1:
        return flag
    value = torch.tensor([float(flag)], device=device)
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def train_model(model: RegressionModel, train_poses: torch.Tensor, val_poses: torch.Tensor, config: RegressTrainConfig,
                prior: PosePrior | None = None, progress: Callable[[int, dict], None] | None = None,
                device: torch.device | str = "cpu", resume: dict | None = None,
                checkpoint: Callable[[dict], None] | None = None, ddp: Distributed = Distributed()) -> dict:
    """Train ``model`` in place (its network is back on the CPU at the end).

    Args:
        model: a model from :func:`posefield.regress.model.build_model`.
        train_poses: (N, R − 1, 4) training poses (quaternions of the rotating non-root joints).
        val_poses: (M, R − 1, 4) validation poses (fixed synthetic scenes of these are measured).
        config: the run's settings (those of the interrupted run when resuming).
        prior: optional pose prior for the prior term (moved to ``device``).
        progress: called as ``progress(step, record)`` after each validation.
        device: where the network, the loss and the prior run (``"cpu"``, ``"cuda"``, ...).
        resume: a :func:`training_state` to continue from (``None``: a fresh start).
        checkpoint: called after each validation with the training record so far, whose
            ``resume`` entry is the :func:`training_state` (absent once every step is done);
            under DDP, pass it on every process alike (rank 0 calls it).
        ddp: this process's place in a torchrun job (its process group already joined);
            ``progress`` and ``checkpoint`` are called on rank 0 only.
    Returns:
        The training record: settings, measured seconds and the validation history (complete
        on rank 0).
    """
    if config.batch_size % ddp.world:
        raise PosefieldError(f"a batch of {config.batch_size} scenes cannot be shared evenly by {ddp.world} "
                             "processes; make --batch-size a multiple of their number")
    if resume is not None and len(resume["generators"]) != ddp.world:
        raise PosefieldError(f"the run was saved by {len(resume['generators'])} process(es); resume it with as "
                             f"many, not {ddp.world}")
    generator = torch.Generator().manual_seed(config.seed + RANK_SEED_STRIDE * ddp.rank)
    share = config.batch_size // ddp.world  # DDP's mean of the processes' mean losses is the batch's mean
    if resume is None:
        initial_parameters(model, train_poses, config.synthetic, generator)
    else:
        model.regressor.load_state_dict(resume["weights"])
    val_generator = torch.Generator().manual_seed(config.seed + 1)
    val_index = torch.randint(len(val_poses), (VALIDATION_SAMPLES,), generator=val_generator)
    val_kinds = random_kinds(VALIDATION_SAMPLES, config.synthetic.occluder_prob, val_generator)
    val_batch = moved(synthetic_batch(model.body, model.keypoints, val_poses[val_index], val_kinds, config.synthetic,
                                       val_generator), device)
    model.regressor.to(device)
    measured = moved(model, device)  # shares the network; body and keypoint rows on the device
    trained = dataclasses.replace(measured, regressor=DistributedDataParallel(model.regressor)) if ddp.world > 1 \
        else measured
    prior = prior.to(device) if prior is not None else None
    optimiser = torch.optim.Adam(model.regressor.parameters(), lr=config.lr)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, cosine_schedule(config.steps))
    done, history, generators = restore(optimiser, schedule, None if resume is None else current_keys(resume),
                                        "step", device)
    if resume is not None:
        generator.set_state(generators[ddp.rank])
    first, earlier = done + 1, 0.0 if resume is None else resume["seconds"]

    def record_of(step: int) -> dict:
        """The record after ``step`` (collective under DDP while steps remain)."""
        seconds = earlier + time.perf_counter() - start
        record = {"config": dataclasses.asdict(config), "prior": prior.name if prior is not None else "none",
                  "steps_done": step, "seconds": round(seconds, 1), "history": list(history), "processes": ddp.world}
        if step < config.steps:
            record["resume"] = training_state(model, optimiser, schedule, generator_states(generator, ddp), step,
                                              seconds, history, device)
        return record

    start = time.perf_counter()
    step = first - 1
    for step in range(first, config.steps + 1):
        model.regressor.train()
        index = torch.randint(len(train_poses), (share,), generator=generator)
        kinds = random_kinds(share, config.synthetic.occluder_prob, generator)
        batch = moved(synthetic_batch(model.body, model.keypoints, train_poses[index], kinds, config.synthetic,
                                       generator), device)
        loss, terms = batch_loss(trained, batch, config.weights, prior)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        out_of_time = any_process(config.max_minutes is not None
                                  and time.perf_counter() - start > 60 * config.max_minutes, ddp, device)
        if step % config.log_every == 0 or step == config.steps or out_of_time:
            model.regressor.eval()
            if ddp.rank == 0:
                history.append({"step": step, "seconds": round(earlier + time.perf_counter() - start, 1),
                                "loss": float(loss.detach()), **terms,
                                "val_mpjpe_mm": validation_error(measured, val_batch)})
            if checkpoint is not None:
                record = record_of(step)  # on every process: collective under DDP
                if ddp.rank == 0:
                    checkpoint(record)
            if ddp.rank == 0 and progress is not None:
                progress(step, history[-1])
        if out_of_time:
            break
    model.regressor.eval()
    final = record_of(step)
    model.regressor.cpu()
    return final
