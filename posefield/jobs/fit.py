"""The jobs of a prior's applications (score, project, denoise, complete, fit2d, sample,
interpolate) and of keypoint files and rig maps: read, run, write.

Each output is written in the format its name's extension says; a name without a motion
extension gets the input's. No job overwrites its input. Where the prior models another rig
than the motion's, the work runs on the prior's rig and the result comes back on the
motion's own joints and channels (:mod:`posefield.prior.motions.mapping`; ``rig_map``: a mapping file).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable, TypeVar

import numpy as np
import torch

from posefield.errors import MotionFormatError, SkeletonMismatchError
from posefield.fit.keypoints import ViewSettings
from posefield.io.files import motion_output, native_suffix, read_motion, read_motion_blocks
from posefield.io.formats import load_skeleton, save_motion
from posefield.io.outputs import check_output, files_of
from posefield.motion import Motion, MotionBlocks
from posefield.prior.base import PosePrior
from posefield.prior.motions.mapping import PriorRig, choose_prior, own_rig_prior, rest_motion
from posefield.prior.registry import get_prior
from posefield.skeleton import Skeleton

Log = Callable[[str], None]
M = TypeVar("M", Motion, MotionBlocks)


def with_frames(motion: M, src: Path, job: str) -> M:
    """``motion`` (whole or block by block) if it has frames; a header-only file (``Frames: 0``)
    gives ``job`` nothing to work on: :class:`MotionFormatError` naming ``src``. (An ``.amc``
    read block by block holds frames: its reader refuses a file without any.)"""
    if motion.num_frames == 0:
        raise MotionFormatError(src, f"has no frames: nothing to {job}")
    return motion


def own_rig_blocks(src: Path, asf: Path | None, prior: str, job: str) -> tuple[MotionBlocks, PosePrior | None]:
    """The motion in ``src``, read a block at a time where the format allows, and the prior
    ``prior`` names where it models the motion's own rig (``None``: it needs a rig map, whose
    calibration takes the whole motion)."""
    clip = with_frames(read_motion_blocks(src, asf), src, job)
    try:
        return clip, own_rig_prior(prior, clip.header.skeleton)
    except SkeletonMismatchError:
        return clip, None


def on_prior_rig(motion: Motion, prior: PosePrior, mapped: PriorRig | None,
                 work: Callable[[Motion, PosePrior], Motion]) -> Motion:
    """``work(motion, prior)``, run on the prior's rig through ``mapped`` where there is one."""
    if mapped is None:
        return work(motion, prior)
    return mapped.to_source(work(mapped.to_prior(motion), prior), motion)


def score_file(src: Path, prior: str = "ndf", asf: Path | None = None, rig_map: Path | None = None,
               note: Log | None = None, out: Path | None = None) -> np.ndarray:
    """(T,) prior energy of every frame of the motion in ``src`` (``note`` hears of a rig
    mapping); ``out``, where the scores will be written, must not be an input."""
    from posefield.prior.motions.apply import score_motion

    motion = read_motion(src, asf)
    if out is not None:
        check_output(out, files_of(motion))
    model, mapped = choose_prior(prior, motion, rig_map, note)
    return score_motion(mapped.to_prior(motion, reachable=True) if mapped else motion, model)


def project_file(src: Path, out: Path, prior: str = "ndf", asf: Path | None = None, rig_map: Path | None = None,
                 note: Log | None = None) -> tuple[list[Path], int, float, float]:
    """Project every frame of ``src`` onto the prior's manifold and write it to ``out``; returns
    the files written, the number of frames, the mean distance after projection (rad) and the
    mean number of steps."""
    from posefield.prior.motions.apply import project_motion

    clip, model = own_rig_blocks(src, asf, prior, "project")
    target = motion_output(out, src.suffix.lower(), files_of(clip.header), clip.header.skeleton)
    results = []

    def work(m: Motion, p: PosePrior) -> Motion:
        projected, distance, steps = project_motion(m, p)
        results.append((len(distance), float(distance.sum()), float(steps.sum())))
        return projected

    if model is not None:  # a frame at a time, read and written a block at a time
        projected = MotionBlocks(clip.header, lambda: (work(block, model) for block in clip.blocks()), clip.num_frames)
        written = save_motion(projected, target)
    else:
        motion = clip.gather()
        model, mapped = choose_prior(prior, motion, rig_map, note)
        written = save_motion(on_prior_rig(motion, model, mapped, work), target)
    frames, distance, steps = (sum(column) for column in zip(*results))
    return written, frames, distance / frames, steps / frames


