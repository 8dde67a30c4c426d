"""The command line: exit codes, one-line errors, conversions and dataset building."""
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from posefield.cli import app
from posefield.data import PoseDataset
from posefield.io import load_motion, save_motion

FIXTURES = Path(__file__).resolve().parent / "fixtures"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def cmu(tmp_path):
    for name in ("05.asf", "05_17.amc", "105.asf", "105_04.amc"):
        shutil.copy(FIXTURES / "cmu" / name, tmp_path / name)
    return tmp_path


def test_info_describes_motion_and_skeleton(cmu):
    result = run("info", cmu / "05_17.amc")
    assert result.exit_code == 0, result.output
    assert "cmu-asf" in result.output and "fps" in result.output
    assert run("info", cmu / "05.asf").exit_code == 0


def test_convert_amc_bvh_amc_keeps_joint_positions(cmu, tmp_path):
    bvh, back = tmp_path / "out" / "clip.bvh", tmp_path / "back" / "clip.amc"
    bvh.parent.mkdir()
    back.parent.mkdir()
    assert run("convert", cmu / "05_17.amc", bvh).exit_code == 0
    result = run("convert", bvh, back)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "back" / "clip.asf").exists()
    original = load_motion(cmu / "05_17.amc").joint_positions(with_end_sites=True)
    via_bvh = load_motion(bvh).joint_positions(with_end_sites=True)
    round_trip = load_motion(back).joint_positions(with_end_sites=True)
    assert np.abs(via_bvh - original).max() < 1e-4  # 0.1 mm
    assert np.abs(round_trip - original).max() < 1e-4


def test_convert_refuses_to_overwrite_input(cmu):
    before = (cmu / "05_17.amc").read_bytes()
    result = run("convert", cmu / "05_17.amc", cmu / "05_17.amc")
    assert result.exit_code == 2
    assert (cmu / "05_17.amc").read_bytes() == before


@pytest.mark.parametrize("args", [("score", "{cmu}/05_17.amc", "-o", "{cmu}/05_17.amc"),
                                  ("score", "{cmu}/05_17.amc", "-o", "{cmu}/05.asf"),
                                  ("project", "{cmu}/05_17.amc", "-o", "{cmu}/05.amc"),
                                  ("sample", "-n", "2", "--prior", "none", "--skeleton", "{cmu}/05.asf", "-o", "{cmu}/05.amc")])
def test_no_command_overwrites_an_input_or_its_skeleton(cmu, args):
    before = {p.name: p.read_bytes() for p in cmu.iterdir()}
    result = run(*(a.format(cmu=cmu) for a in args))
    assert result.exit_code == 2 and "refusing to overwrite" in result.output, result.output
    assert {p.name: p.read_bytes() for p in cmu.iterdir()} == before


def test_output_into_a_missing_folder_is_refused_before_the_work(cmu, tmp_path):
    result = run("convert", cmu / "05_17.amc", tmp_path / "nowhere" / "clip.bvh")
    assert result.exit_code == 2 and "nowhere" in result.output and "folder does not exist" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and not (tmp_path / "nowhere").exists()


def test_written_amc_reads_back_with_its_own_asf_beside_a_subject_asf(cmu):
    """``05_98.amc`` written from subject 105 sits beside ``05.asf``: its own ``05_98.asf`` wins."""
    assert run("convert", cmu / "105_04.amc", cmu / "05_98.amc").exit_code == 0
    original = load_motion(cmu / "105_04.amc").joint_positions(with_end_sites=True)
    back = load_motion(cmu / "05_98.amc")
    assert back.source["asf"].endswith("05_98.asf")
    assert np.abs(back.joint_positions(with_end_sites=True) - original).max() < 1e-4


def test_unknown_bone_names_the_asf_it_was_looked_up_in(cmu):
    bad = cmu / "05_97.amc"
    bad.write_text((cmu / "05_17.amc").read_text().replace("lhumerus", "lwing", 1))
    result = run("info", bad)
    assert result.exit_code == 2 and "05.asf" in result.output and "lwing" in result.output, result.output


