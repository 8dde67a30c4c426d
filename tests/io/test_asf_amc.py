"""ASF/AMC reader and writer: real CMU clips, an independent FK reference, round trips, bad files."""
from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import roma
import torch

from posefield.errors import MotionFormatError
from posefield.io import amc as amc_module
from posefield.io import load_motion, load_skeleton, save_motion
from posefield.io.amc import amc_values, read_amc, write_amc
from posefield.io.asf import length_scale, parse_asf, read_asf, read_text
from posefield.motion import Motion
from posefield.skeleton import Skeleton

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cmu"
ASF_05 = FIXTURES / "05.asf"
AMC_05 = FIXTURES / "05_17.amc"  # first 60 frames of CMU 05_17 (its root rotation wraps past ±180° at frame 32)
REFERENCE_05 = FIXTURES / "05_17.csv"  # the same frames of reference-xyz/05_17.csv (AMCParser, raw units)
AMC_105 = FIXTURES / "105_04.amc"  # first 40 frames of CMU 105_04, CRLF line ends like its 105.asf
CLIPS = [AMC_05, AMC_105]


def bone_ends(motion: Motion) -> dict[str, np.ndarray]:
    """Root position and each bone's end (its children's joint, or its end site): name -> (T, 3) metres."""
    skeleton = motion.skeleton
    positions = motion.joint_positions(with_end_sites=True)
    sites = sorted(skeleton.end_sites)
    ends = {"root": positions[:, 0]}
    for j, name in enumerate(skeleton.names[1:], start=1):
        children = skeleton.children(j)
        ends[name] = positions[:, children[0]] if children else positions[:, skeleton.num_joints + sites.index(j)]
    return ends


def one_line_error(excinfo: pytest.ExceptionInfo, path: Path, line: int | None = None) -> str:
    message = str(excinfo.value)
    assert "\n" not in message
    assert path.name in message
    if line is not None:
        assert f"{path.name}:{line}:" in message
    return message


# ----------------------------------------------------------------------------- reading

def test_skeleton_structure_channels_and_axes():
    skeleton = read_asf(ASF_05)
    assert skeleton.rig == "cmu-asf" and skeleton.num_joints == 31 and skeleton.names[0] == "root"
    assert all(p < j for j, p in enumerate(skeleton.parents) if j)
    assert skeleton.channels[0] == ("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")
    channels = dict(zip(skeleton.names, skeleton.channels))
    assert channels["lfemur"] == ("Zrotation", "Yrotation", "Xrotation")
    assert channels["rclavicle"] == ("Zrotation", "Yrotation")  # dof ry rz
    assert channels["lfoot"] == ("Zrotation", "Xrotation")  # dof rx rz
    assert channels["lhipjoint"] == ()
    lfemur = skeleton.index("lfemur")
    c, s = np.cos(np.radians(20)), np.sin(np.radians(20))
    np.testing.assert_allclose(skeleton.axes[lfemur], [[c, -s, 0], [s, c, 0], [0, 0, 1]], atol=1e-12)  # axis 0 0 20
    # Children of the root start at the root; a joint's offset is its parent bone's vector.
    assert np.all(skeleton.offsets[skeleton.index("lhipjoint")] == 0)
    hip_vector = np.array([0.653368, -0.678499, 0.335782]) * 2.51848 * 0.0254 / 0.45
    np.testing.assert_allclose(skeleton.offsets[lfemur], hip_vector, rtol=1e-6)
    leaves = {skeleton.names[j] for j in skeleton.end_sites}
    assert leaves == {"ltoes", "rtoes", "head", "lfingers", "lthumb", "rfingers", "rthumb"}
    json.dumps(skeleton.meta)  # JSON-safe


