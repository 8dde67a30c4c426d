"""``posefield image``: photo in, keypoints, 3D body and an overlay picture out."""
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


def photo_to_body(photo: np.ndarray, detector: KeypointDetector | None = None, method: str = "auto",
                  skeleton: Skeleton | None = None, prior: str = "ndf",
                  notify: Callable[[str], None] = lambda message: None) -> PhotoResult:
    """Detect keypoints in an (H, W, 3) uint8 photo (default detector: MediaPipe) and recover the body."""
    keypoints = (detector or MediaPipeDetector()).detect(photo)
    motion, used = recover_body(keypoints, method, skeleton, prior, notify)
    return PhotoResult(keypoints, motion, used)


def image_file(photo_path: Path, out: Path, overlay: Path | None = None, mesh: str | None = "auto",
               method: str = "auto", skeleton: Path | None = None, prior: str = "ndf",
               notify: Callable[[str], None] = print) -> list[Path]:
    """Recover the body in a photo; write it as a motion (``.amc``/``.bvh``/``.npz``) or as an
    overlay picture (``.png``) to ``out``, and the overlay also to ``overlay`` when given."""
    from posefield.fit.jobs import write_motion
    from posefield.image.overlay import render_overlay
    from posefield.io import load_skeleton
    from posefield.viz.video import save_png

    photo = load_photo(photo_path)
    rig = load_skeleton(skeleton) if skeleton is not None else None
    result = photo_to_body(photo, None, method, rig, prior, notify)
    notify(f"{int((result.keypoints.confidence > 0).sum())} keypoints found; body recovered with {result.method}")
    written: list[Path] = []
    pictures = [p for p in (out if out.suffix.lower() == ".png" else None, overlay) if p is not None]
    if out.suffix.lower() != ".png":
        written += write_motion(result.motion, out, [photo_path])
    for picture in pictures:
        if picture.resolve() == photo_path.resolve():
            raise MotionFormatError(picture, "refusing to overwrite the input photo")
        written.append(save_png(render_overlay(photo, result.motion, result.keypoints, mesh), picture))
    return written
