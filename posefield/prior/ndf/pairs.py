"""Labelled training pairs (off-manifold pose, distance to the clean training poses), cached on disk.

Training pairs perturb training-split poses, validation pairs perturb the held-out subjects'
poses; both are labelled against the training split (the manifold the prior learns).
The cache file is keyed by a hash of the dataset and of every setting that changes the pairs.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import time
import zipfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from posefield.data import PoseDataset
from posefield.data.neighbours import NearestPoses
from posefield.io.atomic import atomic_path
from posefield.prior.ndf.labels import bin_labels, exact_distance, label_recall
from posefield.prior.ndf.noise import NoiseSchedule, sample_off_manifold

CACHE_VERSION = 1


@dataclasses.dataclass(frozen=True)
class PairSettings:
    """What labelled pairs to make.

    Attributes:
        num_train, num_val: pairs from the training and the validation split.
        schedule: noise scales (see :class:`NoiseSchedule`).
        k, nprobe, far, far_k: candidate search (see :class:`~posefield.data.neighbours.NearestPoses`).
        recall_sample: training pairs checked against exact brute force.
        seed: seed of noise, index and recall sample.
    """

    num_train: int = 1_200_000
    num_val: int = 20_000
    schedule: NoiseSchedule = NoiseSchedule()
    k: int = 16
    nprobe: int = 16
    far: float = 1.2
    far_k: int = 256
    recall_sample: int = 1000
    seed: int = 0


@dataclasses.dataclass
class LabelledPairs:
    """quats (N, K, 4) float32 unit quaternions; distance (N,) float32 radians;
    level (N,) int64 noise-scale index (``len(sigmas_deg)``: uniformly random pose,
    ``len(sigmas_deg) + 1``: blend; ``posefield.prior.ndf.mining.MINED_LEVEL``: mined false zero)."""

    quats: torch.Tensor
    distance: torch.Tensor
    level: torch.Tensor

    def __len__(self) -> int:
        return len(self.distance)

    def joined(self, other: "LabelledPairs") -> "LabelledPairs":
        """These pairs followed by ``other``'s (moved to this one's devices)."""
        return LabelledPairs(*(torch.cat([getattr(self, f), getattr(other, f).to(getattr(self, f).device)])
                               for f in ("quats", "distance", "level")))

    @classmethod
    def empty(cls, num_joints: int) -> "LabelledPairs":
        """No pairs of ``num_joints`` joints."""
        return cls(torch.empty(0, num_joints, 4), torch.empty(0), torch.empty(0, dtype=torch.int64))


RECALL_BINS = (0.25, 0.5, 1.0, 1.5)  # upper edges (radians) of the distance ranges recall is reported in


@dataclasses.dataclass
class PairSet:
    """Training and validation pairs with how well and how fast they were labelled;
    ``recall_by_distance`` maps a range of exact distances (``"0.5–1"``) to the recall there."""

    train: LabelledPairs
    val: LabelledPairs
    recall: float
    poses_per_second: float
    recall_by_distance: dict[str, float] = dataclasses.field(default_factory=dict)


def recall_by_distance(approx: torch.Tensor, exact: torch.Tensor, edges: tuple[float, ...] = RECALL_BINS) -> dict[str, float]:
    """Label recall (:func:`label_recall`) within each range of exact distance (open last range);
    ranges without a label are left out."""
    index = torch.bucketize(exact, torch.tensor(edges, dtype=exact.dtype), right=True)
    return {name: label_recall(approx[index == b], exact[index == b])
            for b, name in enumerate(bin_labels(edges)) if (index == b).any()}


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/posefield/pairs`` (``~/.cache/...`` when unset)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "posefield" / "pairs"


def dataset_hash(dataset: PoseDataset) -> str:
    """Hex digest of the poses, joint set, split and rig of ``dataset``."""
    h = hashlib.sha1()
    for arr in (dataset.quats, np.asarray(dataset.joint_index, np.int64), np.asarray(dataset.is_val, bool)):
        h.update(np.ascontiguousarray(arr).tobytes())
    h.update(dataset.skeleton.signature().encode())
    return h.hexdigest()


def cache_path(cache_dir: str | Path, dataset: PoseDataset, weights: torch.Tensor, settings: PairSettings) -> Path:
    """Cache file of the pairs for ``dataset`` made with ``weights`` and ``settings``."""
    key = json.dumps({"version": CACHE_VERSION, "data": dataset_hash(dataset), "weights": weights.tolist(),
                      "settings": dataclasses.asdict(settings)}, sort_keys=True)
    return Path(cache_dir) / f"pairs-{hashlib.sha1(key.encode()).hexdigest()[:20]}.npz"


def pair_index(clean: torch.Tensor, weights: torch.Tensor, settings: PairSettings) -> NearestPoses:
    """The nearest-pose search that labels pairs: over (N, K, 4) ``clean`` poses with (K,) joint
    ``weights``, candidate search as ``settings`` says."""
    return NearestPoses(clean, weights, nprobe=settings.nprobe, k=settings.k, far=settings.far,
                        far_k=settings.far_k, seed=settings.seed)


def make_pairs(index: NearestPoses, clean: torch.Tensor, n: int, schedule: NoiseSchedule,
               generator: torch.Generator, progress: bool = False) -> LabelledPairs:
    """Perturb ``clean`` poses following ``schedule`` and label them with ``index``.

    Args:
        index: nearest-pose search over the training poses.
        clean: (N, K, 4) poses to perturb.
        n: number of pairs.
        schedule: noise scales.
        generator: random source.
        progress: show a progress bar.
    """
    quats, level = sample_off_manifold(clean, n, schedule, generator)
    return LabelledPairs(quats, index.query(quats, progress=progress)[0], level)


def build_pairs(dataset: PoseDataset, weights: torch.Tensor, settings: PairSettings, progress: bool = False,
                log: Callable[[str], None] = lambda _: None) -> PairSet:
    """Make training and validation pairs and measure label recall on a sample of the training pairs.

    Args:
        dataset: the clean poses (its ``is_val`` split gives the validation subjects).
        weights: (K,) joint weights of the distance.
        settings: counts, noise and search settings.
        progress: show progress bars.
        log: receives one line per finding (recall, throughput).
    """
    generator = torch.Generator().manual_seed(settings.seed)
    train_clean, val_clean = dataset.split(False), dataset.split(True)
    index = pair_index(train_clean, weights, settings)
    start = time.perf_counter()
    train = make_pairs(index, train_clean, settings.num_train, settings.schedule, generator, progress)
    rate = settings.num_train / max(time.perf_counter() - start, 1e-9)
    val = make_pairs(index, val_clean if len(val_clean) else train_clean, settings.num_val, settings.schedule,
                     generator, progress)
    sample = torch.randperm(len(train), generator=generator)[: settings.recall_sample]
    exact = exact_distance(train_clean, train.quats[sample], weights)
    recall, by_distance = label_recall(train.distance[sample], exact), recall_by_distance(train.distance[sample], exact)
    log(f"labels: {len(train)} training + {len(val)} validation pairs, {rate:,.0f} poses/s, "
        f"recall vs exact brute force {100 * recall:.2f}% on {len(sample)} pairs; by exact distance (rad): "
        + ", ".join(f"{name} {100 * r:.1f}%" for name, r in by_distance.items()))
    return PairSet(train, val, recall, rate, by_distance)


def save_pairs(path: str | Path, pairs: PairSet) -> None:
    """Write ``pairs`` atomically to ``path`` (.npz), making the cache folder if needed."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"{split}_{field}": getattr(getattr(pairs, split), field).numpy()
              for split in ("train", "val") for field in ("quats", "distance", "level")}
    with atomic_path(path) as tmp:
        np.savez(tmp, recall=np.float64(pairs.recall), poses_per_second=np.float64(pairs.poses_per_second),
                 recall_by_distance=np.array(json.dumps(pairs.recall_by_distance)), **arrays)


