"""Fitting to 2D keypoints, and the keypoint file format."""
from pathlib import Path

import numpy as np
import pytest
import roma
import torch

from posefield.errors import MotionFormatError, SkeletonMismatchError
from posefield.fit.fit2d import fit_keypoints
from posefield.fit.keypoints import camera_keypoints, keypoint_points, load_keypoints, point_index, save_keypoints
from posefield.fit.metrics import root_aligned_error
from posefield.motion import Motion

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cmu"
K = np.array([[1000.0, 0.0, 640.0], [0.0, 1000.0, 360.0], [0.0, 0.0, 1.0]])


def in_camera(motion: Motion, depth: float = 4.0, shift: tuple[float, float] = (0.2, 0.1)) -> Motion:
    """The motion seen by a camera at the origin (y down, z forward), centred ``depth`` metres away
    and ``shift`` metres right and down."""
    flip = torch.tensor([1.0, 0.0, 0.0, 0.0], dtype=torch.float64).expand(motion.num_frames, 4)
    rot = motion.rotations.copy()
    rot[:, 0] = roma.quat_product(flip, torch.as_tensor(rot[:, 0])).numpy()
    trans = (motion.root_translation - motion.root_translation.mean(axis=0)) * [1, -1, -1] + [*shift, depth]
    return Motion(motion.skeleton, rot, trans, motion.fps)


def test_fit2d_recovers_a_pose_from_its_own_projection(walk, stand_in_prior):
    truth = in_camera(walk.slice(slice(0, 8)))
    keypoints = camera_keypoints(truth, list(walk.skeleton.names), K)
    fit = fit_keypoints(keypoints, walk.skeleton, stand_in_prior)
    assert fit.num_frames == 8
    reprojected = camera_keypoints(fit, keypoints.joint_names, K)
    assert np.abs(reprojected.pixels - keypoints.pixels).mean() < 1.0
    assert root_aligned_error(fit, truth) < 2.0  # cm
    assert np.abs(fit.root_translation - truth.root_translation).max() < 0.1


def test_keypoint_file_round_trip(tmp_path, walk):
    keypoints = camera_keypoints(in_camera(walk.slice(slice(0, 3))), ["root", "lfoot", "head"], K)
    keypoints.confidence[1, 2] = 0.0
    save_keypoints(keypoints, tmp_path / "kp.npz")
    back = load_keypoints(tmp_path / "kp.npz")
    assert back.joint_names == ["root", "lfoot", "head"] and back.fps == walk.fps
    assert np.allclose(back.pixels, keypoints.pixels) and np.allclose(back.confidence, keypoints.confidence)
    assert list(keypoint_points(walk.skeleton, back.joint_names)) == [0, 12, 3]


def valid_arrays() -> dict:
    kp = np.zeros((4, 3, 3))
    kp[..., 2] = 1.0
    return {"keypoints": kp, "joint_names": np.array(["root", "head", "lfoot"]), "K": K}


@pytest.mark.parametrize("change, message", [
    (lambda a: a.pop("K"), "missing key"),
    (lambda a: a.update(keypoints=np.zeros((4, 3, 2))), "shape"),
    (lambda a: a.update(joint_names=np.array(["root", "head"])), "joint_names"),
    (lambda a: a.update(joint_names=np.array(["root", "head", "head"])), "repeat"),
    (lambda a: a["keypoints"].__setitem__((0, 1, 0), np.nan), "NaN"),
    (lambda a: a["keypoints"].__setitem__((Ellipsis, 2), 0.0), "visible"),
    (lambda a: a["keypoints"].__setitem__((0, 0, 2), 1.5), r"\[0, 1\]"),
    (lambda a: a.update(K=np.eye(4)), "K must"),
    (lambda a: a.update(K=np.zeros((3, 3))), "fx, fy > 0"),
    (lambda a: a.update(fps=np.array([30.0, 60.0])), "fps must be one number"),
    (lambda a: a.update(fps=np.array("fast")), "fps must be one number"),
    (lambda a: a.update(fps=np.array(-30.0)), "fps must be positive"),
])
def test_bad_keypoint_files_name_the_file(tmp_path, change, message):
    arrays = valid_arrays()
    change(arrays)
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(MotionFormatError, match=message) as err:
        load_keypoints(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_not_an_archive_and_unknown_names(tmp_path, skeleton):
    path = tmp_path / "junk.npz"
    path.write_text("not a zip")
    with pytest.raises(MotionFormatError, match="junk.npz"):
        load_keypoints(path)
    with pytest.raises(MotionFormatError, match="'nose'"):
        keypoint_points(skeleton, ["root", "nose"], "kp.npz")


@pytest.mark.skipif(not (FIXTURES / "05.asf").is_file(), reason="CMU fixture not present")
def test_asf_names_mean_bone_ends():
    """Check against independent bone-end positions (raw ASF units) of the CMU reference tool."""
    from posefield.io import load_motion

    motion = load_motion(FIXTURES / "05_17.amc", asf=FIXTURES / "05.asf")
    reference = np.genfromtxt(FIXTURES / "05_17.csv", delimiter=",", names=True)
    points = motion.joint_positions(with_end_sites=True)
    metres_per_unit = 0.0254 / 0.45
    for name, index in point_index(motion.skeleton).items():
        expected = np.stack([reference[f"{name}_{c}"] for c in "xyz"], axis=1) * metres_per_unit
        assert np.abs(points[:, index] - expected[:len(points)]).max() < 1e-3, name


def test_fit2d_from_a_starting_motion(walk, stand_in_prior):
    truth = in_camera(walk.slice(slice(0, 4)))
    keypoints = camera_keypoints(truth, list(walk.skeleton.names), K)
    fit = fit_keypoints(keypoints, walk.skeleton, stand_in_prior, init=truth)
    assert root_aligned_error(fit, truth) < 2.0
    with pytest.raises(SkeletonMismatchError, match="starting motion"):
        fit_keypoints(keypoints, walk.skeleton, stand_in_prior, init=truth.slice(slice(0, 2)))
