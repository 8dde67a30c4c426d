"""Skeletons (joint trees with rest offsets), forward kinematics and named bone groups."""
from posefield.skeleton.skeleton import Skeleton, POSITION_CHANNELS, UP_AXIS
from posefield.skeleton.kinematics import forward_kinematics, rest_points

__all__ = ["Skeleton", "POSITION_CHANNELS", "UP_AXIS", "forward_kinematics", "rest_points"]
