"""Skeletons (joint trees with rest offsets), forward kinematics and named bone groups."""
from posefield.skeleton.skeleton import Skeleton, POSITION_CHANNELS
from posefield.skeleton.kinematics import forward_kinematics, rest_points

__all__ = ["Skeleton", "POSITION_CHANNELS", "forward_kinematics", "rest_points"]
