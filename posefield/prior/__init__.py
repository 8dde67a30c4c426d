"""Pose priors: the common interface, the Pose-NDF distance field, baselines, and their uses.

* top level: the interface every kind shares (``base``: :class:`PosePrior`, ``registry``:
  ``--prior`` specs, ``checkpoint``: the ``.pt`` format, ``optimizer``: the training loop's
  parts, ``ranks``: AUC);
* ``ndf/``: Pose-NDF (model, losses, training noise, labels, pairs and mining, training, projection);
* ``baselines/``: the VAE and GMM priors it is compared with;
* ``evaluation/``: Pose-NDF on held-out subjects (``posefield prior eval``);
* ``motions/``: priors applied to motion clips (per-frame scores and projection; a prior of
  one rig on another rig's motions).
"""
from posefield.prior.base import NoPrior, PosePrior
from posefield.prior.checkpoint import load_prior
from posefield.prior.ndf.model import NDFConfig, PoseNDF
from posefield.prior.ndf.projection import project

__all__ = ["PosePrior", "NoPrior", "PoseNDF", "NDFConfig", "load_prior", "project"]
