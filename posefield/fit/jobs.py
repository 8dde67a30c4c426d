"""File-level jobs behind the ``posefield`` application commands: read, run, write.

Each output is written in the format its name's extension says; a name without a motion
extension gets the input's. No job overwrites its input.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from posefield.errors import MotionFormatError, SkeletonMismatchError
from posefield.fit.complete import AUTO_FLOOR, complete
from posefield.fit.denoise import denoise
from posefield.fit.fit2d import fit_keypoints
from posefield.fit.interpolate import interpolate, pick_frame
from posefield.fit.keypoints import ViewSettings, keypoint_points, load_keypoints, save_keypoints, view_keypoints
from posefield.fit.metrics import average_pairwise_distance, realism
from posefield.fit.sample import sample_poses
from posefield.io.formats import MOTION_SUFFIXES, load_motion, load_skeleton, save_motion
from posefield.io.outputs import check_output, files_of
from posefield.motion import Motion
from posefield.prior.registry import get_prior
from posefield.skeleton import Skeleton


def output_path(out: Path, suffix: str) -> Path:
    """``out`` itself if it names a motion format, else ``out`` + ``suffix``."""
    return out if out.suffix.lower() in MOTION_SUFFIXES else out.with_name(out.name + suffix)


def native_suffix(skeleton: Skeleton) -> str:
    """The motion extension of a skeleton's own format: ``.amc`` for ASF skeletons, else ``.bvh``."""
    return ".amc" if "asf" in skeleton.meta else ".bvh"


def read_motion(path: Path, asf: Path | None = None) -> Motion:
    """A motion file (``asf`` names the skeleton of an ``.amc``; other files have their own, and
    a skeleton given for one is refused rather than ignored)."""
    if path.suffix.lower() == ".amc":
        return load_motion(path, asf=asf)
    if asf is not None:
        raise MotionFormatError(path, f"has its own skeleton: --asf {asf} applies to .amc inputs only")
    return load_motion(path)


def motion_output(out: Path, suffix: str, sources: list[Path]) -> Path:
    """The motion file ``out`` names (:func:`output_path`), checked before any work: its folder
    exists and it would overwrite none of ``sources`` (see :func:`posefield.io.outputs.check_output`)."""
    return check_output(output_path(out, suffix), sources)


def denoise_file(src: Path, out: Path, prior: str = "ndf", asf: Path | None = None,
                 log: Callable[[str], None] | None = None) -> list[Path]:
    """Denoise the motion in ``src`` with the prior ``prior`` names and write it to ``out``;
    ``log`` (if given) hears the input's estimated noise level."""
    motion = read_motion(src, asf)
    target = motion_output(out, src.suffix, files_of(motion))
    result = denoise(motion, get_prior(prior, motion.skeleton))
    if log is not None:
        log(f"{src.name}: estimated noise {result.source['estimated_noise_deg']:.2f}° per rotation channel")
    return save_motion(result, target)


def hidden_joints(skeleton: Skeleton, group: str) -> list[int]:
    """Skeleton indices of the joints of a named group or comma list of bones."""
    from posefield.skeleton.groups import resolve_group

    return sorted(int(j) for j in resolve_group(skeleton, group))


def complete_file(src: Path, out: Path, missing: str, prior: str = "ndf", asf: Path | None = None,
                  floor: str | float | None = None, log: Callable[[str], None] | None = None) -> list[Path]:
    """Fill in the joints of group ``missing`` of the motion in ``src`` and write it to ``out``,
    keeping them above ``floor`` (see :func:`posefield.fit.complete.complete`); ``log`` (if
    given) hears where the floor of ``floor="auto"`` was put."""
    motion = read_motion(src, asf)
    target = motion_output(out, src.suffix, files_of(motion))
    result = complete(motion, get_prior(prior, motion.skeleton), hidden_joints(motion.skeleton, missing), floor=floor)
    if log is not None and floor == AUTO_FLOOR:
        height = result.source["floor_m"]
        log(f"{src.name}: no observed leg point to put a floor under; completed without one" if height is None
            else f"{src.name}: floor at {height:.3f} m along Y (the lowest observed leg point)")
    return save_motion(result, target)


def fit2d_file(keypoints: Path, out: Path, skeleton: Path, prior: str = "ndf") -> list[Path]:
    """Fit ``skeleton`` (.asf or .bvh) to the keypoint file and write the motion to ``out``."""
    rig = load_skeleton(skeleton)
    data = load_keypoints(keypoints)
    target = motion_output(out, native_suffix(rig), [keypoints, skeleton])
    result = fit_keypoints(data, rig, get_prior(prior, rig), path=str(keypoints))
    return save_motion(result, target)


def keypoints_file(src: Path, out: Path, asf: Path | None = None, points: list[str] | None = None,
                   view: ViewSettings = ViewSettings()) -> list[Path]:
    """Film the (Y-up) motion in ``src`` as ``view`` says and write the keypoints of ``points``
    (default: every point of its rig) to the keypoint file ``out`` (.npz), e.g. to try
    ``regress`` or ``fit2d`` on a known motion."""
    motion = read_motion(src, asf)
    target = check_output(out, files_of(motion), (".npz",), "keypoint file")
    if points is not None:
        keypoint_points(motion.skeleton, points, src)
    save_keypoints(view_keypoints(motion, points, view), target)
    return [target]


@dataclasses.dataclass(frozen=True)
class SampleReport:
    """APD (cm) of the samples and, given a reference set, their realism (radians)."""

    files: list[Path]
    apd_cm: float
    realism_rad: float | None


def sample_file(num: int, out: Path, prior: str = "ndf", skeleton: Path | None = None,
                reference: Path | None = None, seed: int = 0) -> SampleReport:
    """Draw ``num`` poses, write them as a motion of ``num`` frames and measure them."""
    from posefield.data.dataset import PoseDataset
    from posefield.data.neighbours import NearestPoses

    rig = load_skeleton(skeleton) if skeleton is not None else None
    model = get_prior(prior, rig)
    rig = rig or model.skeleton
    target = motion_output(out, native_suffix(rig), [skeleton, reference])
    motion = sample_poses(model, rig, num, seed=seed)
    files = save_motion(motion, target)
    apd = average_pairwise_distance(rig, motion.rotations) if num > 1 else 0.0
    score = None
    if reference is not None:
        data = PoseDataset.load(reference)
        if data.skeleton.signature() != rig.signature():
            raise SkeletonMismatchError(f"{reference}: the reference poses are of another skeleton than the samples")
        quats = torch.as_tensor(motion.rotations[:, np.asarray(data.joint_index)], dtype=torch.float32)
        score = realism(quats, NearestPoses(torch.from_numpy(data.quats)))
    return SampleReport(files, apd, score)


def interpolate_files(a: Path, b: Path, num_frames: int, out: Path, method: str = "ndf", prior: str = "ndf",
                      frame_a: int = 0, frame_b: int = 0, asf: Path | None = None) -> list[Path]:
    """Interpolate from frame ``frame_a`` of ``a`` to frame ``frame_b`` of ``b`` and write ``out``."""
    first, last = read_motion(a, asf), read_motion(b, asf)
    target = motion_output(out, a.suffix, files_of(first) + files_of(last))
    model = get_prior("none" if method == "slerp" else prior, first.skeleton)
    result = interpolate(pick_frame(first, frame_a), pick_frame(last, frame_b), num_frames, model, method)
    return save_motion(result, target)