@pytest.mark.parametrize("option", ["--fps", "--source-fps"])
def test_convert_rejects_a_zero_frame_rate(cmu, tmp_path, option):
    result = run("convert", cmu / "05_17.amc", tmp_path / "x.bvh", option, "0")
    assert result.exit_code == 2 and "must be positive" in result.output and not (tmp_path / "x.bvh").exists()


@pytest.mark.parametrize("content, name", [(b"", "empty.bvh"), (b"\x00\xff\x13garbage\x80" * 10, "junk.bvh"),
                                           (b"HIERARCHY\nROOT a\n{\n", "cut.bvh")])
def test_bad_input_gives_one_line_error_and_exit_2(tmp_path, content, name):
    bad = tmp_path / name
    bad.write_bytes(content)
    out = tmp_path / "out.amc"
    result = run("convert", bad, out)
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and name in lines[0] and lines[0].startswith("posefield: error:")
    assert not out.exists() and not (tmp_path / "out.asf").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # no temporary left behind


def test_amc_without_asf_is_a_clear_error(tmp_path):
    shutil.copy(FIXTURES / "cmu" / "05_17.amc", tmp_path / "05_17.amc")
    result = run("info", tmp_path / "05_17.amc")
    assert result.exit_code == 2 and "05_17.amc" in result.output


def test_dataset_build_splits_by_subject(cmu, tmp_path):
    out = tmp_path / "poses.npz"
    result = run("dataset", "build", cmu, "-o", out, "--val", "105", "--fps", "60")
    assert result.exit_code == 0, result.output
    data = PoseDataset.load(out)
    assert data.quats.shape[1:] == (28, 4) and data.quats.dtype == np.float32
    assert np.allclose(np.linalg.norm(data.quats, axis=-1), 1, atol=1e-5) and (data.quats[..., 3] >= 0).all()
    assert data.subjects_of(True) == ["105"] and data.subjects_of(False) == ["05"]
    assert "lhipjoint" not in data.joint_names and "root" not in data.joint_names
    bad = run("dataset", "build", cmu, "-o", tmp_path / "x.npz", "--val", "77")
    assert bad.exit_code == 2 and "77" in bad.output and not (tmp_path / "x.npz").exists()


def test_the_command_line_starts_without_torch():
    """--help and argument errors answer at once: torch is imported by the commands that need it."""
    code = "import sys, posefield.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_keypoints_command_makes_a_file_fit2d_and_regress_read(cmu, tmp_path):
    """``posefield keypoints`` films a motion: its file is what fit2d's projection of the truth gives."""
    from posefield.fit.keypoints import camera_keypoints, camera_view, load_keypoints

    out = tmp_path / "kp.npz"
    result = run("keypoints", cmu / "05_17.amc", "-o", out, "--depth", "5", "--yaw", "-20", "--points",
                 "root,head,lfemur,rfemur,ltibia,rtibia")
    assert result.exit_code == 0, result.output
    kp = load_keypoints(out)
    motion = load_motion(cmu / "05_17.amc")
    expected = camera_keypoints(camera_view(motion, 5.0, -20.0), kp.joint_names, kp.intrinsics)
    assert kp.joint_names == ["root", "head", "lfemur", "rfemur", "ltibia", "rtibia"] and kp.fps == motion.fps
    np.testing.assert_allclose(kp.pixels, expected.pixels, atol=1e-9)
    assert (kp.confidence == 1).all() and kp.intrinsics[0, 0] == 1000
    info = run("info", out)
    assert info.exit_code == 0 and "60 frames of 6 points at 120 fps" in info.output, info.output
    fit = run("fit2d", out, "-o", tmp_path / "fit.bvh", "--skeleton", cmu / "05.asf", "--prior", "none")
    assert fit.exit_code == 0, fit.output


def test_keypoints_outside_the_picture_are_hidden_and_none_visible_is_an_error(cmu, tmp_path):
    from posefield.fit.keypoints import load_keypoints

    assert run("keypoints", cmu / "05_17.amc", "-o", tmp_path / "near.npz", "--depth", "0.5").exit_code == 0
    near = load_keypoints(tmp_path / "near.npz")
    assert 0 < near.confidence.mean() < 1  # a camera half a metre away sees part of the body
    result = run("keypoints", cmu / "05_17.amc", "-o", tmp_path / "tiny.npz", "--width", "1", "--height", "1",
                 "--focal", "100000")  # a one-pixel picture of a hundred-thousandth of a radian
    assert result.exit_code == 2 and "no point is in the picture" in result.output
    assert not (tmp_path / "tiny.npz").exists()


