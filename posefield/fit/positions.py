"""Fitting a motion to observed 3D joint positions: the engine of ``denoise`` and ``complete``.

Objective per window of frames (batched over all its frames):

    E = w_data · mean_t Σ_p m_p |FK(θ_t, t_t)_p − x_tp|² / Σ_p m_p        (m²)
      + w_acc  · mean |ẍ|²   of the fitted joint trajectories               ((m/s²)²)
      + w_prior · (fps / fps_prior)² · mean_t ρ(f(θ_t))                     (prior units)
      + w_floor · mean_t Σ_p∈F max(0, h − y_tp)²                           (m², with a floor)

over the local rotations θ (tangent offsets from the initial ones, see
:mod:`posefield.fit.variables`) and the root translation t. Points p are the skeleton's
joints followed by its end sites (``forward_kinematics(..., with_end_sites=True)``); m_p is the
point's weight: 1 for observed points, 0 for unobserved ones, in between for guessed ones.
The floor term keeps the points F of a :class:`~posefield.fit.floor.Floor` (those a
completion fills in) from going below its height h (Y up), moving every rotation but those of
the floor's held joints; it is absent without a floor.
ρ(f) = s · log(1 + f / s) (``prior_saturation`` s; s = 0: ρ(f) = f) follows the prior's
distance near the manifold and saturates far from it, where the prior (trained on other
people's motion) is least to be trusted. f scores the pose within the prior's rig channels
(:func:`posefield.fit.terms.prior_energy` with ``within_channels``): the same on the prior's
own rig, and on a pose mapped from another rig it leaves out what those channels cannot hold.
With ``prior_reference_noise_deg`` set, the fit follows the input's own noise level
g = σ̂ / reference (at most ``MAX_NOISE_GAIN``), σ̂ the
input's rotational jitter (:func:`posefield.fit.jitter.motion_jitter`): w_prior is multiplied
by g, w_data by 1 / g² (the data term of a maximum a posteriori fit weighs 1 / σ²; g at least
``MIN_NOISE_GAIN`` there) and the start filter's width by g^¼, so a nearly clean motion keeps
its poses and a noisier one leans more on the prior.

The prior weight is given for clips at ``prior_fps`` and scaled by the square of the
frame-rate ratio: the acceleration term resists frame-to-frame changes ∝ fps², and with this
scaling one weight served CMU clips at 30, 60 and 120 fps (measured with Adam;
``benchmarks/applications.md``).
The objective is minimised by Adam or L-BFGS (``optimizer``; denoising and completion use L-BFGS,
which converges instead of leaving noise of Adam's step size). The initial motion may first be
filtered along time (Gaussian, in rotation space: ``init_smoothing_s``), which starts the
optimisation near its smooth solution and is unbiased under rotational noise, unlike averages
of positions.
"""
from __future__ import annotations

import dataclasses
from typing import Iterator

import numpy as np
import torch
from tqdm import tqdm

from posefield.data.filtering import filter_reach, gaussian_filter, hemisphere_signs, smooth_rotations
from posefield.data.frames import ForwardFrames
from posefield.fit.floor import Floor
from posefield.fit.jitter import motion_jitter
from posefield.fit.optimize import Method, minimise
from posefield.fit.terms import acceleration_energy, floor_energy, prior_energy, saturated, weighted_squared_error
from posefield.fit.variables import PoseVariables, dof_basis
from posefield.fit.windows import in_order, plan_windows, stitch
from posefield.io.formats import single_threaded_torch
from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.skeleton import UP_AXIS, Skeleton, forward_kinematics

MAX_NOISE_GAIN = 4.0  # the largest noise level g the fit follows: prior weight × 4, data weight ÷ 16
MIN_NOISE_GAIN = 0.01  # bounds the data weight's growth (1 / g²) on clips with no measurable noise


