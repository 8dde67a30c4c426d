"""Motion denoising with a pose prior (Pose-NDF §4.1): fit the clip to its own noisy joints."""
from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Iterator

import numpy as np
import torch

from posefield.data.filtering import clip_hemisphere_signs
from posefield.data.frames import ForwardFrames, unzip
from posefield.fit.jitter import motion_jitter
from posefield.fit.positions import MotionPoints, PositionFitConfig, fit_windows
from posefield.motion import Motion, MotionBlocks
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
    """A smoother, more plausible version of ``motion`` (:func:`denoise_blocks` of the whole motion).

    Args:
        motion: the noisy motion (T frames).
        prior: pose prior of the motion's rig (``NoPrior`` for smoothing alone).
        config: weights and optimiser settings.
        noise: the input's per-channel noise σ̂ (radians) where it was measured on another rig
            (:func:`denoise_mapped`); ``None``: estimated from ``motion``.
    Returns:
        A new motion, as :func:`denoise_blocks` describes it.
    """
    return denoise_blocks(MotionBlocks.of(motion), prior, config, noise).gather()


def denoise_blocks(clip: MotionBlocks, prior: PosePrior, config: PositionFitConfig = DENOISE_DEFAULTS,
                   noise: float | None = None) -> MotionBlocks:
    """A smoother, more plausible version of a clip, read and made a block at a time (memory
    bounded whatever the clip's length: two passes over the clip take its hemisphere signs and
    its noise level, a third fits it window by window as the result is asked for).

    Every frame's rotations and root translation are optimised together (batched over the
    clip, in overlapping windows for long clips) so that the joints stay close to the
    observed ones, move smoothly and the pose has low prior energy. The optimisation starts
    from the clip filtered along time (``config.init_smoothing_s``). The prior's and the data's
    weights and the filter's width follow the clip's own noise level, estimated from its
    frame-to-frame jitter (``config.prior_reference_noise_deg``), so a nearly clean clip keeps
    its poses.

    Args:
        clip: the noisy motion (T frames), block by block.
        prior: pose prior of the motion's rig (``NoPrior`` for smoothing alone).
        config: weights and optimiser settings.
        noise: the input's per-channel noise σ̂ (radians) where it was measured on another rig
            (:func:`denoise_mapped`); ``None``: estimated from ``clip``.
    Returns:
        The denoised clip, fitted as its blocks are read (each read fits again): the same
        skeleton, frame count and frame rate; its ``source`` records the prior
        (``denoised_with``) and the input's estimated noise (``estimated_noise_deg``, degrees
        per rotation channel; NaN under 3 frames).
    """
    header = clip.header
    check_compatible(prior, header.skeleton)
    signs = clip_hemisphere_signs(b.rotations for b in clip.blocks())
    if noise is None:
        noise = motion_jitter(header.skeleton, (b.rotations for b in clip.blocks()))
    num_frames = len(signs)
    result = dataclasses.replace(header, source={**header.source, "denoised_with": prior.name,
                                                 "estimated_noise_deg": float(np.degrees(noise))})

    workers = torch.get_num_threads()  # (the blocks may be asked for where torch runs on one thread: a writer)

    def blocks() -> Iterator[Motion]:
        rotation_blocks, translation_blocks = unzip(((b.rotations, b.root_translation) for b in clip.blocks()), 2)
        rotations = ForwardFrames(rotation_blocks, num_frames, (header.skeleton.num_joints, 4))
        translation = ForwardFrames(translation_blocks, num_frames, (3,))
        targets = MotionPoints(header, rotations, translation)  # posed a window at a time
        observed = np.ones(targets.shape[1], dtype=bool)
        for q, t in fit_windows(header.skeleton, targets, observed, rotations, translation, header.fps, prior,
                                config, None, noise, signs, workers):
            yield dataclasses.replace(result, rotations=q, root_translation=t, source=dict(result.source))

    return MotionBlocks(result, blocks, num_frames)


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
