"""Synthetic training and test data: mocap poses seen as 2D keypoints by random cameras.

A *scene* places a pose of the dataset in front of a pinhole camera (OpenCV axes: x right,
y down, z forward):

* proportions β: one log-scale per chain, log g + ε_c with a global scale g uniform in
  ``global_scale`` and ε_c ~ N(0, ``limb_scale_std``) clipped at ±2.5 std;
* global orientation: a uniform turn about the body's up axis (+Y), then a tilt (rotation
  vector in the horizontal plane, each component N(0, ``tilt_deg``), with probability
  ``wide_tilt_prob`` N(0, ``wide_tilt_deg``)), then the turn from the Y-up world into the
  y-down camera (180° about x);
* camera: image width uniform in ``image_width``, height = width · ``aspect``, focal length
  width · ``focal``, principal point at the image centre moved by N(0, ``principal_jitter`` ·
  width); the body covers ``body_fraction`` of the image height (its rest height times g),
  which sets its depth, and its root projects uniformly within the middle of the image.

Samples come in clips of ``clip_length`` frames sharing the person (β) and the camera
intrinsics, as in a video (the benchmark fits each clip with one skeleton).

*Observing* a scene gives the keypoints a detector would report: the projection of the
chosen points, confidences uniform in ``confidence``, pixel noise N(0, σ) with
σ = ``noise`` · body size · (1.5 − confidence), each point dropped with ``drop_prob``, points
outside the image hidden, then an occluder (:mod:`posefield.regress.occluders`) hiding the
points whose true position it covers, unless that would leave fewer than ``min_visible`` points. Hidden points
have confidence 0 and pixel (0, 0).
"""
from __future__ import annotations

import dataclasses
import math

import roma
import torch

from posefield.errors import SkeletonMismatchError
from posefield.fit.keypoints import NEAR_PLANE, project_points
from posefield.regress.body import Body, posed_points
from posefield.regress.occluders import KINDS, Occluders, covered, random_occluders

CAMERA_FLIP = torch.diag(torch.tensor([1.0, -1.0, -1.0]))  # Y-up world -> y-down camera (180° about x)


@dataclasses.dataclass(frozen=True)
class SyntheticConfig:
    """Ranges of the random scenes and detector effects (see the module docstring; lengths
    in metres, angles in degrees, sizes as fractions)."""

    global_scale: tuple[float, float] = (0.9, 1.1)
    limb_scale_std: float = 0.04
    tilt_deg: float = 8.0
    wide_tilt_prob: float = 0.1
    wide_tilt_deg: float = 40.0
    image_width: tuple[float, float] = (640.0, 1920.0)
    aspect: tuple[float, float] = (0.5625, 1.0)
    focal: tuple[float, float] = (0.6, 1.6)
    principal_jitter: float = 0.02
    body_fraction: tuple[float, float] = (0.35, 0.9)
    confidence: tuple[float, float] = (0.3, 1.0)
    noise: float = 0.01
    drop_prob: float = 0.05
    occluder_prob: float = 0.5
    min_visible: int = 4
    clip_length: int = 1


@dataclasses.dataclass
class Scene:
    """B posed bodies in front of cameras.

    Attributes:
        rotmats: (B, R, 3, 3) local rotations of the regressed joints (root: camera frame).
        beta: (B, C) proportions.
        translation: (B, 3) root position in the camera frame, metres.
        intrinsics: (B, 3, 3) pinhole matrices K, pixels.
        image_size: (B, 2) width and height, pixels.
        points: (B, J + E, 3) joints and end sites relative to the root, camera frame, metres.
    """

    rotmats: torch.Tensor
    beta: torch.Tensor
    translation: torch.Tensor
    intrinsics: torch.Tensor
    image_size: torch.Tensor
    points: torch.Tensor


@dataclasses.dataclass
class Observation:
    """Keypoints of B samples: ``pixels`` (B, P, 2) and ``confidence`` (B, P) in [0, 1] (0: hidden)."""

    pixels: torch.Tensor
    confidence: torch.Tensor

    @property
    def visible(self) -> torch.Tensor:
        return self.confidence > 0


