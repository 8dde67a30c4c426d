"""Build a :class:`PoseDataset` from motion files: resample, split by subject, de-duplicate."""
from __future__ import annotations

import dataclasses
import fnmatch
import json
import time
from pathlib import Path
from typing import Iterable

import numpy as np
import torch
from tqdm import tqdm

from posefield.data.dataset import PoseDataset, is_pose_dataset
from posefield.data.neighbours import NearestPoses
from posefield.data.resample import resample
from posefield.errors import MotionFormatError, SkeletonMismatchError
from posefield.io import load_motion
from posefield.io.formats import MOTION_SUFFIXES
from posefield.motion import Motion
from posefield.rotations import canonical_hemisphere, pose_distance
from posefield.rotations.embedding import pose_embedding
from posefield.skeleton import Skeleton
from posefield.skeleton.serialize import skeleton_to_dict


SPLIT_BY = ("subject", "file")  # what the train/validation split holds out whole


@dataclasses.dataclass
class BuildConfig:
    """Settings of :func:`build_dataset`.

    Attributes:
        fps: target frame rate (frames/s) every motion is resampled to.
        dedup_distance: drop a pose closer than this (weighted geodesic distance, radians)
            to a pose already kept in the same split; 0 keeps all. The default 0.02 is about
            one joint rotated by 3° with everything else equal.
        val_subjects: subjects (or file stems with ``split_by="file"``) held out for validation.
        val_fraction: when ``val_subjects`` is empty, hold out whole subjects, drawn with
            ``seed``, until this share of frames is reached (at least one group stays in training).
        split_by: ``"subject"`` or ``"file"``.
        drop_frames: frames dropped at the start of every file (e.g. a T-pose ramp).
        source_fps: ``(glob, fps)`` pairs overriding the frame rate of files whose name
            matches (files that claim a wrong rate).
        asf: skeleton file for ``.amc`` sources (default: the subject's ``NN.asf`` beside them).
        seed: seed of the validation draw.
    """

    fps: float = 30.0
    dedup_distance: float = 0.02
    val_subjects: tuple[str, ...] = ()
    val_fraction: float = 0.2
    split_by: str = "subject"
    drop_frames: int = 0
    source_fps: tuple[tuple[str, float], ...] = ()
    asf: Path | None = None
    seed: int = 0


def find_motion_files(sources: Iterable[str | Path]) -> list[Path]:
    """Motion files named directly or found (recursively, sorted) in folders.

    Pose datasets (``.npz`` files this module writes) met in folders are skipped.
    """
    files: list[Path] = []
    for src in sources:
        src = Path(src)
        if src.is_dir():
            found = sorted(p for p in src.rglob("*") if p.suffix.lower() in MOTION_SUFFIXES and p.is_file())
            files += [p for p in found if not (p.suffix.lower() == ".npz" and is_pose_dataset(p))]
        elif src.is_file():
            files.append(src)
        else:
            raise MotionFormatError(src, "no such file or folder")
    if not files:
        raise MotionFormatError(None, "no motion files (.amc, .bvh, .npz) found in the given sources")
    return files


def motion_subject(motion: Motion, path: Path) -> str:
    """Subject id: the reader's ``source['subject']``, else the file stem before its last '_'."""
    subject = motion.source.get("subject")
    return str(subject) if subject else path.stem.rsplit("_", 1)[0]


def choose_validation(groups: list[str], frames: dict[str, int], config: BuildConfig) -> set[str]:
    """The groups (subjects or files) held out for validation."""
    if config.val_subjects:
        unknown = sorted(set(config.val_subjects) - set(groups))
        if unknown:
            raise MotionFormatError(None, f"validation group(s) {', '.join(unknown)} not among the sources "
                                          f"({', '.join(sorted(set(groups)))})")
        return set(config.val_subjects)
    unique = sorted(set(groups))
    if config.val_fraction <= 0 or len(unique) < 2:
        return set()
    order = np.random.default_rng(config.seed).permutation(len(unique))
    total, held, chosen = sum(frames.values()), 0, set()
    for i in order[:-1]:
        if held >= config.val_fraction * total:
            break
        chosen.add(unique[i])
        held += frames[unique[i]]
    return chosen


