"""The one output check: folders must exist, extensions be known, inputs never overwritten."""
import os
import shutil
from pathlib import Path

import pytest

from posefield.errors import MotionFormatError
from posefield.io import load_motion, save_motion
from posefield.io.outputs import check_output, refuse_inputs, written_with

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def clip(tmp_path):
    for name in ("05.asf", "05_17.amc"):
        shutil.copy(FIXTURES / "cmu" / name, tmp_path / name)
    return load_motion(tmp_path / "05_17.amc")


def test_an_amc_output_also_writes_its_skeleton():
    assert written_with(Path("a/b.amc")) == [Path("a/b.amc"), Path("a/b.asf")]
    assert written_with(Path("a/b.bvh")) == [Path("a/b.bvh")]


@pytest.mark.parametrize("link", ["symlink", "hardlink", "dotted"])
def test_an_input_is_recognised_under_another_name(tmp_path, link):
    source = tmp_path / "in.bvh"
    source.write_text("x")
    other = tmp_path / "other.bvh"
    if link == "symlink":
        other.symlink_to(source)
    elif link == "hardlink":
        os.link(source, other)
    else:
        other = tmp_path / "." / "sub" / ".." / "in.bvh"
        (tmp_path / "sub").mkdir()
    with pytest.raises(MotionFormatError, match="refusing to overwrite an input file"):
        refuse_inputs([other], [None, source])


def test_check_output_refuses_before_any_work(tmp_path):
    with pytest.raises(MotionFormatError, match=r"x\.bvh: its folder does not exist"):
        check_output(tmp_path / "missing" / "x.bvh")
    with pytest.raises(MotionFormatError, match="is a folder"):
        check_output(tmp_path)
    with pytest.raises(MotionFormatError, match=r"unknown picture format '\.jpg' \(expected \.png\)"):
        check_output(tmp_path / "x.jpg", suffixes=(".png",), kind="picture")
    with pytest.raises(MotionFormatError, match=r"a\.asf: refusing to overwrite"):
        check_output(tmp_path / "a.amc", [tmp_path / "a.asf"])  # the skeleton written beside it
    assert check_output(tmp_path / "new", folder=True) == tmp_path / "new"
    assert check_output(tmp_path / "x.png", suffixes=(".png",)) == tmp_path / "x.png"


@pytest.mark.parametrize("target", ["05_17.amc", "05.amc", "05_17.bvh", "05_17.npz"])
def test_writers_never_overwrite_the_motions_own_files(clip, tmp_path, target):
    """``05.amc`` would write ``05.asf`` over the input skeleton; the others are the input under
    a link with another extension."""
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    path = tmp_path / target
    if path.suffix in (".bvh", ".npz"):
        path.symlink_to(tmp_path / "05_17.amc")
        before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    with pytest.raises(MotionFormatError, match="refusing to overwrite an input file"):
        save_motion(clip, path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


@pytest.mark.parametrize("source", ["cmu/05_17.amc", "cmu/105_04.amc", "rigs/game.bvh", "rigs/mixamo.bvh",
                                    "bvh/indian_13_head.bvh", "root motion"])
def test_writers_convert_a_few_frames_at_a_time_as_the_whole_clip(tmp_path, monkeypatch, source):
    """AMC and BVH are converted and written a block of frames at a time, frame numbers and Euler
    curves going on from the block before: blocks of 2 frames give the text of one block (game
    rig with root motion included)."""
    from posefield.io import amc, bvh

    if source == "root motion":  # the game rig's static root made to move: root motion
        lines = (FIXTURES / "rigs" / "game.bvh").read_text().split("\n")
        first = lines.index(next(line for line in lines if line.startswith("Frame Time"))) + 1
        values = lines[first + 1].split()
        lines[first + 1] = " ".join(["3"] + values[1:])
        path = tmp_path / "moving.bvh"
        path.write_text("\n".join(lines))
    else:
        path = FIXTURES / source
    motion = load_motion(path)
    suffix = path.suffix
    save_motion(motion, tmp_path / f"whole{suffix}")
    monkeypatch.setattr(amc if suffix == ".amc" else bvh, "CHUNK_FRAMES", 2)
    save_motion(motion, tmp_path / f"blocks{suffix}")
    assert motion.num_frames > 2
    if source == "root motion":
        assert "root_motion" in motion.skeleton.meta
    assert (tmp_path / f"blocks{suffix}").read_text() == (tmp_path / f"whole{suffix}").read_text()
