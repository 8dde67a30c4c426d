"""Training a Pose-NDF prior on a :class:`PoseDataset`, on the CPU, one GPU or many (DDP).

Single process: ``posefield prior train poses.npz -o prior.pt``. Several processes (GPUs, or
CPU processes with the gloo backend) are launched by torchrun, which sets ``WORLD_SIZE``::

    torchrun --standalone --nproc_per_node=4 -m posefield.cli prior train poses.npz -o prior.pt --device cuda

With ``WORLD_SIZE`` > 1 each process trains on its :class:`DistributedSampler` share of the
pairs, gradients are averaged by :class:`DistributedDataParallel`, and rank 0 labels the pairs
(the others read its cache) and writes the checkpoints.

Determinism: every random draw of an epoch comes from a generator seeded by (seed, epoch),
the learning rate decays by a constant factor per epoch (independent of ``epochs``), and the
checkpoint written after each epoch holds the model and the :func:`posefield.resume.resume_state`
(optimizer, scheduler, RNG state), so training N epochs equals training M < N epochs and
resuming to N, bit for bit.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DistributedSampler

from posefield.data import PoseDataset
from posefield.data.mirror import mirrored_if_asked
from posefield.devices import Distributed, distributed_device
from posefield.errors import CheckpointError, PosefieldError
from posefield.prior.base import energies
from posefield.prior.checkpoint import (build_prior, exemplar_pick, prior_from_checkpoint, prior_path, read_checkpoint,
                                        save_checkpoint)
from posefield.prior.optimizer import decaying_adam, metrics_line, optimise_epoch
from posefield.prior.ndf.losses import LossWeights, NDFObjective, distance_loss
from posefield.prior.ndf.mining import MiningSettings, load_mined, mine_pairs, mined_path, save_mined
from posefield.prior.ndf.model import NDFConfig, PoseNDF
from posefield.prior.ndf.noise import NoiseSchedule
from posefield.prior.ndf.pairs import LabelledPairs, PairSettings, cached_pairs, pair_index
from posefield.resume import restore, resume_state
from posefield.settings import settings_from_dict


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Everything that determines a training run (stored in the checkpoint).

    Attributes:
        epochs: passes over the training pairs.
        batch_size: off-manifold pairs per step (per process).
        clean_fraction: clean poses per step, as a fraction of ``batch_size`` (zero-level loss).
        eikonal_fraction: share of each batch's pairs the eikonal term is evaluated on.
        lr: Adam learning rate of the first epoch; lr_decay: its factor per epoch.
        seed: seed of initialisation and batch order (the pairs have ``pairs.seed``).
        kind: prior kind (``"ndf"``).
        mirror: add the left–right mirror image of every training pose to the clean poses
            (:func:`posefield.data.mirror.with_mirrored_training`) before labelling pairs;
            ``None``: do so when the rig is left–right symmetric (checkpoints store the outcome).
            On a tuning split it raised the held-out scores (``posefield/assets/priors/TRAINING.md``).
        model, losses, pairs: network, loss weights and pair settings.
        mining: false zeros mined from the field at every epoch (:mod:`posefield.prior.ndf.mining`).
    """

    epochs: int = 60
    batch_size: int = 4096
    clean_fraction: float = 0.25
    eikonal_fraction: float = 0.25
    lr: float = 3e-3
    lr_decay: float = 0.938
    seed: int = 0
    kind: str = "ndf"
    mirror: bool | None = None
    model: NDFConfig = NDFConfig()
    losses: LossWeights = LossWeights()
    pairs: PairSettings = PairSettings()
    mining: MiningSettings = MiningSettings()

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        """Inverse of ``dataclasses.asdict`` (checkpoints from before ``mirror`` trained without it,
        from before blends without them, from before ``accumulate`` mined afresh every epoch)."""
        return settings_from_dict(cls, data, {cls: {"mirror": False}, NoiseSchedule: {"blend_fraction": 0.0},
                                              MiningSettings: {"accumulate": False}})


def train_config(epochs: int | None = None, batch_size: int | None = None, seed: int = 0, kind: str = "ndf",
                 num_train: int | None = None, lr_decay: float | None = None, mirror: bool | None = None,
                 lr: float | None = None, mine: int | None = None) -> TrainConfig:
    """The default :class:`TrainConfig` with the given fields replaced (``None`` keeps the default);
    ``seed`` seeds the pairs too; ``mine``: the mined poses per epoch (``mining.poses``)."""
    given = {"epochs": epochs, "batch_size": batch_size, "lr_decay": lr_decay, "mirror": mirror, "lr": lr}
    pairs = {"seed": seed} if num_train is None else {"seed": seed, "num_train": num_train}
    mining = TrainConfig().mining if mine is None else dataclasses.replace(TrainConfig().mining, poses=mine)
    return dataclasses.replace(TrainConfig(), seed=seed, kind=kind, pairs=dataclasses.replace(TrainConfig().pairs, **pairs),
                               mining=mining, **{name: value for name, value in given.items() if value is not None})


