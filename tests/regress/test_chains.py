"""Kinematic chains and body proportions."""
import numpy as np
import torch

from posefield.io.amc import write_amc
from posefield.io.asf import read_asf
from posefield.motion import Motion
from posefield.regress.body import Body, extended_skeleton, posed_points, proportioned_skeleton
from posefield.regress.chains import kinematic_chains
from posefield.skeleton import Skeleton, forward_kinematics


def chain_names(skeleton):
    return {c.name: [skeleton.names[j] for j in c.joints] for c in kinematic_chains(skeleton)}


def test_cmu_chains(cmu_skeleton):
    chains = kinematic_chains(cmu_skeleton)
    names = chain_names(cmu_skeleton)
    assert list(names) == ["root", "head", "right_arm", "left_arm", "right_leg", "left_leg"]
    assert names["head"] == ["lowerback", "upperback", "thorax", "lowerneck", "upperneck", "head"]
    assert names["left_arm"] == ["lclavicle", "lhumerus", "lradius", "lwrist", "lhand", "lfingers", "lthumb"]
    assert names["right_leg"] == ["rhipjoint", "rfemur", "rtibia", "rfoot", "rtoes"]
    assert [c.parent for c in chains] == [-1, 0, 1, 1, 0, 0]
    joints = sorted(j for c in chains for j in c.joints)
    assert joints == list(range(cmu_skeleton.num_joints))  # every joint in exactly one chain


def test_toy_chains(toy):
    names = chain_names(toy)
    assert names == {"root": ["pelvis"], "head": ["spine", "chest", "neck"], "right_arm": ["rshoulder", "relbow"],
                     "left_arm": ["lshoulder", "lelbow"], "right_leg": ["rhip", "rknee"], "left_leg": ["lhip", "lknee"]}


def test_tree_without_arms_or_with_a_tail():
    # pelvis -> spine -> head; pelvis -> leg; pelvis -> tail (both on the mid-line)
    skeleton = Skeleton(names=["pelvis", "spine", "head", "leg", "tail"], parents=[-1, 0, 1, 0, 0],
                        offsets=np.array([[0, 1, 0], [0, 0.3, 0], [0, 0.3, 0], [0, -0.5, 0], [0, 0, -0.5]]),
                        channels=[("Xrotation",)] * 5)
    assert chain_names(skeleton) == {"root": ["pelvis"], "head": ["spine", "head"], "leg": ["leg"], "leg_2": ["tail"]}


def test_zero_proportions_pose_like_forward_kinematics(cmu_skeleton, cmu_motion):
    body = Body.of(cmu_skeleton, kinematic_chains(cmu_skeleton))
    quats = torch.as_tensor(cmu_motion.rotations[:3], dtype=torch.float32)
    rotmats = torch.as_tensor(cmu_motion.rotmats()[:3][:, body.regressed], dtype=torch.float32)
    ours = posed_points(body, rotmats, torch.zeros(3, len(body.chains)))
    theirs = forward_kinematics(cmu_skeleton, quats, torch.zeros(3, 3), with_end_sites=True)
    assert torch.allclose(ours, theirs, atol=1e-5)
    assert extended_skeleton(cmu_skeleton).num_joints == cmu_skeleton.num_joints + len(cmu_skeleton.end_sites)


def test_proportions_scale_chains_and_stay_an_asf_rig(cmu_skeleton, tmp_path):
    chains = kinematic_chains(cmu_skeleton)
    beta = np.log([1.0, 1.1, 1.0, 1.0, 0.8, 1.0])  # longer spine and head, shorter right leg
    scaled = proportioned_skeleton(cmu_skeleton, chains, beta)
    femur, thorax, lclavicle = (cmu_skeleton.index(n) for n in ("rtibia", "lowerneck", "lclavicle"))
    assert np.allclose(scaled.offsets[femur], 0.8 * cmu_skeleton.offsets[femur])  # the rfemur bone
    assert np.allclose(scaled.offsets[lclavicle], 1.1 * cmu_skeleton.offsets[lclavicle])  # thorax bone: spine
    assert np.allclose(scaled.offsets[thorax], scaled.offsets[lclavicle])
    motion = Motion(scaled, np.tile([0.0, 0.0, 0.0, 1.0], (2, scaled.num_joints, 1)), np.zeros((2, 3)), 30.0)
    _, asf = write_amc(motion, tmp_path / "scaled.amc")
    back = read_asf(asf)
    assert back.names == cmu_skeleton.names  # no connector bones
    assert np.allclose(back.offsets, scaled.offsets, atol=1e-6)