def test_forward_kinematics_matches_independent_reference():
    motion = read_amc(AMC_05)
    assert motion.num_frames == 60 and motion.fps == 120.0
    assert motion.source == {"path": str(AMC_05), "format": "amc", "subject": "05", "asf": str(ASF_05)}
    reference = np.genfromtxt(REFERENCE_05, delimiter=",", names=True)
    scale = length_scale(motion.skeleton.meta["asf"])
    for name, position in bone_ends(motion).items():
        expected = np.stack([reference[f"{name}_{axis}"] for axis in "xyz"], axis=-1)
        # Raw units; AMCParser does not re-normalise the printed directions (~1e-5 apart).
        np.testing.assert_allclose(position / scale, expected, atol=1e-4, err_msg=name)


@pytest.mark.parametrize("asf", [ASF_05, FIXTURES / "105.asf"])
def test_rest_pose_is_a_plausible_human(asf):
    skeleton = read_asf(asf)
    rest = Motion(skeleton, np.tile([0.0, 0, 0, 1], (1, skeleton.num_joints, 1)), np.zeros((1, 3)), 120.0)
    positions = rest.joint_positions(with_end_sites=True)[0]
    span = positions[:, 1].max() - positions[:, 1].min()  # toe tips to head end: a little under stature
    assert 1.3 < span < 2.0  # CMU subjects span 1.36 (105, a woman) to 1.63 m
    lengths = dict(zip(skeleton.names, skeleton.bone_lengths()))
    assert 0.3 < lengths["ltibia"] < 0.6  # the femur's vector: the knee's offset from the hip
    assert 0.2 < lengths["lradius"] < 0.45  # the humerus' vector (105: 0.24 m)


def test_crlf_files_read_like_lf_files(tmp_path):
    for name in ("105.asf", AMC_105.name):
        assert b"\r\n" in (FIXTURES / name).read_bytes()
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes().replace(b"\r\n", b"\n"))
    crlf, lf = read_amc(AMC_105), read_amc(tmp_path / AMC_105.name)
    assert crlf.num_frames == 40
    np.testing.assert_array_equal(crlf.rotations, lf.rotations)
    np.testing.assert_array_equal(crlf.root_translation, lf.root_translation)


def test_tabs_comments_exponents_and_bone_order_do_not_matter(tmp_path):
    asf = read_text(ASF_05).replace("     ", "\t").replace("length 0.45", "length 4.5e-1 # inches / unit")
    (tmp_path / "05.asf").write_text("# a comment line\n" + asf)
    frames = read_text(AMC_05).split("\n:DEGREES\n")[1].strip().split("\n")
    blocks = [frames[i:i + 30] for i in range(0, len(frames), 30)]  # frame number + 29 bone lines
    shuffled = [[b[0], *reversed(b[1:])] for b in blocks]
    text = ":FULLY-SPECIFIED\n:DEGREES\n" + "\n".join("\n".join(b) for b in shuffled) + "\n"
    (tmp_path / "05_17.amc").write_text(text)
    original, odd = read_amc(AMC_05), read_amc(tmp_path / "05_17.amc")
    np.testing.assert_allclose(odd.rotations, original.rotations, atol=1e-15)
    np.testing.assert_array_equal(odd.skeleton.offsets, original.skeleton.offsets)


def test_read_through_format_dispatch():
    assert load_skeleton(ASF_05).names == read_asf(ASF_05).names
    motion = load_motion(AMC_105, asf=FIXTURES / "105.asf", fps=60.0)
    assert motion.fps == 60.0 and motion.source["subject"] == "105"


# ----------------------------------------------------------------------------- round trips

@pytest.mark.parametrize("clip", CLIPS, ids=lambda p: p.name)
def test_round_trip_preserves_channels_positions_and_skeleton(tmp_path, clip):
    motion = read_amc(clip)
    written = write_amc(motion, tmp_path / "copy_01.amc")
    assert written == [tmp_path / "copy_01.amc", tmp_path / "copy_01.asf"]
    again = read_amc(written[0])  # finds copy_01.asf beside it
    description = motion.skeleton.meta["asf"]
    assert parse_asf(read_text(written[1]), written[1]) == description
    _, before = amc_values(clip, description)
    _, after = amc_values(written[0], description)
    assert before.keys() == after.keys()
    for bone in before:
        np.testing.assert_allclose(after[bone], before[bone], atol=1e-4, rtol=0, err_msg=bone)
    np.testing.assert_allclose(again.joint_positions(True), motion.joint_positions(True), atol=1e-6, rtol=0)
    # Rewriting what was written changes nothing.
    write_amc(again, tmp_path / "twice.amc")
    assert (tmp_path / "twice.amc").read_text().split("\n")[1:] == written[0].read_text().split("\n")[1:]


