"""Body landmarks by joint name and tree, across the naming families in use."""
from pathlib import Path

import pytest

from posefield.io import load_skeleton
from posefield.skeleton.names import LANDMARKS, is_head, find_landmarks, name_tokens, side_and_part

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.mark.parametrize("name, expected", [
    # CMU ASF / HDM05
    ("lfemur", ("l", "thigh")), ("rradius", ("r", "forearm")), ("lhumerus", ("l", "upperarm")),
    ("ltoes", ("l", "toe")), ("lhipjoint", (None, None)), ("lowerback", (None, None)), ("lwrist", (None, None)),
    # CMU BVH conversions and Mixamo
    ("LeftUpLeg", ("l", "thigh")), ("RightLeg", ("r", "shin")), ("LeftForeArm", ("l", "forearm")),
    ("LHipJoint", ("l", None)), ("mixamorig:LeftArm", ("l", "upperarm")), ("mixamorig:RightShoulder", ("r", "shoulder")),
    ("mixamorig:LeftToeBase", ("l", "toe")), ("LeftHandIndex1", ("l", None)), ("HeadTop_End", (None, None)),
    # DAZ
    ("lThigh", ("l", "thigh")), ("rShin", ("r", "shin")), ("lCollar", ("l", "clavicle")), ("lShldr", ("l", "upperarm")),
    ("lButtock", ("l", None)), ("leftEye", ("l", None)),
    # DAZ Genesis 3-9: the bend joint plays the part, the twist joint none
    ("lShldrBend", ("l", "upperarm")), ("rForearmBend", ("r", "forearm")), ("lThighBend", ("l", "thigh")),
    ("lShldrTwist", ("l", None)), ("rThighTwist", ("r", None)),
    # Biovision
    # OptiTrack Motive: a side letter glued to an abbreviation
    ("Skeleton:LUArm", ("l", "upperarm")), ("RFArm", ("r", "forearm")), ("LShin", ("l", "shin")), ("Ab", (None, None)),
    ("LeftUpArm", ("l", "upperarm")), ("RightLowArm", ("r", "forearm")), ("LeftLowLeg", ("l", "shin")),
    # SMPL
    ("left_hip", ("l", "thigh")), ("right_knee", ("r", "shin")), ("left_collar", ("l", "clavicle")),
    ("left_ankle", ("l", "foot")), ("right_wrist", ("r", "hand")),
    # Unity / Unreal, any case or separator
    ("UpperLeg_L", ("l", "thigh")), ("upperarm_l", ("l", "upperarm")), ("LowerArm_R", ("r", "forearm")),
    ("thigh_l", ("l", "thigh")), ("calf_r", ("r", "shin")), ("clavicle_l", ("l", "clavicle")), ("ball_r", ("r", "toe")),
    ("LEFT-UPPER-ARM", ("l", "upperarm")), ("Right Lower Leg", ("r", "shin")), ("calf_twist_01_l", ("l", None)),
    ("Shoulder_L", ("l", "shoulder")), ("Toes_L", ("l", "toe")), ("joint_Root", (None, None)),
    # 3ds Max bipeds: the side inside the name
    ("Bip01 L Thigh", ("l", "thigh")), ("Bip01 R Calf", ("r", "shin")), ("Bip01 L Toe0", ("l", "toe")),
    ("Bip01 R Clavicle", ("r", "clavicle")), ("Bip01 Pelvis", (None, None)),
])
def test_side_and_part_of_every_naming_family(name, expected):
    assert side_and_part(name) == expected


@pytest.mark.parametrize("name, head", [("Head", True), ("Bip01 Head", True), ("mixamorig:Head", True),
                                        ("HeadTop_End", False), ("head_end", False), ("Bip01 HeadNub", False)])
def test_head_names(name, head):
    assert is_head(name) == head


def test_name_tokens_drop_namespaces_and_split_words():
    assert name_tokens("mixamorig:LeftUpLeg") == ["left", "up", "leg"]
    assert name_tokens("Armature|spine_01") == ["spine", "01"]
    assert name_tokens("LHipJoint") == ["l", "hip", "joint"]


