"""3D pose from 2D keypoints (Pose-NDF §4.2, SMPLify-style fitting with a pose prior).

Objective over the local rotations (global orientation included) and the root translation,
which is the camera-frame position of the root (the camera sits at the origin, OpenCV axes):

    E = w_data · mean_t Σ_k c_tk ρ(|Π_K(FK(θ_t, t_t))_k − x_tk|² · (z_t / f)²) / Σ_k c_tk   (data)
      + w_bend · mean_t Σ_{elbows, knees} exp(−φ)                                    (bending)
      + mean_t λ_t f(θ_t),   λ_t = w_prior · f(θ_t)  (held constant per step)        (prior)
      + w_acc · mean |ẍ|²                                                            (smoothness)

ρ is Geman–McClure with scale σ (metres, coarse to fine over rounds); pixel residuals are turned into metres at the
body's depth z_t (focal length f), so the weights do not depend on image size or distance.
φ is each hinge's flexion angle (:mod:`posefield.fit.limbs`); exp(−φ) grows quickly when an
elbow or knee bends backwards. The adaptive prior weight lets the prior fade as the pose
reaches the manifold.

Two stages: the global orientation and translation of the rest pose are first fitted to the
torso keypoints (those no limb moves, :func:`posefield.fit.points.torso_points`; all keypoints
in frames without one) from several starting headings (the body turned in steps about its up axis, Y up as in ASF and
BVH, then flipped into the camera's y-down frame), keeping the best per frame; then every
joint is fitted. The result is a motion in camera coordinates (metres, y down, z forward).
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np
import roma
import torch

from posefield.errors import SkeletonMismatchError
from posefield.fit.keypoints import Keypoints, keypoint_points, project_points
from posefield.fit.limbs import Hinge, find_hinges
from posefield.fit.optimize import minimise
from posefield.fit.points import rigid_pairs, torso_points
from posefield.fit.terms import acceleration_energy, geman_mcclure, prior_energy, twist_angle
from posefield.fit.variables import PoseVariables, dof_basis
from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.prior.registry import check_compatible
from posefield.skeleton import Skeleton, forward_kinematics


@dataclasses.dataclass(frozen=True)
class Fit2DConfig:
    """Settings of :func:`fit_keypoints`.

    Attributes:
        headings: starting headings tried in the first stage (evenly spaced about the up axis).
        orientation_steps: Adam steps of the first stage.
        steps: Adam steps of the second stage per Geman–McClure scale.
        rotation_lr: initial step size of rotation offsets, radians.
        translation_lr: initial step size of the root translation, metres.
        sigmas: Geman–McClure scales (metres at the body's depth) of successive rounds of the
            second stage, coarse to fine, so that far-off limbs still feel the data at first.
        data_weight: w_data, 1/m².
        prior_weight: w of the adaptive prior weight λ = w · f(θ).
        bend_weight: weight of the elbow/knee bending term.
        acceleration_weight: weight of the joint acceleration term, (s²/m)² (sequences only).
    """

    headings: int = 4
    orientation_steps: int = 60
    steps: int = 100
    rotation_lr: float = 0.03
    translation_lr: float = 0.05
    sigmas: tuple[float, ...] = (1.0, 0.3, 0.1)
    data_weight: float = 1e4
    prior_weight: float = 3e3
    bend_weight: float = 1e-2
    acceleration_weight: float = 1e-6


@dataclasses.dataclass
class _Problem:
    """What the objective needs besides the variables (tensors float32, P keypoints)."""

    skeleton: Skeleton
    points: torch.Tensor  # (P,) indices into FK with end sites
    pixels: torch.Tensor  # (T, P, 2)
    confidence: torch.Tensor  # (T, P)
    intrinsics: torch.Tensor  # (3, 3)
    fps: float


def heading_rotations(count: int) -> torch.Tensor:
    """(count, 4) root rotations: a turn of 2π·i/count about +Y, then 180° about x (Y up -> y down)."""
    yaw = torch.zeros(count, 3)
    yaw[:, 1] = torch.arange(count) * 2 * math.pi / count
    flip = torch.tensor([1.0, 0.0, 0.0, 0.0])
    return roma.quat_product(flip.expand(count, 4), roma.rotvec_to_unitquat(yaw))


def initial_translation(problem: _Problem) -> torch.Tensor:
    """(T, 3) root positions: depth from the ratio of rest-pose 3D distances to 2D distances
    between visible keypoints (pairs a pose cannot stretch — bones, torso — dominate), x and y
    from the keypoints' confidence-weighted centroid."""
    rest = torch.zeros(problem.skeleton.num_joints, 4)
    rest[:, 3] = 1
    pts3 = forward_kinematics(problem.skeleton, rest, with_end_sites=True)[problem.points]  # (P, 3)
    rigid = torch.as_tensor(rigid_pairs(problem.skeleton, problem.points.numpy()), dtype=torch.float32)
    c = problem.confidence
    pair = c[:, :, None] * c[:, None, :] * (rigid + 1e-3)  # (T, P, P)
    d3 = (torch.cdist(pts3, pts3)[None] * pair).sum(dim=(1, 2))
    d2 = (torch.cdist(problem.pixels, problem.pixels) * pair).sum(dim=(1, 2))
    k = problem.intrinsics
    focal = 0.5 * (k[0, 0] + k[1, 1])
    depth = torch.where(d2 > 0, focal * d3 / d2.clamp(min=1e-9), torch.full_like(d2, 3.0))
    centre = (problem.pixels * c[..., None]).sum(dim=1) / c.sum(dim=1, keepdim=True).clamp(min=1e-9)
    x = (centre[:, 0] - k[0, 2]) / k[0, 0] * depth
    y = (centre[:, 1] - k[1, 2]) / k[1, 1] * depth
    return torch.stack([x, y, depth], dim=1)


def data_energy(problem: _Problem, rotations: torch.Tensor, translation: torch.Tensor, sigma: float) -> torch.Tensor:
    """(T,) robust reprojection energy per frame, m² at the body's depth (see module docstring)."""
    pos = forward_kinematics(problem.skeleton, rotations, translation, with_end_sites=True)[:, problem.points]
    pixels = project_points(pos, problem.intrinsics)
    k = problem.intrinsics
    metres_per_pixel = translation[:, 2].detach().clamp(min=1e-3) / (0.5 * (k[0, 0] + k[1, 1]))
    sq = (pixels - problem.pixels).square().sum(dim=-1) * metres_per_pixel[:, None].square()
    c = problem.confidence
    return (c * geman_mcclure(sq, sigma)).sum(dim=1) / c.sum(dim=1).clamp(min=1e-9)


def bending_energy(rotations: torch.Tensor, hinges: list[Hinge]) -> torch.Tensor:
    """Mean over frames of Σ_hinges exp(−φ) for (T, J, 4) rotations; zero without hinges."""
    if not hinges:
        return rotations.new_zeros(())
    joints = [h.joint for h in hinges]
    axes = torch.as_tensor(np.stack([h.axis for h in hinges]), dtype=rotations.dtype)
    return torch.exp(-twist_angle(rotations[:, joints], axes)).sum(dim=1).mean()


def _fit_stage(problem: _Problem, variables: PoseVariables, config: Fit2DConfig, steps: int, sigma: float,
               prior: PosePrior | None, hinges: list[Hinge]) -> None:
    """Run one stage; the full objective when ``prior`` is given, the data term alone otherwise."""

    def loss() -> torch.Tensor:
        rot, trans = variables.rotations(), variables.translation()
        total = config.data_weight * data_energy(problem, rot, trans, sigma).mean()
        if prior is None:
            return total
        f = prior_energy(prior, rot)
        points = forward_kinematics(problem.skeleton, rot, trans, with_end_sites=True)
        return (total + config.bend_weight * bending_energy(rot, hinges)
                + (config.prior_weight * f.detach() * f).mean()
                + config.acceleration_weight * acceleration_energy(points, problem.fps))

    minimise([{"params": [variables.offsets], "lr": config.rotation_lr},
              {"params": [variables.shift], "lr": config.translation_lr}], loss, steps)


def fit_orientation(problem: _Problem, config: Fit2DConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Stage 1: global orientation and translation of the rest pose fitted to the torso
    keypoints from each starting heading; per frame the best one.

    Returns:
        (T, J, 4) rotations (rest pose but the root) and (T, 3) root translations.
    """
    skeleton, n = problem.skeleton, config.headings
    t, j = problem.pixels.shape[0], skeleton.num_joints
    rotations = torch.zeros(n, t, j, 4)
    rotations[..., 3] = 1
    rotations[:, :, 0] = heading_rotations(n)[:, None]
    root_only = dof_basis(skeleton)
    root_only[1:] = 0
    torso = torch.as_tensor(torso_points(skeleton)[problem.points.numpy()], dtype=torch.float32)
    on_torso = problem.confidence * torso
    confidence = torch.where(on_torso.sum(dim=1, keepdim=True) > 0, on_torso, problem.confidence)
    tiled = dataclasses.replace(problem, pixels=problem.pixels.repeat(n, 1, 1), confidence=confidence.repeat(n, 1))
    variables = PoseVariables(rotations.reshape(-1, j, 4), initial_translation(problem).repeat(n, 1), root_only)
    sigma = config.sigmas[-1]
    _fit_stage(tiled, variables, config, config.orientation_steps, sigma, None, [])
    with torch.no_grad():
        best = data_energy(tiled, variables.rotations(), variables.translation(), sigma).reshape(n, t).argmin(dim=0)
        frames = torch.arange(t)
        return (variables.rotations().reshape(n, t, j, 4)[best, frames],
                variables.translation().reshape(n, t, 3)[best, frames])


def fit_pose(problem: _Problem, rotations: torch.Tensor, translation: torch.Tensor, prior: PosePrior,
             config: Fit2DConfig) -> tuple[torch.Tensor, torch.Tensor]:
    """Stage 2: every joint under the full objective, one round per Geman–McClure scale.

    Returns:
        (T, J, 4) rotations and (T, 3) root translations.
    """
    basis, hinges = dof_basis(problem.skeleton), find_hinges(problem.skeleton)
    for sigma in config.sigmas:
        variables = PoseVariables(rotations, translation, basis)
        _fit_stage(problem, variables, config, config.steps, sigma, prior, hinges)
        with torch.no_grad():
            rotations, translation = variables.rotations(), variables.translation()
    return rotations, translation


def fit_keypoints(keypoints: Keypoints, skeleton: Skeleton, prior: PosePrior, config: Fit2DConfig = Fit2DConfig(),
                  path: str | None = None, init: Motion | None = None) -> Motion:
    """A motion of ``skeleton`` in camera coordinates whose projection matches ``keypoints``.

    Args:
        keypoints: T frames of 2D detections (see :mod:`posefield.fit.keypoints`).
        skeleton: the body to fit (its proportions are kept).
        prior: pose prior of the skeleton's rig.
        config: weights and optimiser settings.
        path: the keypoint file, for error messages.
        init: a T-frame motion of ``skeleton`` in camera coordinates to start the second stage
            from, in place of the first stage's heading search (e.g. a regressor's guess).
    Returns:
        A motion of T frames at the keypoints' frame rate.
    """
    check_compatible(prior, skeleton)
    problem = _Problem(skeleton, torch.as_tensor(keypoint_points(skeleton, keypoints.joint_names, path)),
                       torch.as_tensor(keypoints.pixels, dtype=torch.float32),
                       torch.as_tensor(keypoints.confidence, dtype=torch.float32),
                       torch.as_tensor(keypoints.intrinsics, dtype=torch.float32), keypoints.fps)
    if init is None:
        start = fit_orientation(problem, config)
    elif init.num_frames != keypoints.num_frames or init.skeleton.signature() != skeleton.signature():
        raise SkeletonMismatchError(f"the starting motion ({init.num_frames} frames) does not fit the "
                                    f"{keypoints.num_frames} keypoint frames and the skeleton")
    else:
        start = (torch.as_tensor(init.rotations, dtype=torch.float32),
                 torch.as_tensor(init.root_translation, dtype=torch.float32))
    rotations, translation = fit_pose(problem, *start, prior, config)
    return Motion(skeleton, rotations.double().numpy(), translation.double().numpy(), keypoints.fps,
                  {"format": "fit2d", "prior": prior.name})