def uniform(low_high: tuple[float, float], shape: tuple[int, ...], generator: torch.Generator) -> torch.Tensor:
    low, high = low_high
    return low + (high - low) * torch.rand(shape, generator=generator)


def per_clip(values: torch.Tensor, clip_length: int) -> torch.Tensor:
    """Repeat per-clip values (N, ...) for each of a clip's frames: (N · clip_length, ...)."""
    return values.repeat_interleave(clip_length, dim=0)


def check_poses(body: Body, joint_index: list[int]) -> None:
    """Raise :class:`SkeletonMismatchError` unless the dataset's joints are the regressed non-root joints."""
    if list(joint_index) != body.regressed[1:].tolist():
        raise SkeletonMismatchError("the pose dataset's joint set is not the skeleton's rotating non-root joints")


def random_proportions(num: int, num_chains: int, config: SyntheticConfig, generator: torch.Generator) -> torch.Tensor:
    """(num, C) log-scales: a global scale plus clipped per-chain variations."""
    low, high = config.global_scale
    scale = uniform((math.log(low), math.log(high)), (num, 1), generator)
    limb = (torch.randn(num, num_chains, generator=generator) * config.limb_scale_std).clamp(
        -2.5 * config.limb_scale_std, 2.5 * config.limb_scale_std)
    return scale + limb


def random_orientations(num: int, config: SyntheticConfig, generator: torch.Generator) -> torch.Tensor:
    """(num, 3, 3) global orientations in the camera frame: turn about +Y, tilt, flip to y-down."""
    yaw = torch.zeros(num, 3)
    yaw[:, 1] = 2 * math.pi * torch.rand(num, generator=generator)
    wide = torch.rand(num, generator=generator) < config.wide_tilt_prob
    std = torch.where(wide, config.wide_tilt_deg, config.tilt_deg) * math.pi / 180
    tilt = torch.zeros(num, 3)
    tilt[:, [0, 2]] = torch.randn(num, 2, generator=generator) * std[:, None]
    return CAMERA_FLIP @ roma.rotvec_to_rotmat(tilt) @ roma.rotvec_to_rotmat(yaw)