def test_round_trip_through_save_motion(tmp_path):
    motion = read_amc(AMC_05)
    assert save_motion(motion, tmp_path / "x.amc", asf_path=tmp_path / "skeleton.asf") == [
        tmp_path / "x.amc", tmp_path / "skeleton.asf"]
    again = load_motion(tmp_path / "x.amc", asf=tmp_path / "skeleton.asf")
    np.testing.assert_allclose(again.root_translation, motion.root_translation, atol=1e-6)


def bvh_like_skeleton() -> Skeleton:
    """A non-ASF skeleton: offset children of the root, a joint with three children, end sites."""
    names = ("hip", "abdomen", "chest", "neck", "lCollar", "rCollar", "lThigh", "lShin")
    parents = (-1, 0, 1, 2, 2, 2, 0, 6)
    offsets = [[0, 1.0, 0], [0, 0.1, 0], [0, 0.2, 0.01], [0, 0.25, 0], [0.05, 0.2, 0], [-0.05, 0.2, 0],
               [0.1, -0.05, 0], [0, -0.45, 0]]
    channels = [("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")]
    channels += [("Zrotation", "Xrotation", "Yrotation")] * 7
    end_sites = {3: np.array([0, 0.1, 0]), 4: np.array([0.15, 0, 0]), 5: np.array([-0.15, 0, 0]),
                 7: np.array([0, -0.4, 0.05])}
    return Skeleton(names, parents, np.array(offsets), tuple(channels), end_sites=end_sites)


def test_other_skeletons_are_written_as_a_derived_asf(tmp_path):
    skeleton = bvh_like_skeleton()
    generator = torch.Generator().manual_seed(0)
    rotations = roma.random_unitquat((50, skeleton.num_joints), generator=generator, dtype=torch.float64).numpy()
    translation = np.cumsum(np.full((50, 3), 0.01), axis=0)
    motion = Motion(skeleton, rotations, translation, fps=30.0)
    amc_path, asf_path = write_amc(motion, tmp_path / "other.amc")
    again = read_amc(amc_path, fps=30.0)
    connectors = {"abdomen_offset", "lThigh_offset", "lCollar_offset", "rCollar_offset"}
    assert set(again.skeleton.names) == {"root", *skeleton.names[1:], *connectors}
    assert again.skeleton.rig == "asf"  # not the CMU database's bones: not labelled cmu-asf
    joints = [again.skeleton.index("root")] + [again.skeleton.index(n) for n in skeleton.names[1:]]
    sites = [again.skeleton.num_joints + sorted(again.skeleton.end_sites).index(again.skeleton.index(skeleton.names[j]))
             for j in sorted(skeleton.end_sites)]
    expected = motion.joint_positions(with_end_sites=True)
    np.testing.assert_allclose(again.joint_positions(True)[:, joints + sites], expected, atol=1e-6, rtol=0)
    same = roma.rotmat_geodesic_distance(torch.as_tensor(again.rotmats()[:, joints]), torch.as_tensor(motion.rotmats()))
    assert same.max() < 1e-7


# ----------------------------------------------------------------------------- writing safely

def test_refuses_to_overwrite_its_input(tmp_path):
    for name in ("05.asf", AMC_05.name):
        shutil.copy(FIXTURES / name, tmp_path / name)
    motion = read_amc(tmp_path / AMC_05.name)
    before = (tmp_path / AMC_05.name).read_bytes()
    with pytest.raises(MotionFormatError, match="overwrite") as excinfo:
        write_amc(motion, tmp_path / AMC_05.name, asf_path=tmp_path / "new.asf")
    one_line_error(excinfo, tmp_path / AMC_05.name)
    with pytest.raises(MotionFormatError, match="overwrite"):
        write_amc(motion, tmp_path / "05.amc")  # would replace 05.asf, the motion's skeleton
    assert (tmp_path / AMC_05.name).read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["05.asf", AMC_05.name]


