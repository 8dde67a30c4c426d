"""The shared optimisation loop: Adam and L-BFGS."""
import dataclasses

import numpy as np
import pytest
import torch

from posefield.fit.denoise import DENOISE_DEFAULTS, denoise
from posefield.fit.metrics import root_aligned_error
from posefield.fit.optimize import minimise
from posefield.prior.registry import no_prior

from tests.fit.conftest import make_motion
from tests.fit.test_denoise_complete import noisy_copy


def ill_conditioned_quadratic() -> tuple[torch.nn.Parameter, torch.Tensor, callable]:
    """A 20-d quadratic with curvatures from 1 to 10⁴ and its minimiser."""
    curvature = torch.logspace(0, 4, 20, dtype=torch.float64)
    target = torch.linspace(-1, 1, 20, dtype=torch.float64)
    x = torch.nn.Parameter(torch.zeros(20, dtype=torch.float64))
    return x, target, lambda: (curvature * (x - target).square()).sum()


def test_lbfgs_converges_on_an_ill_conditioned_quadratic():
    x, target, loss = ill_conditioned_quadratic()
    final = minimise([{"params": [x], "lr": 0.1}], loss, 200, method="lbfgs")
    assert final < 1e-6
    assert torch.allclose(x.detach(), target, atol=1e-4)


@pytest.mark.parametrize("method", ["adam", "lbfgs"])
def test_zero_steps_leave_the_parameters(method):
    x, _, loss = ill_conditioned_quadratic()
    minimise([{"params": [x], "lr": 0.1}], loss, 0, method=method)
    assert torch.count_nonzero(x.detach()) == 0


def test_denoising_improves_on_its_filtered_start(skeleton):
    """The fit must take the smoothed start closer to the truth, not add noise of its step size."""
    walk = make_motion(skeleton, num_frames=240, fps=120.0)
    noisy = noisy_copy(walk, 6.0, seed=3)
    start = denoise(noisy, no_prior(walk.skeleton), dataclasses.replace(DENOISE_DEFAULTS, steps=0))
    fitted = denoise(noisy, no_prior(walk.skeleton))
    assert root_aligned_error(fitted, walk) < root_aligned_error(start, walk)


@pytest.mark.parametrize("fps", [30.0, 120.0])
def test_denoising_leaves_a_clean_clip_as_it_is(skeleton, fps):
    """No measurable jitter: the data weight grows and the start filter narrows with the noise level."""
    walk = make_motion(skeleton, num_frames=120, fps=fps)
    assert root_aligned_error(denoise(walk, no_prior(skeleton)), walk) < 0.05  # cm (fixed weights: 0.5–0.8)


def test_denoising_targets_are_posed_a_window_at_a_time(walk):
    """``MotionPoints`` poses the frames a fit window asks for: the clip's joint and end-site
    positions there, in float32."""
    from posefield.fit.positions import MotionPoints

    from posefield.data.frames import ForwardFrames

    whole = walk.joint_positions(with_end_sites=True)
    for rotations, translation in ((walk.rotations, walk.root_translation),
                                   (ForwardFrames.of(walk.rotations, 4), ForwardFrames.of(walk.root_translation, 4))):
        points = MotionPoints(walk.slice(slice(0, 0)), rotations, translation)
        assert points.shape == whole.shape
        for w in (slice(0, 5), slice(3, walk.num_frames)):  # (forward frames: windows in order)
            part = points[w]
            assert part.dtype == np.float32
            np.testing.assert_allclose(part, whole[w], rtol=0, atol=1e-6)
