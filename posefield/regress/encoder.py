"""Encoders: the pluggable front end that turns an input batch into features Φ (B, F).

Any ``torch.nn.Module`` subclassing :class:`Encoder` fits: it sets ``feature_dim`` and maps a
batch to (B, feature_dim) features. An image encoder (a ResNet on person crops, as in HMR
and HKMR) plugs in the same way; the regressors and losses only see Φ and the crop of each
sample. posefield ships :class:`KeypointEncoder`, which reads 2D keypoints with confidences
from any detector, so regressors train from motion capture alone.
"""
from __future__ import annotations

import abc

import torch
from torch import nn

from posefield.regress.camera import Crop, crop_of, normalise_pixels, to_crop

INPUT_CHANNELS = 3  # crop x, crop y, confidence


class Encoder(abc.ABC, nn.Module):
    """Maps an input batch to features Φ (B, ``feature_dim``)."""

    feature_dim: int

    @abc.abstractmethod
    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        """Input batch -> (B, feature_dim) features."""


class ResidualBlock(nn.Module):
    """x + W2 relu(W1 x) (width in = out)."""

    def __init__(self, width: int):
        super().__init__()
        self.inner = nn.Sequential(nn.Linear(width, width), nn.ReLU(), nn.Linear(width, width))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.relu(x + self.inner(x))


class KeypointEncoder(Encoder):
    """An MLP over P keypoints in crop units with their confidences.

    Input (B, P, 3): crop x, crop y (0 where hidden) and confidence (0: hidden), as made by
    :func:`keypoint_inputs`. Layers: linear to ``width``, one residual block, linear to
    ``feature_dim``, ReLU after each.
    """

    def __init__(self, num_points: int, width: int = 384, feature_dim: int = 256):
        super().__init__()
        self.feature_dim = feature_dim
        self.layers = nn.Sequential(nn.Flatten(), nn.Linear(INPUT_CHANNELS * num_points, width), nn.ReLU(),
                                    ResidualBlock(width), nn.Linear(width, feature_dim), nn.ReLU())

    def forward(self, batch: torch.Tensor) -> torch.Tensor:
        return self.layers(batch)


def keypoint_inputs(pixels: torch.Tensor, confidence: torch.Tensor, intrinsics: torch.Tensor) -> tuple[torch.Tensor, Crop]:
    """Encoder input and crop of keypoints.

    Args:
        pixels: (B, P, 2) keypoints, pixels.
        confidence: (B, P) in [0, 1], 0 = hidden.
        intrinsics: (B, 3, 3) pinhole matrices.
    Returns:
        (B, P, 3) crop x, crop y, confidence (hidden points all zero) and the crops.
    """
    visible = confidence > 0
    normalised = normalise_pixels(pixels, intrinsics)
    crop = crop_of(normalised, visible)
    xy = torch.where(visible[..., None], to_crop(normalised, crop), 0.0)
    return torch.cat([xy, confidence[..., None]], dim=-1), crop