@dataclasses.dataclass(frozen=True)
class PositionFitConfig:
    """Settings of :func:`fit_positions`.

    Attributes:
        steps: optimiser steps per window (Adam steps or L-BFGS iterations).
        optimizer: ``"adam"`` or ``"lbfgs"`` (:func:`posefield.fit.optimize.minimise`).
        rotation_lr: initial Adam step size of the rotation offsets, radians.
        translation_lr: initial Adam step size of the root translation, metres.
        data_weight: w_data, 1/m².
        acceleration_weight: w_acc, (s²/m)².
        prior_weight: w_prior, for clips at ``prior_fps``.
        prior_fps: frame rate at which ``prior_weight`` applies as given.
        floor_weight: w_floor, 1/m² (used only when a floor is given).
        prior_saturation: s of the saturated prior energy ρ(f) = s · log(1 + f / s), in the
            prior's units (radians for Pose-NDF); 0 uses f itself, as does every prior whose
            energy is not a distance (``PosePrior.energy_is_distance``: the baselines' energies
            do not vanish on real poses).
        prior_reference_noise_deg: per-channel noise (degrees) at which ``prior_weight``,
            ``data_weight`` and ``init_smoothing_s`` apply as given; they follow the input's
            estimated noise as g, 1 / g² and g^¼ (0: fixed).
        init_smoothing_s: σ (seconds) of a Gaussian temporal filter applied to the starting
            rotations and translation (0: start from them as given).
        window: frames per optimisation window (bounds memory).
        overlap: frames shared by neighbouring windows, blended linearly.
        progress: show a progress bar over windows (``None``: only when there are several).
    """

    steps: int = 120
    optimizer: Method = "adam"
    rotation_lr: float = 0.02
    translation_lr: float = 0.005
    data_weight: float = 1e4
    acceleration_weight: float = 1e-2
    prior_weight: float = 1.0
    prior_fps: float = 120.0
    floor_weight: float = 1e5
    prior_saturation: float = 0.0
    prior_reference_noise_deg: float = 0.0
    init_smoothing_s: float = 0.0
    window: int = 1000
    overlap: int = 40
    progress: bool | None = None


def noise_gain(config: PositionFitConfig, sigma: float | None) -> float:
    """Noise level g of a motion whose input rotations have per-channel noise σ̂ = ``sigma``
    (radians, :func:`posefield.fit.jitter.motion_jitter`): σ̂ / reference noise, at most
    ``MAX_NOISE_GAIN``; 1 when ``config.prior_reference_noise_deg`` is 0 or σ̂ is unknown
    (``None`` or NaN: fewer than 3 frames)."""
    if config.prior_reference_noise_deg <= 0 or sigma is None or not np.isfinite(sigma):
        return 1.0
    return min(sigma / np.radians(config.prior_reference_noise_deg), MAX_NOISE_GAIN)


class MotionPoints:
    """A motion's (T, J + E, 3) joint and end-site positions, metres, in float32 (the fit's
    precision), as :func:`fit_positions` targets: posed a window at a time where the fit asks
    for one (``points[w]``), so a long clip never holds them whole.

    Args:
        header: the motion's skeleton and rate (its frames are not used).
        rotations: (T, J, 4) its rotations, or :class:`ForwardFrames` of them (a clip read block by block).
        translation: (T, 3) its root translation, metres, or :class:`ForwardFrames` of it.
    """

    def __init__(self, header: Motion, rotations: np.ndarray | ForwardFrames, translation: np.ndarray | ForwardFrames):
        self.header, self.rotations, self.translation = header, rotations, translation
        self.shape = (len(rotations), header.skeleton.num_joints + len(header.skeleton.end_sites), 3)

    def __getitem__(self, frames: slice) -> np.ndarray:
        """(n, J + E, 3) float32 positions of the frames of ``frames``."""
        window = dataclasses.replace(self.header, rotations=self.rotations[frames], root_translation=self.translation[frames])
        return window.joint_positions(with_end_sites=True, dtype=np.float32)


