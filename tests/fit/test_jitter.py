"""The rotational jitter estimate and the noise-following prior weight."""
import dataclasses

import numpy as np
import pytest

from posefield.data.noise import add_channel_noise
from posefield.fit.denoise import DENOISE_DEFAULTS
from posefield.fit.jitter import motion_jitter, rotation_jitter
from posefield.fit.positions import MAX_NOISE_GAIN, noise_gain
from posefield.fit.variables import dof_basis
from tests.fit.conftest import make_motion


def channel_counts(skeleton) -> np.ndarray:
    dofs = (dof_basis(skeleton).norm(dim=1) > 0).sum(dim=-1).numpy()
    dofs[0] = 0
    return dofs


@pytest.mark.parametrize("sigma_deg", [1.5, 3.0, 6.0, 12.0])
def test_jitter_recovers_the_channel_noise(skeleton, sigma_deg):
    clip = make_motion(skeleton, num_frames=600, fps=120.0)
    noisy = add_channel_noise(clip, sigma_deg, seed=5)
    estimate = np.degrees(rotation_jitter(noisy.rotations, channel_counts(skeleton)))
    assert estimate == pytest.approx(sigma_deg, rel=0.1)
    assert np.degrees(motion_jitter(skeleton, noisy.rotations)) == pytest.approx(estimate)


def test_jitter_of_smooth_motion_is_small_and_sign_blind(skeleton):
    clip = make_motion(skeleton, num_frames=300, fps=60.0)
    dofs = channel_counts(skeleton)
    assert np.degrees(rotation_jitter(clip.rotations, dofs)) < 0.3
    flipped = clip.rotations.copy()
    flipped[1::2] *= -1  # q and −q are the same rotation
    assert rotation_jitter(flipped, dofs) == pytest.approx(rotation_jitter(clip.rotations, dofs), abs=1e-9)
    assert np.isnan(rotation_jitter(clip.rotations[:2], dofs))  # too short to tell
    assert np.isnan(rotation_jitter(clip.rotations, np.zeros_like(dofs)))


def test_prior_weight_follows_the_noise(skeleton):
    clip = make_motion(skeleton, num_frames=400, fps=120.0)
    gains = [noise_gain(DENOISE_DEFAULTS, motion_jitter(skeleton, add_channel_noise(clip, s, seed=2).rotations)) for s in (3.0, 6.0)]
    assert gains[0] == pytest.approx(0.5, rel=0.1) and gains[1] == pytest.approx(1.0, rel=0.1)
    assert noise_gain(DENOISE_DEFAULTS, motion_jitter(skeleton, add_channel_noise(clip, 90.0, seed=2).rotations)) == MAX_NOISE_GAIN
    assert noise_gain(DENOISE_DEFAULTS, motion_jitter(skeleton, clip.rotations[:2])) == 1.0  # unknown noise: the weight as given
    fixed = dataclasses.replace(DENOISE_DEFAULTS, prior_reference_noise_deg=0.0)
    assert noise_gain(fixed, motion_jitter(skeleton, add_channel_noise(clip, 3.0, seed=2).rotations)) == 1.0


def test_denoised_motion_records_the_estimated_noise(walk):
    from posefield.fit.denoise import denoise
    from posefield.prior.registry import no_prior

    noisy = add_channel_noise(walk, 6.0, seed=1)
    config = dataclasses.replace(DENOISE_DEFAULTS, steps=2)
    assert denoise(noisy, no_prior(walk.skeleton), config).source["estimated_noise_deg"] == pytest.approx(6.0, rel=0.2)