def _close_pairs(block: torch.Tensor, threshold: float) -> np.ndarray:
    """(n, n) bool: pairs of poses within ``threshold``, exact, pre-screened by the embedding bound."""
    emb = pose_embedding(block)
    sq = (emb * emb).sum(dim=1)
    lower = (sq[:, None] + sq[None, :] - 2 * emb @ emb.T).clamp(min=0)  # ≤ d², so d < t ⇒ lower < t²
    i, j = torch.nonzero(lower < threshold ** 2 + 1e-6, as_tuple=True)
    close = np.zeros((len(block), len(block)), dtype=bool)
    exact = pose_distance(block[i], block[j]) < threshold
    close[i[exact].numpy(), j[exact].numpy()] = True
    return close


def deduplicate(quats: torch.Tensor, threshold: float, chunk: int = 1024) -> np.ndarray:
    """Indices of poses kept when each pose closer than ``threshold`` to a kept one is dropped.

    Greedy in input order: a pose is kept unless an earlier kept pose lies within
    ``threshold``. Earlier chunks are searched with :class:`NearestPoses`; within a chunk
    the exact pairwise distances are used.

    Args:
        quats: (N, K, 4) unit quaternions, in order of preference.
        threshold: weighted geodesic distance (radians); 0 keeps everything.
    Returns:
        (N',) int64 kept indices, increasing.
    """
    if threshold <= 0 or len(quats) == 0:
        return np.arange(len(quats))
    index = NearestPoses(quats[:0])
    kept: list[np.ndarray] = []
    for start in range(0, len(quats), chunk):
        block = quats[start:start + chunk].float()
        alive = np.ones(len(block), dtype=bool)
        if len(index):
            alive &= (index.query(block, k=4)[0] >= threshold).numpy()
        close = _close_pairs(block, threshold)
        for i in range(len(block)):
            if alive[i]:
                close[i, : i + 1] = False
                alive &= ~close[i]
        local = np.nonzero(alive)[0]
        if len(local):
            index.add(block[local])
            kept.append(start + local)
    return np.concatenate(kept).astype(np.int64) if kept else np.zeros(0, dtype=np.int64)


def _source_fps(path: Path, config: BuildConfig) -> float | None:
    for pattern, fps in config.source_fps:
        if fnmatch.fnmatch(path.name, pattern) or fnmatch.fnmatch(path.stem, pattern):
            return fps
    return None


def load_for_dataset(path: Path, config: BuildConfig) -> tuple[Motion, int, np.ndarray]:
    """Read one source file, drop its first frames, fix its frame rate, resample.

    Returns:
        the resampled motion, the number of frames in the file, and (T',) the source
        frame (0-based, nearest) of every resampled frame.
    """
    motion = load_motion(path, asf=config.asf) if path.suffix.lower() == ".amc" else load_motion(path)
    if config.drop_frames:
        if motion.num_frames <= config.drop_frames:
            raise MotionFormatError(path, f"has {motion.num_frames} frames, not more than --drop-frames {config.drop_frames}")
        motion = motion.slice(slice(config.drop_frames, None))
    fps = _source_fps(path, config)
    if fps is not None:
        motion = dataclasses.replace(motion, fps=fps)
    resampled = resample(motion, config.fps)
    source_frames = np.rint(np.arange(resampled.num_frames) * motion.fps / config.fps).astype(np.int64)
    return resampled, motion.num_frames + config.drop_frames, source_frames + config.drop_frames


def distinct_skeletons(skeletons: list[Skeleton]) -> tuple[list[Skeleton], np.ndarray]:
    """The distinct skeletons among the (F,) ``skeletons`` of the source files (two are the same
    when their serialised forms are), in order of first use, and (F,) int32 the index of each
    file's among them."""
    first: dict[str, int] = {}
    index = [first.setdefault(json.dumps(skeleton_to_dict(s)), len(first)) for s in skeletons]
    distinct = [skeletons[index.index(k)] for k in range(len(first))]
    return distinct, np.asarray(index, dtype=np.int32)