def test_failed_write_leaves_no_output(tmp_path, monkeypatch):
    motion = read_amc(AMC_05)
    (tmp_path / "out.asf").write_text("old skeleton")

    def broken(description):
        raise OSError("disk full")

    monkeypatch.setattr(amc_module, "format_asf", broken)
    with pytest.raises(OSError):
        write_amc(motion, tmp_path / "out.amc")
    assert [p.name for p in tmp_path.iterdir()] == ["out.asf"]
    assert (tmp_path / "out.asf").read_text() == "old skeleton"


# ----------------------------------------------------------------------------- malformed files

def amc_with(tmp_path: Path, name: str, edit) -> Path:
    """Copy of the 05_17 fixture (and its ASF) with ``edit(lines)`` applied; returns the AMC path."""
    shutil.copy(ASF_05, tmp_path / "05.asf")
    lines = read_text(AMC_05).split("\n")
    path = tmp_path / name
    path.write_text("\n".join(edit(lines)))
    return path


def replace_line(number: int, text: str):
    return lambda lines: lines[:number - 1] + [text] + lines[number:]


# Line 5 of the fixture is "root 0.490912 16.6517 36.7636 -152.389 2.00935 -178.965", line 6 "lowerback ...".
BAD_AMC = {
    "unknown bone": (replace_line(6, "tail 1 2 3"), 6, "unknown bone 'tail'"),
    "too few values": (replace_line(5, "root 0.49 16.65 36.76 -152.389 2.00935"), 5, "5 values, expected 6"),
    "too many values": (replace_line(6, "lowerback 1 2 3 4"), 6, "4 values, expected 3"),
    "nan value": (replace_line(6, "lowerback 1 nan 3"), 6, "NaN"),
    "not a number": (replace_line(6, "lowerback 1 2,5 3"), 6, "not a number"),
    "truncated": (lambda lines: lines[:-3], 1774, "frame 60 lacks bone"),
    "repeated bone": (lambda lines: lines[:6] + lines[5:], 4, "frame 1 repeats bone 'lowerback'"),
    "frame number gap": (replace_line(34, "3"), 34, "frame number 3 does not follow 1"),
    "bone before any frame": (replace_line(4, "lowerback 1 2 3"), 4, "before the first frame"),
    "no frames": (lambda lines: lines[:3], None, "no frames"),
}


@pytest.mark.parametrize("case", BAD_AMC, ids=str)
def test_malformed_amc_raises_one_line_error_with_location(tmp_path, case):
    edit, line, problem = BAD_AMC[case]
    path = amc_with(tmp_path, "05_17.amc", edit)
    with pytest.raises(MotionFormatError) as excinfo:
        read_amc(path)
    assert problem in one_line_error(excinfo, path, line)


@pytest.mark.parametrize("content", [b"", b"  \n\n", bytes(range(256)) * 4], ids=["empty", "blank", "binary"])
def test_empty_or_binary_files_are_rejected(tmp_path, content):
    shutil.copy(ASF_05, tmp_path / "05.asf")
    for path in (tmp_path / "05_01.amc", tmp_path / "bad.asf"):
        path.write_bytes(content)
        with pytest.raises(MotionFormatError) as excinfo:
            read_amc(path) if path.suffix == ".amc" else read_asf(path)
        assert re.search("empty|binary", one_line_error(excinfo, path))


def test_amc_without_asf_names_the_file_and_the_option(tmp_path):
    path = tmp_path / "07_01.amc"
    shutil.copy(AMC_05, path)
    with pytest.raises(MotionFormatError) as excinfo:
        read_amc(path)
    message = one_line_error(excinfo, path)
    assert "no ASF" in message and "07.asf" in message and "--asf" in message


def asf_with(tmp_path: Path, old: str, new: str) -> Path:
    path = tmp_path / "05.asf"
    text = read_text(ASF_05)
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return path


