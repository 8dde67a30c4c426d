"""One photo in: its pixels, the keypoints the detector saw in it and the 3D body recovered from them."""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Callable

import numpy as np

from posefield.errors import MotionFormatError
from posefield.fit.keypoints import Keypoints
from posefield.image.detector import KeypointDetector, MediaPipeDetector
from posefield.image.recover import recover_body
from posefield.motion import Motion
from posefield.skeleton import Skeleton


@dataclasses.dataclass
class PhotoResult:
    """What one photo gave: its keypoints, the body (camera coordinates) and the method used."""

    keypoints: Keypoints
    motion: Motion
    method: str


def load_photo(path: str | Path) -> np.ndarray:
    """(H, W, 3) uint8 RGB pixels of an image file, turned upright by its EXIF orientation."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    path = Path(path)
    if not path.is_file():
        raise MotionFormatError(path, "no such file")
    try:
        with Image.open(path) as image:
            return np.asarray(ImageOps.exif_transpose(image).convert("RGB"))
    except (UnidentifiedImageError, OSError) as exc:
        raise MotionFormatError(path, f"not a readable image ({exc})") from None


CONFIDENT = 0.5
"""A keypoint counts as seen from this confidence on."""
MIN_SEEN = 3
"""With fewer keypoints seen than this, no body is built from a photo: the rest would be guessed."""


def seen_keypoints(keypoints: Keypoints, path: str | Path | None = None,
                   notify: Callable[[str], None] = lambda message: None) -> list[str]:
    """The names of the keypoints seen (confidence at least :data:`CONFIDENT`) in a photo's
    first frame; ``notify`` hears which were not seen. Raises :class:`MotionFormatError` naming
    ``path`` when fewer than :data:`MIN_SEEN` were."""
    seen = [n for n, c in zip(keypoints.joint_names, keypoints.confidence[0]) if c >= CONFIDENT]
    if len(seen) < MIN_SEEN:
        raise MotionFormatError(path, f"the detector saw only {len(seen)} of {len(keypoints.joint_names)} keypoints "
                                      f"(confidence >= {CONFIDENT:g}: {', '.join(seen) or 'none'}); a body needs at "
                                      f"least {MIN_SEEN}")
    unseen = [n for n in keypoints.joint_names if n not in seen]
    if unseen:
        notify(f"{len(seen)} of {len(keypoints.joint_names)} keypoints seen; not seen, so guessed by the prior: "
               f"{', '.join(unseen)}")
    return seen


def photo_to_body(photo: np.ndarray, detector: KeypointDetector | None = None, method: str = "auto",
                  skeleton: Skeleton | None = None, prior: str = "ndf",
                  notify: Callable[[str], None] = lambda message: None, path: str | Path | None = None) -> PhotoResult:
    """Detect keypoints in an (H, W, 3) uint8 photo (default detector: MediaPipe) and recover the
    body; raises :class:`MotionFormatError` naming ``path`` when too few keypoints were seen
    (:func:`seen_keypoints`)."""
    keypoints = (detector or MediaPipeDetector()).detect(photo)
    seen_keypoints(keypoints, path, notify)
    motion, used = recover_body(keypoints, method, skeleton, prior, notify)
    return PhotoResult(keypoints, motion, used)
