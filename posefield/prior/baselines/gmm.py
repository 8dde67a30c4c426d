"""A Gaussian mixture prior on joint axis-angles (SMPLify, Bogo et al., ECCV 2016), a Pose-NDF baseline.

Model. A pose is the concatenation x ∈ R^{3K} of its joints' rotation vectors (axis · angle,
radians, angle ≤ π: ``roma.unitquat_to_rotvec`` of the w ≥ 0 quaternion, so x(q) = x(−q));
x ~ Σ_c w_c N(μ_c, Σ_c) with C full-covariance components, fitted by EM (k-means++ start).
Joints with fewer than three rotation channels leave some directions of x constant: the
covariances get ``reg_covar`` (rad²) added to their diagonal, which sets how stiffly the
prior holds those directions (σ = √reg_covar).

Energy. The negative log-likelihood, shifted by the largest value the log-density can reach
for these components (each Gaussian at its peak), so that it is ≥ 0:

    E(θ) = log Σ_c w_c N(μ_c; μ_c, Σ_c) − log Σ_c w_c N(x(θ); μ_c, Σ_c)   (nats).

It is exact (no max-component approximation) and differentiable in θ.
"""
from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any, Callable, Sequence

import roma
import torch
from tqdm import tqdm

from posefield.data import PoseDataset
from posefield.data.mirror import mirrored_if_asked
from posefield.prior.baselines.baseline import BaselinePrior, check_dataset, noise_auc
from posefield.prior.checkpoint import save_checkpoint
from posefield.prior.optimizer import metrics_line
from posefield.rotations import canonical_hemisphere
from posefield.settings import settings_from_dict
from posefield.skeleton import Skeleton


@dataclasses.dataclass(frozen=True)
class GMMConfig:
    """Size of a :class:`GMMPrior`: ``components`` C."""

    components: int = 8


def rotvec_features(quats: torch.Tensor) -> torch.Tensor:
    """(B, K, 4) unit quaternions (either sign) -> (B, 3K) rotation vectors, radians, norm ≤ π."""
    return roma.unitquat_to_rotvec(canonical_hemisphere(quats)).flatten(1)


def component_log_density(x: torch.Tensor, log_weights: torch.Tensor, means: torch.Tensor,
                          cov_chol: torch.Tensor) -> torch.Tensor:
    """log(w_c N(x; μ_c, Σ_c)) for every point and component.

    Args:
        x: (B, D) points.
        log_weights: (C,) log mixture weights.
        means: (C, D) component means.
        cov_chol: (C, D, D) lower Cholesky factors L_c of Σ_c = L_c L_cᵀ.
    Returns:
        (B, C) log densities (nats).
    """
    diff = x.unsqueeze(0) - means.unsqueeze(1)  # (C, B, D)
    white = torch.linalg.solve_triangular(cov_chol, diff.transpose(1, 2), upper=False)  # (C, D, B)
    return peak_log_density(log_weights, cov_chol) - 0.5 * white.square().sum(dim=1).T


def peak_log_density(log_weights: torch.Tensor, cov_chol: torch.Tensor) -> torch.Tensor:
    """(C,) log(w_c N(μ_c; μ_c, Σ_c)) = log w_c − ½ log det(2π Σ_c), of (C,) and (C, D, D) as above."""
    dim = cov_chol.shape[-1]
    return log_weights - cov_chol.diagonal(dim1=-2, dim2=-1).log().sum(dim=-1) - 0.5 * dim * math.log(2 * math.pi)


