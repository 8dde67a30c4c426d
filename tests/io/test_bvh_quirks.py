"""What real exporters write: BVH files edited from the rig fixtures (text quirks, frame times,
channel layouts, static roots, fingers), read, run through a shipped prior on another rig, and
written back on the file's own hierarchy and channels, checked by a parser of its own."""
from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from posefield.cli import app
from posefield.errors import MotionFormatError
from posefield.io.bvh import read_bvh, write_bvh

RIGS = Path(__file__).resolve().parents[1] / "fixtures" / "rigs"
MIXAMO = (RIGS / "mixamo.bvh").read_text()  # 22 joints, 3 channels (6 on the root), 3 frames at 120 fps
GAME = (RIGS / "game.bvh").read_text()  # 21 joints, 6 channels each, static 'root' over 'pelvis'
runner = CliRunner()


# --- an independent reader: whitespace tokens only -------------------------------------------


def parse(text: str) -> dict:
    """Joint channel columns ({name: (first column, count)}), frame count, frame time as printed and
    the (frames, channels) values of a BVH text, from its tokens alone (not posefield's reader)."""
    tokens = text.split()
    motion = tokens.index("MOTION")
    columns, width, k = {}, 0, 0
    while k < motion:
        if tokens[k] in ("ROOT", "JOINT"):
            end = tokens.index("{", k)
            name, k = " ".join(tokens[k + 1:end]), end
        elif tokens[k] == "CHANNELS":
            count = int(tokens[k + 1])
            columns[name] = (width, count)
            width, k = width + count, k + 1 + count
        k += 1
    assert tokens[motion + 1] == "Frames:" and tokens[motion + 3:motion + 5] == ["Frame", "Time:"]
    frames = int(tokens[motion + 2])
    values = np.array(tokens[motion + 6:], dtype=np.float64)
    assert values.size == frames * width, (values.size, frames, width)
    return {"columns": columns, "frames": frames, "frame_time": tokens[motion + 5],
            "values": values.reshape(frames, width)}


def hierarchy(text: str) -> list[list[str]]:
    """The header's lines as tokens, OFFSET lines without their numbers (a writer may print them otherwise)."""
    lines = [line.split() for line in text.split("MOTION")[0].splitlines() if line.strip()]
    return [line[:1] if line[0] == "OFFSET" else line for line in lines]


def joint_values(text: str, name: str) -> np.ndarray:
    table = parse(text)
    start, count = table["columns"][name]
    return table["values"][:, start:start + count]


# --- editing the fixtures --------------------------------------------------------------------


def split_motion(text: str) -> tuple[str, list[list[str]]]:
    """Header up to and including the Frame Time line, and the frame rows as tokens."""
    end = text.index("\n", text.index("Frame Time:")) + 1
    return text[:end], [line.split() for line in text[end:].splitlines() if line.strip()]


def join_motion(header: str, rows: list[list[str]]) -> str:
    return header + "".join(" ".join(row) + "\n" for row in rows)


def map_values(text: str, change) -> str:
    """``text`` with every frame value ``v`` at (frame, column) replaced by ``change(frame, column, v)``."""
    header, rows = split_motion(text)
    return join_motion(header, [[change(f, c, v) for c, v in enumerate(row)] for f, row in enumerate(rows)])


def with_channels(text: str, joint: str, channels: list[str], keep: list[int]) -> str:
    """``joint``'s CHANNELS line replaced by ``channels``, keeping the columns ``keep`` of its own."""
    start, count = parse(text)["columns"][joint]
    header, rows = split_motion(text)
    pattern = re.compile(rf"((?:ROOT|JOINT) {re.escape(joint)}\s*\{{\s*OFFSET[^\n]*\n\s*)CHANNELS [^\n]*")
    assert pattern.search(header), joint
    header = pattern.sub(lambda m: m.group(1) + " ".join(["CHANNELS", str(len(channels)), *channels]), header, count=1)
    rows = [row[:start] + [row[start + k] for k in keep] + row[start + count:] for row in rows]
    return join_motion(header, rows)


