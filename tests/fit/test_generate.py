"""Sampling and interpolation."""
import numpy as np
import pytest
import roma
import torch

from posefield.data.neighbours import NearestPoses
from posefield.errors import InvalidPoseError, PosefieldError
from posefield.fit.interpolate import interpolate, pick_frame
from posefield.fit.manifold import project_to_manifold
from posefield.fit.metrics import average_pairwise_distance, direction_realism, realism
from posefield.data.neighbours import NearestPoses as _Nearest
from posefield.fit.sample import DENSITY_RANK, limb_parts, mixed_exemplars, rarity_weights, sample_poses
from posefield.prior.ndf.noise import perturb
from posefield.fit.terms import prior_energy
from posefield.prior.registry import no_prior
from posefield.prior.baselines.vae import VAEConfig, VAEPrior

from .conftest import NearestPosePrior, walk_rotations


def test_projection_reaches_the_stand_in_manifold(stand_in_prior):
    start = torch.as_tensor(stand_in_prior.poses[:5]) + 0.05 * torch.randn(5, *stand_in_prior.poses.shape[1:])
    start = start / start.norm(dim=-1, keepdim=True)
    assert (stand_in_prior.energy(project_to_manifold(stand_in_prior, start)) < 0.5 * stand_in_prior.energy(start)).all()
    assert torch.equal(project_to_manifold(no_prior(stand_in_prior.skeleton), start), start)


def test_sample_gives_n_plausible_frames(skeleton, stand_in_prior):
    motion = sample_poses(stand_in_prior, skeleton, 12, seed=3)
    assert motion.num_frames == 12
    raw = sample_poses(no_prior(skeleton), skeleton, 12, seed=3)
    energy = lambda m: prior_energy(stand_in_prior, torch.as_tensor(m.rotations, dtype=torch.float32))  # noqa: E731
    assert energy(motion).mean() < 0.5 * energy(raw).mean()
    assert average_pairwise_distance(skeleton, raw.rotations) > 0
    reference = NearestPoses(stand_in_prior.poses)
    joints = stand_in_prior.joint_index
    as_quats = lambda m: torch.as_tensor(m.rotations[:, joints], dtype=torch.float32)  # noqa: E731
    assert realism(as_quats(motion), reference) < realism(as_quats(raw), reference)


def test_baselines_sample_from_their_own_sampler(skeleton):
    joints = skeleton.rotation_joints()
    vae = VAEPrior(skeleton, joints, VAEConfig(latent_dim=4, hidden=(16,)))
    motion = sample_poses(vae, skeleton, 6, seed=1)
    expected = vae.sample(6, torch.Generator().manual_seed(1))
    assert torch.allclose(torch.as_tensor(motion.rotations[:, joints], dtype=torch.float32), expected, atol=1e-6)


def test_mixed_exemplars_take_every_limb_from_a_neighbour_of_one_base(skeleton):
    stand_in_prior = NearestPosePrior(skeleton, walk_rotations(skeleton, 7, fps=7.0))
    stand_in_prior.stored_exemplars = stand_in_prior.poses
    exemplars = stand_in_prior.stored_exemplars.float()
    parts = limb_parts(stand_in_prior)
    assert sorted(torch.cat(parts).tolist()) == list(range(len(stand_in_prior.joint_index)))
    _, nearest = _Nearest(exemplars).nearest(exemplars, 2)  # (7, 2): each exemplar and its nearest other
    mixed = mixed_exemplars(stand_in_prior, 50, torch.Generator().manual_seed(0), neighbours=2)
    donor_sets = []  # per part: (50, 7) which exemplars hold each sample's part
    for part in parts:
        match = (mixed[:, None, part] == exemplars[None, :, part]).all(-1).all(-1)
        assert match.any(dim=1).all()
        donor_sets.append(match)
    allowed = torch.zeros(7, 7, dtype=torch.bool).scatter_(1, nearest, True)  # (base, exemplar): a donor of base
    # every sample has one base whose two nearest exemplars hold all its parts
    fits = torch.stack([(match[:, None, :] & allowed[None]).any(-1) for match in donor_sets]).all(0)  # (50, 7)
    assert fits.any(dim=1).all()
    assert not all((mixed[:, None] == exemplars[None]).all(-1).all(-1).any(1))  # some are new poses
    whole = mixed_exemplars(stand_in_prior, 20, torch.Generator().manual_seed(0), neighbours=1)
    assert (whole[:, None] == exemplars[None]).all(-1).all(-1).any(1).all()


def test_rarity_weights_favour_sparse_exemplars_and_fall_back_to_uniform():
    weights = rarity_weights(torch.tensor([0.1, 0.1, 0.4]), power=2.0)
    assert torch.allclose(weights / weights.sum(), torch.tensor([1 / 18, 1 / 18, 16 / 18], dtype=torch.float64))
    assert torch.equal(rarity_weights(torch.tensor([0.1, 0.4]), power=0.0), torch.ones(2, dtype=torch.float64))
    assert torch.equal(rarity_weights(torch.zeros(3)), torch.ones(3, dtype=torch.float64))


