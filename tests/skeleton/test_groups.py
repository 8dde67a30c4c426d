"""Bone groups: CMU names, their counterparts on other rigs, and errors."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posefield.errors import SkeletonMismatchError
from posefield.io.asf import read_asf
from posefield.skeleton import Skeleton
from posefield.skeleton.groups import BONE_GROUPS, resolve_group, side_and_cmu_part

ASF_05 = Path(__file__).resolve().parents[1] / "fixtures" / "cmu" / "05.asf"

# The CMU-DAZ BVH rig's joints (cmu-daz-bvh), as a flat tree under the hip: only names matter.
DAZ_NAMES = ("hip abdomen chest neck head leftEye rightEye rCollar rShldr rForeArm rHand rThumb1 rThumb2 rIndex1 "
             "rIndex2 rMid1 rMid2 rRing1 rRing2 rPinky1 rPinky2 lCollar lShldr lForeArm lHand lThumb1 lThumb2 "
             "lIndex1 lIndex2 lMid1 lMid2 lRing1 lRing2 lPinky1 lPinky2 rButtock rThigh rShin rFoot lButtock "
             "lThigh lShin lFoot").split()


def named_skeleton(names: list[str]) -> Skeleton:
    j = len(names)
    return Skeleton(tuple(names), (-1,) + (0,) * (j - 1), np.zeros((j, 3)), (("Zrotation",),) * j)


@pytest.fixture(scope="module")
def cmu() -> Skeleton:
    return read_asf(ASF_05)


def names_of(skeleton: Skeleton, indices: list[int]) -> list[str]:
    return [skeleton.names[i] for i in indices]


def test_cmu_groups_name_bones_with_dof(cmu):
    assert set(BONE_GROUPS) == {f"{side}_{limb}" for side in ("left", "right")
                                for limb in ("leg", "arm_hand", "shoulder_upper_arm")}
    for group, bones in BONE_GROUPS.items():
        indices = resolve_group(cmu, group)
        assert names_of(cmu, indices) == sorted(bones, key=cmu.names.index)
        assert all(cmu.channels[j] for j in indices), group
    assert names_of(cmu, resolve_group(cmu, "left_leg")) == ["lfemur", "ltibia", "lfoot", "ltoes"]
    assert "lhipjoint" not in BONE_GROUPS["left_leg"]


def test_comma_separated_names(cmu):
    assert names_of(cmu, resolve_group(cmu, " head, lhipjoint ,lfemur")) == ["lhipjoint", "lfemur", "head"]


@pytest.mark.parametrize("spec", ["left_tail", "lfemur,ltail", "", " , "])
def test_unknown_names_raise_one_line(cmu, spec):
    with pytest.raises(SkeletonMismatchError) as excinfo:
        resolve_group(cmu, spec)
    assert "\n" not in str(excinfo.value)


def test_groups_on_the_daz_rig():
    daz = named_skeleton(DAZ_NAMES)
    assert names_of(daz, resolve_group(daz, "left_leg")) == ["lThigh", "lShin", "lFoot"]
    assert names_of(daz, resolve_group(daz, "right_shoulder_upper_arm")) == ["rCollar", "rShldr"]
    arm = names_of(daz, resolve_group(daz, "left_arm_hand"))
    assert arm == ["lShldr", "lForeArm", "lHand", "lThumb1", "lThumb2", "lIndex1", "lIndex2", "lMid1", "lMid2",
                   "lRing1", "lRing2", "lPinky1", "lPinky2"]
    assert names_of(daz, resolve_group(daz, "rShin,lradius")) == ["lForeArm", "rShin"]  # skeleton order
    with pytest.raises(SkeletonMismatchError, match="lwrist"):  # no DAZ counterpart
        resolve_group(daz, "lwrist")


def test_groups_on_a_biped_rig():
    biped = named_skeleton(["Bip01", "Bip01 Pelvis", "Bip01 L Thigh", "Bip01 L Calf", "Bip01 L Foot", "Bip01 L Toe0",
                            "Bip01 R Thigh", "Bip01 Spine", "Bip01 L Clavicle", "Bip01 L UpperArm"])
    assert names_of(biped, resolve_group(biped, "left_leg")) == ["Bip01 L Thigh", "Bip01 L Calf", "Bip01 L Foot",
                                                                "Bip01 L Toe0"]
    assert names_of(biped, resolve_group(biped, "left_shoulder_upper_arm")) == ["Bip01 L Clavicle", "Bip01 L UpperArm"]


@pytest.mark.parametrize("names", [
    ["pelvis", "left_collar", "left_shoulder", "left_elbow"],  # SMPL: the shoulder joint moves the upper arm
    ["Hips", "LeftShoulder", "LeftArm", "LeftForeArm"],  # Mixamo: the shoulder is the clavicle
])
def test_shoulder_is_the_upper_arm_only_beside_a_collar(names):
    skeleton = named_skeleton(names)
    assert names_of(skeleton, resolve_group(skeleton, "left_shoulder_upper_arm")) == names[1:3]
    assert names_of(skeleton, resolve_group(skeleton, "lhumerus")) == [names[2]]


@pytest.mark.parametrize("name, expected", [
    ("lThigh", ("l", "femur")), ("LeftUpLeg", ("l", "femur")), ("R_Knee", ("r", "tibia")),
    ("thigh.L", ("l", "femur")), ("RightHandIndex1", ("r", "fingers")), ("lowerback", None),
    ("leftEye", None), ("lButtock", None), ("lhipjoint", None),
    # the side inside the name (3ds Max bipeds, MotionBuilder characters), twist joints with their limb
    ("Bip01 L Thigh", ("l", "femur")), ("Bip01 R Forearm", ("r", "radius")), ("Bip01 L Finger0", ("l", "fingers")),
    ("Character1_LeftLeg", ("l", "tibia")), ("Character1_RightArm", ("r", "humerus")),
    ("calf_twist_01_l", ("l", "tibia")), ("Bip01 Pelvis", None),
])
def test_side_and_part(name, expected):
    assert side_and_cmu_part(name) == expected
