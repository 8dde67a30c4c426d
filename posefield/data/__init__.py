"""Pose datasets: the clean poses a prior learns from, with provenance and splits."""
from posefield.data.dataset import PoseDataset, joint_subset

__all__ = ["PoseDataset", "joint_subset"]