def test_mixed_exemplars_draw_an_isolated_exemplar_more_often_with_rarity(skeleton):
    stand_in_prior = NearestPosePrior(skeleton, walk_rotations(skeleton, 7, fps=7.0))
    poses = stand_in_prior.poses.float()
    crowd = poses[:1].repeat(DENSITY_RANK + 16, 1, 1)  # copies of one pose: a dense region
    crowd = crowd + 1e-3 * torch.randn(crowd.shape, generator=torch.Generator().manual_seed(0))
    stand_in_prior.stored_exemplars = torch.cat([crowd / crowd.norm(dim=-1, keepdim=True), poses[-1:]])
    def share_of_the_isolated(power):
        drawn = mixed_exemplars(stand_in_prior, 400, torch.Generator().manual_seed(1), neighbours=1, power=power)
        return float((drawn == poses[-1]).all(-1).all(-1).float().mean())
    assert share_of_the_isolated(0.0) < 0.1 < 0.5 < share_of_the_isolated(3.0)


def test_mixed_exemplars_leave_out_the_mirror_images(skeleton):
    stand_in_prior = NearestPosePrior(skeleton, walk_rotations(skeleton, 7, fps=7.0))
    stand_in_prior.stored_exemplars = stand_in_prior.poses.float()
    stand_in_prior.exemplars_recorded = torch.tensor([True, False, True, False, True, True, False])
    recorded = stand_in_prior.stored_exemplars[stand_in_prior.exemplars_recorded]
    assert torch.equal(stand_in_prior.recorded_exemplars(), recorded)
    mixed = mixed_exemplars(stand_in_prior, 100, torch.Generator().manual_seed(0), neighbours=1)
    assert (mixed[:, None] == recorded[None]).all(-1).all(-1).any(1).all()
    stand_in_prior.exemplars_recorded = torch.zeros(7, dtype=torch.bool)
    with pytest.raises(ValueError, match="no recorded exemplars"):
        mixed_exemplars(stand_in_prior, 10, torch.Generator().manual_seed(0))


def test_direction_realism_is_zero_on_the_reference_and_grows_with_noise(walk):
    real = walk.rotations
    assert direction_realism(walk.skeleton, real[:5], real) == pytest.approx(np.zeros(5), abs=1e-3)
    noisy = perturb(torch.as_tensor(real[:5, 1:]), 10.0, torch.Generator().manual_seed(0)).double().numpy()
    shaken = real[:5].copy()
    shaken[:, 1:] = noisy
    assert (direction_realism(walk.skeleton, shaken, real) > 3).all()


def test_apd_of_identical_poses_is_zero(walk):
    assert average_pairwise_distance(walk.skeleton, np.repeat(walk.rotations[:1], 4, axis=0)) == pytest.approx(0)


@pytest.mark.parametrize("method", ["slerp", "ndf"])
def test_interpolation_ends_at_the_inputs(walk, stand_in_prior, method):
    a, b = pick_frame(walk, 0), pick_frame(walk, -1)
    out = interpolate(a, b, 9, stand_in_prior, method)
    assert out.num_frames == 9
    assert np.allclose(out.rotations[0], a.rotations[0]) and np.allclose(out.rotations[-1], b.rotations[0])
    assert np.allclose(out.root_translation[[0, -1]], [a.root_translation[0], b.root_translation[0]])
    steps = np.linalg.norm(np.diff(out.joint_positions(), axis=0), axis=-1).max(axis=1)
    assert steps.max() < 0.5


def test_ndf_interpolation_stays_nearer_the_manifold(walk, stand_in_prior):
    a, b = pick_frame(walk, 5), pick_frame(walk, 35)
    energy = lambda m: prior_energy(stand_in_prior, torch.as_tensor(m.rotations, dtype=torch.float32))  # noqa: E731
    ndf, slerp = interpolate(a, b, 7, stand_in_prior, "ndf"), interpolate(a, b, 7, stand_in_prior, "slerp")
    assert energy(ndf)[1:-1].mean() < energy(slerp)[1:-1].mean()


def test_pick_frame_out_of_range(walk):
    with pytest.raises(InvalidPoseError, match="out of range"):
        pick_frame(walk, walk.num_frames)


def test_latent_interpolation_decodes_the_line_between_the_codes(walk):
    skeleton = walk.skeleton
    torch.manual_seed(0)
    vae = VAEPrior(skeleton, skeleton.rotation_joints(), VAEConfig(latent_dim=4, hidden=(16,))).eval()
    a, b = pick_frame(walk, 5), pick_frame(walk, 35)
    out = interpolate(a, b, 5, vae, "latent")
    assert np.allclose(out.rotations[0], a.rotations[0]) and np.allclose(out.rotations[-1], b.rotations[0])
    joints = vae.joint_index
    with torch.no_grad():
        ends = torch.as_tensor(np.stack([a.rotations[0], b.rotations[0]])[:, joints], dtype=torch.float32)
        codes, _ = vae.encode(roma.unitquat_to_rotmat(ends))
        middle = roma.rotmat_to_unitquat(vae.decode(0.5 * (codes[:1] + codes[1:])))[0]
    dot = np.abs((out.rotations[2, joints] * middle.double().numpy()).sum(axis=-1))
    np.testing.assert_allclose(dot, 1.0, atol=1e-5)


def test_latent_interpolation_needs_a_latent_space(walk, stand_in_prior):
    with pytest.raises(PosefieldError, match="no latent space"):
        interpolate(pick_frame(walk, 0), pick_frame(walk, 9), 4, stand_in_prior, "latent")
