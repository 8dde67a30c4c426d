"""Photos in: the landmark mapping, a pluggable detector, recovery, and MediaPipe on a photo."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import roma
import torch
from typer.testing import CliRunner

from posefield.errors import MotionFormatError
from posefield.fit.keypoints import Keypoints, camera_keypoints
from posefield.image.detector import MEDIAPIPE_TO_CMU, default_intrinsics, landmarks_to_keypoints
from posefield.image.photo import load_photo, photo_to_body
from posefield.image.recover import demo_skeleton
from posefield.motion import Motion

PHOTO = Path(__file__).resolve().parents[1] / "fixtures" / "images" / "astronaut.jpg"


def test_landmark_mapping_to_cmu_bone_ends():
    normalised = np.random.default_rng(0).uniform(0.1, 0.9, size=(33, 2))
    normalised[27] = [1.2, 0.5]  # left ankle outside the image
    visibility = np.full(33, 0.8)
    kp = landmarks_to_keypoints(normalised, visibility, 200, 100)
    assert kp.joint_names[:4] == ["lclavicle", "rclavicle", "lhumerus", "rhumerus"]
    assert len(kp.joint_names) == len(MEDIAPIPE_TO_CMU) and kp.num_frames == 1
    knee = kp.joint_names.index("lfemur")
    np.testing.assert_allclose(kp.pixels[0, knee], normalised[25] * [200, 100])
    assert kp.confidence[0, kp.joint_names.index("ltibia")] == 0 and kp.confidence[0, knee] == 0.8
    assert set(kp.joint_names) <= set(demo_skeleton().names)


def camera_pose(skeleton) -> Motion:
    """The rest pose with lowered arms, seen face-on 4 m in front of a camera (y down, z forward)."""
    rot = np.zeros((1, skeleton.num_joints, 4))
    rot[..., 3] = 1
    # Half a turn about x: the body faces -z (the camera) with its head up in the image (y down).
    rot[0, 0] = roma.rotvec_to_unitquat(torch.tensor([np.pi, 0, 0], dtype=torch.float64)).numpy()
    for name, z in (("lhumerus", -1.0), ("rhumerus", 1.0)):
        rot[0, skeleton.index(name)] = roma.rotvec_to_unitquat(torch.tensor([0, 0, z], dtype=torch.float64)).numpy()
    return Motion(skeleton, rot, np.array([[0.0, 0.0, 4.0]]), 30.0)


class ProjectingDetector:
    """A stand-in detector: the exact projection of a known body (the detector is pluggable)."""

    def __init__(self, motion: Motion, size: tuple[int, int]):
        self.motion, self.size = motion, size

    def detect(self, image: np.ndarray) -> Keypoints:
        k = default_intrinsics(*self.size)
        return camera_keypoints(self.motion, list(MEDIAPIPE_TO_CMU.values()), k)


def test_pluggable_detector_and_fit2d_recovery():
    skeleton = demo_skeleton()
    truth = camera_pose(skeleton)
    photo = np.zeros((480, 640, 3), dtype=np.uint8)
    result = photo_to_body(photo, ProjectingDetector(truth, (640, 480)), method="fit2d", prior="none")
    assert result.method == "fit2d"
    again = camera_keypoints(result.motion, result.keypoints.joint_names, result.keypoints.intrinsics)
    error = np.linalg.norm(again.pixels - result.keypoints.pixels, axis=-1)
    assert np.median(error) < 3.0  # pixels
    # Left is left: the person's left shoulder is on the image's right, as in the truth.
    names = result.keypoints.joint_names
    assert again.pixels[0, names.index("lclavicle"), 0] > again.pixels[0, names.index("rclavicle"), 0]


class HalfBlindDetector(ProjectingDetector):
    """The projecting detector, seeing only the first ``seen`` keypoints."""

    def __init__(self, motion: Motion, size: tuple[int, int], seen: int):
        super().__init__(motion, size)
        self.seen = seen

    def detect(self, image: np.ndarray) -> Keypoints:
        keypoints = super().detect(image)
        keypoints.confidence[:, self.seen:] = 0.0
        return keypoints


def test_a_photo_with_too_few_keypoints_builds_no_body():
    truth = camera_pose(demo_skeleton())
    photo = np.zeros((480, 640, 3), dtype=np.uint8)
    with pytest.raises(MotionFormatError, match=r"photo\.jpg: the detector saw only 2 of 18 keypoints .*lclavicle, "
                                                r"rclavicle\); a body needs at least 3"):
        photo_to_body(photo, HalfBlindDetector(truth, (640, 480), 2), method="fit2d", prior="none",
                      path="photo.jpg")


def test_a_photo_seen_in_part_says_what_was_guessed():
    heard = []
    truth = camera_pose(demo_skeleton())
    photo = np.zeros((480, 640, 3), dtype=np.uint8)
    photo_to_body(photo, HalfBlindDetector(truth, (640, 480), 16), method="fit2d", prior="none", notify=heard.append)
    assert any(m.startswith("16 of 18 keypoints seen") and m.endswith("ltoes, rtoes") for m in heard), heard


def test_detector_log_lines_do_not_reach_the_terminal(capfd):
    """MediaPipe, absl and TF Lite write to file descriptor 2 from C++: the detector silences it."""
    import os

    from posefield.image.detector import quiet_stderr

    with quiet_stderr():
        os.write(2, b"I0000 gl_context.cc:357] GL version: 3.2\n")
    os.write(2, b"after\n")
    assert capfd.readouterr().err == "after\n"


def test_load_photo_errors(tmp_path):
    with pytest.raises(MotionFormatError, match="no such file"):
        load_photo(tmp_path / "missing.jpg")
    (tmp_path / "bad.jpg").write_text("not an image")
    with pytest.raises(MotionFormatError, match="not a readable image"):
        load_photo(tmp_path / "bad.jpg")
    assert load_photo(PHOTO).shape == (256, 256, 3)


def test_mediapipe_on_the_astronaut_photo(tmp_path):
    pytest.importorskip("mediapipe")
    from posefield.cli import app
    from posefield.image.detector import MediaPipeDetector

    photo = load_photo(PHOTO)
    kp = MediaPipeDetector().detect(photo)
    names = kp.joint_names
    seen = {n for n, c in zip(names, kp.confidence[0]) if c > 0.5}
    assert {"lclavicle", "rclavicle", "rhumerus"} <= seen  # an upper-body portrait
    left, right = kp.pixels[0, names.index("lclavicle")], kp.pixels[0, names.index("rclavicle")]
    assert left[0] > right[0] and 100 < left[1] < 200  # her left shoulder on the image's right, mid-height
    out, motion = tmp_path / "overlay.png", tmp_path / "astronaut.bvh"
    result = CliRunner().invoke(app, ["image", str(PHOTO), "-o", str(motion), "--overlay", str(out), "--body",
                                      "capsules", "--method", "fit2d", "--prior", "none"])
    assert result.exit_code == 0, result.output
    assert motion.is_file()
    overlay = load_photo(out)
    assert overlay.shape == photo.shape
    changed = np.abs(overlay.astype(int) - photo.astype(int)).sum(axis=-1) > 60
    # The body is drawn over the torso between the shoulders, not over the corners.
    x0, x1 = sorted((int(right[0]), int(left[0])))
    assert changed[int(left[1]):int(left[1]) + 40, x0:x1].mean() > 0.3
    assert changed[:30, :30].mean() < 0.05


@pytest.mark.parametrize("args, message", [(["-o", "x.jpg"], "x.jpg: unknown motion or picture format '.jpg'"),
                                           (["-o", "x.bvh", "--overlay", "o.gif"], "o.gif: unknown picture format"),
                                           (["-o", "missing/x.bvh"], "its folder does not exist"),
                                           (["-o", "astronaut.jpg"], "unknown motion or picture format")])
def test_image_outputs_are_checked_before_the_detector_runs(tmp_path, monkeypatch, args, message):
    """No detector (nor its extra) is needed to learn that an output is wrong."""
    from posefield.cli import app
    from posefield.jobs import image as jobs

    monkeypatch.setattr(jobs, "photo_to_body", lambda *a, **k: pytest.fail("the recovery ran"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["image", str(PHOTO), *args])
    assert result.exit_code == 2 and message in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1 and list(tmp_path.iterdir()) == []
