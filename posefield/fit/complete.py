"""Completing occluded body parts (Pose-NDF §4.1, fitting to partial data).

The unobserved joints need a starting point the fit can descend from: the prior's own
plausible poses (:meth:`PosePrior.exemplars`) propose it. Per frame, the ``candidates``
exemplars closest to the frame on the observed joints (weighted geodesic distance, hidden
joints weighted 0) lend their hidden-joint rotations, the prior scores each completed pose
and the lowest energy wins; the winners are smoothed along time. A prior without exemplars
(``none``) starts the hidden joints at the rest pose.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import torch

from posefield.fit.filtering import smooth_rotations
from posefield.fit.points import moved_points
from posefield.fit.positions import PositionFitConfig, fit_positions
from posefield.fit.terms import prior_energy
from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.prior.registry import check_compatible
from posefield.rotations.distance import pose_distance

COMPLETE_DEFAULTS = PositionFitConfig(prior_weight=40.0, acceleration_weight=1e-4, steps=200, rotation_lr=0.05)


@torch.no_grad()
def hidden_joint_guess(rotations: np.ndarray, prior: PosePrior, hidden: list[int], fps: float,
                       candidates: int = 32, smoothing_s: float = 0.1, chunk: int = 256) -> np.ndarray:
    """Starting rotations for the ``hidden`` joints, proposed by the prior's exemplars.

    Args:
        rotations: (T, J, 4) local quaternions (xyzw); those of ``hidden`` are ignored.
        prior: the prior proposing and scoring the completions.
        hidden: (H,) skeleton indices of the unobserved joints.
        fps: frame rate, for ``smoothing_s``.
        candidates: exemplars scored per frame.
        smoothing_s: σ (seconds) of the Gaussian filter over the chosen rotations.
        chunk: frames per batch.
    Returns:
        (T, J, 4) float64 rotations: observed joints as given, hidden ones guessed.
    """
    out = rotations.astype(np.float64, copy=True)
    out[:, hidden] = (0.0, 0.0, 0.0, 1.0)
    exemplars = prior.exemplars()
    modelled = [k for k, j in enumerate(prior.joint_index) if j in set(hidden)]
    if exemplars is None or not modelled:
        return out
    observed_weight = torch.ones(len(prior.joint_index))
    observed_weight[modelled] = 0.0
    columns = [prior.joint_index[k] for k in modelled]
    guess = torch.as_tensor(out, dtype=torch.float32)
    for start in range(0, len(out), chunk):
        frames = guess[start:start + chunk]
        poses = frames[:, prior.joint_index]
        near = pose_distance(poses[:, None], exemplars[None], observed_weight)
        best = near.topk(min(candidates, len(exemplars)), dim=1, largest=False).indices  # (n, c)
        proposals = poses[:, None].repeat(1, best.shape[1], 1, 1)
        proposals[:, :, modelled] = exemplars[best][:, :, modelled]
        full = frames[:, None].repeat(1, best.shape[1], 1, 1)
        full[:, :, prior.joint_index] = proposals
        energy = prior_energy(prior, full.flatten(0, 1)).view(best.shape)
        chosen = proposals[torch.arange(len(best)), energy.argmin(dim=1)]
        out[start:start + chunk, columns] = chosen[:, modelled].double().numpy()
    out[:, columns] = smooth_rotations(out[:, columns], smoothing_s * fps)
    return out


def complete(motion: Motion, prior: PosePrior, hidden: list[int],
             config: PositionFitConfig = COMPLETE_DEFAULTS) -> Motion:
    """Recover a whole-body motion of which the joints ``hidden`` were not observed.

    The hidden joints start at :func:`hidden_joint_guess` and the points they move
    (:func:`posefield.fit.points.moved_points`: the ends of the hidden bones) are left out of
    the data term, so only the prior (and smoothness) decides them; the other joints are
    fitted to the observed positions.

    Args:
        motion: the motion; rotations of the hidden joints are ignored.
        prior: pose prior of the motion's rig.
        hidden: (H,) skeleton indices of the unobserved joints.
        config: weights and optimiser settings.
    Returns:
        A new motion with every joint filled in.
    """
    check_compatible(prior, motion.skeleton)
    targets = motion.joint_positions(with_end_sites=True)
    init = hidden_joint_guess(motion.rotations, prior, hidden, motion.fps)
    rotations, translation = fit_positions(motion.skeleton, targets, ~moved_points(motion.skeleton, hidden), init,
                                           motion.root_translation, motion.fps, prior, config)
    return dataclasses.replace(motion, rotations=rotations, root_translation=translation,
                               source={**motion.source, "completed_with": prior.name})
