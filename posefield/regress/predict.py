"""Running a trained regressor: keypoints in, 3D poses and a proportioned skeleton out.

A keypoint file (:mod:`posefield.fit.keypoints`) may hold any subset of the model's
keypoints in any order, plus other points of its rig: columns are matched by name, the
model's keypoints the file lacks count as hidden and the file's other columns are ignored; a
name that is no point of the rig is an error, as in ``fit2d``. Each frame is regressed
on its own; the written skeleton takes the frames' mean proportions (one person per file).
The motion is in camera coordinates (metres, y down, z forward), like ``posefield fit2d``'s.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import roma
import torch

from posefield.errors import MotionFormatError
from posefield.fit.keypoints import Keypoints, keypoint_points
from posefield.motion import Motion
from posefield.regress.body import full_rotations, posed_points, proportioned_skeleton
from posefield.regress.camera import camera_to_translation
from posefield.regress.encoder import keypoint_inputs
from posefield.regress.model import RegressionModel


@dataclasses.dataclass
class Prediction:
    """The last estimate of B samples: ``rotmats`` (B, R, 3, 3) of the regressed joints,
    ``beta`` (B, C), root ``translation`` (B, 3) in metres (camera frame) and ``points``
    (B, J + E, 3) joints and end sites relative to the root, metres."""

    rotmats: torch.Tensor
    beta: torch.Tensor
    translation: torch.Tensor
    points: torch.Tensor


def predict(model: RegressionModel, pixels: torch.Tensor, confidence: torch.Tensor,
            intrinsics: torch.Tensor) -> Prediction:
    """Regress B samples of keypoints in the model's order: (B, P, 2) pixels, (B, P)
    confidences (0: hidden) and (B, 3, 3) intrinsics."""
    with torch.no_grad():
        inputs, crop = keypoint_inputs(pixels.float(), confidence.float(), intrinsics.float())
        estimate = model.regressor(inputs)[-1]
        rotmats = estimate.rotmats()
        return Prediction(rotmats, estimate.beta, camera_to_translation(estimate.camera, crop),
                          posed_points(model.body, rotmats, estimate.beta))


def model_columns(model: RegressionModel, keypoints: Keypoints, path: str | Path | None = None) -> np.ndarray:
    """(P,) column of the file holding each of the model's keypoints (-1: absent); raises
    :class:`MotionFormatError` when the file names a point the model's rig does not have (as
    ``fit2d`` does) or holds none of the model's keypoints."""
    columns = np.array([keypoints.joint_names.index(n) if n in keypoints.joint_names else -1
                        for n in model.keypoint_names], dtype=np.int64)
    if (columns < 0).all():
        raise MotionFormatError(path, f"none of the keypoints the regressor reads ({', '.join(model.keypoint_names)}) "
                                      f"is in the file (it has {', '.join(keypoints.joint_names)})")
    keypoint_points(model.body.skeleton, keypoints.joint_names, path)
    return columns


def prediction_motion(model: RegressionModel, prediction: Prediction, fps: float) -> Motion:
    """The predicted frames as one motion of the model's rig with their mean proportions."""
    body = model.body
    skeleton = proportioned_skeleton(body.skeleton, body.chains, prediction.beta.mean(dim=0).double().numpy())
    local = full_rotations(body, prediction.rotmats.double())[:, :body.skeleton.num_joints]
    return Motion(skeleton, roma.rotmat_to_unitquat(local).numpy(), prediction.translation.double().numpy(), fps,
                  {"format": "regress", "model": model.kind})


def regress_keypoints(model: RegressionModel, keypoints: Keypoints, path: str | Path | None = None) -> Motion:
    """A motion of the model's rig, with the frames' mean proportions, in camera coordinates."""
    columns = model_columns(model, keypoints, path)
    present = torch.as_tensor(columns >= 0)
    take = torch.as_tensor(np.maximum(columns, 0))
    pixels = torch.as_tensor(keypoints.pixels)[:, take] * present[None, :, None]
    confidence = torch.as_tensor(keypoints.confidence)[:, take] * present[None]
    intrinsics = torch.as_tensor(keypoints.intrinsics).expand(keypoints.num_frames, 3, 3)
    return prediction_motion(model, predict(model, pixels, confidence, intrinsics), keypoints.fps)
