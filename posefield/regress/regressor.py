"""What every regressor shares: encoder, parameter layout, mean start and iterative output.

A regressor maps an input batch to one :class:`~posefield.regress.params.Estimate` per outer
iteration (all are supervised; the last is the answer). It starts from the mean parameters
(``initial_theta``, ``initial_beta``; set from training data by
:func:`posefield.regress.train.initial_parameters`) and adds a correction each iteration.
"""
from __future__ import annotations

import abc
import dataclasses

import torch
from torch import nn

from posefield.regress.encoder import Encoder
from posefield.regress.feedback import ReprojectionFeedback
from posefield.regress.params import Estimate, ParamLayout, rotmat_to_rot6d

OUTPUT_GAIN = 0.01  # small last layers: the first iterations stay near the mean parameters


@dataclasses.dataclass(frozen=True)
class RegressorConfig:
    """Architecture (stored in checkpoints).

    Attributes:
        kind: ``"hkmr"`` (hierarchical) or ``"flat"`` (HMR-style iterative error feedback).
        iterations: outer iterations T.
        inner_iterations: chain iterations per outer iteration (HKMR only).
        hidden: width of each HKMR chain/shape MLP (the flat MLP is sized to match the total).
        encoder_width: width of the keypoint encoder's hidden layers.
        feature_dim: F, the width of Φ.
        feedback: also give the regressors the keypoints' reprojection residuals of the
            current estimate (:mod:`posefield.regress.feedback`): HKMR before every chain
            iteration, flat once per outer iteration. Needs keypoint input. On by default (the
            shipped models' recipe); checkpoints from before it read as without.
    """

    kind: str = "hkmr"
    iterations: int = 3
    inner_iterations: int = 2
    hidden: int = 192
    encoder_width: int = 384
    feature_dim: int = 256
    feedback: bool = True


def mlp(in_dim: int, hidden: int, out_dim: int) -> nn.Sequential:
    """Two hidden ReLU layers of width ``hidden``; the output layer starts near zero."""
    out = nn.Linear(hidden, out_dim)
    nn.init.xavier_uniform_(out.weight, gain=OUTPUT_GAIN)
    nn.init.zeros_(out.bias)
    return nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), out)


def mlp_size(in_dim: int, hidden: int, out_dim: int) -> int:
    """Parameter count of :func:`mlp`."""
    return (in_dim + 1) * hidden + (hidden + 1) * hidden + (hidden + 1) * out_dim


def parameter_count(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


class Regressor(abc.ABC, nn.Module):
    """Base of the regressors: ``forward(batch)`` encodes and runs :meth:`iterate`.

    Args:
        encoder: the front end (Φ of width ``encoder.feature_dim``).
        layout: where the chains' parameters sit in Θ.
        num_chains: C, the length of β.
        config: architecture.
        feedback: the reprojection feedback (``None``: none; required when ``config.feedback``).
    """

    def __init__(self, encoder: Encoder, layout: ParamLayout, num_chains: int, config: RegressorConfig,
                 feedback: ReprojectionFeedback | None = None):
        super().__init__()
        if config.feedback and feedback is None:
            raise ValueError("config.feedback needs a ReprojectionFeedback")
        self.encoder = encoder
        self.layout = layout
        self.config = config
        self.feedback = feedback if config.feedback else None
        identity = Estimate(rotmat_to_rot6d(torch.eye(3).expand(1, len(layout.order) // 6, 3, 3)), torch.zeros(1, 3),
                            torch.zeros(1, num_chains))
        self.register_buffer("initial_theta", layout.pack(identity)[0])  # until set from data
        self.register_buffer("initial_beta", torch.zeros(num_chains))

    def forward(self, batch: torch.Tensor) -> list[Estimate]:
        """One estimate per outer iteration for the batch."""
        phi = self.encoder(batch)
        return self.iterate(phi, batch)

    def start(self, phi: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, size) Θ and (B, C) β at the mean parameters."""
        batch = phi.shape[0]
        return self.initial_theta.expand(batch, -1), self.initial_beta.expand(batch, -1)

    @property
    def feedback_size(self) -> int:
        """Width of the feedback input (0 without feedback)."""
        return self.feedback.size if self.feedback is not None else 0

    def feedback_of(self, theta_parts: list[torch.Tensor], beta: torch.Tensor, batch: torch.Tensor) -> list[torch.Tensor]:
        """``[(B, 2P) residuals]`` of the estimate (Θ, β) on the keypoint ``batch``, or ``[]`` without
        feedback. Θ comes as its consecutive column blocks, joined only when feedback is on."""
        if self.feedback is None:
            return []
        return [self.feedback(self.layout.unpack(torch.cat(theta_parts, dim=1), beta), batch)]

    @abc.abstractmethod
    def iterate(self, phi: torch.Tensor, batch: torch.Tensor) -> list[Estimate]:
        """(B, F) features of the input ``batch`` -> one estimate per outer iteration."""

    def regressor_size(self) -> int:
        """Parameters outside the encoder."""
        return parameter_count(self) - parameter_count(self.encoder)