def denoise_file(src: Path, out: Path, prior: str = "ndf", asf: Path | None = None,
                 log: Log | None = None, rig_map: Path | None = None, note: Log | None = None) -> list[Path]:
    """Denoise the motion in ``src`` with the prior ``prior`` names and write it to ``out``;
    ``log`` (if given) hears the input's estimated noise level, ``note`` of a rig mapping."""
    from posefield.fit.denoise import denoise_blocks, denoise_mapped

    clip, model = own_rig_blocks(src, asf, prior, "denoise")
    target = motion_output(out, src.suffix, files_of(clip.header), clip.header.skeleton)
    if model is not None:  # read, fitted and written a block at a time
        result = denoise_blocks(clip, model)
        noise = result.header.source["estimated_noise_deg"]
    else:
        motion = clip.gather()
        model, mapped = choose_prior(prior, motion, rig_map, note)
        result = denoise_mapped(motion, model, mapped)
        noise = result.source["estimated_noise_deg"]
    if log is not None:
        log(f"{src.name}: estimated noise {noise:.2f}° per rotation channel" if np.isfinite(noise) else
            f"{src.name}: too short to estimate its noise (under 3 frames): the fit's weights as given")
    return save_motion(result, target)


def hidden_joints(skeleton: Skeleton, group: str) -> list[int]:
    """Skeleton indices of the joints of a named group or comma list of bones."""
    from posefield.skeleton.groups import resolve_group

    return sorted(int(j) for j in resolve_group(skeleton, group))


def complete_file(src: Path, out: Path, missing: str, prior: str = "ndf", asf: Path | None = None,
                  floor: str | float | None = None, log: Log | None = None, rig_map: Path | None = None,
                  note: Log | None = None) -> list[Path]:
    """Fill in the joints of group ``missing`` of the motion in ``src`` and write it to ``out``,
    keeping them above ``floor`` (see :func:`posefield.fit.complete.complete`); ``log`` (if
    given) hears where the floor of ``floor="auto"`` was put, ``note`` of a rig mapping. On a
    mapped rig the prior's joints standing for the missing ones (and those below) are filled in."""
    from posefield.fit.complete import AUTO_FLOOR, complete

    motion = with_frames(read_motion(src, asf), src, "complete")
    target = motion_output(out, src.suffix, files_of(motion), motion.skeleton)
    hidden = hidden_joints(motion.skeleton, missing)
    model, mapped = choose_prior(prior, motion, rig_map, note)
    on_prior = hidden if mapped is None else mapped.hidden_on_prior(hidden)
    if not on_prior:
        raise SkeletonMismatchError(f"no joint of group {missing!r} is paired with a joint of the prior's rig "
                                    "(see 'posefield rig')")
    result = on_prior_rig(motion, model, mapped, lambda m, p: complete(m, p, on_prior, floor=floor))
    if log is not None and floor == AUTO_FLOOR:
        height = result.source["floor_m"]
        log(f"{src.name}: no observed leg point to put a floor under; completed without one" if height is None
            else f"{src.name}: floor at {height:.3f} m along Y (the lowest observed leg point)")
    return save_motion(result, target)


def fit2d_file(keypoints: Path, out: Path, skeleton: Path, prior: str = "ndf") -> list[Path]:
    """Fit ``skeleton`` (.asf or .bvh) to the keypoint file and write the motion to ``out``."""
    from posefield.fit.fit2d import fit_keypoints
    from posefield.fit.keypoints import load_keypoints

    rig = load_skeleton(skeleton)
    data = load_keypoints(keypoints)
    target = motion_output(out, native_suffix(rig), [keypoints, skeleton], rig)
    result = fit_keypoints(data, rig, get_prior(prior, rig), path=str(keypoints))
    return save_motion(result, target)


def keypoints_file(src: Path, out: Path, asf: Path | None = None, points: list[str] | None = None,
                   view: ViewSettings = ViewSettings()) -> list[Path]:
    """Film the (Y-up) motion in ``src`` as ``view`` says and write the keypoints of ``points``
    (default: every point of its rig) to the keypoint file ``out`` (.npz), e.g. to try
    ``regress`` or ``fit2d`` on a known motion."""
    from posefield.fit.keypoints import keypoint_points, save_keypoints, view_keypoints

    motion = with_frames(read_motion(src, asf), src, "film")
    target = check_output(out, files_of(motion), (".npz",), "keypoint file")
    if points is not None:
        keypoint_points(motion.skeleton, points, src)
    save_keypoints(view_keypoints(motion, points, view), target)
    return [target]


@dataclasses.dataclass(frozen=True)
class SampleReport:
    """APD (cm) of the samples and their realism against real poses: the mean weighted geodesic
    distance to the nearest one (radians) and the mean RMS angle between bone directions and
    those of the nearest one (degrees); ``reference`` names the real poses (``None``: none to
    measure against, and no realism)."""

    files: list[Path]
    apd_cm: float
    realism_rad: float | None
    realism_deg: float | None
    reference: str | None


