"""Quality measures of the applications' outputs (positions via forward kinematics, in cm)."""
from __future__ import annotations

import numpy as np
import torch

from posefield.data.neighbours import NearestPoses
from posefield.motion import Motion
from posefield.skeleton import Skeleton, forward_kinematics


def root_aligned_error(motion: Motion, reference: Motion, points: np.ndarray | None = None) -> float:
    """Mean distance (cm) between corresponding joints and end sites of two motions of one
    skeleton after subtracting each frame's root position.

    Args:
        motion, reference: motions of T frames.
        points: optional (J + E,) bool selecting the points averaged over.
    """
    return float(per_point_error(motion, reference)[:, slice(None) if points is None else points].mean() / 10)


def per_point_error(motion: Motion, reference: Motion) -> np.ndarray:
    """(T, J + E) root-aligned distance (mm) of every joint and end site to the reference's."""
    a, b = motion.joint_positions(with_end_sites=True), reference.joint_positions(with_end_sites=True)
    return 1000 * np.linalg.norm((a - a[:, :1]) - (b - b[:, :1]), axis=-1)


def per_frame_error(motion: Motion, reference: Motion) -> np.ndarray:
    """(T,) mean root-aligned joint and end-site error (mm) of each frame."""
    return per_point_error(motion, reference).mean(axis=1)


APD_CHUNK = 1 << 24  # distances held at once by average_pairwise_distance (128 MiB of float64)


def average_pairwise_distance(skeleton: Skeleton, rotations: np.ndarray) -> float:
    """APD (cm): mean over pairs of poses of the mean joint/end-site distance between them,
    each posed with its root at the origin.

    Args:
        rotations: (N, J, 4) local quaternions, N ≥ 2.
    """
    pos = forward_kinematics(skeleton, torch.as_tensor(rotations, dtype=torch.float64),
                             torch.zeros(rotations.shape[0], 3, dtype=torch.float64), with_end_sites=True)
    flat = pos.transpose(0, 1)  # (P, N, 3)
    points, n = flat.shape[:2]
    rows = max(1, APD_CHUNK // (points * n))  # poses per block of (P, rows, N) distances
    total = sum(float(torch.cdist(flat[:, i:i + rows], flat).mean(dim=0).sum()) for i in range(0, n, rows))
    return 100 * total / (n * (n - 1))


def realism(quats: torch.Tensor, reference: NearestPoses, k: int = 32) -> float:
    """Mean weighted geodesic distance (radians) from each pose to its nearest reference pose.

    Args:
        quats: (N, K, 4) poses over the reference's joint set.
        reference: index of real poses (faiss candidates, exact re-ranking).
        k: candidates per query.
    """
    dist, _ = reference.query(quats, k=k)
    return float(dist.mean())


def bone_directions(skeleton: Skeleton, rotations: np.ndarray) -> np.ndarray:
    """(N, B, 3) unit direction of every bone (joint or end site to its parent, zero-length bones
    left out) of poses with the root's rotation and translation removed.

    Args:
        rotations: (N, J, 4) local quaternions; the root's entry is ignored.
    """
    rot = torch.as_tensor(rotations, dtype=torch.float64).clone()
    rot[:, 0] = torch.tensor([0.0, 0.0, 0.0, 1.0], dtype=torch.float64)
    pos = forward_kinematics(skeleton, rot, torch.zeros(len(rot), 3, dtype=torch.float64), with_end_sites=True).numpy()
    parents = np.array(list(skeleton.parents) + sorted(skeleton.end_sites), dtype=np.int64)
    bones = pos[:, 1:] - pos[:, parents[1:]]
    length = np.linalg.norm(bones[0], axis=-1)
    keep = length > 1e-6 * max(float(length.max()), 1e-12)
    return bones[:, keep] / np.linalg.norm(bones[:, keep], axis=-1, keepdims=True)


def direction_realism(skeleton: Skeleton, rotations: np.ndarray, reference: np.ndarray, k: int = 32) -> np.ndarray:
    """(N,) realism in degrees: RMS angle between each pose's bone directions and those of the
    nearest reference pose (nearest by that RMS angle; root rotation removed from both).

    Args:
        skeleton: the rig of both sets of poses.
        rotations: (N, J, 4) local quaternions of the poses measured.
        reference: (M, J, 4) local quaternions of real poses.
        k: candidates (nearest by chord) re-ranked by the exact angle.
    """
    import faiss

    mine, real = bone_directions(skeleton, rotations), bone_directions(skeleton, reference)
    index = faiss.IndexFlatL2(real.shape[1] * 3)
    index.add(real.reshape(len(real), -1).astype(np.float32))
    _, ids = index.search(mine.reshape(len(mine), -1).astype(np.float32), min(k, len(real)))
    cosine = np.einsum("nbc,nkbc->nkb", mine, real[ids]).clip(-1.0, 1.0)  # (N, k, B)
    rms = np.sqrt(np.square(np.degrees(np.arccos(cosine))).mean(axis=-1))
    return rms.min(axis=1)
