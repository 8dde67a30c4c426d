"""Every written motion format reads back with the frame rate, and so the duration, it was written with."""
import dataclasses
import shutil
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from posefield.cli import app
from posefield.errors import MotionFormatError
from posefield.io import load_motion, save_motion
from posefield.io.amc import DEFAULT_FPS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def clip():
    return load_motion(FIXTURES / "cmu" / "05_17.amc")


@pytest.mark.parametrize("suffix", [".amc", ".bvh", ".npz"])
@pytest.mark.parametrize("fps", [30.0, 29.97, 7.5, 120.0, 1000 / 3, 479.99])
def test_written_motion_reads_back_with_its_duration(tmp_path, clip, suffix, fps):
    motion = dataclasses.replace(clip, fps=fps)
    back = load_motion(save_motion(motion, tmp_path / f"clip{suffix}")[0])
    assert back.num_frames == motion.num_frames
    assert back.fps == pytest.approx(fps, rel=1e-9)
    assert back.num_frames / back.fps == pytest.approx(motion.num_frames / fps, rel=1e-9)


def test_written_amc_stays_a_plain_amc_for_other_readers(tmp_path, clip):
    """The rate is a comment; the header keywords other readers look for are kept."""
    path = save_motion(dataclasses.replace(clip, fps=30.0), tmp_path / "clip.amc")[0]
    header = path.read_text().splitlines()[:4]
    assert header[0].startswith("#") and header[1] == "# posefield fps 30"
    assert header[2:] == [":FULLY-SPECIFIED", ":DEGREES"]


def test_amc_without_rate_line_runs_at_the_cmu_rate_and_fps_overrides(clip):
    assert clip.fps == DEFAULT_FPS
    assert load_motion(FIXTURES / "cmu" / "05_17.amc", fps=60).fps == 60


@pytest.mark.parametrize("line", ["# posefield fps 0", "# posefield fps abc", "# posefield fps", "# posefield fps nan",
                                  "# posefield fps 30 60"])
def test_a_bad_rate_line_is_a_one_line_error_naming_the_line(tmp_path, line):
    shutil.copy(FIXTURES / "cmu" / "05.asf", tmp_path / "05.asf")
    text = (FIXTURES / "cmu" / "05_17.amc").read_text()
    (tmp_path / "05_17.amc").write_text(f"{line}\n{text}")
    with pytest.raises(MotionFormatError, match=r"05_17\.amc:1: .*positive frame rate"):
        load_motion(tmp_path / "05_17.amc")


def test_convert_to_amc_at_a_new_rate_keeps_the_duration(tmp_path, clip):
    """``convert 05_17.amc c30.amc --fps 30`` used to read back at 120 fps, 4 x too fast."""
    for name in ("05.asf", "05_17.amc"):
        shutil.copy(FIXTURES / "cmu" / name, tmp_path / name)
    result = CliRunner().invoke(app, ["convert", str(tmp_path / "05_17.amc"), str(tmp_path / "c30.amc"), "--fps", "30"])
    assert result.exit_code == 0, result.output
    back = load_motion(tmp_path / "c30.amc")
    assert back.fps == 30
    assert back.num_frames / back.fps == pytest.approx(clip.num_frames / clip.fps, abs=1 / 30)
