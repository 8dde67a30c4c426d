"""Applications of a pose prior (Pose-NDF §4): denoising, completing occluded parts, fitting to
2D keypoints, generating and interpolating poses. Each takes the prior as a
:class:`~posefield.prior.base.PosePrior` (see :func:`posefield.prior.registry.get_prior`)."""
from posefield.fit.complete import complete
from posefield.fit.denoise import denoise
from posefield.fit.fit2d import Fit2DConfig, fit_keypoints
from posefield.fit.interpolate import interpolate
from posefield.fit.keypoints import Keypoints, load_keypoints, save_keypoints
from posefield.fit.positions import PositionFitConfig
from posefield.fit.sample import sample_poses

__all__ = ["denoise", "complete", "fit_keypoints", "Fit2DConfig", "interpolate", "sample_poses",
           "PositionFitConfig", "Keypoints", "load_keypoints", "save_keypoints"]