def landmarks(path: Path) -> dict[str, str]:
    skeleton = load_skeleton(path)
    return {name: skeleton.names[j] for name, j in find_landmarks(skeleton).items()}


def test_cmu_asf_landmarks():
    found = landmarks(FIXTURES / "cmu" / "05.asf")
    assert set(found) == set(LANDMARKS)
    assert (found["pelvis"], found["spine"], found["spine_mid"], found["chest"], found["neck"]) == \
        ("root", "lowerback", "upperback", "thorax", "lowerneck")
    assert (found["l_hand"], found["r_toe"], found["l_clavicle"]) == ("lhand", "rtoes", "lclavicle")


def test_daz_landmarks_have_no_middle_spine_and_no_toes():
    found = landmarks(FIXTURES / "bvh" / "salsa_01_head.bvh")
    assert (found["pelvis"], found["spine"], found["chest"], found["neck"], found["head"]) == \
        ("hip", "abdomen", "chest", "neck", "head")
    assert (found["l_clavicle"], found["l_upperarm"], found["r_thigh"], found["r_shin"]) == \
        ("lCollar", "lShldr", "rThigh", "rShin")
    assert "spine_mid" not in found and "l_toe" not in found


def test_mixamo_shoulder_is_the_clavicle():
    found = landmarks(FIXTURES / "rigs" / "mixamo.bvh")
    assert set(found) == set(LANDMARKS)
    assert (found["l_clavicle"], found["l_upperarm"], found["pelvis"], found["spine_mid"]) == \
        ("mixamorig:LeftShoulder", "mixamorig:LeftArm", "mixamorig:Hips", "mixamorig:Spine1")


def test_smpl_shoulder_is_the_upper_arm_and_foot_the_toes():
    found = landmarks(FIXTURES / "rigs" / "smpl.bvh")
    assert set(found) == set(LANDMARKS)
    assert (found["l_clavicle"], found["l_upperarm"], found["l_hand"]) == ("left_collar", "left_shoulder", "left_wrist")
    assert (found["l_foot"], found["l_toe"], found["chest"]) == ("left_ankle", "left_foot", "spine3")


def test_game_rig_pelvis_is_below_the_static_root():
    found = landmarks(FIXTURES / "rigs" / "game.bvh")
    assert found["pelvis"] == "pelvis" and found["chest"] == "spine_03" and found["spine"] == "spine_01"
    assert (found["l_upperarm"], found["r_forearm"], found["l_shin"]) == ("upperarm_l", "lowerarm_r", "calf_l")
    assert "root" not in found.values() and "l_toe" not in found


def test_unreal_ik_joints_under_the_root_are_not_the_feet_or_hands():
    """UE mannequins carry ik_foot_l, ik_hand_r ... under the root, beside the body."""
    import dataclasses

    import numpy as np

    game = load_skeleton(FIXTURES / "rigs" / "game.bvh")
    extra = [("ik_foot_root", "root"), ("ik_foot_l", "ik_foot_root"), ("ik_foot_r", "ik_foot_root"),
             ("ik_hand_root", "root"), ("ik_hand_gun", "ik_hand_root"), ("ik_hand_l", "ik_hand_gun"),
             ("ik_hand_r", "ik_hand_gun")]
    names = game.names + tuple(n for n, _ in extra)
    parents = list(game.parents)
    for _, parent in extra:
        parents.append(names.index(parent))
    skeleton = dataclasses.replace(game, names=names, parents=tuple(parents), axes=None,
                                   offsets=np.concatenate([game.offsets, np.full((len(extra), 3), 0.05)]),
                                   channels=game.channels + (("Zrotation", "Xrotation", "Yrotation"),) * len(extra))
    found = {name: skeleton.names[j] for name, j in find_landmarks(skeleton).items()}
    assert (found["l_foot"], found["r_foot"], found["l_hand"], found["r_hand"]) == ("foot_l", "foot_r", "hand_l", "hand_r")
    assert found == landmarks(FIXTURES / "rigs" / "game.bvh")
