"""Self-penetration: do limbs pass through each other?

Two capsules (see :mod:`posefield.mesh.capsules`) interpenetrate when the distance between
their segments is below the sum of their radii by more than a tolerance. Hands, fingers and
toes are left out (small, and often in contact). Pairs that already
touch in the rest pose (a joint and its neighbours, the hips and the lower back ...) are
adjacent and never counted, so the rest pose scores 0 on every skeleton.
"""
from __future__ import annotations

import numpy as np

from posefield.mesh.capsules import Capsules, capsules
from posefield.skeleton import rest_points
from posefield.motion import Motion

DEFAULT_TOLERANCE = 0.03  # metres of overlap ignored (contact, thin skeletons)


def segment_distance(p0: np.ndarray, p1: np.ndarray, q0: np.ndarray, q1: np.ndarray) -> np.ndarray:
    """Closest distance between segments p0-p1 and q0-q1, all (..., 3) in metres -> (...)."""
    p0, p1, q0, q1 = (np.asarray(x, dtype=np.float64) for x in (p0, p1, q0, q1))
    d1, d2, r = p1 - p0, q1 - q0, p0 - q0
    a, e = (d1 * d1).sum(-1), (d2 * d2).sum(-1)
    b, c, f = (d1 * d2).sum(-1), (d1 * r).sum(-1), (d2 * r).sum(-1)
    denom = a * e - b * b
    eps = 1e-12
    s = np.where(denom > eps, np.clip((b * f - c * e) / np.maximum(denom, eps), 0, 1), 0.0)
    t = (b * s + f) / np.maximum(e, eps)
    # t outside [0, 1]: clamp it and recompute s for that end of q.
    s = np.where(t < 0, np.clip(-c / np.maximum(a, eps), 0, 1), np.where(t > 1, np.clip((b - c) / np.maximum(a, eps), 0, 1), s))
    t = np.clip(t, 0, 1)
    closest = (p0 + s[..., None] * d1) - (q0 + t[..., None] * d2)
    return np.linalg.norm(closest, axis=-1)


def candidate_pairs(caps: Capsules, points: np.ndarray, tolerance: float = DEFAULT_TOLERANCE) -> np.ndarray:
    """(P, 2) capsule index pairs a < b of different joints, neither of them an extremity (hand,
    finger, toe), that do not touch in the rest pose (``points``: rest positions of joints
    and end sites)."""
    seg = caps.segments
    a, b = np.triu_indices(len(seg), k=1)
    rest = segment_distance(points[seg.start[a]], points[seg.end[a]], points[seg.start[b]], points[seg.end[b]])
    apart = rest - caps.radius[a] - caps.radius[b] > -tolerance
    keep = apart & (seg.owner[a] != seg.owner[b]) & ~caps.extremity[a] & ~caps.extremity[b]
    return np.stack([a[keep], b[keep]], axis=1)


def penetration_depths(motion: Motion, caps: Capsules | None = None) -> np.ndarray:
    """(T, P) overlap in metres (positive = interpenetrating) of every non-adjacent capsule pair."""
    caps = caps or capsules(motion.skeleton)
    pairs = candidate_pairs(caps, rest_points(motion.skeleton))
    points = motion.joint_positions(with_end_sites=True)
    seg = caps.segments
    a, b = pairs[:, 0], pairs[:, 1]
    dist = segment_distance(points[:, seg.start[a]], points[:, seg.end[a]], points[:, seg.start[b]], points[:, seg.end[b]])
    return caps.radius[a] + caps.radius[b] - dist


def self_penetration(motion: Motion, tolerance: float = DEFAULT_TOLERANCE) -> float:
    """Share of frames (samples) in which some non-adjacent limbs interpenetrate by more than
    ``tolerance`` metres, in [0, 1]."""
    depths = penetration_depths(motion)
    if depths.shape[1] == 0:
        return 0.0
    return float((depths.max(axis=1) > tolerance).mean())


def penetrating_pairs(motion: Motion, frame: int, tolerance: float = DEFAULT_TOLERANCE) -> list[tuple[str, str]]:
    """Names of the joints whose capsules interpenetrate at ``frame`` (for reports and tests)."""
    caps = capsules(motion.skeleton)
    pairs = candidate_pairs(caps, rest_points(motion.skeleton))
    depths = penetration_depths(motion.slice(slice(frame, frame + 1)), caps)[0]
    names = motion.skeleton.names
    return [(names[caps.segments.owner[a]], names[caps.segments.owner[b]])
            for (a, b), d in zip(pairs, depths) if d > tolerance]