def reference_poses(reference: Path | None, rig: Skeleton) -> tuple[np.ndarray, list[int], str] | None:
    """(M, J, 4) real poses on ``rig`` (the rig's own rest elsewhere), the (K,) joints they set, and their
    description: the pose dataset ``reference``, else the training poses stored with the rig's shipped
    Pose-NDF prior; ``None`` without either."""
    from posefield.data.dataset import PoseDataset

    if reference is not None:
        data = PoseDataset.load(reference)
        if data.skeleton.signature() != rig.signature():
            raise SkeletonMismatchError(f"{reference}: the reference poses are of another skeleton than the samples")
        quats, joints, what = data.quats, [int(j) for j in data.joint_index], f"{len(data)} poses of {reference}"
    else:
        try:
            shipped = get_prior("ndf", rig)
        except SkeletonMismatchError:
            return None
        recorded = shipped.recorded_exemplars()
        if recorded is None:
            return None
        quats, joints = recorded.double().numpy(), list(shipped.joint_index)
        what = f"{len(quats)} recorded training poses stored with the shipped Pose-NDF prior of the {rig.rig} rig"
    return rig.posed(joints, quats), joints, what


def sample_file(num: int, out: Path, prior: str = "ndf", skeleton: Path | None = None,
                reference: Path | None = None, seed: int = 0, rig_map: Path | None = None,
                note: Log | None = None, starts: str = "mix") -> SampleReport:
    """Draw ``num`` poses, write them as a motion of ``num`` frames and measure them against real poses.
    On a ``skeleton`` of another rig than the prior's the poses are drawn on the prior's rig and
    mapped onto it (calibrated on the frames of a ``.bvh`` skeleton file, else its rest pose);
    its joints without a counterpart stay at rest. Without real poses of that rig (``reference``),
    realism is measured on the prior's rig before the mapping. ``starts``: where Pose-NDF's projection starts
    (:data:`posefield.fit.sample.NDF_STARTS`)."""
    from posefield.data.neighbours import NearestPoses
    from posefield.fit.metrics import average_pairwise_distance, direction_realism, realism
    from posefield.fit.sample import sample_poses

    if skeleton is None:
        model = get_prior(prior)
        rig, mapped = model.skeleton, None
    else:
        own = read_motion(skeleton) if skeleton.suffix.lower() == ".bvh" else rest_motion(load_skeleton(skeleton))
        model, mapped = choose_prior(prior, own, rig_map, note)
        rig = own.skeleton
    target = motion_output(out, native_suffix(rig), [skeleton, reference], rig)
    if mapped is None:
        motion = drawn = sample_poses(model, rig, num, seed=seed, starts=starts)
    else:
        drawn = sample_poses(model, model.skeleton, num, seed=seed, starts=starts)
        motion = mapped.to_source(drawn, dataclasses.replace(rest_motion(rig).slice(np.zeros(num, dtype=int)),
                                                             fps=drawn.fps, source=drawn.source))
    files = save_motion(motion, target)
    apd = average_pairwise_distance(rig, motion.rotations) if num > 1 else 0.0
    scored, found = motion, reference_poses(reference, rig)
    if found is None and mapped is not None:  # no real poses of this rig: measure on the prior's, before the mapping
        scored, found = drawn, reference_poses(None, model.skeleton)
        if found is not None:
            found = (*found[:2], f"{found[2]} (the samples on that rig, before the mapping)")
    if found is None:
        return SampleReport(files, apd, None, None, None)
    real, joints, what = found
    samples, real_quats = (torch.as_tensor(r[:, joints], dtype=torch.float32) for r in (scored.rotations, real))
    score = realism(samples, NearestPoses(real_quats))
    degrees = float(direction_realism(scored.skeleton, scored.rotations, real).mean())
    return SampleReport(files, apd, score, degrees, what)


def interpolate_files(a: Path, b: Path, num_frames: int, out: Path, method: str = "ndf", prior: str = "ndf",
                      frame_a: int = 0, frame_b: int = 0, asf: Path | None = None) -> list[Path]:
    """Interpolate from frame ``frame_a`` of ``a`` to frame ``frame_b`` of ``b`` and write ``out``."""
    from posefield.fit.interpolate import interpolate, pick_frame

    first, last = read_motion(a, asf), read_motion(b, asf)
    target = motion_output(out, a.suffix, files_of(first) + files_of(last), first.skeleton)
    model = get_prior("none" if method == "slerp" else prior, first.skeleton)
    result = interpolate(pick_frame(first, frame_a), pick_frame(last, frame_b), num_frames, model, method)
    return save_motion(result, target)


def rig_report(src: Path, prior: str = "ndf", asf: Path | None = None, rig_map: Path | None = None) -> str:
    """How the rig of ``src`` (a motion, or an ``.asf`` skeleton) maps onto the prior ``prior``
    names: the joint pairs, the unpaired joints and the alignment, or that it is the prior's own."""
    from posefield.prior.motions.mapping import describe_mapping

    motion = rest_motion(load_skeleton(src)) if src.suffix.lower() == ".asf" else read_motion(src, asf)
    model, mapped = choose_prior(prior, motion, rig_map)
    if mapped is None:
        return (f"the motion's rig is the {prior!r} prior's own ({motion.skeleton.rig}, "
                f"{motion.skeleton.num_joints} joints): no mapping needed")
    return describe_mapping(mapped, motion)
