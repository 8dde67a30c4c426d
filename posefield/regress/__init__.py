"""3D pose and body proportions regressed from 2D keypoints: HKMR and a flat baseline.

HKMR (Georgakis et al., ECCV 2020) regresses the pose chain by chain along the kinematic tree
(:mod:`~posefield.regress.chains`, :mod:`~posefield.regress.hkmr`), the flat baseline all at
once (:mod:`~posefield.regress.flat`), both on a pluggable encoder
(:mod:`~posefield.regress.encoder`; the shipped one reads 2D keypoints with confidences) and
trained on synthetic views of motion capture (:mod:`~posefield.regress.synthetic`,
:mod:`~posefield.regress.train`). HKMR_MF refines the regressed motion by prior-based 2D
fitting (:mod:`~posefield.regress.refine`).

Typical use::

    from posefield.fit.keypoints import load_keypoints
    from posefield.regress import load_model, regress_keypoints
    keypoints = load_keypoints("clip.npz")
    motion = regress_keypoints(load_model("cmu-asf-hkmr"), keypoints)
"""
from posefield.regress.checkpoint import load_model, save_model, shipped_models
from posefield.regress.model import RegressionModel, build_model
from posefield.regress.predict import predict, regress_keypoints
from posefield.regress.refine import refine_motion

__all__ = ["RegressionModel", "build_model", "load_model", "save_model", "shipped_models", "predict",
           "regress_keypoints", "refine_motion"]
