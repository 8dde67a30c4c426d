"""AMASS-style and posefield .npz motions: reading, round trips, SMPL offsets, malformed files."""
from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import numpy as np
import pytest
import roma
import torch

from posefield.errors import MotionFormatError, SkeletonMismatchError
from posefield.io import load_motion, save_motion
from posefield.io.amass import read_amass, skeleton_from_body_model, template_skeleton, write_amass
from posefield.io.bvh import read_bvh
from posefield.motion import Motion
from posefield.skeleton.serialize import skeleton_to_dict
from posefield.skeleton.smpl import SMPL_BODY_NAMES, SMPL_BODY_PARENTS, smpl_skeleton

HAND = Path(__file__).resolve().parents[1] / "fixtures" / "bvh" / "hand.bvh"
FRAMES = 12


def amass_arrays(frames: int = FRAMES, width: int = 156, seed: int = 0) -> dict[str, np.ndarray]:
    """Random AMASS-like arrays (SMPL-H width: body, then hands)."""
    rng = np.random.default_rng(seed)
    return {"poses": rng.normal(scale=0.8, size=(frames, width)), "trans": rng.normal(size=(frames, 3)),
            "mocap_framerate": np.array(120.0), "betas": rng.normal(size=16), "gender": np.array("female"),
            "dmpls": rng.normal(size=(frames, 8))}


def save(path: Path, **arrays) -> Path:
    np.savez(path, **arrays)
    return path


def template_offsets(seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=0.1, size=(22, 3))


def rotmats(quats: np.ndarray) -> np.ndarray:
    return roma.unitquat_to_rotmat(torch.as_tensor(quats)).numpy()


def assert_one_line_error(exc: pytest.ExceptionInfo, path: Path) -> None:
    message = str(exc.value)
    assert "\n" not in message and path.name in message, message


# --- AMASS -------------------------------------------------------------------------------------


def test_read_amass(tmp_path):
    arrays = amass_arrays()
    path = save(tmp_path / "clip_poses.npz", **arrays)
    motion = read_amass(path)
    expected = roma.rotvec_to_rotmat(torch.as_tensor(arrays["poses"][:, :66].reshape(FRAMES, 22, 3))).numpy()
    np.testing.assert_allclose(rotmats(motion.rotations), expected, atol=1e-12)
    np.testing.assert_array_equal(motion.root_translation, arrays["trans"])  # zero offsets: pelvis at trans
    assert motion.fps == 120.0 and (motion.rotations[..., 3] >= 0).all()
    skeleton = motion.skeleton
    assert skeleton.names == SMPL_BODY_NAMES and skeleton.parents == SMPL_BODY_PARENTS and skeleton.rig == "smpl"
    assert not skeleton.offsets.any() and skeleton.meta["offsets_known"] is False
    assert skeleton.meta["betas"] == arrays["betas"].tolist() and skeleton.meta["gender"] == "female"
    assert motion.source == {"path": str(path), "format": "amass", "subject": tmp_path.name}
    assert len(skeleton.rotation_joints()) == 21


def test_frame_rate_alias_and_smplx_width(tmp_path):
    arrays = amass_arrays(width=165)
    arrays["mocap_frame_rate"] = arrays.pop("mocap_framerate")
    del arrays["betas"], arrays["gender"]
    motion = load_motion(save(tmp_path / "x.npz", **arrays))
    assert motion.fps == 120.0 and "betas" not in motion.skeleton.meta


def test_amass_round_trip(tmp_path):
    motion = read_amass(save(tmp_path / "a.npz", **amass_arrays()))
    out = tmp_path / "b.npz"
    assert write_amass(motion, out) == [out]
    with np.load(out) as data:
        assert data["poses"].shape == (FRAMES, 66) and float(data["mocap_framerate"]) == 120.0
        assert str(data["gender"]) == "female" and data["betas"].shape == (16,)
    again = read_amass(out)
    np.testing.assert_allclose(again.rotations, motion.rotations, atol=1e-12)
    np.testing.assert_array_equal(again.root_translation, motion.root_translation)
    assert again.skeleton.meta == motion.skeleton.meta and again.fps == motion.fps


@pytest.mark.parametrize("suffix", [".npz", ".json"])
def test_template_offsets(suffix, tmp_path):
    offsets = template_offsets()
    template = tmp_path / f"template{suffix}"
    if suffix == ".npz":
        save(template, offsets=offsets)
    else:
        template.write_text(json.dumps({"offsets": offsets.tolist()}))
    arrays = amass_arrays()
    skeleton = template_skeleton(template)
    assert skeleton.meta["offsets_known"] is True
    motion = read_amass(save(tmp_path / "a.npz", **arrays), skeleton=skeleton)
    np.testing.assert_allclose(motion.root_translation, arrays["trans"] + offsets[0], atol=1e-15)
    assert motion.skeleton.meta["betas"] == arrays["betas"].tolist() and "betas" not in skeleton.meta
    # the offsets travel with files written by write_amass
    out = tmp_path / "b.npz"
    write_amass(motion, out)
    again = read_amass(out)
    np.testing.assert_array_equal(again.skeleton.offsets, offsets)
    np.testing.assert_allclose(again.root_translation, motion.root_translation, atol=1e-14)
    np.testing.assert_allclose(again.joint_positions(), motion.joint_positions(), atol=1e-12)


