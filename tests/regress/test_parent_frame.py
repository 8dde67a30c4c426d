"""Parent frames: each HKMR chain reads the global rotation of the joint it hangs from."""
import dataclasses

import torch

from posefield.regress.body import full_rotations, posed_points
from posefield.regress.checkpoint import load_model, save_model
from posefield.regress.model import build_model
from posefield.regress.params import rot6d_to_rotmat

from tests.regress.conftest import tiny_model
from tests.regress.test_feedback import random_estimate


def frame_model(skeleton, kind="hkmr", parent_frame=True):
    model = tiny_model(skeleton, kind)
    torch.manual_seed(0)
    return build_model(skeleton, model.keypoint_names, dataclasses.replace(model.regressor.config, parent_frame=parent_frame))


def test_frame_is_the_global_rotation_of_the_joint_a_chain_hangs_from(cmu_skeleton):
    model = frame_model(cmu_skeleton)
    layout, body = model.regressor.layout, model.body
    estimate = random_estimate(model, 4)
    estimate.beta.zero_()
    points = posed_points(body, estimate.rotmats(), estimate.beta)
    theta = layout.pack(estimate)
    parents = body.extended.parents
    full = full_rotations(body, estimate.rotmats())
    assert layout.frame_rows[0] == []  # the root chain hangs from nothing
    for c, chain in enumerate(body.chains[1:], start=1):
        attach = parents[chain.joints[0]]
        frame = rot6d_to_rotmat(layout.frame(theta, c))
        path, joint = [], attach
        while joint >= 0:
            path.insert(0, joint)
            joint = parents[joint]
        expected = torch.eye(3).expand(4, 3, 3)
        for joint in path:
            expected = expected @ full[:, joint]
        assert torch.allclose(frame, expected, atol=1e-5), chain.name
        for k in [k for k, p in enumerate(parents) if p == attach]:  # children's offsets turn with the frame
            assert torch.allclose(points[:, k] - points[:, attach], frame @ body.offsets[k], atol=1e-5), (chain.name, k)


def test_hkmr_reads_parent_frames_and_stays_matched_to_flat(cmu_skeleton):
    plain, model = frame_model(cmu_skeleton, parent_frame=False), frame_model(cmu_skeleton)
    assert model.regressor.regressor_size() > plain.regressor.regressor_size()
    flat = frame_model(cmu_skeleton, "flat")
    a, b = model.regressor.regressor_size(), flat.regressor.regressor_size()
    assert abs(a - b) / a < 0.05
    inputs = torch.rand(3, len(model.keypoint_names), 3)
    estimates = model.regressor(inputs)
    loss = sum(e.rot6d.square().sum() + e.camera.square().sum() + e.beta.square().sum() for e in estimates)
    loss.backward()
    assert all(p.grad is not None for p in model.regressor.parameters())


def test_parent_frame_checkpoints_round_trip_and_old_ones_read_without(tmp_path, cmu_skeleton):
    model = frame_model(cmu_skeleton)
    save_model(tmp_path / "pf.pt", model)
    assert load_model(tmp_path / "pf.pt").regressor.config.parent_frame
    old = torch.load(tmp_path / "pf.pt", weights_only=True)
    del old["config"]["parent_frame"]  # a checkpoint from before the option
    plain = frame_model(cmu_skeleton, parent_frame=False)
    old["model"] = {k: v.half() for k, v in plain.regressor.state_dict().items()}
    torch.save(old, tmp_path / "old.pt")
    assert not load_model(tmp_path / "old.pt").regressor.config.parent_frame