def random_intrinsics(num: int, config: SyntheticConfig, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """(num, 3, 3) pinhole matrices and (num, 2) image sizes, pixels."""
    width = uniform(config.image_width, (num,), generator)
    height = width * uniform(config.aspect, (num,), generator)
    focal = width * uniform(config.focal, (num,), generator)
    principal = torch.stack([width, height], dim=1) / 2 + config.principal_jitter * width[:, None] * torch.randn(
        num, 2, generator=generator)
    k = torch.zeros(num, 3, 3)
    k[:, 0, 0] = k[:, 1, 1] = focal
    k[:, :2, 2] = principal
    k[:, 2, 2] = 1.0
    return k, torch.stack([width, height], dim=1)


def rest_height(body: Body) -> float:
    """Vertical extent (Y) of the reference body's rest pose with end sites, metres."""
    rest = torch.eye(3).expand(1, body.regressed.shape[0], 3, 3)
    points = posed_points(body, rest, torch.zeros(1, len(body.chains)))[0]
    return float(points[:, 1].max() - points[:, 1].min())


def random_translations(intrinsics: torch.Tensor, image_size: torch.Tensor, body_height: torch.Tensor,
                        config: SyntheticConfig, generator: torch.Generator) -> torch.Tensor:
    """(B, 3) root positions: depth from the body's share of the image height, root pixel in
    the middle 40 % × 30 % of the image."""
    num = intrinsics.shape[0]
    focal = intrinsics[:, 0, 0]
    depth = focal * body_height / (uniform(config.body_fraction, (num,), generator) * image_size[:, 1])
    where = torch.stack([uniform((0.3, 0.7), (num,), generator), uniform((0.35, 0.65), (num,), generator)], dim=1)
    pixel = where * image_size
    xy = (pixel - intrinsics[:, :2, 2]) / focal[:, None] * depth[:, None]
    return torch.cat([xy, depth[:, None]], dim=1)


def sample_scenes(body: Body, poses: torch.Tensor, config: SyntheticConfig, generator: torch.Generator) -> Scene:
    """Scenes of the given poses.

    Args:
        body: the regressor's body (its skeleton's rotating non-root joints are the pose joints).
        poses: (B, R − 1, 4) unit quaternions of those joints; B a multiple of ``clip_length``.
        config: ranges.
        generator: source of randomness.
    """
    batch, clip = poses.shape[0], config.clip_length
    if batch % clip:
        raise ValueError(f"batch of {batch} is not a multiple of the clip length {clip}")
    beta = per_clip(random_proportions(batch // clip, len(body.chains), config, generator), clip)
    intrinsics, image_size = (per_clip(v, clip) for v in random_intrinsics(batch // clip, config, generator))
    rotmats = torch.cat([random_orientations(batch, config, generator)[:, None],
                         roma.unitquat_to_rotmat(poses.float())], dim=1)
    height = rest_height(body) * beta.mean(dim=1).exp()
    translation = random_translations(intrinsics, image_size, height, config, generator)
    return Scene(rotmats, beta, translation, intrinsics, image_size, posed_points(body, rotmats, beta))


def detect(scene: Scene, keypoints: torch.Tensor, config: SyntheticConfig,
           generator: torch.Generator) -> tuple[torch.Tensor, Observation]:
    """The true (B, P, 2) pixels of the observed points and the detector's keypoints before
    occlusion (confidences, noise, drops, points outside the image hidden).

    Args:
        scene: B scenes.
        keypoints: (P,) long rows of ``scene.points`` that are observed.
        config: detector effects.
        generator: source of randomness.
    """
    points = scene.points[:, keypoints] + scene.translation[:, None]
    truth, in_front = project_points(points, scene.intrinsics), points[..., 2] > NEAR_PLANE
    batch, num = in_front.shape
    size = (truth.amax(dim=1) - truth.amin(dim=1)).amax(dim=1)
    confidence = uniform(config.confidence, (batch, num), generator)
    sigma = config.noise * size[:, None] * (1.5 - confidence)
    pixels = truth + sigma[..., None] * torch.randn(batch, num, 2, generator=generator)
    inside = (pixels >= 0).all(dim=-1) & (pixels < scene.image_size[:, None]).all(dim=-1)
    visible = in_front & inside & (torch.rand(batch, num, generator=generator) >= config.drop_prob)
    return truth, hide(Observation(pixels, confidence), ~visible)


def hide(observation: Observation, hidden: torch.Tensor) -> Observation:
    """``observation`` with the (B, P) ``hidden`` points set to confidence 0 and pixel (0, 0)."""
    keep = observation.visible & ~hidden
    return Observation(torch.where(keep[..., None], observation.pixels, 0.0),
                       torch.where(keep, observation.confidence, 0.0))


def occlude(observation: Observation, truth: torch.Tensor, occluders: Occluders, min_visible: int) -> Observation:
    """Hide the points whose true pixels (B, P, 2) the occluders cover, in every sample where at
    least ``min_visible`` points stay visible (the others are left as they are)."""
    hidden = covered(truth, occluders)
    keeps_enough = (observation.visible & ~hidden).sum(dim=1, keepdim=True) >= min_visible
    return hide(observation, hidden & keeps_enough)


def observe(scene: Scene, keypoints: torch.Tensor, occluder_kind: torch.Tensor, config: SyntheticConfig,
            generator: torch.Generator) -> Observation:
    """Detector-like keypoints of a scene with one occluder per sample of ``occluder_kind``
    (B,) (index into :data:`posefield.regress.occluders.KINDS`). Noise and drops are drawn
    before the occluders, so one seed gives the same noise under every kind of occluder."""
    truth, seen = detect(scene, keypoints, config, generator)
    return occlude(seen, truth, random_occluders(occluder_kind, truth, seen.visible, generator), config.min_visible)


def random_kinds(batch: int, probability: float, generator: torch.Generator) -> torch.Tensor:
    """(B,) occluder kinds: none, or with ``probability`` a uniform choice of bar, circle, rectangle."""
    occluded = torch.rand(batch, generator=generator) < probability
    kind = torch.randint(1, len(KINDS), (batch,), generator=generator)
    return torch.where(occluded, kind, torch.zeros_like(kind))
