"""Completing occluded body parts (Pose-NDF §4.1, fitting to partial data)."""
from __future__ import annotations

import dataclasses

from posefield.fit.points import moved_points
from posefield.fit.positions import PositionFitConfig, fit_positions
from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.prior.registry import check_compatible

COMPLETE_DEFAULTS = PositionFitConfig(prior_weight=40.0, acceleration_weight=1e-4, steps=200, rotation_lr=0.05)


def complete(motion: Motion, prior: PosePrior, hidden: list[int],
             config: PositionFitConfig = COMPLETE_DEFAULTS) -> Motion:
    """Recover a whole-body motion of which the joints ``hidden`` were not observed.

    The hidden joints' rotations start at identity (the rest pose) and the points they move
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
    init = motion.rotations.copy()
    init[:, hidden] = (0.0, 0.0, 0.0, 1.0)
    rotations, translation = fit_positions(motion.skeleton, targets, ~moved_points(motion.skeleton, hidden), init,
                                           motion.root_translation, motion.fps, prior, config)
    return dataclasses.replace(motion, rotations=rotations, root_translation=translation,
                               source={**motion.source, "completed_with": prior.name})
