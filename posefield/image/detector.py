"""2D keypoint detectors for photos, mapped onto CMU skeleton points.

A detector is anything with ``detect(image) -> Keypoints`` (:class:`KeypointDetector`); the
keypoints name CMU ASF bones whose END is the point (the keypoint file convention of
:mod:`posefield.fit.keypoints`). The shipped adapter wraps MediaPipe Pose (``mediapipe``
0.10.14, the legacy ``solutions`` API, whose wheel bundles the pose detection and "full"
landmark models, so nothing is downloaded at run time).

MediaPipe's 33 landmarks -> CMU bone ends (:data:`MEDIAPIPE_TO_CMU`; sides are the person's):

==========================  ===================================  =========================
MediaPipe landmark          CMU point                            keypoint name
==========================  ===================================  =========================
11 / 12 shoulder            shoulder joint = end of the clavicle ``lclavicle`` / ``rclavicle``
13 / 14 elbow               end of the humerus                   ``lhumerus`` / ``rhumerus``
15 / 16 wrist               end of the radius                    ``lradius`` / ``rradius``
19 / 20 index (knuckle)     end of the hand (finger base)        ``lhand`` / ``rhand``
21 / 22 thumb               end of the thumb                     ``lthumb`` / ``rthumb``
23 / 24 hip                 hip joint = end of the hip bone      ``lhipjoint`` / ``rhipjoint``
25 / 26 knee                end of the femur                     ``lfemur`` / ``rfemur``
27 / 28 ankle               end of the tibia                     ``ltibia`` / ``rtibia``
31 / 32 foot index (toes)   end of the toes                      ``ltoes`` / ``rtoes``
==========================  ===================================  =========================

The face (0-10), pinkies (17, 18) and heels (29, 30) have no CMU counterpart and are dropped.
A landmark's confidence is MediaPipe's visibility; landmarks outside the image count as hidden.
"""
from __future__ import annotations

import contextlib
import os
import sys
from typing import Iterator, Protocol

import numpy as np

from posefield.errors import MotionFormatError
from posefield.fit.keypoints import Keypoints
from posefield.requires import require

MEDIAPIPE_TO_CMU: dict[int, str] = {
    11: "lclavicle", 12: "rclavicle", 13: "lhumerus", 14: "rhumerus", 15: "lradius", 16: "rradius",
    19: "lhand", 20: "rhand", 21: "lthumb", 22: "rthumb", 23: "lhipjoint", 24: "rhipjoint",
    25: "lfemur", 26: "rfemur", 27: "ltibia", 28: "rtibia", 31: "ltoes", 32: "rtoes",
}
"""MediaPipe Pose landmark index -> CMU ASF bone whose end it is (see the module docstring)."""

FOCAL_FACTOR = 1.2
"""Assumed focal length of a photo without calibration, in units of its longer side (about a
45° field of view across it)."""


class KeypointDetector(Protocol):
    """Finds one person's 2D keypoints in an RGB photo."""

    def detect(self, image: np.ndarray) -> Keypoints:
        """Keypoints (one frame) of the most prominent person in an (H, W, 3) uint8 RGB image."""


def default_intrinsics(width: int, height: int) -> np.ndarray:
    """(3, 3) pinhole matrix of an uncalibrated photo: focal :data:`FOCAL_FACTOR` · max(W, H)
    pixels, principal point at the centre."""
    f = FOCAL_FACTOR * max(width, height)
    return np.array([[f, 0.0, width / 2], [0.0, f, height / 2], [0.0, 0.0, 1.0]])


def landmarks_to_keypoints(normalised: np.ndarray, visibility: np.ndarray, width: int, height: int) -> Keypoints:
    """CMU keypoints from MediaPipe's (33, 2) normalised image coordinates and (33,) visibilities."""
    index = list(MEDIAPIPE_TO_CMU)
    pixels = normalised[index] * [width, height]
    inside = (normalised[index] >= 0).all(axis=1) & (normalised[index] <= 1).all(axis=1)
    confidence = np.clip(visibility[index], 0, 1) * inside
    return Keypoints(pixels[None], confidence[None], list(MEDIAPIPE_TO_CMU.values()),
                     default_intrinsics(width, height), 1.0)


@contextlib.contextmanager
def quiet_stderr() -> Iterator[None]:
    """Send what is written to file descriptor 2 (the C++ log lines of the detector's libraries)
    to the null device inside the block; Python exceptions still propagate."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


class MediaPipeDetector:
    """MediaPipe Pose on a single photo (see the module docstring)."""

    def __init__(self, min_confidence: float = 0.3):
        require("mediapipe", "image", "keypoint detection in photos")
        self.min_confidence = min_confidence

    def detect(self, image: np.ndarray) -> Keypoints:
        with quiet_stderr():  # MediaPipe, absl and TF Lite log to the terminal from C++
            from mediapipe.python.solutions import pose

            with pose.Pose(static_image_mode=True, model_complexity=1,
                           min_detection_confidence=self.min_confidence) as model:
                result = model.process(np.ascontiguousarray(image[..., :3]))
        if result.pose_landmarks is None:
            raise MotionFormatError(None, "no person found in the photo")
        marks = result.pose_landmarks.landmark
        normalised = np.array([[m.x, m.y] for m in marks], dtype=np.float64)
        visibility = np.array([m.visibility for m in marks], dtype=np.float64)
        return landmarks_to_keypoints(normalised, visibility, image.shape[1], image.shape[0])
