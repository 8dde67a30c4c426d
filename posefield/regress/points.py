"""The skeleton points a regressor observes as 2D keypoints (and is evaluated on in 3D).

Names follow the keypoint file format of :mod:`posefield.fit.keypoints` (on ASF skeletons a
bone name is the bone's end). On CMU ASF skeletons the default is the 17 Human3.6M-style
body points below; on other rigs it is every point the rig's names denote (all joints).
"""
from __future__ import annotations

from posefield.fit.keypoints import point_index
from posefield.skeleton import Skeleton

ASF_BODY_KEYPOINTS = (
    "root",  # pelvis
    "lhipjoint", "lfemur", "ltibia",  # left hip, knee, ankle
    "rhipjoint", "rfemur", "rtibia",
    "upperback", "thorax", "upperneck", "head",  # spine, neck base, head base, head top
    "lclavicle", "lhumerus", "lradius",  # left shoulder, elbow, wrist
    "rclavicle", "rhumerus", "rradius",
)


def default_keypoints(skeleton: Skeleton) -> list[str]:
    """The keypoint names a regressor of ``skeleton`` uses unless told otherwise."""
    names = point_index(skeleton)
    if all(n in names for n in ASF_BODY_KEYPOINTS):
        return list(ASF_BODY_KEYPOINTS)
    return list(names)

