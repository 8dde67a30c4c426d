"""Completing occluded body parts (Pose-NDF §4.1, fitting to partial data).

The unobserved joints are proposed by the prior's own plausible poses
(:meth:`PosePrior.exemplars`: a sample of Pose-NDF's training poses, the baselines' samples):
per frame, the ``neighbours`` exemplars closest to the frame on the observed joints (weighted
geodesic distance, hidden joints weighted 0) lend the mean of their hidden-joint rotations —
k-nearest-neighbour regression, an estimate of the hidden joints given the observed ones — and
the proposals are smoothed along time. A prior without exemplars (``none``) proposes the rest
pose. The fit then treats the proposal's points as weak observations (``guess_weight``), so
smoothness and the prior refine it without drifting away from it. On request it also keeps the
points it fills in above the floor (:mod:`posefield.fit.floor`), which neither the proposal nor
the prior knows about.

Measured on held-out DAZ BVH files (``benchmarks/applications.md``): scoring the exemplar
candidates by the prior's energy and keeping the lowest was worse than their mean (the
energy ranks real poses of other people, all near the manifold, poorly), and without the weak
observations the acceleration term alone let the hidden limbs drift away from the proposal.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from posefield.data.neighbours import NearestPoses
from posefield.data.filtering import smooth_rotations
from posefield.fit.floor import Floor, chain_tops, observed_floor_height
from posefield.fit.points import moved_points
from posefield.fit.positions import PositionFitConfig, fit_positions
from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.prior.registry import check_compatible
from posefield.rotations.quaternion import quaternion_mean

# L-BFGS rather than 200 Adam steps of 0.05 rad, which moved the observed joints by their step size;
# the saturated prior keeps them on poses unlike the training data (benchmarks/applications.md).
COMPLETE_DEFAULTS = PositionFitConfig(optimizer="lbfgs", steps=50, prior_weight=40.0, acceleration_weight=1e-4,
                                      prior_saturation=0.05)
GUESS_WEIGHT = 0.05
AUTO_FLOOR = "auto"


@torch.no_grad()
def hidden_joint_guess(rotations: np.ndarray, exemplars: torch.Tensor | None, joint_index: list[int],
                       hidden: list[int], fps: float, neighbours: int = 8, smoothing_s: float = 0.1,
                       chunk: int = 256) -> np.ndarray:
    """Rotations of the ``hidden`` joints proposed by a prior's exemplars (see the module docstring).

    Args:
        rotations: (T, J, 4) local quaternions (xyzw); those of ``hidden`` are ignored.
        exemplars: (M, K, 4) plausible poses of the joints ``joint_index`` (``None``: rest pose).
        joint_index: (K,) skeleton indices of the exemplars' joints.
        hidden: (H,) skeleton indices of the unobserved joints.
        fps: frame rate, for ``smoothing_s``.
        neighbours: exemplars averaged per frame.
        smoothing_s: σ (seconds) of the Gaussian filter over the proposed rotations.
        chunk: frames per batch.
    Returns:
        (T, J, 4) float64 rotations: observed joints as given, hidden ones guessed.
    """
    out = rotations.astype(np.float64, copy=True)
    out[:, hidden] = (0.0, 0.0, 0.0, 1.0)
    hidden_set = set(hidden)
    modelled = [k for k, j in enumerate(joint_index) if j in hidden_set]
    if exemplars is None or not modelled:
        return out
    observed_weight = torch.ones(len(joint_index))
    observed_weight[modelled] = 0.0
    columns = [joint_index[k] for k in modelled]
    poses = torch.as_tensor(out[:, joint_index], dtype=torch.float32)
    search = NearestPoses(exemplars.float(), observed_weight)  # exact: embedding candidates re-ranked
    for start in range(0, len(out), chunk):
        _, best = search.nearest(poses[start:start + chunk], neighbours)  # (n, neighbours)
        out[start:start + chunk, columns] = quaternion_mean(exemplars[best][:, :, modelled], dim=1).double().numpy()
    out[:, columns] = smooth_rotations(out[:, columns], smoothing_s * fps)
    return out


def complete(motion: Motion, prior: PosePrior, hidden: list[int],
             config: PositionFitConfig = COMPLETE_DEFAULTS, guess_weight: float = GUESS_WEIGHT,
             floor: str | float | None = None) -> Motion:
    """Recover a whole-body motion of which the joints ``hidden`` were not observed.

    The hidden joints start at :func:`hidden_joint_guess`; the points they move
    (:func:`posefield.fit.points.moved_points`: the ends of the hidden bones) enter the data
    term at the proposal's positions with weight ``guess_weight`` (observed points: 1) where
    the prior has exemplars, and not at all where it has none (only the prior and smoothness
    move them from the rest pose); the other joints are fitted to the observed positions.

    Args:
        motion: the motion; rotations of the hidden joints are ignored.
        prior: pose prior of the motion's rig.
        hidden: (H,) skeleton indices of the unobserved joints.
        config: weights and optimiser settings.
        guess_weight: data weight of the proposed hidden points relative to the observed ones.
        floor: keep the points of the hidden joints above a floor: its height along Y (metres),
            ``"auto"`` (the lowest height of the observed leg points,
            :func:`posefield.fit.floor.observed_floor_height`; none without any) or ``None`` (no floor).
    Returns:
        A new motion with every joint filled in; ``source["floor_m"]`` is the floor's height
        (``None``: no floor, asked for or found).
    """
    check_compatible(prior, motion.skeleton)
    exemplars = prior.exemplars()
    init = hidden_joint_guess(motion.rotations, exemplars, prior.joint_index, hidden, motion.fps)
    unseen = moved_points(motion.skeleton, hidden)
    targets = motion.joint_positions(with_end_sites=True)
    targets[:, unseen] = dataclasses.replace(motion, rotations=init).joint_positions(with_end_sites=True)[:, unseen]
    weights = np.where(unseen, guess_weight if exemplars is not None else 0.0, 1.0)
    height = observed_floor_height(motion.skeleton, targets, ~unseen) if floor == AUTO_FLOOR else floor
    rotations, translation = fit_positions(motion.skeleton, targets, weights, init, motion.root_translation,
                                           motion.fps, prior, config,
                                           None if height is None else Floor(float(height), unseen,
                                                                             tuple(chain_tops(motion.skeleton, hidden))))
    return dataclasses.replace(motion, rotations=rotations, root_translation=translation,
                               source={**motion.source, "completed_with": prior.name, "floor_m": height})