BAD_ASF = {
    "bad number": ("length 6.57749", "length six", 29, "not a number"),
    "short direction": ("direction 0.34202 -0.939693 0  ", "direction 0.34202 -0.939693", 28, "expected 3 numbers"),
    "unsupported dof": ("dof rx ry rz", "dof rx ry tx", 31, "unsupported dof"),
    "limits count": ("(-70.0 70.0)\n", "", 32, "2 limits for 3 dof"),
    "unknown parent": ("lhipjoint lfemur", "hipjoint lfemur", None, "unknown bone 'hipjoint'"),
    "missing section": (":hierarchy", ":hierarchies", None, "missing section :hierarchy"),
}


@pytest.mark.parametrize("case", BAD_ASF, ids=str)
def test_malformed_asf_raises_one_line_error(tmp_path, case):
    old, new, line, problem = BAD_ASF[case]
    path = asf_with(tmp_path, old, new)
    with pytest.raises(MotionFormatError) as excinfo:
        read_asf(path)
    assert problem in one_line_error(excinfo, path, line)


def test_amc_cut_off_mid_word_says_truncated(tmp_path):
    """A file cut inside a bone name is truncated, not a file with an unknown bone 'r'."""
    shutil.copy(FIXTURES / "05.asf", tmp_path / "05.asf")
    text = (FIXTURES / "05_17.amc").read_text()
    cut = text[:text.rindex("\nrfemur") + 2]
    (tmp_path / "05_17.amc").write_text(cut)
    with pytest.raises(MotionFormatError, match=r"05_17\.amc:\d+: file ends mid-line in 'r' \(truncated\?\)"):
        load_motion(tmp_path / "05_17.amc")


@pytest.mark.parametrize("clip", CLIPS)
@pytest.mark.parametrize("block_chars", [amc_module.BLOCK_CHARS, 700, 50])
@pytest.mark.parametrize("swapped", ["first", "last"])
def test_block_reader_matches_the_line_by_line_reader(tmp_path, monkeypatch, clip, block_chars, swapped):
    """Regular files are read in blocks (one, blocks of a few frames, or pieces shorter than a
    frame), also with CRLF line ends; one frame listing its bones in another order sends the file
    to the line-by-line reader (here converting channels 7 frames at a time): all give the same
    motion."""
    monkeypatch.setattr(amc_module, "BLOCK_CHARS", block_chars)
    skeleton = read_asf(amc_module.asf_candidates(clip)[-1])
    counts = amc_module._value_counts(skeleton.meta["asf"])
    lines = read_text(clip).rstrip("\n").split("\n")
    crlf = tmp_path / ("crlf_" + clip.name)
    crlf.write_bytes("\r\n".join(lines).encode())
    frame = [i for i, line in enumerate(lines) if line.strip().isdigit()][0 if swapped == "first" else -1]
    lines[frame + 1:frame + 3] = lines[frame + 2:frame + 0:-1]  # swap two bone lines of that frame
    irregular = tmp_path / clip.name
    irregular.write_text("\n".join(lines))
    assert len(list(amc_module._regular_blocks(clip, counts))) >= (2 if block_chars < 1000 else 1)
    with pytest.raises(amc_module._Irregular):
        list(amc_module._regular_blocks(irregular, counts))
    fast = amc_module._read_pose(clip, skeleton, "the ASF")
    from_crlf = amc_module._read_pose(crlf, skeleton, "the ASF")

    def irregular_blocks(path, counts):
        raise amc_module._Irregular
        yield

    monkeypatch.setattr(amc_module, "_regular_blocks", irregular_blocks)
    monkeypatch.setattr(amc_module, "CHUNK_FRAMES", 7)  # and channels to quaternions 7 frames at a time
    for other in (from_crlf, amc_module._read_pose(clip, skeleton, "the ASF"),
                  amc_module._read_pose(irregular, skeleton, "the ASF")):
        for mine, theirs in zip(other, fast):
            np.testing.assert_array_equal(mine, theirs)


# ----------------------------------------------------------------------------- the skeleton file beside an output