@dataclasses.dataclass
class BuildSummary:
    """What :func:`build_dataset` did (frame counts at each stage, subjects, time in s)."""

    files: int
    frames_read: int
    frames_resampled: int
    train_poses: int
    val_poses: int
    train_groups: list[str]
    val_groups: list[str]
    joints: int
    seconds: float


def build_dataset(sources: Iterable[str | Path], config: BuildConfig = BuildConfig(),
                  progress: bool = True) -> tuple[PoseDataset, BuildSummary]:
    """Read motion files of one rig and make a de-duplicated pose dataset split by subject.

    The modelled joints are the skeleton's non-root joints with rotation channels; the
    root's global orientation is excluded. All files must share the first file's joint
    tree (names and parents); the dataset keeps the first file's skeleton for kinematics, and
    every distinct skeleton with the one each file was recorded on.
    """
    if config.split_by not in SPLIT_BY:
        raise ValueError(f"split_by must be one of {', '.join(SPLIT_BY)}, not {config.split_by!r}")
    t0 = time.perf_counter()
    files = find_motion_files(sources)
    skeleton = None
    per_file: list[np.ndarray] = []
    frames_read = 0
    groups: list[str] = []
    frame_numbers: list[np.ndarray] = []
    file_skeletons: list[Skeleton] = []
    for path in tqdm(files, desc="reading", unit="file", disable=not progress):
        motion, n_read, source_frames = load_for_dataset(path, config)
        frames_read += n_read
        frame_numbers.append(source_frames)
        if skeleton is None:
            skeleton, joint_index = motion.skeleton, motion.skeleton.rotation_joints()
        elif motion.skeleton.signature() != skeleton.signature():
            raise SkeletonMismatchError(f"{path}: joint tree differs from {files[0].name}'s; "
                                        "a dataset holds one rig")
        file_skeletons.append(motion.skeleton)
        quats = canonical_hemisphere(torch.as_tensor(motion.rotations[:, joint_index], dtype=torch.float32))
        per_file.append(quats.numpy())
        groups.append(motion_subject(motion, path) if config.split_by == "subject" else path.stem)
    frames_per_group: dict[str, int] = {}
    for g, q in zip(groups, per_file):
        frames_per_group[g] = frames_per_group.get(g, 0) + len(q)
    val_groups = choose_validation(groups, frames_per_group, config)
    source = np.concatenate([np.full(len(q), i, dtype=np.int32) for i, q in enumerate(per_file)])
    frame = np.concatenate(frame_numbers).astype(np.int32)
    quats = torch.from_numpy(np.concatenate(per_file))
    is_val = np.isin(source, [i for i, g in enumerate(groups) if g in val_groups])
    keep = []
    for split in (False, True):
        rows = np.nonzero(is_val == split)[0]
        keep.append(rows[deduplicate(quats[rows], config.dedup_distance)])
    rows = np.sort(np.concatenate(keep))
    if len(rows) == 0:
        raise MotionFormatError(files[0] if len(files) == 1 else None, "no frames to make poses of")
    skeletons, file_skeleton = distinct_skeletons(file_skeletons)
    dataset = PoseDataset(quats=quats[rows].numpy(), skeleton=skeleton, joint_index=np.asarray(joint_index),
                          source=source[rows], files=[str(f) for f in files], subjects=groups,
                          frame=frame[rows], is_val=is_val[rows], fps=config.fps, skeletons=skeletons,
                          file_skeleton=file_skeleton)
    summary = BuildSummary(files=len(files), frames_read=frames_read, frames_resampled=len(source),
                           train_poses=int((~dataset.is_val).sum()), val_poses=int(dataset.is_val.sum()),
                           train_groups=sorted(set(groups) - val_groups), val_groups=sorted(val_groups),
                           joints=len(joint_index), seconds=time.perf_counter() - t0)
    return dataset, summary
