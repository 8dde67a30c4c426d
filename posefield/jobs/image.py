"""``posefield image``: photo in, keypoints, 3D body and an overlay picture out."""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from posefield.image.photo import load_photo, photo_to_body
from posefield.io.formats import MOTION_SUFFIXES, load_skeleton, save_motion
from posefield.io.outputs import check_output
from posefield.prior.registry import PRIOR_FACTORIES, get_prior


def image_file(photo_path: Path, out: Path, overlay: Path | None = None, mesh: str | None = "auto",
               method: str = "auto", skeleton: Path | None = None, prior: str = "ndf",
               notify: Callable[[str], None] = print) -> list[Path]:
    """Recover the body in a photo; write it as a motion (``.amc``/``.bvh``/``.npz``) or as an
    overlay picture (``.png``) to ``out``, and the overlay also to ``overlay`` when given."""
    from posefield.image.overlay import render_overlay
    from posefield.viz.video import PICTURE_SUFFIXES, save_png

    inputs = [photo_path, skeleton]
    picture = out.suffix.lower() in PICTURE_SUFFIXES
    check_output(out, inputs, MOTION_SUFFIXES + PICTURE_SUFFIXES, "motion or picture")  # before the work
    if overlay is not None:
        check_output(overlay, inputs, PICTURE_SUFFIXES, "picture")
    if prior not in PRIOR_FACTORIES:
        get_prior(prior)  # an unknown name or a bad checkpoint is refused before the photo is read
    photo = load_photo(photo_path)
    rig = load_skeleton(skeleton) if skeleton is not None else None
    result = photo_to_body(photo, None, method, rig, prior, notify, photo_path)
    notify(f"body recovered with {result.method}")
    written = [] if picture else save_motion(result.motion, out)
    pictures = [out] * picture + [overlay] * (overlay is not None)
    if pictures:
        drawn = render_overlay(photo, result.motion, result.keypoints, mesh)
        written += [save_png(drawn, target) for target in pictures]
    return written
