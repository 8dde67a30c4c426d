"""Pose priors: the Pose-NDF distance field, baselines, and the common interface."""
from posefield.prior.base import NoPrior, PosePrior

__all__ = ["PosePrior", "NoPrior"]