class GMMPrior(BaselinePrior):
    """The GMM prior of one skeleton's joint set; ``energy`` is the shifted NLL of the module docstring.

    Args:
        skeleton: the rig whose poses are modelled.
        joint_index: (K,) skeleton indices of the modelled joints.
        config: number of components.
    """

    name = "gmm"
    #: Multiplier of the energy in the fit objectives (:func:`posefield.fit.terms.prior_energy`), whose
    #: weights are in Pose-NDF's radians; chosen on training-subject clips (benchmarks/baseline-weights.md).
    energy_scale = 3e-3

    def __init__(self, skeleton: Skeleton, joint_index: Sequence[int], config: GMMConfig = GMMConfig()):
        super().__init__(skeleton, joint_index, config)
        c, d = config.components, 3 * self.num_joints
        self.register_buffer("log_weights", torch.full((c,), -math.log(c)))
        self.register_buffer("means", torch.zeros(c, d))
        self.register_buffer("cov_chol", torch.eye(d).repeat(c, 1, 1))

    def set_parameters(self, log_weights: torch.Tensor, means: torch.Tensor, cov_chol: torch.Tensor) -> None:
        """Install fitted (C,) log weights, (C, 3K) means and (C, 3K, 3K) covariance Cholesky factors."""
        for name, value in (("log_weights", log_weights), ("means", means), ("cov_chol", cov_chol)):
            getattr(self, name).copy_(value)

    def log_density(self, quats: torch.Tensor) -> torch.Tensor:
        """(B, K, 4) unit quaternions -> (B,) log-density of their rotation vectors (nats)."""
        return component_log_density(rotvec_features(quats), self.log_weights, self.means,
                                     self.cov_chol).logsumexp(dim=-1)

    def forward(self, quats: torch.Tensor) -> torch.Tensor:
        """Energy without input checks: (B, K, 4) unit quaternions -> (B,) E(θ) ≥ 0 (nats)."""
        peak = peak_log_density(self.log_weights, self.cov_chol).logsumexp(dim=0)
        return (peak - self.log_density(quats)).clamp(min=0)

    @torch.no_grad()
    def sample(self, num: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """``num`` draws of the mixture: (num, K, 4) canonical unit quaternions."""
        comp = torch.multinomial(self.log_weights.exp(), num, replacement=True, generator=generator)
        z = torch.randn(num, self.means.shape[1], 1, generator=generator, dtype=self.means.dtype)
        x = self.means[comp] + (self.cov_chol[comp] @ z).squeeze(-1)
        return canonical_hemisphere(roma.rotvec_to_unitquat(x.reshape(num, self.num_joints, 3)))


@dataclasses.dataclass(frozen=True)
class GMMFitConfig:
    """Everything that determines a GMM fit (stored in the checkpoint).

    Attributes:
        reg_covar: added to every covariance's diagonal, rad².
        max_iter: EM iterations at most; tol: stop once the mean log-likelihood per pose
            improves by less (nats).
        seed: seed of the k-means++ start.
        val_poses: held-out poses used for the noise AUC.
        model: number of components.
        mirror: add the left–right mirror image of every training pose (``None``: when the
            rig is symmetric; see :func:`posefield.data.mirror.mirrored_if_asked`); stored as
            what was done.
    """

    reg_covar: float = 1e-4
    max_iter: int = 200
    tol: float = 1e-4
    seed: int = 0
    val_poses: int = 4000
    model: GMMConfig = GMMConfig()
    mirror: bool | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "GMMFitConfig":
        """Inverse of ``dataclasses.asdict`` (checkpoints from before ``mirror`` fitted without it)."""
        return settings_from_dict(cls, data, {cls: {"mirror": False}})


def kmeans_pp(x: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
    """k-means++ seeding: (N, D) points -> (k, D) centres, each drawn ∝ squared distance to the chosen ones."""
    centres = x[torch.randint(len(x), (1,), generator=generator)]
    nearest = (x - centres[0]).square().sum(dim=-1)
    for _ in range(k - 1):
        pick = torch.multinomial(nearest.clamp(min=0) + 1e-30, 1, generator=generator)
        centres = torch.cat([centres, x[pick]])
        nearest = torch.minimum(nearest, (x - x[pick]).square().sum(dim=-1))
    return centres


def m_step(x: torch.Tensor, resp: torch.Tensor, reg_covar: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Maximum-likelihood mixture of (N, D) points with (N, C) responsibilities.

    Returns:
        (C,) log weights, (C, D) means, (C, D, D) Cholesky factors of the covariances (+ reg_covar I).
    """
    counts = resp.sum(dim=0) + 1e-10
    means = resp.T @ x / counts[:, None]
    eye = torch.eye(x.shape[1], dtype=x.dtype)
    covs = []
    for c in range(resp.shape[1]):
        diff = x - means[c]
        covs.append((resp[:, c, None] * diff).T @ diff / counts[c] + reg_covar * eye)
    return (counts / counts.sum()).log(), means, torch.linalg.cholesky(torch.stack(covs))


def e_step(x: torch.Tensor, params: tuple[torch.Tensor, ...], chunk: int = 8192) -> tuple[torch.Tensor, float]:
    """(N, C) responsibilities of (N, D) points under ``params`` (as :func:`m_step` returns) and
    their mean log-likelihood (nats per point)."""
    log_dens = torch.cat([component_log_density(x[i:i + chunk], *params) for i in range(0, len(x), chunk)])
    total = log_dens.logsumexp(dim=-1, keepdim=True)
    return (log_dens - total).exp(), float(total.mean())


def fit_em(x: torch.Tensor, components: int, config: GMMFitConfig, progress: bool = False,
           log: Callable[[str], None] = print) -> tuple[tuple[torch.Tensor, ...], list[float]]:
    """Fit a full-covariance mixture to (N, D) float64 points by EM.

    Returns:
        the parameters (as :func:`m_step` returns) and the mean log-likelihood of each iteration.
    """
    centres = kmeans_pp(x, components, torch.Generator().manual_seed(config.seed))
    nearest = torch.cdist(x, centres).argmin(dim=1)
    params = m_step(x, torch.nn.functional.one_hot(nearest, components).to(x.dtype), config.reg_covar)
    history: list[float] = []
    bar = tqdm(range(config.max_iter), desc="EM", unit="iter", disable=not progress, leave=False)
    for _ in bar:
        resp, mean_ll = e_step(x, params)
        history.append(mean_ll)
        bar.set_postfix(loglik=f"{mean_ll:.3f}")
        if len(history) > 1 and history[-1] - history[-2] < config.tol:
            break
        params = m_step(x, resp, config.reg_covar)
    bar.close()
    log(f"EM: {len(history)} iterations, mean log-likelihood {history[-1]:.4f} nats per pose")
    return params, history


def train_gmm(dataset: PoseDataset, out: str | Path, config: GMMFitConfig = GMMFitConfig(), progress: bool = True,
              log: Callable[[str], None] = print) -> GMMPrior:
    """Fit a GMM prior to the training split of ``dataset`` and write its checkpoint to ``out``.

    The checkpoint's training record holds the config, the EM log-likelihood history and, when
    the dataset has a validation split, the validation mean log-likelihood and 5°-noise AUC.

    Returns:
        the fitted prior, in eval mode.
    """
    model = GMMPrior(dataset.skeleton, list(dataset.joint_index), config.model)
    check_dataset(model, dataset)
    dataset, config = mirrored_if_asked(dataset, config, log)
    params, history = fit_em(rotvec_features(dataset.split(False).double()), config.model.components, config,
                             progress, log)
    model.set_parameters(*params)
    metrics: dict[str, float] = {}
    val = dataset.split(True)[:config.val_poses]
    if len(val):
        metrics = {"val_loglik": float(model.log_density(val).mean()),
                   "val_auc_5deg": noise_auc(model, val, 5.0, torch.Generator().manual_seed(config.seed))}
        log(metrics_line(metrics))
    save_checkpoint(out, model, {"config": dataclasses.asdict(config), "history": history, **metrics})
    log(f"wrote {out}")
    return model.eval()
