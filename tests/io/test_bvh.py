"""BVH reader and writer: hand-derived kinematics, real clips, round trips, malformed files."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import roma
import torch

from posefield.errors import MotionFormatError
from posefield.io import load_motion, load_skeleton, save_motion
from posefield.io import bvh
from posefield.io.bvh import (CENTIMETRES, METRES, MILLIMETRES, detect_length_unit, read_bvh, write_bvh,
                              written_channels, written_length_unit)
from posefield.motion import Motion
from posefield.skeleton import Skeleton

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bvh"
HAND = FIXTURES / "hand.bvh"
SALSA = FIXTURES / "salsa_01_head.bvh"  # first 44 frames of CMU-DAZ salsa_01
INDIAN = FIXTURES / "indian_13_head.bvh"  # first 44 frames of CMU-DAZ indian_13
RAMP = 4  # the DAZ clips' T-pose frame and 3-frame ramp

# hand.bvh, derived by hand (centimetres): joints root, a, b, c, then the end sites of b and c.
HAND_POSITIONS_CM = np.array([
    [[1, 2, 3], [1, 12, 3], [13, 12, 3], [1, -8, 3], [13, 12, 8], [1, -13, 3]],
    [[0, 0, 0], [-10, 0, 0], [-22, 0, 0], [10, 0, 0], [-27, 0, 0], [10, 0, -5]],
], dtype=np.float64)


def frame_values(path: Path) -> np.ndarray:
    """(T, C) raw channel values of a BVH file, parsed independently of the reader."""
    lines = re.split(r"\r\n|\r|\n", path.read_text())
    start = next(i for i, line in enumerate(lines) if line.startswith("Frame Time")) + 1
    return np.array([line.split() for line in lines[start:] if line.strip()], dtype=np.float64)


def rotation_error(q1: np.ndarray, q2: np.ndarray) -> float:
    """Largest distance between corresponding rotations: min |q1 ± q2| (about half the angle, radians)."""
    distance = np.minimum(np.linalg.norm(q1 - q2, axis=-1), np.linalg.norm(q1 + q2, axis=-1))
    return float(distance.max(initial=0.0))


def assert_one_line_error(exc: pytest.ExceptionInfo, path: Path, line: int | None) -> None:
    message = str(exc.value)
    assert "\n" not in message and path.name in message, message
    if line is not None:
        assert f"{path.name}:{line}:" in message, message


# --- hand-written file -------------------------------------------------------------------------


def test_hand_written_forward_kinematics():
    motion = read_bvh(HAND)
    np.testing.assert_allclose(motion.joint_positions(with_end_sites=True), HAND_POSITIONS_CM * 0.01, atol=1e-12)


def test_hand_written_skeleton():
    motion = read_bvh(HAND)
    skeleton = motion.skeleton
    assert skeleton.names == ("root", "a", "b", "c") and skeleton.parents == (-1, 0, 1, 0)
    assert skeleton.channels[1] == ("Xrotation", "Yrotation", "Zrotation")
    assert skeleton.channels[2] == ("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation")
    # b's constant position channels (12 0 0) replace its OFFSET (10 0 0)
    np.testing.assert_allclose(skeleton.offsets, [[0, 0, 0], [0, 0.1, 0], [0.12, 0, 0], [0, -0.1, 0]])
    assert sorted(skeleton.end_sites) == [2, 3]
    np.testing.assert_allclose(skeleton.end_sites[3], [0, -0.05, 0])
    assert skeleton.rig == "bvh" and skeleton.meta["length_unit"] == CENTIMETRES
    np.testing.assert_array_equal(skeleton.axes, np.tile(np.eye(3), (4, 1, 1)))
    assert motion.fps == 25.0 and motion.num_frames == 2
    assert motion.source == {"path": str(HAND), "format": "bvh", "subject": "hand"}


def test_options_length_unit_fps_drop_frames():
    motion = read_bvh(HAND, length_unit=METRES, fps=50, drop_frames=1)
    assert motion.num_frames == 1 and motion.fps == 50
    assert motion.skeleton.meta["length_unit"] == METRES
    np.testing.assert_allclose(motion.joint_positions(with_end_sites=True)[0], HAND_POSITIONS_CM[1], atol=1e-10)


def test_format_dispatch():
    motion = load_motion(HAND, fps=30)
    assert motion.fps == 30 and load_skeleton(HAND).names == motion.skeleton.names


# --- real clips --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [SALSA, INDIAN])
def test_real_clip(path):
    data = path.read_bytes()
    assert b"\r\n" in data and re.search(rb"[^\r]\n", data)  # mixed line ends, as in the originals
    motion = read_bvh(path)
    skeleton = motion.skeleton
    assert skeleton.num_joints == 43 and motion.num_frames == 44 and motion.fps == 120.0
    assert skeleton.meta["length_unit"] == CENTIMETRES and len(skeleton.end_sites) == 14
    assert skeleton.channels[0] == ("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")
    assert set(skeleton.channels[1:]) == {("Zrotation", "Xrotation", "Yrotation")}
    rest = motion.joint_positions(with_end_sites=True)[0]
    assert 1.4 < np.ptp(rest[:, 1]) < 1.7  # frame 0 is a T-pose about 1.53 m tall
    trimmed = read_bvh(path, drop_frames=RAMP)
    assert trimmed.num_frames == 44 - RAMP
    np.testing.assert_array_equal(trimmed.rotations, motion.rotations[RAMP:])


# --- round trips -------------------------------------------------------------------------------


@pytest.mark.parametrize("path, drop", [(HAND, 0), (SALSA, RAMP), (INDIAN, RAMP)])
def test_round_trip(path, drop, tmp_path):
    motion = read_bvh(path, drop_frames=drop)
    out = tmp_path / "out.bvh"
    assert write_bvh(motion, out) == [out]
    again = read_bvh(out)
    np.testing.assert_allclose(frame_values(out), frame_values(path)[drop:], atol=1e-4)
    np.testing.assert_allclose(again.joint_positions(True), motion.joint_positions(True), atol=1e-6)
    assert rotation_error(again.rotations, motion.rotations) < 1e-9
    for field in ("names", "parents", "channels"):
        assert getattr(again.skeleton, field) == getattr(motion.skeleton, field)
    np.testing.assert_allclose(again.skeleton.offsets, motion.skeleton.offsets, atol=1e-12)
    assert again.fps == motion.fps and again.skeleton.meta == motion.skeleton.meta


def test_round_trip_through_jumps(tmp_path):
    """The T-pose → dance jump at frame 1 sends the continuous Euler curve to the other branch:
    channel values then differ from the file's (equivalent angles), the motion does not, and a
    second write reproduces the first."""
    motion = read_bvh(SALSA)
    first, second = tmp_path / "first.bvh", tmp_path / "second.bvh"
    write_bvh(motion, first)
    again = read_bvh(first)
    np.testing.assert_allclose(again.joint_positions(True), motion.joint_positions(True), atol=1e-6)
    assert rotation_error(again.rotations, motion.rotations) < 1e-9
    write_bvh(again, second)
    np.testing.assert_allclose(frame_values(second), frame_values(first), atol=1e-4)


def random_motion(skeleton: Skeleton, frames: int = 30, seed: int = 0) -> Motion:
    generator = torch.Generator().manual_seed(seed)
    rotations = roma.random_unitquat((frames, skeleton.num_joints), generator=generator, dtype=torch.float64)
    translation = torch.randn(frames, 3, generator=generator, dtype=torch.float64)
    return Motion(skeleton, rotations.numpy(), translation.numpy(), fps=29.97)


def asf_like_skeleton() -> Skeleton:
    """Joints out of depth-first order, axis frames, partial and missing channels, an
    inch-based length unit, end sites on one leaf only."""
    axes = np.tile(np.eye(3), (6, 1, 1))
    axes[2] = roma.rotvec_to_rotmat(torch.tensor([0.3, -0.2, 0.5], dtype=torch.float64)).numpy()
    return Skeleton(
        names=("root", "spine", "l_arm", "r_arm", "head", "l_hand"),
        parents=(-1, 0, 1, 1, 1, 2),
        offsets=[[0.1, 0.9, 0.0], [0, 0.2, 0], [0.2, 0.3, 0], [-0.2, 0.3, 0], [0, 0.35, 0.02], [0.3, 0, 0]],
        channels=(("Zrotation", "Yrotation", "Xrotation"), ("Zrotation", "Yrotation", "Xrotation"),
                  ("Yrotation", "Zrotation"), (), ("Xrotation",), ("Zrotation", "Yrotation", "Xrotation")),
        axes=axes, end_sites={5: np.array([0.1, 0.0, 0.0])}, rig="cmu-asf", meta={"length_unit": 0.0254})


def test_write_any_skeleton(tmp_path):
    motion = random_motion(asf_like_skeleton())
    out = tmp_path / "any.bvh"
    write_bvh(motion, out)
    again = read_bvh(out)
    assert again.skeleton.names == ("root", "spine", "l_arm", "l_hand", "r_arm", "head")  # depth first
    assert again.skeleton.meta["length_unit"] == CENTIMETRES  # inches are not guessed back
    assert again.skeleton.channels[0] == ("Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation")
    assert again.skeleton.channels[2] == ("Yrotation", "Zrotation", "Xrotation")
    order = [motion.skeleton.index(name) for name in again.skeleton.names]
    np.testing.assert_allclose(again.joint_positions(), motion.joint_positions()[:, order], atol=1e-6)
    assert rotation_error(again.rotations, motion.rotations[:, order]) < 1e-8  # angles printed to 1e-7°
    np.testing.assert_allclose(again.skeleton.end_sites[3], [0.1, 0, 0], atol=1e-12)
    np.testing.assert_array_equal(again.skeleton.end_sites[4], np.zeros(3))  # leaves get End Site 0 0 0
    assert again.fps == pytest.approx(29.97, rel=1e-9)


def test_save_motion_dispatch(tmp_path):
    motion = read_bvh(HAND)
    out = tmp_path / "saved.bvh"
    assert save_motion(motion, out) == [out]
    np.testing.assert_allclose(load_motion(out).joint_positions(), motion.joint_positions(), atol=1e-12)


@pytest.mark.parametrize("channels, root, expected", [
    (("Zrotation", "Xrotation", "Yrotation"), False, ("Zrotation", "Xrotation", "Yrotation")),
    ((), False, ("Zrotation", "Yrotation", "Xrotation")),
    (("Yrotation", "Zrotation"), False, ("Yrotation", "Zrotation", "Xrotation")),
    (("Xrotation",), True, ("Xposition", "Yposition", "Zposition", "Xrotation", "Zrotation", "Yrotation")),
    (("Zrotation", "Yrotation", "Xrotation", "Yposition", "Xposition", "Zposition"), True,
     ("Zrotation", "Yrotation", "Xrotation", "Yposition", "Xposition", "Zposition")),
    (("Xposition", "Yrotation"), False, ("Xposition", "Yrotation", "Zrotation", "Xrotation")),
])
def test_written_channels(channels, root, expected):
    assert written_channels(channels, root) == expected


def test_length_units():
    assert [detect_length_unit(e) for e in (0.0, 1.7, 4.99, 5.0, 170.0, 499.0, 500.0, 1700.0)] == \
        [METRES, METRES, METRES, CENTIMETRES, CENTIMETRES, CENTIMETRES, MILLIMETRES, MILLIMETRES]
    skeleton = read_bvh(HAND).skeleton  # 0.25 m tall, centimetres
    assert written_length_unit(skeleton) == CENTIMETRES
    tiny = Skeleton(skeleton.names, skeleton.parents, skeleton.offsets * 0.1, skeleton.channels, meta={})
    assert written_length_unit(tiny) == METRES  # 2.5 cm tall would be read back as metres
    huge = Skeleton(skeleton.names, skeleton.parents, skeleton.offsets * 40, skeleton.channels, meta={})
    assert written_length_unit(huge) == MILLIMETRES


def test_refuses_to_overwrite_source(tmp_path):
    path = tmp_path / "hand.bvh"
    path.write_bytes(HAND.read_bytes())
    with pytest.raises(MotionFormatError) as exc:
        write_bvh(read_bvh(path), tmp_path / "." / "hand.bvh")
    assert_one_line_error(exc, path, None)
    assert path.read_bytes() == HAND.read_bytes()


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    motion = read_bvh(HAND)
    out = tmp_path / "out.bvh"
    write_bvh(motion, out)
    before = out.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(bvh, "_hierarchy_lines", broken)  # fails after the file was started
    with pytest.raises(OSError):
        write_bvh(motion, out)
    with pytest.raises(OSError):
        write_bvh(motion, tmp_path / "new.bvh")
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["out.bvh"]


@pytest.mark.parametrize("name", ["left  arm", " left", "left {", "{", ""])
def test_unwritable_joint_name(tmp_path, name):
    skeleton = Skeleton(("root", name), (-1, 0), np.zeros((2, 3)), ((), ()))
    with pytest.raises(MotionFormatError, match="single spaces"):
        write_bvh(random_motion(skeleton), tmp_path / "x.bvh")


def test_joint_names_with_spaces_read_and_round_trip(tmp_path):
    """3ds Max bipeds: ``JOINT Bip01 L Thigh`` names the joint by the rest of its line."""
    six = ("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation")
    skeleton = Skeleton(("Bip01", "Bip01 L Thigh", "Bip01 L Calf"), (-1, 0, 1),
                        np.array([[0.0, 0, 0], [10, 0, 0], [0, -40, 0]]), (six, six[3:], six[3:]))
    motion = random_motion(skeleton)
    write_bvh(motion, tmp_path / "biped.bvh")
    text = (tmp_path / "biped.bvh").read_text()
    back = read_bvh(tmp_path / "biped.bvh")
    assert back.skeleton.names == skeleton.names
    assert rotation_error(back.rotations, motion.rotations) < 1e-3
    # extra spaces between the words, and the brace on the name's line
    calf = re.search(r"JOINT Bip01 L Calf\n\s*\{", text)
    assert calf is not None
    edited = text[:calf.start()] + "JOINT  Bip01   L Calf {" + text[calf.end():]
    (tmp_path / "edited.bvh").write_text(edited)
    assert read_bvh(tmp_path / "edited.bvh").skeleton.names == skeleton.names


# --- malformed files ---------------------------------------------------------------------------

HAND_TEXT = HAND.read_bytes().decode()
FRAME0, FRAME1 = HAND_TEXT.splitlines()[32:34]


def replace(old: str, new: str):
    assert old in HAND_TEXT
    return lambda: HAND_TEXT.replace(old, new, 1).encode()


MALFORMED = {
    # name: (content, line of the error or None, a word of the message)
    "empty": (lambda: b"", 1, "expected 'HIERARCHY'"),
    "garbage bytes": (lambda: bytes(range(256)) * 3, None, "not a text file"),
    "binary but utf-8": (lambda: b"\x00\x01PK\x03\x04" * 20, 1, "expected 'HIERARCHY'"),
    "missing MOTION": (lambda: HAND_TEXT[:HAND_TEXT.index("MOTION")].encode(), 29, "end of file"),
    "truncated hierarchy": (lambda: HAND_TEXT[:HAND_TEXT.index("JOINT c")].encode(), 19, "end of file"),
    "truncated frames": (replace(FRAME1 + "\r\n", ""), 33, "truncated"),
    "truncated mid-frame": (lambda: HAND_TEXT[:HAND_TEXT.index(FRAME1) + 20].encode(), 34, "values"),
    "extra frame": (replace("Frames:\t2", "Frames:\t1"), 34, "more frame lines"),
    "short frame": (replace(FRAME1, FRAME1.rsplit(" ", 1)[0]), 34, "17 values, expected 18"),
    "long frame": (replace(FRAME0, FRAME0 + "\t0"), 33, "19 values"),
    "nan": (replace(FRAME1, FRAME1.replace("90 90 0 1.2E+1", "90 nan 0 1.2E+1")), 34, "NaN"),
    "inf": (replace(FRAME0, FRAME0.replace("1\t2\t3", "1\t-inf\t3")), 33, "NaN or inf"),
    "not a number": (replace(FRAME1, FRAME1.replace("9.0e1", "9.0x1")), 34, "not a number"),
    "unknown channel": (replace("Xrotation Yrotation Zrotation", "Xrotation Yrotation Zrot"), 9, "unknown channel"),
    "repeated channel": (replace("Xrotation Yrotation Zrotation", "Xrotation Yrotation Xrotation"), 9, "repeated"),
    "bad channel count": (replace("CHANNELS 3 Xrotation", "CHANNELS three Xrotation"), 9, "whole number"),
    "bad offset": (replace("OFFSET 0 10 0", "OFFSET 0 1O 0"), 8, "OFFSET coordinate"),
    "nan offset": (replace("OFFSET 0 10 0", "OFFSET 0 nan 0"), 8, "OFFSET coordinate is nan"),
    "missing offset": (replace("\t\tOFFSET 0 10 0\r\n", ""), 18, "has no OFFSET"),
    "duplicate joint": (replace("JOINT c", "JOINT a"), 20, "used twice"),
    "unexpected keyword": (replace("JOINT c", "BONE c"), 20, "unexpected 'BONE'"),
    "two roots": (replace("MOTION", "ROOT x\r\n{\r\nOFFSET 0 0 0\r\n}\r\nMOTION"), 30, "several ROOT"),
    "bad frame count": (replace("Frames:\t2", "Frames:\t-2"), 31, "whole number"),
    "zero frame time": (replace("Frame Time:\t0.04", "Frame Time:\t0"), 32, "positive"),
    "text after frame time": (replace("Frame Time:\t0.04", "Frame Time:\t0.04 s"), 32, "after the frame time"),
    "moving bone": (replace(FRAME1, FRAME1.replace("1.2E+1", "15")), None, "'b' has position channels that move"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed(name, tmp_path):
    content, line, words = MALFORMED[name]
    path = tmp_path / "bad.bvh"
    path.write_bytes(content())
    with pytest.raises(MotionFormatError) as exc:
        read_bvh(path)
    assert_one_line_error(exc, path, line)
    assert words in str(exc.value)


def test_cannot_drop_more_frames_than_there_are():
    with pytest.raises(MotionFormatError, match="cannot drop 3 frames"):
        read_bvh(HAND, drop_frames=3)


def test_header_only_file_gives_a_skeleton(tmp_path):
    path = tmp_path / "skeleton.bvh"
    path.write_bytes(HAND_TEXT.replace("Frames:\t2", "Frames:\t0").split(FRAME0)[0].encode())
    motion = read_bvh(path)
    assert motion.num_frames == 0 and motion.skeleton.num_joints == 4


# --- game rigs: a static root, 6 channels on every joint -----------------------------------------

GAME = FIXTURES.parent / "rigs" / "game.bvh"  # 21 joints, bones along local X, static 'root' over 'pelvis'
GAME_TEXT = GAME.read_text()


def with_value(frame: int, column: int, value: str) -> str:
    """game.bvh with one frame value replaced (columns: 6 per joint, in file order)."""
    lines = GAME_TEXT.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Frame Time")) + 1
    values = lines[start + frame].split()
    values[column] = value
    lines[start + frame] = " ".join(values)
    return "\n".join(lines) + "\n"


def test_static_root_with_a_translated_child_reads():
    motion = read_bvh(GAME)
    raw = frame_values(GAME)
    assert motion.skeleton.meta["static_root"]["joint"] == "pelvis"
    assert all(len(c) == 6 for c in motion.skeleton.channels)
    pelvis = motion.joint_positions()[:, motion.skeleton.index("pelvis")]
    assert np.allclose(pelvis, raw[:, 6:9] * CENTIMETRES, atol=1e-9)  # the root sits at the origin, unturned
    assert np.ptp(motion.root_translation, axis=0).max() > 0.005  # the body moves


def test_static_root_rig_writes_back_its_own_channels(tmp_path):
    write_bvh(read_bvh(GAME), tmp_path / "again.bvh")
    assert np.allclose(frame_values(tmp_path / "again.bvh"), frame_values(GAME), atol=1e-6)
    assert (tmp_path / "again.bvh").read_text().split("MOTION")[0] == GAME_TEXT.split("MOTION")[0]


def test_a_turned_body_goes_back_onto_the_child_of_the_static_root(tmp_path):
    motion = read_bvh(GAME)
    turn = roma.rotvec_to_rotmat(torch.tensor([0.0, 1.2, 0.3], dtype=torch.float64)).numpy()
    rotations = motion.rotmats()
    rotations[:, 0] = turn @ rotations[:, 0]
    moved = Motion(motion.skeleton, roma.rotmat_to_unitquat(torch.as_tensor(rotations)).numpy(),
                   motion.root_translation @ turn.T + [0.5, 0.0, -2.0], motion.fps)
    write_bvh(moved, tmp_path / "turned.bvh")
    raw, again = frame_values(tmp_path / "turned.bvh"), read_bvh(tmp_path / "turned.bvh")
    assert np.ptp(raw[:, :6], axis=0).max() == 0  # the root stays static
    assert np.allclose(again.joint_positions()[:, 1:], moved.joint_positions()[:, 1:], atol=1e-7)


def test_truly_changing_bone_lengths_are_refused(tmp_path):
    path = tmp_path / "stretch.bvh"
    path.write_text(with_value(1, 18, "13.5"))  # spine_02's Xposition
    with pytest.raises(MotionFormatError, match="'spine_02' has position channels that move"):
        read_bvh(path)


def test_bone_length_jitter_is_read_as_its_mean(tmp_path):
    """Export rounding or solver jitter well under a millimetre is not a stretching bone."""
    lines = GAME_TEXT.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("Frame Time")) + 1
    value = float(lines[start + 1].split()[18])  # spine_02's Xposition (cm)
    path = tmp_path / "jitter.bvh"
    path.write_text(with_value(1, 18, repr(value + 0.004)))
    jittered, plain = read_bvh(path), read_bvh(GAME)
    frames = len(lines) - start
    spine = plain.skeleton.index("spine_02")
    assert jittered.skeleton.offsets[spine][0] == pytest.approx(plain.skeleton.offsets[spine][0] + 0.004e-2 / frames)


def test_a_moving_root_over_a_translated_child_reads_as_root_motion(tmp_path):
    """Both the root and its child move: root motion. Each joint is where the file puts it, and
    the root's and the child's channels are written back as they were."""
    path = tmp_path / "both.bvh"
    path.write_text(with_value(1, 0, "3"))  # the root's Xposition moves too
    motion, raw = read_bvh(path), frame_values(path)
    assert motion.skeleton.meta["root_motion"]["joint"] == "pelvis"
    pelvis = motion.joint_positions()[:, motion.skeleton.index("pelvis")]
    assert np.allclose(pelvis, (raw[:, 0:3] + raw[:, 6:9]) * CENTIMETRES, atol=1e-9)  # the root is unturned
    write_bvh(motion, tmp_path / "again.bvh")
    assert np.allclose(frame_values(tmp_path / "again.bvh"), raw, atol=1e-6)



def test_frames_are_read_in_blocks_as_in_one(tmp_path, monkeypatch):
    """Frame lines convert a block at a time (blank lines between and after frames skipped, a
    block of blank lines alone too), and their channels to quaternions in pieces: the motion
    of one block; a bad value in a late block still reads as the error naming its line."""
    lines = (FIXTURES / "indian_13_head.bvh").read_text().rstrip("\n").split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith("Frame Time")) + 1
    lines[start + 10:start + 10] = ["", "  "]
    path = tmp_path / "blank.bvh"
    path.write_text("\n".join(lines) + "\n\n\n\n\n\n")
    whole = read_bvh(path)
    monkeypatch.setattr(bvh, "FRAME_BLOCK", 5)
    monkeypatch.setattr(bvh, "CHUNK_FRAMES", 7)  # channels to quaternions 7 frames at a time
    blocks = read_bvh(path)
    assert whole.num_frames == 44
    np.testing.assert_array_equal(blocks.rotations, whole.rotations)
    np.testing.assert_array_equal(blocks.root_translation, whole.root_translation)
    row = lines[start + 40].split()
    lines[start + 40] = " ".join(row[:-1] + ["1.0x"])
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(MotionFormatError, match=rf"blank\.bvh:{start + 41}: frame 38 holds a value that is not a number"):
        read_bvh(path)


@pytest.mark.parametrize("late_turn", [False, True])
def test_a_joint_keeps_its_channels_only_if_every_block_fits_them(tmp_path, monkeypatch, late_turn):
    """Written a few frames at a time, a joint keeps its one channel when all its frames turn
    about that axis, and gets three when any block (here neither the first nor the last) turns
    about another: as in one block."""
    motion = random_motion(asf_like_skeleton())
    head = motion.skeleton.index("head")  # channels ("Xrotation",), world-aligned axes
    angles = np.linspace(0.1, 0.9, motion.num_frames)
    axis = np.zeros((motion.num_frames, 3))
    axis[:, 0] = 1.0
    if late_turn:
        axis[10:12] = [0.0, 1.0, 0.0]  # neither the first block nor the last
    rotations = motion.rotations.copy()
    rotations[:, head] = roma.rotvec_to_unitquat(torch.as_tensor(axis * angles[:, None])).numpy()
    motion = Motion(motion.skeleton, rotations, motion.root_translation, fps=motion.fps)
    write_bvh(motion, tmp_path / "whole.bvh")
    monkeypatch.setattr(bvh, "CHUNK_FRAMES", 2)
    write_bvh(motion, tmp_path / "blocks.bvh")
    text = (tmp_path / "blocks.bvh").read_text()
    assert motion.num_frames > 4 and text == (tmp_path / "whole.bvh").read_text()
    head_channels = text.split("JOINT head")[1].split("CHANNELS")[1].split("\n")[0].split()
    assert head_channels == (["3", "Xrotation", "Zrotation", "Yrotation"] if late_turn else ["1", "Xrotation"])