def fit_positions(skeleton: Skeleton, targets: np.ndarray | MotionPoints, point_weights: np.ndarray,
                  init_rotations: np.ndarray, init_translation: np.ndarray, fps: float, prior: PosePrior,
                  config: PositionFitConfig = PositionFitConfig(),
                  floor: Floor | None = None, noise: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rotations and root translation whose joints match ``targets`` (weighted by ``point_weights``):
    :func:`fit_windows` gathered into whole-clip arrays.

    Args: as :func:`fit_windows`, with ``init_rotations`` and ``init_translation`` whole arrays
        and ``noise`` measured from ``init_rotations`` where it is ``None``.
    Returns:
        (T, J, 4) float64 fitted quaternions and (T, 3) float64 root translation, metres.
    """
    num_frames = len(init_rotations)
    if noise is None and config.prior_reference_noise_deg > 0:
        noise = motion_jitter(skeleton, init_rotations)
    rotations, translation = np.empty((num_frames, skeleton.num_joints, 4)), np.empty((num_frames, 3))
    row = 0
    for q, t in fit_windows(skeleton, targets, point_weights, ForwardFrames.of(init_rotations),
                            ForwardFrames.of(init_translation), fps, prior, config, floor, noise,
                            hemisphere_signs(init_rotations)):
        rotations[row:row + len(q)], translation[row:row + len(q)] = q, t
        row += len(q)
    return rotations, translation


def fit_windows(skeleton: Skeleton, targets: np.ndarray | MotionPoints, point_weights: np.ndarray,
                init_rotations: ForwardFrames, init_translation: ForwardFrames, fps: float, prior: PosePrior,
                config: PositionFitConfig, floor: Floor | None, noise: float | None,
                signs: np.ndarray, workers: int | None = None) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Rotations and root translation whose joints match ``targets`` (weighted by ``point_weights``),
    a block of finished frames at a time.

    Windows of ``config.window`` frames are fitted independently, each on one torch thread,
    ``workers`` at once, and blended where they overlap; the result does not depend on the
    thread count. Each window's start and targets are read as it is handed to a thread, and
    the frames before them are released, so a clip read block by block (:class:`ForwardFrames`)
    is never held whole.

    Args:
        skeleton: the joint tree (J joints, E end sites).
        targets: (T, J + E, 3) observed joint and end-site positions, metres (or
            :class:`MotionPoints`, posing them a window at a time).
        point_weights: (J + E,) non-negative weights m_p of the points in the data term
            (bool: which points are observed).
        init_rotations: (T, J, 4) starting local quaternions (xyzw), read forward.
        init_translation: (T, 3) starting root translation, metres, read forward.
        fps: frame rate, for the acceleration term.
        prior: pose prior over ``prior.joint_index``.
        config: weights and optimiser settings.
        floor: keep its points above its height (``None``: no floor term).
        noise: the input's per-channel noise σ̂, radians (:func:`posefield.fit.jitter.motion_jitter`
            of the rotations, or measured on another rig: :func:`posefield.fit.denoise.denoise_mapped`);
            ``None``: unknown (the weights as given).
        signs: (T, J, 1) :func:`posefield.data.filtering.hemisphere_signs` of ``init_rotations``.
        workers: windows fitted at once (default: torch's thread count at the call, not when
            the frames are asked for, which a writer may do on one thread).
    Returns:
        an iterator over consecutive blocks of (n, J, 4) float64 fitted quaternions and (n, 3)
        float64 root translation, metres, T frames in all, fitted as they are asked for.
    """
    num_frames = len(init_rotations)
    windows = plan_windows(num_frames, config.window, config.overlap)
    show = len(windows) > 1 if config.progress is None else config.progress
    basis = dof_basis(skeleton)
    weights = torch.as_tensor(point_weights, dtype=torch.float32)
    floor_mask = torch.as_tensor(floor.points) if floor is not None else None
    floor_held = torch.as_tensor(floor.held if floor is not None else (), dtype=torch.long)
    gain = noise_gain(config, noise)
    prior_weight = config.prior_weight * (fps / config.prior_fps) ** 2 * gain
    data_weight = config.data_weight / max(gain, MIN_NOISE_GAIN) ** 2
    saturation = config.prior_saturation if prior.energy_is_distance else 0.0
    sigma = config.init_smoothing_s * fps * min(gain, 1.0) ** 0.25
    reach = filter_reach(sigma, num_frames)  # frames the start filter reads around a window

    def inputs() -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
        """Each window's start (filtered, in float32, the fit's precision) and targets, in order."""
        for k, w in enumerate(windows):
            start = (torch.as_tensor(smooth_rotations(init_rotations, sigma, np.float32, w, signs)),
                     torch.as_tensor(gaussian_filter(init_translation, sigma, dtype=np.float32, frames=w)),
                     torch.as_tensor(targets[w], dtype=torch.float32))
            keep = windows[k + 1].start - reach if k + 1 < len(windows) else num_frames
            for frames in (init_rotations, init_translation):
                frames.release(keep)
            yield start

    def fit_window(start: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> tuple[np.ndarray, np.ndarray]:
        rotations, translation, target = start
        variables = PoseVariables(rotations, translation, basis)

        def loss() -> torch.Tensor:
            rot = variables.rotations()
            points = forward_kinematics(skeleton, rot, variables.translation(), with_end_sites=True)
            energy = (data_weight * weighted_squared_error(points, target, weights)
                      + config.acceleration_weight * acceleration_energy(points, fps)
                      + prior_weight * saturated(prior_energy(prior, rot, within_channels=True), saturation).mean())
            if floor is not None:
                floor_points = points  # with held joints, posed again without their gradient
                if floor.held:
                    held = rot.index_copy(1, floor_held, rot[:, floor_held].detach())
                    floor_points = forward_kinematics(skeleton, held, variables.translation(), with_end_sites=True)
                energy = energy + config.floor_weight * floor_energy(floor_points, floor.height, floor_mask, UP_AXIS)
            return energy

        minimise([{"params": [variables.offsets], "lr": config.rotation_lr},
                  {"params": [variables.shift], "lr": config.translation_lr}], loss, config.steps, config.optimizer)
        with torch.no_grad():
            return variables.rotations().double().numpy(), variables.translation().double().numpy()

    workers = torch.get_num_threads() if workers is None else workers

    def fitted() -> Iterator[tuple[np.ndarray, np.ndarray]]:
        with single_threaded_torch():
            results = tqdm(in_order(fit_window, inputs(), workers), total=len(windows), desc="fitting", unit="window",
                           disable=not show)
            yield from stitch(windows, results, num_frames)

    return fitted()