def test_smpl_forward_kinematics_follows_smpl():
    """Only the left hip rotates (90° about z): SMPL moves the left knee to
    pelvis + (J_lhip − J_pelvis) + Rz·(J_lknee − J_lhip) and the pelvis to J_pelvis + trans."""
    offsets = template_offsets()
    rotations = np.tile([0.0, 0.0, 0.0, 1.0], (1, 22, 1))
    rotations[0, 1] = [0.0, 0.0, np.sqrt(0.5), np.sqrt(0.5)]
    trans = np.array([[0.5, -0.2, 1.0]])
    motion = Motion(smpl_skeleton(offsets), rotations, trans + offsets[0], fps=30)
    pelvis = trans[0] + offsets[0]
    knee = pelvis + offsets[1] + np.array([-offsets[4, 1], offsets[4, 0], offsets[4, 2]])
    positions = motion.joint_positions()[0]
    np.testing.assert_allclose(positions[0], pelvis, atol=1e-12)
    np.testing.assert_allclose(positions[4], knee, atol=1e-12)


def test_given_skeleton_must_be_smpl(tmp_path):
    path = save(tmp_path / "a.npz", **amass_arrays())
    with pytest.raises(SkeletonMismatchError):
        read_amass(path, skeleton=read_bvh(HAND).skeleton)


# --- posefield format --------------------------------------------------------------------------


def test_posefield_round_trip_is_exact(tmp_path):
    motion = read_bvh(HAND)
    out = tmp_path / "hand.npz"
    assert save_motion(motion, out) == [out]
    with np.load(out) as data:
        assert sorted(data.files) == ["fps", "rotations", "skeleton", "trans"]
    again = read_amass(out)
    np.testing.assert_array_equal(again.rotations, motion.rotations)
    np.testing.assert_array_equal(again.root_translation, motion.root_translation)
    assert again.fps == motion.fps and skeleton_to_dict(again.skeleton) == skeleton_to_dict(motion.skeleton)
    assert again.source == {"path": str(out), "format": "posefield-npz", "subject": "hand"}


def test_posefield_skeleton_override(tmp_path):
    motion = read_bvh(HAND)
    out = tmp_path / "hand.npz"
    write_amass(motion, out)
    longer = read_bvh(HAND, length_unit=0.02).skeleton
    assert read_amass(out, skeleton=longer).skeleton is longer
    with pytest.raises(SkeletonMismatchError):
        read_amass(out, skeleton=smpl_skeleton())


def test_refuses_to_overwrite_source(tmp_path):
    path = save(tmp_path / "a.npz", **amass_arrays())
    before = path.read_bytes()
    with pytest.raises(MotionFormatError) as exc:
        write_amass(read_amass(path), path)
    assert_one_line_error(exc, path)
    assert path.read_bytes() == before


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    motion = read_bvh(HAND)
    out = tmp_path / "out.npz"
    write_amass(motion, out)
    before = out.read_bytes()

    def broken(file, **arrays):
        file.write(b"PK\x03\x04 partial")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    for target in (out, tmp_path / "new.npz"):
        with pytest.raises(OSError):
            write_amass(motion, target)
    assert out.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["out.npz"]


# --- malformed files ---------------------------------------------------------------------------


def with_(**changes):
    return lambda: {**amass_arrays(), **changes}


def without(*keys):
    return lambda: {k: v for k, v in amass_arrays().items() if k not in keys}


def posefield_with(**changes):
    def arrays():
        skeleton = json.dumps(skeleton_to_dict(smpl_skeleton()))
        base = {"rotations": np.tile([0.0, 0, 0, 1], (3, 22, 1)), "trans": np.zeros((3, 3)), "fps": np.array(30.0),
                "skeleton": np.array(skeleton)}
        return {**base, **changes}
    return arrays