def test_writing_an_amc_never_replaces_the_skeleton_file_of_another_rig(tmp_path):
    """``NN.amc`` writes ``NN.asf``: an ``.asf`` already there that holds another skeleton (a CMU
    subject's, which its other clips are read with) is refused, nothing is written, and the file
    is left as it was; one of the same skeleton (the subject's own, or a rerun's) is fine."""
    subject = tmp_path / "05.asf"
    shutil.copy(ASF_05, subject)
    other = read_amc(AMC_105)  # subject 105's skeleton
    with pytest.raises(MotionFormatError, match=r"05\.asf.*another skeleton.*05\.amc"):
        write_amc(other, tmp_path / "05.amc")
    assert subject.read_bytes() == ASF_05.read_bytes() and not (tmp_path / "05.amc").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["05.asf"]
    same = read_amc(AMC_05)  # subject 05's own skeleton: the file keeps its meaning
    write_amc(same, tmp_path / "05.amc")
    assert read_asf(subject).meta["asf"] == same.skeleton.meta["asf"]
    write_amc(same, tmp_path / "05.amc")  # a rerun
    (tmp_path / "broken.asf").write_text(":version 1.10\n:bonedata\n  begin\n")
    with pytest.raises(MotionFormatError, match="another skeleton"):
        write_amc(same, tmp_path / "broken.amc")



@pytest.mark.parametrize("clip", CLIPS)
def test_a_clip_read_block_by_block_is_the_clip(tmp_path, monkeypatch, clip):
    """``read_amc_blocks`` gives ``read_amc``'s motion in blocks, at every pass: for a regular file
    (blocks of a few frames), and for one whose last frame lists its bones in another order (read
    line by line from there on); a bad value in the last frame is named when a pass reaches it."""
    monkeypatch.setattr(amc_module, "BLOCK_CHARS", 700)
    asf = amc_module.asf_candidates(clip)[-1]
    whole = read_amc(clip)
    lines = read_text(clip).rstrip("\n").split("\n")
    frame = [i for i, line in enumerate(lines) if line.strip().isdigit()][-1]
    swapped = lines[:frame + 1] + lines[frame + 2:frame + 0:-1] + lines[frame + 3:]
    irregular = tmp_path / "irregular.amc"
    irregular.write_text("\n".join(swapped) + "\n")
    for path in (clip, irregular):
        blocks = amc_module.read_amc_blocks(path, asf)
        assert blocks.header.num_frames == 0 and blocks.header.fps == whole.fps
        for _ in range(2):  # a job's passes
            parts = list(blocks.blocks())
            assert len(parts) >= (2 if path == clip else 1)
            np.testing.assert_array_equal(np.concatenate([p.rotations for p in parts]), whole.rotations)
            np.testing.assert_array_equal(np.concatenate([p.root_translation for p in parts]), whole.root_translation)
    bad = tmp_path / "bad.amc"
    name, *values = lines[-1].split()
    bad.write_text("\n".join(lines[:-1] + [" ".join([name, "nan"] + values[1:])]) + "\n")
    blocks = amc_module.read_amc_blocks(bad, asf)
    with pytest.raises(MotionFormatError, match=rf"bad\.amc:{len(lines)}: .*NaN"):
        list(blocks.blocks())


def test_a_clip_written_block_by_block_is_the_whole_clips_text(tmp_path):
    """``write_amc`` of a motion given block by block (uneven blocks, as a fit hands them on) writes
    the text of the whole motion, and asks for the blocks once."""
    from posefield.motion import MotionBlocks

    motion = read_amc(AMC_05)
    write_amc(motion, tmp_path / "whole.amc")
    calls = []

    def blocks():
        calls.append(1)
        for start, stop in ((0, 1), (1, 8), (8, 9), (9, motion.num_frames)):
            yield motion.slice(slice(start, stop))

    write_amc(MotionBlocks(motion.slice(slice(0, 0)), blocks), tmp_path / "blocks.amc")
    assert calls == [1]
    assert (tmp_path / "blocks.amc").read_bytes() == (tmp_path / "whole.amc").read_bytes()
