"""Human-readable summaries of motion, skeleton and dataset files (``posefield info``)."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from posefield.errors import MotionFormatError
from posefield.motion import Motion
from posefield.skeleton import Skeleton


def skeleton_lines(skeleton: Skeleton) -> list[str]:
    """Lines describing a skeleton: rig, joints, channels, rest height."""
    rest = Motion(skeleton, np.tile([0.0, 0.0, 0.0, 1.0], (1, skeleton.num_joints, 1)), np.zeros((1, 3)), 1.0)
    pos = rest.joint_positions(with_end_sites=True)[0]
    extent = pos.max(axis=0) - pos.min(axis=0)
    n_channels = sum(len(c) for c in skeleton.channels)
    return [
        f"rig:      {skeleton.rig} ({skeleton.num_joints} joints, {len(skeleton.end_sites)} end sites, "
        f"{n_channels} channels, {len(skeleton.rotation_joints())} rotating non-root joints)",
        f"rest extent (x, y, z): {extent[0]:.3f} x {extent[1]:.3f} x {extent[2]:.3f} m",
        "joints:   " + ", ".join(skeleton.names),
    ]


def describe_motion(motion: Motion) -> list[str]:
    """Lines describing a motion: format, frames, rate, duration, root travel."""
    travel = np.linalg.norm(np.diff(motion.root_translation, axis=0), axis=1).sum() if motion.num_frames > 1 else 0.0
    return [
        f"format:   {motion.source.get('format', '?')}   subject: {motion.source.get('subject', '?')}",
        f"frames:   {motion.num_frames} at {motion.fps:g} fps ({motion.num_frames / motion.fps:.2f} s)",
        f"root travel: {travel:.2f} m",
    ] + skeleton_lines(motion.skeleton)


def describe(path: str | Path, asf: str | Path | None = None) -> str:
    """Describe any file posefield reads (motion, skeleton, pose dataset, keypoint file), chosen
    by its extension and content; ``asf`` names the skeleton of an ``.amc`` (refused for others)."""
    from posefield.data.dataset import PoseDataset, is_pose_dataset
    from posefield.fit.keypoints import describe_keypoints, is_keypoint_file, load_keypoints
    from posefield.io.formats import load_motion, load_skeleton
    path = Path(path)
    suffix = path.suffix.lower()
    if asf is not None and suffix != ".amc":
        raise MotionFormatError(path, f"has its own skeleton: --asf {asf} applies to .amc inputs only")
    if suffix == ".asf":
        lines = skeleton_lines(load_skeleton(path))
    elif suffix == ".npz" and is_pose_dataset(path):
        data = PoseDataset.load(path)
        lines = [f"pose dataset: {len(data)} poses of {data.quats.shape[1]} joints at {data.fps:g} fps",
                 f"train: {int((~data.is_val).sum())} poses from {', '.join(data.subjects_of(False))}",
                 f"val:   {int(data.is_val.sum())} poses from {', '.join(data.subjects_of(True)) or '(none)'}",
                 f"files: {len(data.files)} on " + (f"{len(data.skeletons)} skeletons" if data.skeletons else
                                                    "skeletons not recorded (built before they were kept)")]
        lines += skeleton_lines(data.skeleton)
    elif suffix == ".npz" and is_keypoint_file(path):
        lines = describe_keypoints(load_keypoints(path))
    else:
        lines = describe_motion(load_motion(path, asf=asf))
    return "\n".join([str(path)] + ["  " + line for line in lines])

