"""A 3D body from one photo's keypoints: HKMR and refinement where a regressor is shipped,
else the prior-guided 2D fit.

``hkmr``: :mod:`posefield.regress` regresses the pose and proportions in one pass and the
result is refined against the keypoints with the pose prior (HKMR_MF). ``fit2d``: the demo
CMU skeleton (or the one given) is fitted to the keypoints with the prior
(:func:`posefield.fit.fit2d.fit_keypoints`). Either way the motion is in camera coordinates
(metres, y down, z forward), one frame per photo. Without a shipped Pose-NDF prior for the
rig, the ``none`` prior is used.
"""
from __future__ import annotations

from importlib import resources
from typing import Callable

from posefield.errors import CheckpointError, SkeletonMismatchError
from posefield.fit.keypoints import Keypoints
from posefield.io import load_skeleton
from posefield.motion import Motion
from posefield.prior.registry import prior_or_none
from posefield.skeleton import Skeleton

RECOVERY_METHODS = ("auto", "hkmr", "fit2d")


def demo_skeleton() -> Skeleton:
    """The CMU ASF skeleton shipped with posefield (subject 13)."""
    with resources.as_file(resources.files("posefield") / "assets" / "demo" / "13.asf") as path:
        return load_skeleton(path)


def regress_body(keypoints: Keypoints, prior: str, notify: Callable[[str], None]) -> Motion:
    """HKMR on the keypoints, then refinement with the prior; raises :class:`CheckpointError`
    when no regressor is shipped (or this install has no :mod:`posefield.regress`)."""
    try:
        from posefield.regress.checkpoint import model_for
        from posefield.regress.predict import regress_keypoints
        from posefield.regress.refine import refine_motion
    except ImportError as exc:
        raise CheckpointError(f"HKMR is not part of this install ({exc})") from None

    motion = regress_keypoints(model_for("hkmr", keypoints.joint_names), keypoints)
    return refine_motion(motion, keypoints, prior_or_none(prior, motion.skeleton, notify))


def fit_body(keypoints: Keypoints, skeleton: Skeleton | None, prior: str, notify: Callable[[str], None]) -> Motion:
    """The prior-guided 2D fit of ``skeleton`` (default :func:`demo_skeleton`) to the keypoints."""
    from posefield.fit.fit2d import fit_keypoints

    skeleton = skeleton or demo_skeleton()
    return fit_keypoints(keypoints, skeleton, prior_or_none(prior, skeleton, notify))


def recover_body(keypoints: Keypoints, method: str = "auto", skeleton: Skeleton | None = None, prior: str = "ndf",
                 notify: Callable[[str], None] = lambda message: None) -> tuple[Motion, str]:
    """The body seen in a photo, from its keypoints.

    Args:
        keypoints: one frame of CMU keypoints with the photo's intrinsics.
        method: ``"hkmr"``, ``"fit2d"`` or ``"auto"`` (HKMR when a regressor is shipped and no
            ``skeleton`` is given, else fit2d).
        skeleton: the skeleton to fit (fit2d only).
        prior: prior spec (see ``posefield.prior.registry.get_prior``).
        notify: receives one-line notes (fallbacks taken).
    Returns:
        (motion in camera coordinates, the method used).
    """
    if method not in RECOVERY_METHODS:
        raise SkeletonMismatchError(f"unknown method {method!r} (expected one of {', '.join(RECOVERY_METHODS)})")
    if method == "hkmr" or (method == "auto" and skeleton is None):
        try:
            return regress_body(keypoints, prior, notify), "hkmr"
        except CheckpointError as exc:
            if method == "hkmr":
                raise
            notify(f"HKMR unavailable ({' '.join(str(exc).split())}); fitting with fit2d")
    return fit_body(keypoints, skeleton, prior, notify), "fit2d"