@pytest.mark.parametrize("command", [("info", "{bvh}"), ("convert", "{bvh}", "{out}"), ("render", "{bvh}", "-o", "{png}"),
                                     ("score", "{bvh}")])
def test_asf_for_a_bvh_input_is_refused_not_ignored(cmu, tmp_path, command):
    bvh = tmp_path / "clip.bvh"
    assert run("convert", cmu / "05_17.amc", bvh).exit_code == 0
    args = [a.format(bvh=bvh, out=tmp_path / "o.amc", png=tmp_path / "o.png") for a in command]
    result = run(*args, "--asf", cmu / "05.asf")
    assert result.exit_code == 2 and "--asf" in result.output and ".amc inputs only" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1


def test_convert_refuses_a_resampling_that_would_make_millions_of_frames(cmu, tmp_path):
    """Each rate is in range, but 60 frames claimed at 0.001 fps last 16 hours: 59 million frames at 1000 fps."""
    result = run("convert", cmu / "05_17.amc", tmp_path / "x.bvh", "--source-fps", "0.001", "--fps", "1000")
    assert result.exit_code == 2 and "at most 1000000" in result.output and not (tmp_path / "x.bvh").exists()


def one_line_error(result, *words: str) -> str:
    """The one ``posefield: error:`` line of a run that exits with code 2 (besides progress bars),
    checked to hold ``words``."""
    lines = [line for line in result.output.splitlines() if line.strip() and not re.match(r"[\w ]+: +\d+%\|", line)]
    assert result.exit_code == 2 and len(lines) == 1 and lines[0].startswith("posefield: error:"), result.output
    assert all(word in lines[0] for word in words), lines[0]
    return lines[0]


@pytest.mark.parametrize("split_by", ["nosuch", ""])
def test_dataset_build_refuses_an_unknown_split_by_naming_it(cmu, tmp_path, split_by):
    result = run("dataset", "build", cmu / "05_17.amc", "-o", tmp_path / "x.npz", "--split-by", split_by)
    one_line_error(result, "--split-by", repr(split_by))
    assert not (tmp_path / "x.npz").exists()


@pytest.fixture
def no_frames(cmu):
    """A posefield ``.npz`` motion of 05_17's skeleton holding no frames."""
    save_motion(load_motion(cmu / "05_17.amc").slice(slice(0, 0)), cmu / "empty.npz")
    return cmu / "empty.npz"


@pytest.mark.parametrize("command", [("render", "-o", "{out}/r.png"), ("view", "--seconds", "0", "--no-browser"),
                                     ("keypoints", "-o", "{out}/k.npz"), ("dataset", "build", "-o", "{out}/d.npz")])
def test_a_motion_without_frames_is_refused_naming_it(no_frames, tmp_path, command):
    """Nothing to draw, film or make poses of: one line naming the file, nothing written."""
    out = tmp_path / "out"
    out.mkdir()
    words = [word.format(out=out) for word in command]
    args = [*words[:2], no_frames, *words[2:]] if words[0] == "dataset" else [words[0], no_frames, *words[1:]]
    one_line_error(run(*args), str(no_frames))
    assert not list(out.iterdir())


def test_a_gif_slower_than_its_frame_delays_hold_is_refused_naming_fps(cmu, tmp_path):
    """A GIF frame shows at most 655.35 s: --fps 0.001 (1000 s a frame) is refused before drawing."""
    result = run("render", cmu / "05_17.amc", "-o", tmp_path / "r.gif", "--fps", "0.001")
    one_line_error(result, "--fps", "0.001")
    assert not (tmp_path / "r.gif").exists()


def test_image_refuses_an_unknown_method_before_reading_the_photo(tmp_path):
    result = run("image", tmp_path / "missing.jpg", "-o", tmp_path / "body.bvh", "--method", "nosuch")
    one_line_error(result, "--method", "'nosuch'")


