"""The per-prior calibration multiplier (``energy_scale``) the fit objectives apply to prior energies."""
import dataclasses

import numpy as np
import roma
import torch

from posefield.fit.denoise import DENOISE_DEFAULTS, denoise
from posefield.fit.terms import prior_energy
from posefield.prior.baselines.gmm import GMMPrior
from posefield.prior.ndf.model import PoseNDF
from posefield.prior.registry import no_prior
from posefield.prior.baselines.vae import VAEPrior

from tests.fit.conftest import NearestPosePrior, walk_rotations


def noisy_copy(motion, sigma_deg: float, seed: int):
    """``motion`` with every non-root joint turned by N(0, σ²) degrees per axis."""
    rotvec = np.random.default_rng(seed).normal(0, np.radians(sigma_deg), motion.rotations.shape[:-1] + (3,))
    rotvec[:, 0] = 0
    noise = roma.rotvec_to_unitquat(torch.as_tensor(rotvec))
    return dataclasses.replace(motion, rotations=roma.quat_product(torch.as_tensor(motion.rotations), noise).numpy())


def test_prior_energy_applies_the_scale(skeleton, walk):
    prior = NearestPosePrior(skeleton, walk_rotations(skeleton, 11, fps=11.0, phase=0.3))
    rot = torch.as_tensor(walk.rotations[:8], dtype=torch.float32)
    raw = prior.energy(rot[:, prior.joint_index])
    assert raw.min() > 0
    assert prior.energy_scale == 1.0
    assert torch.allclose(prior_energy(prior, rot), raw)
    prior.energy_scale = 0.25
    assert prior.energy_scale == 0.25
    assert torch.allclose(prior_energy(prior, rot), 0.25 * raw)
    assert torch.allclose(prior.energy(rot[:, prior.joint_index]), raw)  # the energy itself stays unscaled


def test_baselines_are_scaled_down_and_ndf_none_are_not(skeleton, walk):
    rot = torch.as_tensor(walk.rotations[:8], dtype=torch.float32)
    for cls in (VAEPrior, GMMPrior):
        prior = cls(skeleton, skeleton.rotation_joints())
        scale = prior.energy_scale
        assert 0 < scale < 0.1, (cls.__name__, scale)
        assert not prior.energy_is_distance, cls.__name__
        raw = prior.energy(rot[:, prior.joint_index])
        assert torch.allclose(prior_energy(prior, rot), scale * raw, rtol=1e-5)
    assert no_prior(skeleton).energy_scale == 1.0
    assert PoseNDF.energy_is_distance


def test_the_fit_objective_sees_the_scaled_energy(walk):
    noisy = noisy_copy(walk, 6.0, seed=3)
    config = dataclasses.replace(DENOISE_DEFAULTS, steps=15, prior_weight=5e4)
    plain = denoise(noisy, no_prior(walk.skeleton), config)
    prior = NearestPosePrior(walk.skeleton, walk_rotations(walk.skeleton, 5, fps=5.0, phase=0.7))
    pulled = denoise(noisy, prior, config)
    assert not np.allclose(pulled.rotations, plain.rotations, atol=1e-4)
    prior.energy_scale = 0.0  # an inert prior: the fit is the prior-free one
    inert = denoise(noisy, prior, config)
    assert np.allclose(inert.rotations, plain.rotations, atol=1e-6)
    assert np.allclose(inert.root_translation, plain.root_translation, atol=1e-7)


def test_saturation_applies_to_distance_priors_only(walk):
    noisy = noisy_copy(walk, 6.0, seed=4)
    prior = NearestPosePrior(walk.skeleton, walk_rotations(walk.skeleton, 5, fps=5.0, phase=0.7))
    plain = dataclasses.replace(DENOISE_DEFAULTS, steps=15, prior_weight=5e4, prior_saturation=0.0)
    saturating = dataclasses.replace(plain, prior_saturation=0.05)
    assert not prior.energy_is_distance  # the stand-in's energy is a chordal distance, but says not
    assert np.allclose(denoise(noisy, prior, saturating).rotations, denoise(noisy, prior, plain).rotations, atol=1e-6)
    prior.energy_is_distance = True
    assert not np.allclose(denoise(noisy, prior, saturating).rotations, denoise(noisy, prior, plain).rotations,
                           atol=1e-4)