def load_pairs(path: str | Path) -> PairSet:
    """Read pairs written by :func:`save_pairs`."""
    with np.load(path) as data:
        splits = {split: LabelledPairs(*(torch.from_numpy(data[f"{split}_{field}"])
                                         for field in ("quats", "distance", "level"))) for split in ("train", "val")}
        by_distance = json.loads(str(data["recall_by_distance"])) if "recall_by_distance" in data else {}
        return PairSet(splits["train"], splits["val"], float(data["recall"]), float(data["poses_per_second"]), by_distance)


def cached_pairs(dataset: PoseDataset, weights: torch.Tensor, settings: PairSettings,
                 cache_dir: str | Path | None = None, progress: bool = False,
                 log: Callable[[str], None] = lambda _: None) -> PairSet:
    """Pairs from the cache when present (and readable), else built and cached.

    Args:
        dataset, weights, settings, progress, log: as for :func:`build_pairs`.
        cache_dir: cache folder (default :func:`default_cache_dir`).
    """
    path = cache_path(cache_dir or default_cache_dir(), dataset, weights, settings)
    try:
        pairs = load_pairs(path)
    except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):  # missing or unreadable
        pairs = build_pairs(dataset, weights, settings, progress, log)
        save_pairs(path, pairs)
        return pairs
    log(f"labels: {len(pairs.train)} + {len(pairs.val)} pairs from cache {path.name} "
        f"(recall {100 * pairs.recall:.2f}%, {pairs.poses_per_second:,.0f} poses/s when built)")
    return pairs
