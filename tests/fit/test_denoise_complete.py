"""Denoising and completion on a synthetic walk with a stand-in prior."""
import dataclasses

import numpy as np
import pytest
import roma
import torch

from posefield.errors import SkeletonMismatchError
from posefield.fit.complete import complete, hidden_joint_guess
from posefield.fit.points import moved_points
from posefield.fit.denoise import DENOISE_DEFAULTS, denoise
from posefield.fit.metrics import root_aligned_error
from posefield.motion import Motion
from posefield.prior.registry import no_prior

from tests.fit.conftest import NearestPosePrior, make_motion, walk_rotations


def noisy_copy(motion: Motion, sigma_deg: float, seed: int = 0) -> Motion:
    """Rotate every non-root joint by Gaussian noise of sigma_deg per axis."""
    rotvec = np.random.default_rng(seed).normal(0, np.radians(sigma_deg), motion.rotations.shape[:-1] + (3,))
    rotvec[:, 0] = 0
    noise = roma.rotvec_to_unitquat(torch.as_tensor(rotvec))
    return dataclasses.replace(motion, rotations=roma.quat_product(torch.as_tensor(motion.rotations), noise).numpy())


def test_denoise_lowers_error(walk, stand_in_prior):
    noisy = noisy_copy(walk, 6.0)
    before = root_aligned_error(noisy, walk)
    smoothed = denoise(noisy, no_prior(walk.skeleton))
    with_prior = denoise(noisy, stand_in_prior)
    assert smoothed.num_frames == walk.num_frames and smoothed.fps == walk.fps
    assert root_aligned_error(smoothed, walk) < 0.6 * before
    assert root_aligned_error(with_prior, walk) < root_aligned_error(smoothed, walk)


def test_denoise_long_clip_in_windows(skeleton):
    walk = make_motion(skeleton, num_frames=150)
    noisy = noisy_copy(walk, 6.0, seed=1)
    whole = dataclasses.replace(DENOISE_DEFAULTS, steps=60)
    windowed = denoise(noisy, no_prior(skeleton), dataclasses.replace(whole, window=64, overlap=16, progress=False))
    assert root_aligned_error(windowed, walk) < 0.7 * root_aligned_error(noisy, walk)
    assert root_aligned_error(windowed, denoise(noisy, no_prior(skeleton), whole)) < 0.3  # cm: no seams


def test_windows_fitted_on_two_threads_give_the_same_motion(skeleton, stand_in_prior):
    """Windows run on as many threads as torch has, each single-threaded: the result does not
    depend on the thread count."""
    noisy = noisy_copy(make_motion(skeleton, num_frames=150), 6.0, seed=2)
    config = dataclasses.replace(DENOISE_DEFAULTS, steps=10, window=64, overlap=16, progress=False)
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        alone = denoise(noisy, stand_in_prior, config)
        torch.set_num_threads(2)
        parallel = denoise(noisy, stand_in_prior, config)
    finally:
        torch.set_num_threads(threads)
    assert torch.get_num_threads() == threads
    np.testing.assert_array_equal(alone.rotations, parallel.rotations)
    np.testing.assert_array_equal(alone.root_translation, parallel.root_translation)


def test_moved_points_are_the_bone_ends_of_hidden_joints(skeleton):
    hidden = [skeleton.index("lfemur"), skeleton.index("ltibia"), skeleton.index("lfoot")]
    mask = moved_points(skeleton, hidden)
    names = list(skeleton.names) + [f"{skeleton.names[j]}/end" for j in sorted(skeleton.end_sites)]
    assert {n for n, m in zip(names, mask) if m} == {"ltibia", "lfoot", "lfoot/end"}


def test_completion_with_prior_beats_none(walk, stand_in_prior):
    skeleton = walk.skeleton
    hidden = [skeleton.index(n) for n in ("lfemur", "ltibia", "lfoot")]
    mask = moved_points(skeleton, hidden)
    scrambled = walk.rotations.copy()
    scrambled[:, hidden] = roma.random_unitquat((walk.num_frames, len(hidden))).numpy()
    observed = dataclasses.replace(walk, rotations=scrambled)
    without = complete(observed, no_prior(skeleton), hidden)
    with_prior = complete(observed, stand_in_prior, hidden)
    err_without = root_aligned_error(without, walk, mask)
    err_prior = root_aligned_error(with_prior, walk, mask)
    assert err_prior < 0.5 * err_without
    assert root_aligned_error(with_prior, walk, ~mask) < 1.0  # cm: the observed part stays put