def test_image_refuses_an_unknown_prior_before_reading_the_photo(tmp_path):
    result = run("image", tmp_path / "missing.jpg", "-o", tmp_path / "body.bvh", "--prior", "nosuch")
    one_line_error(result, "nosuch")
    assert "missing.jpg" not in result.output


@pytest.mark.filterwarnings("error")  # a numpy overflow warning would print lines of its own
def test_huge_rotations_in_an_npz_are_refused_in_one_line(cmu, tmp_path):
    save_motion(load_motion(cmu / "05_17.amc"), tmp_path / "clip.npz")
    with np.load(tmp_path / "clip.npz") as data:
        fields = dict(data)
    np.savez(tmp_path / "huge.npz", **{**fields, "rotations": fields["rotations"] * 1e300})
    one_line_error(run("info", tmp_path / "huge.npz"), "huge.npz", "not unit quaternions")


@pytest.mark.parametrize("change, words", [
    (lambda d: {"source": d["source"] + 50}, "source must index"),
    (lambda d: {"joint_index": d["joint_index"] + 1000}, "joint_index"),
    (lambda d: {"quats": d["quats"] * 0}, "not unit quaternions"),
    (lambda d: {k: d[k][:0] for k in ("quats", "source", "frame", "is_val")}, "holds no poses"),
    (lambda d: {"format_version": np.int64(999)}, "format 999 is newer"),
])
def test_a_corrupt_pose_dataset_is_refused_naming_it(cmu, tmp_path, change, words):
    """Indices out of range, non-unit quaternions or no poses: one line, not an IndexError later."""
    assert run("dataset", "build", cmu / "05_17.amc", "-o", tmp_path / "good.npz", "--val-fraction", "0.3").exit_code == 0
    with np.load(tmp_path / "good.npz") as data:
        fields = dict(data)
    np.savez(tmp_path / "bad.npz", **{**fields, **change(fields)})
    for command in (["info", tmp_path / "bad.npz"], ["prior", "train", tmp_path / "bad.npz", "-o", tmp_path / "p.pt", "--kind", "gmm"]):
        one_line_error(run(*command), "bad.npz", words)
    assert not (tmp_path / "p.pt").exists()


@pytest.mark.parametrize("frame_time", ["1000000", "0.000000001"])
def test_a_file_claiming_an_absurd_frame_rate_is_refused_naming_it(tmp_path, frame_time):
    """1e-6 or 1e9 frames per second is a broken header: one line naming the file, for every job;
    ``convert --source-fps`` sets the rate and writes the file."""
    text = (FIXTURES / "rigs" / "mixamo.bvh").read_text()
    src = tmp_path / "odd.bvh"
    src.write_text(re.sub(r"Frame Time: \S+", f"Frame Time: {frame_time}", text))
    for args in (["denoise", src, "-o", tmp_path / "d.bvh"], ["render", src, "-o", tmp_path / "r.gif"],
                 ["score", src], ["convert", src, tmp_path / "c.bvh"]):
        one_line_error(run(*args), str(src), "frames per second")
    assert not list(tmp_path.glob("[drc].*"))
    result = run("convert", src, tmp_path / "c.bvh", "--source-fps", "30")
    assert result.exit_code == 0, result.output
    assert load_motion(tmp_path / "c.bvh").fps == 30


@pytest.mark.parametrize("command", [["convert"], ["project"], ["denoise"]])
def test_no_command_replaces_the_skeleton_file_of_another_rig(cmu, tmp_path, command):
    """Writing ``05.amc`` writes ``05.asf``: where subject 105's skeleton is already there under
    that name (a file other clips are read with), the job is refused before any work in one line,
    and that file is left as it was."""
    folder = tmp_path / "out"
    folder.mkdir()
    shutil.copy(FIXTURES / "cmu" / "105.asf", folder / "05.asf")
    out = folder / "05.amc"
    result = run(*command, cmu / "05_17.amc", *([] if command == ["convert"] else ["-o"]), out)
    one_line_error(result, "05.asf", "another skeleton", "05.amc")
    assert (folder / "05.asf").read_bytes() == (FIXTURES / "cmu" / "105.asf").read_bytes()
    assert sorted(p.name for p in folder.iterdir()) == ["05.asf"]
    shutil.copy(cmu / "05.asf", folder / "05.asf")  # subject 05's own skeleton: written beside it
    assert run(*command, cmu / "05_17.amc", *([] if command == ["convert"] else ["-o"]), out).exit_code == 0
    assert out.exists()


