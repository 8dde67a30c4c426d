"""Writing pictures and animations atomically: PNG and GIF with pillow, MP4 with imageio-ffmpeg."""
from __future__ import annotations

from pathlib import Path
from typing import Iterable

import numpy as np

from posefield.errors import MotionFormatError
from posefield.io.atomic import atomic_path
from posefield.requires import require

ANIMATION_SUFFIXES = (".gif", ".mp4")
PICTURE_SUFFIXES = (".png",)
GIF_MAX_FPS = 50.0
"""The highest rate a GIF plays at: its frame delays are whole centiseconds, and players slow
delays under 2 cs down to 10 cs."""
GIF_MIN_FPS = 0.002
"""The lowest rate a GIF is written at: a frame's delay (whole centiseconds) holds at most
655.35 s; 500 s a frame leaves room for rounding."""


def gif_delays(count: int, fps: float) -> list[int]:
    """Delays (ms, whole centiseconds) of ``count`` GIF frames at ``fps`` (at most
    :data:`GIF_MAX_FPS`, at least :data:`GIF_MIN_FPS`): every frame ends at its own time rounded to the centisecond, so the
    animation lasts ``count / fps`` seconds to 5 ms (30 fps: 30, 30, 40, 30, 30, 40 ... ms),
    where one rounded delay for all would run up to 10 % fast or slow."""
    if not GIF_MIN_FPS <= fps <= GIF_MAX_FPS:
        raise ValueError(f"a GIF plays at {GIF_MIN_FPS:g} to {GIF_MAX_FPS:g} fps, not {fps:g}")
    ends = np.round(np.arange(1, count + 1) * 100.0 / fps).astype(np.int64)
    return (np.diff(ends, prepend=0) * 10).tolist()


def save_png(image: np.ndarray, path: str | Path) -> Path:
    """Write an (H, W, 3) uint8 image as PNG."""
    from PIL import Image

    with atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, format="PNG", optimize=True)
    return Path(path)


def save_frames(frames: Iterable[np.ndarray], path: str | Path, fps: float) -> Path:
    """Write (H, W, 3) uint8 frames as an animation; the suffix picks GIF or MP4."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gif":
        _save_gif(frames, path, fps)
    elif suffix == ".mp4":
        _save_mp4(frames, path, fps)
    else:
        raise MotionFormatError(path, f"unknown picture format {suffix!r} (expected "
                                      f"{', '.join(PICTURE_SUFFIXES + ANIMATION_SUFFIXES)})")
    return path


def _save_gif(frames: Iterable[np.ndarray], path: Path, fps: float) -> None:
    from PIL import Image

    images = [Image.fromarray(f).quantize(colors=128, method=Image.Quantize.MEDIANCUT) for f in frames]
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                       duration=gif_delays(len(images), fps), loop=0, disposal=1)


def even_size(frame: np.ndarray) -> np.ndarray:
    """Pad an (H, W, 3) frame with white to even H and W (H.264 in yuv420p needs them)."""
    h, w = frame.shape[:2]
    return np.pad(frame, ((0, h % 2), (0, w % 2), (0, 0)), constant_values=255)


def _save_mp4(frames: Iterable[np.ndarray], path: Path, fps: float) -> None:
    require("imageio_ffmpeg", "viz", "mp4 output", "imageio-ffmpeg")
    import imageio_ffmpeg

    with atomic_path(path) as tmp:
        writer = None
        for frame in frames:
            frame = even_size(frame)
            if writer is None:
                writer = imageio_ffmpeg.write_frames(str(tmp), (frame.shape[1], frame.shape[0]), fps=fps,
                                                     macro_block_size=1, quality=7)
                writer.send(None)
            writer.send(np.ascontiguousarray(frame))
        if writer is not None:
            writer.close()