MALFORMED = {
    # name: (arrays, a word of the message)
    "unknown keys": (lambda: {"pose": np.zeros((3, 66)), "translation": np.zeros((3, 3))}, "keys: pose, translation"),
    "no keys": (lambda: {}, "keys: none"),
    "poses too narrow": (with_(poses=np.zeros((FRAMES, 63))), "at least 66"),
    "poses not triples": (with_(poses=np.zeros((FRAMES, 67))), "3 per joint"),
    "poses 1-d": (with_(poses=np.zeros(66)), "shape (66,)"),
    "poses text": (with_(poses=np.full((FRAMES, 66), "0")), "<U1"),
    "poses nan": (with_(poses=np.where(np.eye(FRAMES, 156, 7) > 0, np.nan, 0.0)), "(first at index (0, 7))"),
    "trans inf": (with_(trans=np.full((FRAMES, 3), np.inf)), "'trans' holds NaN or inf"),
    "trans frames": (with_(trans=np.zeros((FRAMES + 1, 3))), "expected numbers of shape (12, 3)"),
    "trans missing": (without("trans"), "missing key 'trans'"),
    "rate missing": (without("mocap_framerate"), "missing key 'mocap_framerate'"),
    "rate zero": (with_(mocap_framerate=np.array(0.0)), "must be positive"),
    "rate vector": (with_(mocap_framerate=np.array([30.0, 60.0])), "shape (2,)"),
    "betas nan": (with_(betas=np.full(10, np.nan)), "'betas' holds NaN"),
    "gender number": (with_(gender=np.array(3)), "'gender' must be a string"),
    "rotations shape": (posefield_with(rotations=np.zeros((3, 21, 4))), "expected numbers of shape (N, 22, 4)"),
    "rotations not unit": (posefield_with(rotations=np.ones((3, 22, 4))), "not unit quaternions"),
    "posefield trans": (posefield_with(trans=np.zeros((4, 3))), "'trans'"),
    "posefield fps": (posefield_with(fps=np.array(-1.0)), "'fps' must be positive"),
    "skeleton not json": (posefield_with(skeleton=np.array("{names")), "not a valid skeleton"),
    "skeleton incomplete": (posefield_with(skeleton=np.array('{"names": ["a"]}')), "not a valid skeleton"),
    "skeleton bytes array": (posefield_with(skeleton=np.zeros(3)), "'skeleton' must be a string"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed(name, tmp_path):
    arrays, words = MALFORMED[name]
    path = save(tmp_path / "bad.npz", **arrays())
    with pytest.raises(MotionFormatError) as exc:
        read_amass(path)
    assert_one_line_error(exc, path)
    assert words in str(exc.value)


@pytest.mark.parametrize("content, words", [
    (b"", "not an .npz archive"),
    (bytes(range(256)) * 8, "not an .npz archive"),
    (b"PK\x03\x04" + bytes(100), "not an .npz archive"),
])
def test_not_an_archive(content, words, tmp_path):
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(MotionFormatError) as exc:
        read_amass(path)
    assert_one_line_error(exc, path)
    assert words in str(exc.value)


def test_single_array_file(tmp_path):
    path = tmp_path / "bad.npz"
    with open(path, "wb") as handle:
        np.save(handle, np.zeros((3, 66)))
    with pytest.raises(MotionFormatError, match="single array"):
        read_amass(path)


def test_pickled_member_is_refused(tmp_path):
    path = save(tmp_path / "bad.npz", **{**amass_arrays(), "gender": np.array([{"x": 1}], dtype=object)})
    with pytest.raises(MotionFormatError, match="cannot read 'gender'"):
        read_amass(path)


def test_bad_templates(tmp_path):
    for name, content in [("t.json", '{"offset": []}'), ("u.json", "[1, 2]"), ("v.json", '{"offsets": [[0, 0]]}')]:
        (tmp_path / name).write_text(content)
        with pytest.raises(MotionFormatError) as exc:
            template_skeleton(tmp_path / name)
        assert_one_line_error(exc, tmp_path / name)
    with pytest.raises(MotionFormatError, match="shape"):
        template_skeleton(save(tmp_path / "w.npz", offsets=np.zeros((21, 3))))


# --- body model --------------------------------------------------------------------------------


def test_body_model_needs_smplx(monkeypatch):
    monkeypatch.setitem(sys.modules, "smplx", None)
    with pytest.raises(ModuleNotFoundError, match="pip install smplx"):
        skeleton_from_body_model("models")


def test_body_model_offsets(monkeypatch):
    """With a stand-in for smplx: offsets are rest joints minus their parents', betas are kept."""
    joints = np.random.default_rng(2).normal(size=(1, 55, 3))
    calls = {}

    def create(model_path, model_type, gender, num_betas):
        calls.update(model_path=model_path, model_type=model_type, gender=gender, num_betas=num_betas)
        return lambda betas: types.SimpleNamespace(joints=torch.as_tensor(joints, dtype=torch.float32))

    monkeypatch.setitem(sys.modules, "smplx", types.SimpleNamespace(create=create))
    skeleton = skeleton_from_body_model("models", betas=[0.5] * 16, gender="male")
    assert calls == {"model_path": "models", "model_type": "smplh", "gender": "male", "num_betas": 16}
    rest = joints[0, :22].astype(np.float32).astype(np.float64)
    np.testing.assert_allclose(skeleton.offsets[0], rest[0])
    np.testing.assert_allclose(skeleton.offsets[4], rest[4] - rest[1], atol=1e-12)
    assert skeleton.meta == {"betas": [0.5] * 16, "gender": "male", "offsets_known": True}
