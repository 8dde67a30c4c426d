"""Applications of a pose prior (Pose-NDF §4): denoising, completing occluded parts, fitting to
2D keypoints, generating and interpolating poses. Each takes the prior as a
:class:`~posefield.prior.base.PosePrior` (see :func:`posefield.prior.registry.get_prior`).

The names below are imported from their modules on first use: a command needs one
application, and importing them all (faiss, roma and its ``torch._dynamo``) cost seconds of
every command's start-up."""
import importlib

_MODULES = {"denoise": "denoise", "complete": "complete", "fit_keypoints": "fit2d", "Fit2DConfig": "fit2d",
            "interpolate": "interpolate", "sample_poses": "sample", "PositionFitConfig": "positions",
            "Keypoints": "keypoints", "load_keypoints": "keypoints", "save_keypoints": "keypoints"}

__all__ = list(_MODULES)


def __getattr__(name: str):
    """``posefield.fit.<name>``: the application's module is imported here, on first use."""
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULES[name]}"), name)
