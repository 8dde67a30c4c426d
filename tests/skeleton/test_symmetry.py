"""Mirror images: the joint pairing read from the rest pose and mirrored forward kinematics."""
from pathlib import Path

import numpy as np
import pytest
import torch

from posefield.data import PoseDataset
from posefield.data.mirror import with_mirrored_training
from posefield.errors import SkeletonMismatchError
from posefield.io import load_motion
from posefield.rotations import canonical_hemisphere, random_unit_quaternions
from posefield.skeleton import forward_kinematics
from posefield.skeleton.symmetry import mirror_joints, mirror_poses
from tests.rigs import skeleton_from_table

FIXTURES = Path(__file__).parents[1] / "fixtures" / "cmu"
ROT = ("Zrotation", "Xrotation", "Yrotation")
BODY = [("hips", None, (0, 1, 0), ("Xposition", "Yposition", "Zposition") + ROT),
        ("lthigh", "hips", (0.1, 0, 0), ROT), ("lshin", "lthigh", (0, -0.45, 0.01), ROT),
        ("rthigh", "hips", (-0.1, 0, 0), ROT), ("rshin", "rthigh", (0, -0.45, 0.01), ROT),
        ("chest", "hips", (0, 0.4, 0), ROT),
        ("lfinger", "chest", (0.5, 0, 0), ROT), ("lthumb", "chest", (0.5, 0, 0), ROT),
        ("rthumb", "chest", (-0.5, 0, 0), ROT), ("rfinger", "chest", (-0.5, 0, 0), ROT)]
SITES = {"lshin": (0, -0.4, 0.1), "rshin": (0, -0.4, 0.1), "lfinger": (0.1, 0, 0), "rfinger": (-0.1, 0, 0),
         "lthumb": (0.05, 0, 0.05), "rthumb": (-0.05, 0, 0.05), "chest": (0, 0.2, 0)}


def body():
    return skeleton_from_table(BODY, SITES, rig="body")


def positions(skeleton, joint_index, quats):
    rot = torch.zeros(len(quats), skeleton.num_joints, 4, dtype=torch.float64)
    rot[..., 3] = 1
    rot[:, joint_index] = quats.double()
    return forward_kinematics(skeleton, rot, torch.zeros(len(quats), 3, dtype=torch.float64))


def test_pairing_follows_the_rest_pose_and_tells_apart_joints_that_start_together():
    skeleton = body()
    names = [skeleton.names[m] for m in mirror_joints(skeleton)]
    assert names == ["hips", "rthigh", "rshin", "lthigh", "lshin", "chest", "rfinger", "rthumb", "lthumb", "lfinger"]


def test_pairing_follows_the_tree_where_a_hand_lies_closer_to_the_other_sides_fingers():
    # subject 01's ASF: the left hand is 2 cm longer than the right, so the reflected left hand
    # lands nearer the right fingers (the right hand's child) than the right hand
    table = BODY[:6] + [("lhand", "chest", (0.52, 0, 0), ROT), ("lfingers", "lhand", (0.03, 0, 0), ROT),
                        ("rhand", "chest", (-0.5, 0, 0), ROT), ("rfingers", "rhand", (-0.03, 0, 0), ROT)]
    skeleton = skeleton_from_table(table, {"lfingers": (0.02, 0, 0), "rfingers": (-0.02, 0, 0), "chest": (0, 0.2, 0)},
                                   rig="body")
    names = [skeleton.names[m] for m in mirror_joints(skeleton)]
    assert names[6:] == ["rhand", "rfingers", "lhand", "lfingers"]


def test_mirrored_pose_is_the_reflected_body():
    skeleton = body()
    joint_index = list(range(skeleton.num_joints))
    quats = random_unit_quaternions((50, skeleton.num_joints), torch.Generator().manual_seed(0))
    mirrored = mirror_poses(skeleton, joint_index, quats)
    reflected = positions(skeleton, joint_index, quats) * torch.tensor([-1.0, 1, 1], dtype=torch.float64)
    expected = reflected[:, mirror_joints(skeleton)]
    assert torch.allclose(positions(skeleton, joint_index, mirrored), expected, atol=1e-9)
    assert torch.allclose(mirror_poses(skeleton, joint_index, mirrored), quats)


@pytest.mark.skipif(not (FIXTURES / "05.asf").is_file(), reason="CMU fixture not present")
def test_cmu_asf_pairs_left_and_right_bones():
    skeleton = load_motion(FIXTURES / "05_17.amc", asf=FIXTURES / "05.asf").skeleton
    pairing = mirror_joints(skeleton)
    for name in ("lfemur", "ltibia", "lclavicle", "lhumerus", "lfingers", "lthumb"):
        assert skeleton.names[pairing[skeleton.index(name)]] == "r" + name[1:]
    for name in ("root", "lowerback", "thorax", "head"):
        assert pairing[skeleton.index(name)] == skeleton.index(name)


def test_asymmetric_rig_and_half_joint_sets_are_refused():
    lopsided = [row if row[0] != "rthigh" else ("rthigh", "hips", (-0.3, 0.1, 0), ROT) for row in BODY]
    with pytest.raises(SkeletonMismatchError, match="not left-right symmetric"):
        mirror_joints(skeleton_from_table(lopsided, SITES, rig="body"))
    with pytest.raises(SkeletonMismatchError, match="lacks the mirror joints rthigh"):
        mirror_poses(body(), [1, 2], torch.zeros(3, 2, 4))


def mirror_body_dataset(num: int = 10, num_val: int = 3) -> PoseDataset:
    """Random poses of the symmetric test body's rotating non-root joints, the last ``num_val`` held out."""
    skeleton = body()
    joint_index = np.arange(1, skeleton.num_joints)
    quats = canonical_hemisphere(random_unit_quaternions((num, len(joint_index)), torch.Generator().manual_seed(1)))
    is_val = np.arange(num) >= num - num_val
    return PoseDataset(quats=quats.numpy(), skeleton=skeleton, joint_index=joint_index, source=is_val.astype(np.int32),
                       files=["a", "b"], subjects=["s0", "s1"], frame=np.arange(num), is_val=is_val, fps=30.0)


def test_mirrored_training_split_doubles_and_validation_stays():
    dataset = mirror_body_dataset()
    skeleton, joint_index = dataset.skeleton, dataset.joint_index
    out = with_mirrored_training(dataset)
    assert len(out.split(False)) == 14 and torch.equal(out.split(True), dataset.split(True))
    assert torch.allclose(out.split(False)[7:], mirror_poses(skeleton, joint_index, dataset.split(False)))
    assert out.frame[10:].tolist() == [0, 1, 2, 3, 4, 5, 6] and len(dataset) == 10
