"""HKMR_MF: the regressor's output refined by prior-based fitting to the 2D keypoints.

The regressed motion (its skeleton carries the regressed proportions) starts the fit of
:func:`posefield.fit.fit2d.fit_keypoints` in place of its heading search; the fit then
moves every joint to match the keypoints while the pose prior keeps the pose plausible and
hidden joints stay near the regressed guess.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

from posefield.fit.fit2d import Fit2DConfig, fit_keypoints
from posefield.fit.keypoints import Keypoints
from posefield.motion import Motion
from posefield.prior.base import PosePrior

REFINEMENT = Fit2DConfig(sigmas=Fit2DConfig().sigmas[-1:], rotation_lr=0.01)
"""Fit settings for a regressor's guess, which is already close: only the finest robust scale
and small rotation steps, so that the fit corrects the guess rather than refits from afar."""

INDEPENDENT_FRAMES = dataclasses.replace(REFINEMENT, acceleration_weight=0.0)
""":data:`REFINEMENT` for frames that are not a sequence (no smoothness term)."""


def refine_motion(motion: Motion, keypoints: Keypoints, prior: PosePrior, config: Fit2DConfig = REFINEMENT,
                  path: str | Path | None = None) -> Motion:
    """Fit ``motion`` (from :func:`posefield.regress.predict.regress_keypoints`) to ``keypoints``.

    Args:
        motion: the regressed motion, camera coordinates; its skeleton is kept.
        keypoints: the keypoints it was regressed from.
        prior: pose prior of the motion's rig.
        config: fit settings (:data:`INDEPENDENT_FRAMES` for unrelated frames).
        path: the keypoint file, for error messages.
    """
    return fit_keypoints(keypoints, motion.skeleton, prior, config, path=None if path is None else str(path), init=motion)
