"""A VPoser-style variational autoencoder prior (Pavlakos et al., CVPR 2019), a Pose-NDF baseline.

Model. The encoder maps a pose — the K joint rotation matrices, 9K numbers that do not
depend on the q / -q sign — through an MLP to the mean μ and log-variance of a Gaussian
posterior over a latent code z ∈ R^d (d = 32). The decoder maps z through an MLP to a
continuous 6D rotation per joint (Zhou et al., CVPR 2019), made a rotation matrix by
Gram–Schmidt (``roma.special_gramschmidt``).

Training minimises, per pose, the chordal reconstruction error Σ_k ‖R̂_k − R_k‖²_F plus
β · KL(q(z|θ) ‖ N(0, I)).

Energy. VPoser uses a pose's latent code as its plausibility: E_μ(θ) = ‖μ(θ)‖², −2 log of
the latent prior density at the encoder mean, up to a constant. The encoder, however, never
saw implausible poses and may map one to a likely code; such a pose is then badly
reconstructed. So the energy (by default) adds the reconstruction error of the mean code,
weighted like the likelihood the training loss implies (Gaussian on rotation-matrix entries
with variance β/2, hence −2 log p(θ|z) = (2/β) Σ_k ‖R̂_k − R_k‖²_F + const):

    E(θ) = ‖μ(θ)‖² + (2/β) Σ_k ‖R̂_k(μ(θ)) − R_k(θ)‖²_F  =  −2 log p(θ, z = μ(θ)) + const.

On held-out CMU subjects ‖μ‖² alone barely tells real poses from 5°-noise ones (AUC ≈ 0.53),
the sum does (≈ 0.83; see ``posefield/assets/priors/TRAINING.md``). E ≥ 0, E(q) = E(−q), and
E is differentiable in θ. ``sample`` decodes z ~ N(0, I).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Sequence

import roma
import torch
from torch import nn

from posefield.data import PoseDataset
from posefield.data.mirror import mirrored_if_asked
from posefield.errors import CheckpointError
from posefield.prior.baselines.baseline import BaselinePrior, check_dataset, noise_auc
from posefield.prior.checkpoint import prior_from_checkpoint, read_checkpoint, save_checkpoint
from posefield.prior.optimizer import decaying_adam, metrics_line, optimise_epoch
from posefield.resume import restore, resume_state
from posefield.rotations import canonical_hemisphere
from posefield.settings import settings_from_dict
from posefield.skeleton import Skeleton


@dataclasses.dataclass(frozen=True)
class VAEConfig:
    """Sizes, KL weight and energy of a :class:`VAEPrior`.

    Attributes:
        latent_dim: d, size of the latent code.
        hidden: widths of the encoder's hidden layers (the decoder mirrors them).
        beta: β, weight of the KL term of the loss; it fixes the reconstruction likelihood's
            variance (β/2) and so the reconstruction weight 2/β of the energy.
        energy_reconstruction: whether the energy includes the reconstruction error
            (False: VPoser's ‖μ‖² alone).
    """

    latent_dim: int = 32
    hidden: tuple[int, ...] = (256, 256)
    beta: float = 5e-3
    energy_reconstruction: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "hidden", tuple(int(h) for h in self.hidden))


def widths_mlp(widths: Sequence[int]) -> nn.Sequential:
    """Linear layers of the given widths with SiLU between them (none after the last)."""
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-1], widths[1:]):
        layers += [nn.Linear(a, b), nn.SiLU()]
    return nn.Sequential(*layers[:-1])


def chordal_error(rot_a: torch.Tensor, rot_b: torch.Tensor) -> torch.Tensor:
    """Σ_k ‖A_k − B_k‖²_F of (B, K, 3, 3) rotation matrices -> (B,); per joint 8 sin²(φ/2) for an angle φ apart."""
    return (rot_a - rot_b).square().sum(dim=(-1, -2, -3))


class VAEPrior(BaselinePrior):
    """The VAE prior of one skeleton's joint set; ``energy`` is E(θ) of the module docstring.

    Args:
        skeleton: the rig whose poses are modelled.
        joint_index: (K,) skeleton indices of the modelled joints.
        config: network sizes, KL weight and energy.
    """

    name = "vae"
    #: Multiplier of the energy in the fit objectives (:func:`posefield.fit.terms.prior_energy`), whose
    #: weights are in Pose-NDF's radians; chosen on training-subject clips (benchmarks/baseline-weights.md).
    energy_scale = 1e-3

    def __init__(self, skeleton: Skeleton, joint_index: Sequence[int], config: VAEConfig = VAEConfig()):
        super().__init__(skeleton, joint_index, config)
        k = self.num_joints
        self.encoder = widths_mlp((9 * k, *config.hidden, 2 * config.latent_dim))
        self.decoder = widths_mlp((config.latent_dim, *reversed(config.hidden), 6 * k))

    def encode(self, rot: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, K, 3, 3) rotation matrices -> posterior mean and log-variance, each (B, d)."""
        mean, logvar = self.encoder(rot.flatten(1)).chunk(2, dim=-1)
        return mean, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """(B, d) latent codes -> (B, K, 3, 3) rotation matrices."""
        six = self.decoder(z).reshape(z.shape[0], self.num_joints, 3, 2)
        return roma.special_gramschmidt(six)

    def forward(self, quats: torch.Tensor) -> torch.Tensor:
        """Energy without input checks: (B, K, 4) unit quaternions -> (B,) E(θ) ≥ 0."""
        rot = roma.unitquat_to_rotmat(quats)
        mean, _ = self.encode(rot)
        energy = mean.square().sum(dim=-1)
        if self.config.energy_reconstruction:
            energy = energy + (2.0 / self.config.beta) * chordal_error(self.decode(mean), rot)
        return energy

    @torch.no_grad()
    def sample(self, num: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode ``num`` codes z ~ N(0, I): (num, K, 4) canonical unit quaternions."""
        z = torch.randn(num, self.config.latent_dim, generator=generator, dtype=self.dtype)
        return canonical_hemisphere(roma.rotmat_to_unitquat(self.decode(z)))


@dataclasses.dataclass(frozen=True)
class VAETrainConfig:
    """Everything that determines a VAE training run (stored in the checkpoint).

    Attributes:
        epochs: passes over the training poses.
        batch_size: poses per step.
        lr: Adam learning rate of the first epoch; lr_decay: its factor per epoch.
        seed: seed of initialisation, batch order and latent noise.
        val_poses: held-out poses used for the per-epoch noise AUC.
        model: network sizes, KL weight and energy.
        mirror: add the left–right mirror image of every training pose (``None``: when the
            rig is symmetric; see :func:`posefield.data.mirror.mirrored_if_asked`); stored as
            what was done.
    """

    epochs: int = 30
    batch_size: int = 256
    lr: float = 2e-3
    lr_decay: float = 0.9
    seed: int = 0
    val_poses: int = 4000
    model: VAEConfig = VAEConfig()
    mirror: bool | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "VAETrainConfig":
        """Inverse of ``dataclasses.asdict`` (checkpoints from before ``mirror`` trained without it)."""
        return settings_from_dict(cls, data, {cls: {"mirror": False}})


def kl_divergence(mean: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """KL(N(mean, exp(logvar)) ‖ N(0, I)) of (B, d) posteriors -> (B,) nats."""
    return 0.5 * (mean.square() + logvar.exp() - 1 - logvar).sum(dim=-1)


def vae_loss(model: VAEPrior, quats: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, dict[str, float]]:
    """The training objective on one batch of (B, K, 4) poses (β from ``model.config``).

    Returns:
        the scalar loss mean(chordal error + β KL) and the mean of each term.
    """
    rot = roma.unitquat_to_rotmat(quats)
    mean, logvar = model.encode(rot)
    z = mean + (0.5 * logvar).exp() * torch.randn(mean.shape, generator=generator, dtype=mean.dtype)
    parts = {"reconstruction": chordal_error(model.decode(z), rot).mean(), "kl": kl_divergence(mean, logvar).mean()}
    return parts["reconstruction"] + model.config.beta * parts["kl"], {k: v.item() for k, v in parts.items()}


@torch.no_grad()
def validate_vae(model: VAEPrior, val: torch.Tensor, seed: int) -> dict[str, float]:
    """Metrics on (N, K, 4) held-out poses: mean reconstruction angle (degrees, from the mean
    code), mean KL (nats), mean energy, and the energy AUC against 5°-noise poses."""
    rot = roma.unitquat_to_rotmat(val)
    mean, logvar = model.encode(rot)
    angle = roma.rotmat_geodesic_distance(model.decode(mean), rot)
    return {"val_angle_deg": float(angle.mean().rad2deg()), "val_kl": float(kl_divergence(mean, logvar).mean()),
            "val_energy": float(model(val).mean()),
            "val_auc_5deg": noise_auc(model, val, 5.0, torch.Generator().manual_seed(seed))}


def train_vae(dataset: PoseDataset, out: str | Path, config: VAETrainConfig = VAETrainConfig(), resume: bool = False,
              progress: bool = True, log: Callable[[str], None] = print) -> VAEPrior:
    """Train a VAE prior on ``dataset`` (CPU) and write a checkpoint to ``out`` after every epoch.

    Every random draw of an epoch comes from a generator seeded by (seed, epoch) and the
    checkpoint holds the model and the :func:`posefield.resume.resume_state` (optimizer,
    scheduler, RNG state), so resuming reproduces an uninterrupted run exactly.

    Args:
        dataset: clean poses; its validation split gives the per-epoch metrics.
        out: checkpoint path (written atomically).
        config: the run's settings; with ``resume`` only ``epochs`` is taken from it.
        resume: continue from the checkpoint at ``out``.
        progress: show a progress bar per epoch.
        log: receives one line per epoch.
    Returns:
        the trained prior, in eval mode.
    """
    out = Path(out)
    checkpoint = read_checkpoint(out) if resume else None
    if checkpoint is not None:
        if checkpoint.get("kind") != VAEPrior.name or "training" not in checkpoint:
            raise CheckpointError(f"{out}: holds no VAE training state to resume from")
        config = dataclasses.replace(VAETrainConfig.from_dict(checkpoint["training"]["config"]), epochs=config.epochs)
        model = prior_from_checkpoint(checkpoint, out)
    else:
        torch.manual_seed(config.seed)
        model = VAEPrior(dataset.skeleton, list(dataset.joint_index), config.model)
    check_dataset(model, dataset)
    dataset, config = mirrored_if_asked(dataset, config, log)
    train_poses, val_poses = dataset.split(False), dataset.split(True)[:config.val_poses]
    state = checkpoint["training"] if checkpoint is not None else None
    optimizer, scheduler = decaying_adam(model.parameters(), config.lr, config.lr_decay)
    start, history, _ = restore(optimizer, scheduler, state, "epoch", "cpu")
    if state is not None:
        log(f"resuming {out} after epoch {start}")

    for epoch in range(start, config.epochs):
        model.train()
        generator = torch.Generator().manual_seed(config.seed * 1_000_003 + epoch)
        order = torch.randperm(len(train_poses), generator=generator)
        losses = optimise_epoch(
            range(0, len(order), config.batch_size),
            lambda begin: vae_loss(model, train_poses[order[begin:begin + config.batch_size]], generator),
            optimizer, f"epoch {epoch + 1}/{config.epochs}", progress)
        scheduler.step()
        model.eval()
        metrics = {"epoch": epoch + 1, **losses,
                   **(validate_vae(model, val_poses, config.seed) if len(val_poses) else {})}
        history.append(metrics)
        log(metrics_line(metrics))
        save_checkpoint(out, model, {"config": dataclasses.asdict(config),
                                     **resume_state(optimizer, scheduler, history, "epoch", epoch + 1, "cpu")})
    log(f"wrote {out}")
    return model.eval()