def test_regress_again_onto_its_own_output_and_not_onto_another_skeleton(cmu, tmp_path):
    """``regress`` writes a skeleton proportioned to the keypoints: run again onto the same
    ``.amc``, it rewrites its own ``.asf``; an ``.asf`` of another rig there is refused in one line."""
    keypoints = tmp_path / "kp.npz"
    assert run("keypoints", cmu / "05_17.amc", "-o", keypoints).exit_code == 0
    out = tmp_path / "out.amc"
    for _ in range(2):
        result = run("regress", keypoints, "-o", out)
        assert result.exit_code == 0, result.output
    written = (tmp_path / "out.asf").read_bytes()
    shutil.copy(FIXTURES / "cmu" / "105.asf", tmp_path / "out.asf")
    one_line_error(run("regress", keypoints, "-o", out), "out.asf", "another skeleton", "out.amc")
    assert (tmp_path / "out.asf").read_bytes() == (FIXTURES / "cmu" / "105.asf").read_bytes() != written


@pytest.mark.parametrize("command", ["project", "denoise"])
def test_project_and_denoise_of_an_amc_read_and_write_it_a_block_at_a_time(cmu, tmp_path, monkeypatch, command):
    """On the prior's own rig, ``project`` and ``denoise`` read, work and write an ``.amc`` a block of
    frames at a time: the file they write is the one the whole motion gives; a bad value in the
    last frame is named in one line before anything is written; a ``.bvh`` output gathers the blocks."""
    from posefield.fit.denoise import denoise
    from posefield.io import amc as amc_module
    from posefield.prior.motions.apply import project_motion
    from posefield.prior.registry import get_prior

    monkeypatch.setattr(amc_module, "BLOCK_CHARS", 2000)  # blocks of a few frames
    src = cmu / "05_17.amc"
    motion = load_motion(src)
    prior = get_prior("ndf", motion.skeleton)
    expected = project_motion(motion, prior)[0] if command == "project" else denoise(motion, prior)
    save_motion(expected, tmp_path / "expected.amc")
    for suffix in (".amc", ".bvh"):
        result = run(command, src, "-o", tmp_path / f"out{suffix}")
        assert result.exit_code == 0, result.output
    assert (tmp_path / "out.amc").read_bytes() == (tmp_path / "expected.amc").read_bytes()
    np.testing.assert_allclose(load_motion(tmp_path / "out.bvh").joint_positions(), expected.joint_positions(), atol=1e-5)
    lines = src.read_text().rstrip("\n").split("\n")
    name, *values = lines[-1].split()
    bad = cmu / "05_99.amc"
    bad.write_text("\n".join(lines[:-1] + [" ".join([name, "1e999"] + values[1:])]) + "\n")
    one_line_error(run(command, bad, "-o", tmp_path / "bad.amc"), f"05_99.amc:{len(lines)}")
    assert not (tmp_path / "bad.amc").exists() and not (tmp_path / "bad.asf").exists()


def test_denoise_of_a_clip_too_short_to_measure_its_noise_says_so(cmu, tmp_path):
    """Under 3 frames the noise level is unknown: the log says so instead of printing NaN."""
    lines = (cmu / "05_17.amc").read_text().split("\n")
    second = [i for i, line in enumerate(lines) if line.strip().isdigit()][2]
    (cmu / "05_02.amc").write_text("\n".join(lines[:second]) + "\n")
    result = run("denoise", cmu / "05_02.amc", "-o", tmp_path / "out.amc")
    assert result.exit_code == 0, result.output
    assert "too short to estimate its noise (under 3 frames)" in result.output and "nan" not in result.output
    assert load_motion(tmp_path / "out.amc").num_frames == 2
