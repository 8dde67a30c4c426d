"""Fitting through a rig map: the prior term within the prior's channels, joints the map leaves out."""
from pathlib import Path

import numpy as np
import pytest
import torch

from posefield.data.noise import add_channel_noise
from posefield.fit.denoise import denoise, denoise_mapped
from posefield.fit.jitter import motion_jitter
from posefield.fit.metrics import per_point_error
from posefield.fit.terms import prior_energy
from posefield.io.bvh import read_bvh
from posefield.prior.checkpoint import load_prior
from posefield.prior.motions.mapping import map_to_prior
from posefield.prior.ndf.model import PoseNDF
from posefield.prior.registry import no_prior
from posefield.rotations import geodesic_angles, random_unit_quaternions

from tests.prior.ndf_data import TINY_MODEL
from tests.rigs import channel_poses, leg_with_hinges

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_the_fit_scores_poses_within_the_priors_channels():
    torch.manual_seed(0)
    prior = PoseNDF(leg_with_hinges(), [1, 2, 3], TINY_MODEL)
    skeleton_poses = torch.zeros(16, 5, 4)
    skeleton_poses[..., 3] = 1
    skeleton_poses[:, 1:4] = random_unit_quaternions((16, 3), torch.Generator().manual_seed(1))
    reachable, _ = prior.dofs(skeleton_poses[:, 1:4])
    within = prior_energy(prior, skeleton_poses, within_channels=True)
    assert torch.allclose(within, prior.field(reachable), atol=1e-6)
    assert (prior_energy(prior, skeleton_poses) > within + 1e-3).all()  # the off-set part left out
    skeleton_poses[:, 1:4] = channel_poses(prior.skeleton, 16)  # within the channels: the same
    assert torch.allclose(prior_energy(prior, skeleton_poses, within_channels=True), prior_energy(prior, skeleton_poses),
                          atol=1e-5)


@pytest.mark.parametrize("name", ["bvh/salsa_01_head.bvh", "rigs/game.bvh"])
def test_denoising_through_a_map_fits_the_joints_it_leaves_out_without_a_prior(name):
    prior = load_prior("cmu-asf")
    clean = read_bvh(FIXTURES / name, drop_frames=4 if "salsa" in name else 0).slice(slice(0, 24))
    noisy = add_channel_noise(clean, 6.0, seed=2)
    mapped = map_to_prior(prior, noisy)
    result = denoise_mapped(noisy, prior, mapped)
    plain = denoise(noisy, no_prior(noisy.skeleton))
    own = np.degrees(motion_jitter(noisy.skeleton, noisy.rotations))  # the fit follows the noise on the own rig
    assert result.source["estimated_noise_deg"] == pytest.approx(own) and 4 < own < 9
    left_out = mapped.rig_map.unmapped_source()
    angles = geodesic_angles(torch.as_tensor(result.rotations[:, left_out]), torch.as_tensor(plain.rotations[:, left_out]))
    if "salsa" in name:  # fingers, eyes and buttocks: from the fit without a prior
        assert angles.max() < 1e-6
        fingers = [j for j, n in enumerate(clean.skeleton.names) if "Index" in n]
        assert per_point_error(result, clean)[:, fingers].mean() < 0.7 * per_point_error(noisy, clean)[:, fingers].mean()
    else:  # the static root above the body stays as it was
        assert left_out == [0] and np.array_equal(result.rotations[:, 0], noisy.rotations[:, 0])
