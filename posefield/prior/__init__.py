"""Pose priors: the Pose-NDF distance field, baselines, and the common interface."""
from posefield.prior.base import NoPrior, PosePrior
from posefield.prior.checkpoint import load_prior
from posefield.prior.ndf.model import NDFConfig, PoseNDF
from posefield.prior.ndf.projection import project

__all__ = ["PosePrior", "NoPrior", "PoseNDF", "NDFConfig", "load_prior", "project"]
