"""Motion denoising with a pose prior (Pose-NDF §4.1): fit the clip to its own noisy joints."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

import numpy as np

from posefield.fit.jitter import motion_jitter
from posefield.fit.positions import MotionPoints, PositionFitConfig, fit_positions
from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.prior.registry import check_compatible, no_prior
from posefield.rotations.euler import rotation_order
from posefield.skeleton import Skeleton

if TYPE_CHECKING:
    from posefield.prior.motions.mapping import PriorRig

# Chosen on subjects held out of tuning priors (benchmarks/applications.md). L-BFGS converges
# where 60 Adam steps of 0.02 rad left noise of their own size (`none` ended farther from the
# truth than its filtered start). Saturating f beyond 0.05 rad keeps a motion unlike the training
# data (dance) from being dragged toward the wrong poses. The weights follow the clip's own noise
# level (prior 1500 and data 500 at 6° per channel), so a clean clip is left as it is.
DENOISE_DEFAULTS = PositionFitConfig(optimizer="lbfgs", steps=50, init_smoothing_s=0.05, data_weight=500.0,
                                     acceleration_weight=0.03, prior_weight=1500.0, prior_saturation=0.05,
                                     prior_reference_noise_deg=6.0)


def denoise(motion: Motion, prior: PosePrior, config: PositionFitConfig = DENOISE_DEFAULTS,
            noise: float | None = None) -> Motion:
    """A smoother, more plausible version of ``motion``.

    Every frame's rotations and root translation are optimised together (batched over the
    clip, in overlapping windows for long clips) so that the joints stay close to the
    observed ones, move smoothly and the pose has low prior energy. The optimisation starts
    from the clip filtered along time (``config.init_smoothing_s``). The prior's and the data's
    weights and the filter's width follow the clip's own noise level, estimated from its
    frame-to-frame jitter (``config.prior_reference_noise_deg``), so a nearly clean clip keeps
    its poses.

    Args:
        motion: the noisy motion (T frames).
        prior: pose prior of the motion's rig (``NoPrior`` for smoothing alone).
        config: weights and optimiser settings.
        noise: the input's per-channel noise σ̂ (radians) where it was measured on another rig
            (:func:`denoise_mapped`); ``None``: estimated from ``motion``.
    Returns:
        A new motion with the same skeleton, frame count and frame rate; its ``source`` records
        the prior (``denoised_with``) and the input's estimated noise (``estimated_noise_deg``,
        degrees per rotation channel; NaN under 3 frames).
    """
    check_compatible(prior, motion.skeleton)
    targets = MotionPoints(motion)  # posed a window at a time
    observed = np.ones(targets.shape[1], dtype=bool)
    if noise is None:
        noise = motion_jitter(motion.skeleton, motion.rotations)
    rotations, translation = fit_positions(motion.skeleton, targets, observed, motion.rotations,
                                           motion.root_translation, motion.fps, prior, config, noise=noise)
    noise_deg = float(np.degrees(noise))
    return dataclasses.replace(motion, rotations=rotations, root_translation=translation,
                               source={**motion.source, "denoised_with": prior.name, "estimated_noise_deg": noise_deg})


def denoise_mapped(motion: Motion, prior: PosePrior, mapped: PriorRig,
                   config: PositionFitConfig = DENOISE_DEFAULTS) -> Motion:
    """``motion``, of another rig than ``prior``'s, denoised through the rig map ``mapped``.

    The paired joints are denoised on the prior's rig (:meth:`PriorRig.to_prior`,
    :func:`denoise`) and come back through the map; the fit follows the noise level measured
    on the motion's own rig (mapped, 6° per channel read as 5.0-5.2°: the prior's one- and
    two-channel joints and the shares of its unpaired ones hold less of it). The motion's
    joints the map leaves out (fingers, eyes, extra spine or twist joints) would come back as
    they were, noise and all: where any of them below a paired joint rotates they are taken
    from the fit without a prior on the motion's own rig (a second fit; a static root above
    the body stays as it was). On the DAZ BVH clips through ``cmu-asf`` (24 of 43 joints left
    out) the error went from 1.000x to 0.991x the no-prior fit's with the joints left out, to
    0.978x with the noise level as well (``benchmarks/rigmap.md``).

    Args:
        motion: the noisy motion on its own rig (T frames).
        prior: the prior of the rig ``mapped`` maps onto.
        mapped: a map of ``motion``'s rig onto the prior's (:func:`posefield.prior.motions.mapping.choose_prior`).
        config: weights and optimiser settings of both fits.
    Returns:
        The motion on its own rig, as :func:`denoise` returns it.
    """
    skeleton = motion.skeleton
    below = _below_pairs(skeleton, {s for _, s in mapped.rig_map.pairs})
    left_out = [j for j in mapped.rig_map.unmapped_source() if below[j] and rotation_order(skeleton.channels[j])]
    kept = denoise(motion, no_prior(skeleton), config) if left_out else motion
    noise = motion_jitter(skeleton, motion.rotations)
    return mapped.to_source(denoise(mapped.to_prior(motion), prior, config, noise), kept)


def _below_pairs(skeleton: Skeleton, paired: set[int]) -> list[bool]:
    """(J,) whether each joint of ``skeleton`` has one of the ``paired`` joints above it."""
    below: list[bool] = []
    for p in skeleton.parents:
        below.append(p >= 0 and (p in paired or below[p]))
    return below