def with_finger(text: str, hand: str, name: str, offset: str, angles: list[str]) -> str:
    """A three-channel finger joint (with an end site) added as the first child of ``hand``,
    its channels set to ``angles`` in every frame."""
    start, count = parse(text)["columns"][hand]
    header, rows = split_motion(text)
    pattern = re.compile(rf"(JOINT {re.escape(hand)}\s*\{{\s*OFFSET[^\n]*\n\s*CHANNELS [^\n]*\n)")
    block = (f"JOINT {name}\n{{\nOFFSET {offset}\nCHANNELS 3 Zrotation Xrotation Yrotation\n"
             f"End Site\n{{\nOFFSET 2 0 0\n}}\n}}\n")
    assert pattern.search(header), hand
    header = pattern.sub(lambda m: m.group(1) + block, header, count=1)
    return join_motion(header, [row[:start + count] + angles + row[start + count:] for row in rows])


def cli(*args) -> tuple[int, str]:
    result = runner.invoke(app, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def assert_same_motion(a, b, atol=1e-9) -> None:
    assert a.skeleton.names == b.skeleton.names and a.skeleton.channels == b.skeleton.channels
    np.testing.assert_allclose(a.joint_positions(with_end_sites=True), b.joint_positions(with_end_sites=True), atol=atol)


# --- text quirks -----------------------------------------------------------------------------

TEXT_QUIRKS = {
    "UTF-8 byte order mark": lambda t: "\ufeff" + t,
    "byte order mark and CRLF": lambda t: "\ufeff" + t.replace("\n", "\r\n"),
    "CRLF": lambda t: t.replace("\n", "\r\n"),
    "old Mac CR": lambda t: t.replace("\n", "\r"),
    "CR, LF and CRLF mixed": lambda t: "".join(line + ("\r", "\n", "\r\n")[i % 3] for i, line in enumerate(t.split("\n"))),
    "tabs": lambda t: re.sub(r"(?m)^ +", lambda m: "\t" * (len(m.group()) // 2), t).replace(" ", "\t"),
    "trailing blank lines": lambda t: t + "\n \n\t\n\n",
    "no newline at the end": lambda t: t.rstrip("\n"),
    "whitespace around lines": lambda t: "".join(f" \t{line}  \n" for line in t.splitlines()),
    "scientific notation": lambda t: map_values(t, lambda f, c, v: f"{float(v):.12e}"),
    "negative zeros": lambda t: map_values(t, lambda f, c, v: ("-0", "-0.000000e+00", "0")[c % 3] if c % 5 == 4 else v),
    "keywords in other cases": lambda t: t.replace("End Site", "End site").replace("OFFSET", "Offset")
                                          .replace("HIERARCHY", "Hierarchy"),
    "values glued to Frames: and Time:": lambda t: t.replace("Frames: ", "Frames:").replace("Time: ", "Time:"),
    "End Site without OFFSET": lambda t: re.sub(r"End Site\s*\{\s*OFFSET[^\n]*\n\s*\}", "End Site\n{\n}", t),
}


@pytest.mark.parametrize("quirk", sorted(TEXT_QUIRKS))
def test_text_quirks_read_as_the_plain_file(quirk, tmp_path):
    path = tmp_path / "quirk.bvh"
    path.write_bytes(TEXT_QUIRKS[quirk](MIXAMO).encode())
    plain, odd = tmp_path / "plain.bvh", tmp_path / "odd.bvh"
    if quirk == "negative zeros":  # the plain file with the same zeros
        plain.write_text(map_values(MIXAMO, lambda f, c, v: "0" if c % 5 == 4 else v))
    elif quirk == "End Site without OFFSET":  # read as End Site at 0 0 0
        plain.write_text(re.sub(r"(End Site\s*\{\s*OFFSET)[^\n]*", r"\1 0 0 0", MIXAMO))
    else:
        plain.write_text(MIXAMO)
    motion = read_bvh(path)
    assert_same_motion(motion, read_bvh(plain), atol=1e-12 if quirk != "scientific notation" else 1e-9)
    write_bvh(motion, odd)
    again = odd.read_text()
    assert hierarchy(again) == hierarchy(plain.read_text())
    assert parse(again)["frame_time"] == "0.008333333333" and parse(again)["frames"] == 3


def test_latin1_joint_names_are_read_and_written_back_in_latin1(tmp_path):
    path, out = tmp_path / "latin1.bvh", tmp_path / "out.bvh"
    path.write_bytes(MIXAMO.replace("mixamorig:LeftHand", "mixamorig:MainGauche\xe9").encode("latin-1"))
    motion = read_bvh(path)
    assert "mixamorig:MainGauche\xe9" in motion.skeleton.names
    np.testing.assert_allclose(motion.joint_positions(with_end_sites=True),
                               read_bvh(RIGS / "mixamo.bvh").joint_positions(with_end_sites=True), atol=1e-12)
    write_bvh(motion, out)
    again = out.read_bytes().decode("latin-1")
    assert hierarchy(again) == hierarchy(path.read_bytes().decode("latin-1"))
    assert read_bvh(out).skeleton.names == motion.skeleton.names


@pytest.mark.parametrize("frame_time, fps", [("0.0416667", 24), ("0.041667", 24), ("0.04", 25), ("0.0333333", 30),
                                             ("0.033333333333333333", 30), ("3.333333e-02", 30), ("0.0166667", 60),
                                             ("0.00833333", 120), ("0.008333", 120), ("0.011", 1 / 0.011)])
def test_frame_time_is_written_back_as_it_was_printed(frame_time, fps, tmp_path):
    path = tmp_path / "clip.bvh"
    path.write_text(MIXAMO.replace("Frame Time: 0.008333333333", f"Frame Time: {frame_time}"))
    motion = read_bvh(path)
    assert motion.fps == pytest.approx(fps, rel=1e-12)
    write_bvh(motion, tmp_path / "out.bvh")
    assert parse((tmp_path / "out.bvh").read_text())["frame_time"] == frame_time
    write_bvh(motion.slice(slice(0, 2)), tmp_path / "part.bvh")
    assert parse((tmp_path / "part.bvh").read_text())["frame_time"] == frame_time
    # a motion at another rate gets that rate's frame time
    write_bvh(read_bvh(path, fps=50.0), tmp_path / "50.bvh")
    assert read_bvh(tmp_path / "50.bvh").fps == 50.0 and parse((tmp_path / "50.bvh").read_text())["frame_time"] == "0.02"


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-Infinity"])
def test_a_value_that_is_not_finite_is_one_line_naming_the_file(value, tmp_path):
    path = tmp_path / "bad.bvh"
    path.write_text(map_values(MIXAMO, lambda f, c, v: value if (f, c) == (2, 9) else v))
    with pytest.raises(MotionFormatError, match=r"bad\.bvh:137: frame 2 holds NaN or inf$"):
        read_bvh(path)
    code, output = cli("score", path, "--prior", "cmu-asf")
    assert code == 2 and output.count("\n") == 1 and "bad.bvh:137" in output


@pytest.mark.parametrize("frames, words", [("4", "truncated: 'Frames: 4' but 3 frame lines"),
                                           ("2", "more frame lines than 'Frames: 2'")])
def test_a_frame_count_that_disagrees_with_the_rows_is_refused_like_a_truncated_amc(frames, words, tmp_path):
    path = tmp_path / "count.bvh"
    path.write_text(MIXAMO.replace("Frames: 3", f"Frames: {frames}"))
    with pytest.raises(MotionFormatError, match=re.escape(words)):
        read_bvh(path)


# --- channel layouts ---------------------------------------------------------------------------

ROOT_SIX = ["Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation"]
LAYOUTS = {
    # name: (file text, joints whose channel list differs from three rotations / the root's six)
    "one-channel knees": lambda: with_channels(with_channels(MIXAMO, "mixamorig:LeftLeg", ["Xrotation"], [1]),
                                               "mixamorig:RightLeg", ["Xrotation"], [1]),
    "toes without channels": lambda: with_channels(with_channels(MIXAMO, "mixamorig:LeftToeBase", [], []),
                                                   "mixamorig:RightToeBase", [], []),
    "root without position channels": lambda: with_channels(MIXAMO, "mixamorig:Hips", ROOT_SIX[3:], [3, 4, 5]),
    "root positions after rotations": lambda: with_channels(MIXAMO, "mixamorig:Hips", ROOT_SIX[3:] + ROOT_SIX[:3],
                                                            [3, 4, 5, 0, 1, 2]),
    "root YXZ": lambda: with_channels(MIXAMO, "mixamorig:Hips", ROOT_SIX[:3] + ["Yrotation", "Xrotation", "Zrotation"],
                                      [0, 1, 2, 3, 4, 5]),
    "static root without channels": lambda: with_channels(GAME, "root", [], []),
    "static root with rotations only": lambda: with_channels(GAME, "root", ROOT_SIX[3:], [3, 4, 5]),
    "static root with positions only": lambda: with_channels(GAME, "root", ROOT_SIX[:3], [0, 1, 2]),
    "static root named Reference": lambda: GAME.replace("ROOT root", "ROOT Reference"),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_channel_layouts_are_written_back_as_they_are(layout, tmp_path):
    text = LAYOUTS[layout]()
    (tmp_path / "in.bvh").write_text(text)
    motion = read_bvh(tmp_path / "in.bvh")
    if "static root" in layout:
        assert motion.skeleton.meta["static_root"]["joint"] == "pelvis"
    write_bvh(motion, tmp_path / "out.bvh")
    out = (tmp_path / "out.bvh").read_text()
    assert hierarchy(out) == hierarchy(text)
    np.testing.assert_allclose(parse(out)["values"], parse(text)["values"], atol=1e-6)


@pytest.mark.parametrize("layout", ["one-channel knees", "toes without channels", "root without position channels",
                                    "static root without channels"])
def test_denoising_through_a_mapping_keeps_the_files_channels(layout, tmp_path):
    """The prior's rig turns joints about every axis; mapped back, a joint keeps to its own channels."""
    text = LAYOUTS[layout]()
    (tmp_path / "in.bvh").write_text(text)
    code, output = cli("denoise", tmp_path / "in.bvh", "-o", tmp_path / "out.bvh", "--prior", "cmu-asf")
    assert code == 0, output
    out = (tmp_path / "out.bvh").read_text()
    assert hierarchy(out) == hierarchy(text)
    table, before = parse(out), parse(text)
    assert (table["frames"], table["frame_time"], table["values"].shape) == (3, "0.008333333333", before["values"].shape)
    if layout == "static root without channels":  # the body's translation stays on the pelvis
        pelvis = joint_values(out, "pelvis")[:, :3]
        assert np.abs(pelvis - joint_values(text, "pelvis")[:, :3]).max() < 2.0  # cm: a clean clip moves little
        assert np.ptp(pelvis, axis=0).max() > 0.5  # it moves


def test_six_channels_whose_translations_are_the_offset_up_to_print_noise_read_as_fixed_bones(tmp_path):
    rng = np.random.default_rng(0)
    noisy = map_values(GAME, lambda f, c, v: repr(float(v) * (1 + 1e-4 * rng.uniform(-1, 1))) if c >= 12 and c % 6 < 3 else v)
    (tmp_path / "noisy.bvh").write_text(noisy)
    motion, plain = read_bvh(tmp_path / "noisy.bvh"), read_bvh(RIGS / "game.bvh")
    np.testing.assert_allclose(motion.skeleton.offsets, plain.skeleton.offsets, rtol=1e-4, atol=1e-9)
    write_bvh(motion, tmp_path / "out.bvh")
    assert hierarchy((tmp_path / "out.bvh").read_text()) == hierarchy(GAME)


# --- joint names, fingers, empty and one-frame clips -------------------------------------------------


def test_names_with_dots_hyphens_and_colons_map_and_come_back(tmp_path):
    text = GAME
    for old, new in (("thigh_l", "Bip01.L.Thigh"), ("upperarm_l", "Left-Arm"), ("calf_r", "Bip01.R.Calf"),
                     ("hand_r", "Right-Hand"), ("spine_01", "Character1:Spine")):
        text = re.sub(rf"JOINT {old}\n", f"JOINT {new}\n", text)
    (tmp_path / "names.bvh").write_text(text)
    code, output = cli("rig", tmp_path / "names.bvh", "--prior", "cmu-asf")
    assert code == 0, output
    pairs = {tuple(line.split()[:3]) for line in output.splitlines()}
    assert {("lfemur", "<-", "Bip01.L.Thigh"), ("lhumerus", "<-", "Left-Arm"), ("rtibia", "<-", "Bip01.R.Calf"),
            ("rhand", "<-", "Right-Hand")} <= pairs
    code, output = cli("denoise", tmp_path / "names.bvh", "-o", tmp_path / "out.bvh", "--prior", "cmu-asf")
    assert code == 0, output
    assert hierarchy((tmp_path / "out.bvh").read_text()) == hierarchy(text)


def test_fingers_the_prior_does_not_have_are_kept_as_they_are(tmp_path):
    text = MIXAMO
    for side, sign in (("Left", ""), ("Right", "-")):
        for k, finger in enumerate(("Index", "Middle", "Ring", "Pinky")):
            text = with_finger(text, f"mixamorig:{side}Hand", f"mixamorig:{side}Hand{finger}1",
                               f"{sign}3 0 {k - 1.5}", [f"{10 + k}.5", f"-{20 + k}.25", f"{5 * k}"])
    (tmp_path / "hands.bvh").write_text(text)
    code, output = cli("rig", tmp_path / "hands.bvh", "--prior", "cmu-asf")
    assert code == 0, output
    fingers = [n for n in parse(text)["columns"] if re.search(r"Hand(Index|Middle|Ring|Pinky)", n)]
    kept = next(line for line in output.splitlines() if line.startswith("motion joints kept as they are:"))
    assert len(fingers) == 8 and sorted(kept.split(": ")[1].split(", ")) == sorted(fingers)
    for command in (["project"], ["complete", "--missing", "left_leg"]):
        code, output = cli(command[0], tmp_path / "hands.bvh", "-o", tmp_path / "out.bvh", *command[1:], "--prior", "cmu-asf")
        assert code == 0, output
        out = (tmp_path / "out.bvh").read_text()
        assert hierarchy(out) == hierarchy(text)
        for name in fingers:
            np.testing.assert_allclose(joint_values(out, name), joint_values(text, name), atol=1e-6)
    code, output = cli("denoise", tmp_path / "hands.bvh", "-o", tmp_path / "clean.bvh", "--prior", "cmu-asf")
    assert code == 0, output
    assert hierarchy((tmp_path / "clean.bvh").read_text()) == hierarchy(text)


def test_a_file_without_frames_is_refused_by_the_jobs_that_change_frames(tmp_path):
    path = tmp_path / "empty.bvh"
    path.write_text(split_motion(MIXAMO)[0].replace("Frames: 3", "Frames: 0"))
    assert read_bvh(path).num_frames == 0
    for command in (["denoise"], ["project"], ["complete", "--missing", "left_leg"]):
        code, output = cli(command[0], path, "-o", tmp_path / "out.bvh", *command[1:], "--prior", "cmu-asf")
        assert code == 2 and output.count("\n") == 1, output
        assert f"{path}: has no frames: nothing to {command[0]}" in output
    assert not (tmp_path / "out.bvh").exists()


def test_a_one_frame_file_is_denoised_and_written_back(tmp_path):
    header, rows = split_motion(GAME)
    (tmp_path / "one.bvh").write_text(join_motion(header.replace("Frames: 3", "Frames: 1"), rows[:1]))
    code, output = cli("denoise", tmp_path / "one.bvh", "-o", tmp_path / "out.bvh", "--prior", "cmu-asf")
    assert code == 0, output
    table = parse((tmp_path / "out.bvh").read_text())
    assert (table["frames"], table["frame_time"], table["values"].shape) == (1, "0.008333333333", (1, 126))


def test_root_motion_reads_maps_and_keeps_the_roots_own_channels(tmp_path):
    """Root motion (a game rig's root follows the body along the ground and turns with it, the
    hips keep the rest): read as the same world motion, denoised through a mapping, and written
    back with the root's channels as they were."""
    game = read_bvh(RIGS / "game.bvh")
    body = game.root_translation
    yaw = np.radians(np.linspace(0.0, 30.0, game.num_frames))
    rotation = np.stack([np.zeros_like(yaw), np.sin(yaw / 2), np.zeros_like(yaw), np.cos(yaw / 2)], axis=1)
    meta = {k: v for k, v in game.skeleton.meta.items() if k != "static_root"}
    meta["root_motion"] = {"joint": "pelvis", "position": body * [1.0, 0.0, 1.0], "rotation": rotation}
    moving = dataclasses.replace(game, skeleton=dataclasses.replace(game.skeleton, meta=meta), source={})
    write_bvh(moving, tmp_path / "rootmotion.bvh")
    text = (tmp_path / "rootmotion.bvh").read_text()
    root, pelvis = joint_values(text, "root"), joint_values(text, "pelvis")
    assert np.ptp(root[:, [0, 2]], axis=0).min() > 0.1 and np.ptp(root[:, 3:], axis=0).max() > 10  # moves and turns
    assert np.ptp(pelvis[:, [0, 2]], axis=0).max() < 1e-6  # the hips keep only their height on the ground path
    again = read_bvh(tmp_path / "rootmotion.bvh")
    assert "root_motion" in again.skeleton.meta
    np.testing.assert_allclose(again.joint_positions(with_end_sites=True), game.joint_positions(with_end_sites=True),
                               atol=1e-6)
    code, output = cli("denoise", tmp_path / "rootmotion.bvh", "-o", tmp_path / "clean.bvh", "--prior", "cmu-asf")
    assert code == 0, output
    clean = (tmp_path / "clean.bvh").read_text()
    assert hierarchy(clean) == hierarchy(text)
    np.testing.assert_array_equal(joint_values(clean, "root"), root)
