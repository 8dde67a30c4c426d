"""Pictures and animations, checked by simple image statistics."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import roma
import torch
from PIL import Image
from typer.testing import CliRunner

from posefield.cli import app
from posefield.viz.camera import body_axes, view_camera
from posefield.viz.render import render_grid, render_motions
from posefield.viz.scene import COLOURS
from posefield.viz.video import GIF_MAX_FPS, gif_delays


def colour_share(image: np.ndarray, colour: str, tolerance: int = 40) -> float:
    """Share of pixels within ``tolerance`` (per channel) of a matplotlib colour."""
    from matplotlib.colors import to_rgb

    target = np.array(to_rgb(colour)) * 255
    return float((np.abs(image.astype(float) - target) < tolerance).all(axis=-1).mean())


def drawn(image: np.ndarray) -> np.ndarray:
    """(H, W) mask of non-white pixels."""
    return (image < 235).any(axis=-1)


def test_body_axes_and_views(walk):
    up, front = body_axes(walk)
    np.testing.assert_array_equal(up, [0, 1, 0])
    assert abs(front @ up) < 1e-9 and abs(np.linalg.norm(front) - 1) < 1e-9
    flipped = walk.rotations.copy()  # the whole body turned upside down, as in camera coordinates
    flip = roma.rotvec_to_unitquat(torch.tensor([np.pi, 0.0, 0.0], dtype=torch.float64))
    flipped[:, 0] = roma.quat_product(flip.expand(walk.num_frames, 4), torch.as_tensor(flipped[:, 0])).numpy()
    np.testing.assert_array_equal(body_axes(dataclasses.replace(walk, rotations=flipped))[0], [0, -1, 0])
    side = view_camera("side", up, front)
    np.testing.assert_allclose(np.cross(side.right, side.up), side.toward, atol=1e-12)
    np.testing.assert_allclose(view_camera("90", up, front).toward, side.toward)


def test_skeleton_grid_overlay(walk, noisy):
    image = render_grid([walk, noisy], ["clean", "noisy"], frames=[0, 6], views=["front", "side"])
    h, w, _ = image.shape
    assert 300 < h < 1200 and 300 < w < 1000
    assert 0.003 < drawn(image).mean() < 0.3
    assert colour_share(image, COLOURS[1]) > 0.001  # the second input is drawn in red
    # The bodies stand in the middle of each panel: little ink in the outer tenths.
    columns = drawn(image[int(0.1 * h):int(0.9 * h)]).mean(axis=0)
    assert columns[w // 2 - w // 4: w // 2 + w // 4].sum() > columns[: w // 20].sum()


def test_mesh_grid_is_shaded(walk):
    image = render_grid([walk], ["walk"], frames=[3], views=["front"], mesh="capsules")
    body = drawn(image)
    assert 0.03 < body.mean() < 0.6
    grey = image[body].astype(float)
    assert np.ptp(grey.mean(axis=1)) > 40  # shading: bright and dark faces


def test_render_gif_and_png_files(walk, noisy, tmp_path):
    gif = render_motions([walk, noisy], ["a", "b"], tmp_path / "clip.gif", views=["front"], fps=12)
    with Image.open(gif) as im:
        assert im.n_frames == 6  # 12 frames at 24 fps, every 2nd
        im.seek(3)
        frame = np.asarray(im.convert("RGB"))
    assert drawn(frame).mean() > 0.005
    png = render_motions([walk], ["a"], tmp_path / "still.png", views=["front", "left", "back"])
    with Image.open(png) as im:
        assert im.size[0] > im.size[1] / 2 and im.mode == "RGB"
    assert not list(tmp_path.glob(".*tmp*"))  # atomic writes leave no temporaries


def gif_seconds(path) -> tuple[int, float]:
    """Frames and playing time (s) of a GIF file."""
    with Image.open(path) as im:
        delays = []
        for i in range(im.n_frames):
            im.seek(i)
            delays.append(im.info["duration"])
    return len(delays), sum(delays) / 1000


@pytest.mark.parametrize("fps", [30.0, 24.0, 29.97, 7.0])
def test_gif_delays_keep_the_duration(fps):
    delays = gif_delays(90, fps)
    assert all(d % 10 == 0 and d >= 20 for d in delays)
    assert abs(sum(delays) / 1000 - 90 / fps) <= 0.005


@pytest.mark.parametrize("motion_fps, fps", [(30.0, None), (120.0, 100.0), (24.0, 7.0)])
def test_gif_plays_as_long_as_the_motion(walk, tmp_path, motion_fps, fps):
    """GIF delays are whole centiseconds: 1/30 s used to round to 3 cs, 10 % fast."""
    motion = dataclasses.replace(walk, fps=motion_fps)
    frames, seconds = gif_seconds(render_motions([motion], ["a"], tmp_path / "clip.gif", views=["front"], fps=fps))
    step = round(walk.num_frames / frames)
    assert seconds == pytest.approx(frames * step / motion_fps, abs=0.005)
    assert abs(seconds - walk.num_frames / motion_fps) <= step / motion_fps  # within the last frame drawn
    assert frames / seconds <= GIF_MAX_FPS


def test_render_mp4(walk, tmp_path):
    ffmpeg = pytest.importorskip("imageio_ffmpeg")
    path = render_motions([walk], ["a"], tmp_path / "clip.mp4", views=["front"])
    frames, _ = ffmpeg.count_frames_and_secs(str(path))
    assert frames == walk.num_frames


def test_cli_render(tmp_path):
    from pathlib import Path

    clip = Path(__file__).resolve().parents[1] / "fixtures" / "cmu" / "105_04.amc"
    runner = CliRunner()
    out = tmp_path / "r.png"
    result = runner.invoke(app, ["render", str(clip), str(clip), "--labels", "observed,completed", "--views", "front",
                                 "--frames", "0,10", "--mesh", "--body", "capsules", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.is_file()
    bad = runner.invoke(app, ["render", str(clip), "-o", str(tmp_path / "r.txt")])
    assert bad.exit_code == 2 and "unknown picture format" in bad.output
    labels = runner.invoke(app, ["render", str(clip), "--labels", "a,b", "-o", str(out)])
    assert labels.exit_code == 2


def test_missing_optional_package_is_one_clear_line():
    from posefield.requires import MissingDependencyError, require

    with pytest.raises(MissingDependencyError, match=r"^mp4 output needs the package 'no-such-pkg', which is not "
                                                     r"installed: pip install 'posefield\[viz\]'$"):
        require("no_such_module_for_posefield", "viz", "mp4 output", "no-such-pkg")