def _epoch_generator(seed: int, epoch: int, rank: int, stream: int = 0) -> torch.Generator:
    """The random source of one epoch of one process; ``stream`` 1: mining's, apart from the batches'."""
    return torch.Generator().manual_seed(seed * 1_000_003 + epoch * 1009 + rank + stream * 7_919_000_003)


def epoch_order(n: int, seed: int, epoch: int, ddp: Distributed) -> torch.Tensor:
    """(n',) indices of the pairs this process visits in ``epoch`` (all n, shuffled, without DDP)."""
    if ddp.world > 1:
        sampler = DistributedSampler(range(n), num_replicas=ddp.world, rank=ddp.rank, shuffle=True, seed=seed)
        sampler.set_epoch(epoch)
        return torch.tensor(list(sampler))
    return torch.randperm(n, generator=_epoch_generator(seed, epoch, 0))


def train_epoch(step_loss: torch.nn.Module, optimizer: torch.optim.Optimizer, pairs: LabelledPairs,
                clean: torch.Tensor, config: TrainConfig, epoch: int, ddp: Distributed, progress: bool) -> dict[str, float]:
    """One pass over this process's share of ``pairs``; returns the mean of each loss term.

    Args:
        step_loss: :class:`NDFObjective` (or its DDP wrapper).
        optimizer: steps the model's parameters.
        pairs: training pairs on the model's device; clean: (N, K, 4) clean training poses there.
        config, epoch, ddp: batch sizes, seeds and this process's place.
        progress: show a progress bar with the losses.
    """
    device = clean.device
    order = epoch_order(len(pairs), config.seed, epoch, ddp).to(device)
    n_clean = max(1, round(config.batch_size * config.clean_fraction))
    clean_ids = torch.randint(len(clean), (len(order) // config.batch_size + 1, n_clean),
                              generator=_epoch_generator(config.seed, epoch, ddp.rank)).to(device)

    def loss(begin: int) -> tuple[torch.Tensor, dict[str, float]]:
        idx = order[begin:begin + config.batch_size]
        return step_loss(pairs.quats[idx], pairs.distance[idx], clean[clean_ids[begin // config.batch_size]])

    return optimise_epoch(range(0, len(order), config.batch_size), loss, optimizer,
                          f"epoch {epoch + 1}/{config.epochs}", progress)


def validate(model: PoseNDF, val: LabelledPairs, val_clean: torch.Tensor) -> dict[str, float]:
    """Validation metrics: L1 distance error on held-out pairs, mean f on held-out clean poses (radians)."""
    f = energies(model, val.quats)
    return {"val_distance": float(distance_loss(f, val.distance.to(f.device))),
            "val_f_clean": float(energies(model, val_clean).mean())}


def train(dataset: PoseDataset, out: str | Path, config: TrainConfig = TrainConfig(), resume: bool = False,
          device: str = "cpu", cache_dir: str | Path | None = None, progress: bool = True,
          log: Callable[[str], None] = print, init: str | Path | None = None) -> PoseNDF:
    """Train a prior on ``dataset`` and write a checkpoint to ``out`` after every epoch.

    Args:
        dataset: clean poses; its validation split gives the per-epoch validation metrics.
        out: checkpoint path (written atomically by rank 0).
        config: the run's settings; with ``resume`` only ``epochs`` is taken from it, the rest
            comes from the checkpoint.
        resume: continue from the checkpoint at ``out`` (its epoch, optimizer, RNG ...).
        device: ``"cpu"`` or ``"cuda"`` (with DDP: each process uses ``cuda:LOCAL_RANK``).
        cache_dir: labelled-pair cache folder (default: see :func:`pairs.default_cache_dir`).
        progress: show progress bars (rank 0).
        log: receives one line per event (labels, epoch summaries).
        init: start from this Pose-NDF checkpoint's (or shipped prior's) network, weights and
            exemplars (a warm start, e.g. to go on with other settings such as mining) with a
            fresh optimizer and the rest of ``config``; its
            file name, settings and history are kept in the new checkpoint's training state.
    Returns:
        the trained prior (unwrapped, in eval mode).
    """
    if config.kind != PoseNDF.name:
        raise PosefieldError(f"this trainer trains Pose-NDF priors (kind 'ndf'), not {config.kind!r}")
    if init is not None and resume:
        raise PosefieldError("--init starts a new run and --resume continues one: give one of them")
    with distributed_device(device) as (dev, ddp):
        return _train(dataset, Path(out), config, resume, dev, ddp, cache_dir, progress and ddp.rank == 0,
                      log if ddp.rank == 0 else (lambda _: None), init)


def warm_start(path: str | Path, dataset: PoseDataset) -> tuple[PoseNDF, dict[str, Any]]:
    """The prior stored at ``path`` (or shipped under that name) to go on training on ``dataset``, and the record
    of where it came from (file name, settings, history) for the new checkpoint; the network is
    the stored one, whatever ``config.model`` says.

    Raises:
        CheckpointError: ``path`` holds no Pose-NDF prior, or one of another joint set.
    """
    path = prior_path(path)
    checkpoint = read_checkpoint(path)
    model = prior_from_checkpoint(checkpoint, path)
    if not isinstance(model, PoseNDF):
        raise CheckpointError(f"{path}: holds a {model.name!r} prior, not a Pose-NDF prior to start from")
    model.check_skeleton(dataset.skeleton)
    if list(model.joint_index) != list(dataset.joint_index):
        raise CheckpointError(f"{path}: models other joints than the dataset's")
    training = checkpoint.get("training", {})
    return model, {"file": Path(path).name, "config": training.get("config"), "history": training.get("history", [])}


def _train(dataset: PoseDataset, out: Path, config: TrainConfig, resume: bool, dev: torch.device, ddp: Distributed,
           cache_dir: str | Path | None, progress: bool, log: Callable[[str], None],
           init: str | Path | None = None) -> PoseNDF:
    checkpoint = read_checkpoint(out) if resume else None
    origin = None
    if checkpoint is not None:
        if checkpoint.get("kind") != PoseNDF.name:  # a vae or gmm prior resumes with its own --kind
            raise CheckpointError(f"{out}: holds a {checkpoint.get('kind')!r} prior, not a Pose-NDF one to resume")
        if "training" not in checkpoint:
            raise CheckpointError(f"{out}: holds no training state to resume from")
        config = dataclasses.replace(TrainConfig.from_dict(checkpoint["training"]["config"]), epochs=config.epochs)
        origin = checkpoint["training"].get("init")
        model = prior_from_checkpoint(checkpoint, out)
        model.check_skeleton(dataset.skeleton)
    recorded = int((~dataset.is_val).sum())  # training poses before mirror images join them (after them)
    dataset, config = mirrored_if_asked(dataset, config, log)
    if checkpoint is None and init is not None:
        model, origin = warm_start(init, dataset)
        config = dataclasses.replace(config, model=model.config)
        log(f"starting from {init} ({len(origin['history'])} epochs)")
    elif checkpoint is None:
        torch.manual_seed(config.seed)
        model = build_prior(config.kind, dataset.skeleton, list(dataset.joint_index), dataclasses.asdict(config.model))
        training_poses = dataset.split(False)
        pick = exemplar_pick(len(training_poses), seed=config.seed)
        model.stored_exemplars = training_poses[pick].float()
        model.exemplars_recorded = pick < recorded if config.mirror else None
    model = model.to(dev).train()
    weights = model.weights

    if ddp.rank != 0:
        dist.barrier()  # rank 0 labels and caches the pairs first
    pairs = cached_pairs(dataset, weights.cpu(), config.pairs, cache_dir, progress, log)
    if ddp.rank == 0 and ddp.world > 1:
        dist.barrier()
    train_pairs = LabelledPairs(pairs.train.quats.to(dev), pairs.train.distance.to(dev), pairs.train.level)
    clean = dataset.split(False).to(dev)
    index = pair_index(dataset.split(False), weights.cpu(), config.pairs) if config.mining.poses else None
    accumulate = index is not None and config.mining.accumulate
    kept, kept_epochs = LabelledPairs.empty(len(model.joint_index)), torch.empty(0, dtype=torch.int64)

    objective = NDFObjective(model, config.losses, config.eikonal_fraction)
    step_loss = DistributedDataParallel(objective) if ddp.world > 1 else objective
    state = checkpoint["training"] if checkpoint is not None else None
    optimizer, scheduler = decaying_adam(model.parameters(), config.lr, config.lr_decay)
    start, history, _ = restore(optimizer, scheduler, state, "epoch", dev)
    if state is not None:
        log(f"resuming {out} after epoch {start}")

    if accumulate and start > 0:
        kept, kept_epochs = load_mined(mined_path(out, ddp.rank), start)
    for epoch in range(start, config.epochs):
        epoch_pairs, mined = train_pairs, {}
        if index is not None:
            extra, mined = mine_pairs(model, index, config.mining, _epoch_generator(config.seed, epoch, ddp.rank, 1))
            if accumulate:  # every epoch's mined pairs so far, kept beside the checkpoint for a resume
                kept, kept_epochs = kept.joined(extra), torch.cat([kept_epochs, torch.full((len(extra),), epoch)])
                save_mined(mined_path(out, ddp.rank), kept, kept_epochs)
                extra = kept
            epoch_pairs = train_pairs.joined(extra)
        losses = train_epoch(step_loss, optimizer, epoch_pairs, clean, config, epoch, ddp, progress)
        scheduler.step()
        metrics = {"epoch": epoch + 1, **losses, **mined, **validate(model, pairs.val, dataset.split(True))}
        history.append(metrics)
        log(metrics_line(metrics))
        if ddp.rank == 0:
            save_checkpoint(out, model, {"config": dataclasses.asdict(config),
                                         **resume_state(optimizer, scheduler, history, "epoch", epoch + 1, dev),
                                         **({"init": origin} if origin is not None else {})})
    log(f"wrote {out}")
    return model.eval()