def test_prior_of_another_rig_is_refused(walk, skeleton):
    other = dataclasses.replace(skeleton, names=tuple(n + "_x" for n in skeleton.names))
    prior = NearestPosePrior(other, walk_rotations(skeleton, 5))
    with pytest.raises(SkeletonMismatchError, match="prior"):
        denoise(walk, prior)


def test_hidden_joints_start_at_the_mean_of_the_nearest_exemplars(walk):
    skeleton = walk.skeleton
    hidden = [skeleton.index(n) for n in ("lfemur", "ltibia", "lfoot")]
    index = skeleton.rotation_joints()
    exemplars = torch.as_tensor(walk_rotations(skeleton, 97, fps=97.0, phase=0.013)[:, index], dtype=torch.float32)
    guess = hidden_joint_guess(walk.rotations, exemplars, index, hidden, walk.fps, neighbours=2, smoothing_s=0.0)
    rest = hidden_joint_guess(walk.rotations, None, index, hidden, walk.fps)
    observed = [j for j in range(skeleton.num_joints) if j not in hidden]
    np.testing.assert_array_equal(guess[:, observed], walk.rotations[:, observed])
    np.testing.assert_array_equal(rest[:, hidden], np.broadcast_to([0.0, 0.0, 0.0, 1.0], rest[:, hidden].shape))
    mask = moved_points(skeleton, hidden)
    err_guess = root_aligned_error(dataclasses.replace(walk, rotations=guess), walk, mask)
    err_rest = root_aligned_error(dataclasses.replace(walk, rotations=rest), walk, mask)
    assert err_guess < 0.2 * err_rest


def test_the_hidden_joints_come_from_exemplars_that_match_the_observed_ones(walk):
    """Exemplars whose observed joints differ from the frame's lend nothing, whatever their hidden joints."""
    skeleton = walk.skeleton
    hidden = [skeleton.index("ltibia")]
    index = skeleton.rotation_joints()
    truth = torch.as_tensor(walk.rotations[:, index], dtype=torch.float32)
    decoys = roma.random_unitquat(truth.shape[:-1], generator=torch.Generator().manual_seed(0))
    guess = hidden_joint_guess(walk.rotations, torch.cat([decoys, truth]), index, hidden, walk.fps,
                               neighbours=1, smoothing_s=0.0)
    dot = np.abs((guess[:, hidden[0]] * walk.rotations[:, hidden[0]]).sum(axis=-1))
    np.testing.assert_allclose(dot, 1.0, atol=1e-5)


def test_a_clip_denoised_block_by_block_is_read_forward_and_equals_the_whole(skeleton, stand_in_prior):
    """``denoise_blocks`` reads the clip a block at a time (one pass for the noise level and the
    hemisphere signs, one for the fit) and hands the result on as the windows finish it: the
    frames read ahead of those handed on stay within a few windows whatever the clip's length,
    and the motion is ``denoise``'s, bit for bit."""
    from posefield.fit.denoise import denoise_blocks
    from posefield.motion import MotionBlocks

    noisy = noisy_copy(make_motion(skeleton, num_frames=400), 6.0, seed=3)
    config = dataclasses.replace(DENOISE_DEFAULTS, steps=5, window=64, overlap=16, progress=False)
    whole = denoise(noisy, stand_in_prior, config)
    read = []

    def blocks():
        for block in MotionBlocks.of(noisy, 7).blocks():
            read.append(block.num_frames)
            yield block

    result = denoise_blocks(MotionBlocks(noisy.slice(slice(0, 0)), blocks), stand_in_prior, config)
    assert sum(read) == 2 * noisy.num_frames  # two passes so far: signs, noise
    assert result.header.source["estimated_noise_deg"] == whole.source["estimated_noise_deg"]
    read.clear()
    ahead, done, parts = 0, 0, []
    for part in result.blocks():
        ahead = max(ahead, sum(read) - done)
        done += part.num_frames
        parts.append(part)
    assert done == noisy.num_frames == sum(read)
    assert ahead <= 3 * config.window + 7  # windows in flight and one block: not the clip
    np.testing.assert_array_equal(np.concatenate([p.rotations for p in parts]), whole.rotations)
    np.testing.assert_array_equal(np.concatenate([p.root_translation for p in parts]), whole.root_translation)
    assert all(p.fps == noisy.fps and p.skeleton is noisy.skeleton for p in parts)
