"""HKMR: hierarchical kinematic regression, chain after chain along the kinematic tree.

Each outer iteration t = 1..T visits the chains in order (root, head, arms, legs: every
chain after its parent, see :mod:`posefield.regress.chains`). Chain c has its own MLP R_c,
applied ``inner_iterations`` times:

    θ_c ← θ_c + R_c([Φ, θ_parent(c)^t, θ_c (, r_c)])

where θ_parent(c)^t is the parent chain's estimate of this iteration (the root chain has no
parent) and θ_c starts from its estimate of iteration t − 1 (the mean at t = 1). The root
chain carries the global orientation and the camera. Then the proportions follow the
pose, β^t = β^{t−1} + R_β([β^{t−1}, Θ^t, Φ]). With ``config.feedback``, r_c are the
keypoints' reprojection residuals of the whole current estimate, taken anew before each of
chain c's iterations: after its ancestors' updates of this outer iteration and its own
previous step (:mod:`posefield.regress.feedback`).
"""
from __future__ import annotations

import torch
from torch import nn

from posefield.regress.chains import Chain
from posefield.regress.encoder import Encoder
from posefield.regress.feedback import ReprojectionFeedback
from posefield.regress.params import Estimate, ParamLayout
from posefield.regress.regressor import Regressor, RegressorConfig, mlp


class HKMR(Regressor):
    """Hierarchical kinematic regressor (see the module docstring)."""

    def __init__(self, encoder: Encoder, layout: ParamLayout, chains: list[Chain], config: RegressorConfig,
                 feedback: ReprojectionFeedback | None = None):
        super().__init__(encoder, layout, len(chains), config, feedback)
        self.parents = [chain.parent for chain in chains]
        sizes = [s.stop - s.start for s in layout.slices]
        features = encoder.feature_dim + self.feedback_size
        self.chain_mlps = nn.ModuleList(
            mlp(features + (sizes[p] if p >= 0 else 0) + size, config.hidden, size) for p, size in zip(self.parents, sizes))
        self.beta_mlp = mlp(len(chains) + layout.size + encoder.feature_dim, config.hidden, len(chains))

    def iterate(self, phi: torch.Tensor, batch: torch.Tensor) -> list[Estimate]:
        theta, beta = self.start(phi)
        chains = [theta[:, s] for s in self.layout.slices]
        out = []
        for _ in range(self.config.iterations):
            for c, (parent, regress) in enumerate(zip(self.parents, self.chain_mlps)):
                context = [phi] + ([chains[parent]] if parent >= 0 else [])
                for _ in range(self.config.inner_iterations):
                    feedback = self.feedback_of(chains, beta, batch)
                    chains[c] = chains[c] + regress(torch.cat(context + [chains[c]] + feedback, dim=1))
            theta = torch.cat(chains, dim=1)
            beta = beta + self.beta_mlp(torch.cat([beta, theta, phi], dim=1))
            out.append(self.layout.unpack(theta, beta))
        return out
