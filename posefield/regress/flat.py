"""The flat baseline: HMR-style iterative error feedback over all parameters at once.

    [Θ^t, β^t] = [Θ^{t−1}, β^{t−1}] + R([Φ, Θ^{t−1}, β^{t−1} (, r^{t−1})]),   t = 1..T

with one MLP R whose width is chosen so that it has about as many parameters as the HKMR
regressors of the same configuration (all chain MLPs and the shape MLP together). With
``config.feedback``, r^{t−1} are the keypoints' reprojection residuals of the previous
estimate (:mod:`posefield.regress.feedback`).
"""
from __future__ import annotations

import math

import torch

from posefield.regress.chains import Chain
from posefield.regress.encoder import Encoder
from posefield.regress.feedback import ReprojectionFeedback
from posefield.regress.params import Estimate, ParamLayout
from posefield.regress.regressor import Regressor, RegressorConfig, mlp, mlp_size


def hkmr_regressor_size(layout: ParamLayout, chains: list[Chain], features: int, hidden: int,
                        feedback: int = 0) -> int:
    """Parameters of the HKMR chain and shape MLPs (see :class:`posefield.regress.hkmr.HKMR`)
    with a feedback input of width ``feedback``."""
    sizes = [s.stop - s.start for s in layout.slices]
    chain_total = sum(mlp_size(features + feedback + (sizes[c.parent] if c.parent >= 0 else 0) + size, hidden, size)
                      for c, size in zip(chains, sizes))
    return chain_total + mlp_size(len(chains) + layout.size + features, hidden, len(chains))


def matched_width(target: int, in_dim: int, out_dim: int) -> int:
    """Hidden width h at which :func:`mlp_size` (in_dim, h, out_dim) is closest to ``target``:
    the positive root of h² + (in + out + 2) h + out − target = 0, rounded."""
    b = in_dim + out_dim + 2
    return max(1, round((-b + math.sqrt(b * b + 4 * (target - out_dim))) / 2))


class FlatRegressor(Regressor):
    """Iterative error feedback on all parameters (see the module docstring)."""

    def __init__(self, encoder: Encoder, layout: ParamLayout, chains: list[Chain], config: RegressorConfig,
                 feedback: ReprojectionFeedback | None = None):
        super().__init__(encoder, layout, len(chains), config, feedback)
        in_dim = encoder.feature_dim + self.feedback_size + layout.size + len(chains)
        out_dim = layout.size + len(chains)
        target = hkmr_regressor_size(layout, chains, encoder.feature_dim, config.hidden, self.feedback_size)
        width = matched_width(target, in_dim, out_dim)
        self.mlp = mlp(in_dim, width, out_dim)

    def iterate(self, phi: torch.Tensor, batch: torch.Tensor) -> list[Estimate]:
        theta, beta = self.start(phi)
        out = []
        for _ in range(self.config.iterations):
            delta = self.mlp(torch.cat([phi, theta, beta] + self.feedback_of([theta], beta, batch), dim=1))
            theta = theta + delta[:, :self.layout.size]
            beta = beta + delta[:, self.layout.size:]
            out.append(self.layout.unpack(theta, beta))
        return out
