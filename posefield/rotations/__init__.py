"""Rotation utilities on top of roma. Quaternions are unit, scalar-last (x, y, z, w) as in roma."""
from posefield.rotations.quaternion import (canonical_hemisphere, check_unit_quaternions, hemisphere_sign,
                                           normalize_quaternions, quaternion_dot, quaternion_mean, quaternion_to_rotmat, random_unit_quaternions,
                                           rotmat_to_quaternion)
from posefield.rotations.euler import channels_to_rotmat, rotmat_to_channels
from posefield.rotations.distance import pose_distance, joint_weights, geodesic_angles

__all__ = [
    "canonical_hemisphere",
    "hemisphere_sign",
    "check_unit_quaternions",
    "normalize_quaternions",
    "quaternion_dot",
    "quaternion_mean",
    "quaternion_to_rotmat",
    "rotmat_to_quaternion",
    "random_unit_quaternions",
    "channels_to_rotmat",
    "rotmat_to_channels",
    "pose_distance",
    "joint_weights",
    "geodesic_angles",
]
