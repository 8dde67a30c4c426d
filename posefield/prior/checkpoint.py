"""Prior checkpoints: one ``.pt`` file holding config, weights, skeleton and joint set.

Layout (a dict read with ``torch.load(weights_only=True)``, so loading runs no pickled code)::

    format: "posefield-prior", format_version: 1, kind: "ndf" | "vae" | "gmm",
    config: {...}, skeleton: skeleton_to_dict(...), joint_index: [...], model: state_dict,
    training: {...}   # optional: optimizer, scheduler, epoch, RNG, history (see train.py)
    exemplars: (M, K, 4) float16   # optional: a sample of the training poses (PosePrior.exemplars)
    exemplars_recorded: (M,) bool  # optional: which exemplars are recorded poses, not mirror images
"""
from __future__ import annotations

import dataclasses
import importlib
from pathlib import Path
from typing import Any

import torch

from posefield.errors import CheckpointError
from posefield.io.atomic import atomic_path
from posefield.io.checkpoint_file import read_checkpoint_file
from posefield.prior.base import PosePrior
from posefield.settings import settings_from_dict
from posefield.skeleton import Skeleton
from posefield.skeleton.serialize import skeleton_from_dict, skeleton_to_dict

PRIOR_FORMAT = "posefield-prior"
PRIOR_FORMAT_VERSION = 1
# kind -> (module, prior class, config dataclass); a module is imported when its kind is built.
PRIOR_KINDS: dict[str, tuple[str, str, str]] = {
    "ndf": ("posefield.prior.ndf.model", "PoseNDF", "NDFConfig"),
    "vae": ("posefield.prior.baselines.vae", "VAEPrior", "VAEConfig"),
    "gmm": ("posefield.prior.baselines.gmm", "GMMPrior", "GMMConfig"),
}
SHIPPED_PRIORS_DIR = Path(__file__).resolve().parent.parent / "assets" / "priors"
DEFAULT_PRIOR = "cmu-asf"
EXEMPLARS = 4096  # training poses stored for complete (benchmarks/applications.md: 16,384 helped on a tuning split only)


def exemplar_pick(count: int, num: int = EXEMPLARS, seed: int = 0) -> torch.Tensor:
    """(min(num, count),) increasing indices drawn without replacement from ``count`` poses (seeded)."""
    return torch.randperm(count, generator=torch.Generator().manual_seed(seed))[:num].sort().values


def exemplar_sample(poses: torch.Tensor, num: int = EXEMPLARS, seed: int = 0) -> torch.Tensor:
    """(min(num, N), K, 4) poses drawn without replacement from (N, K, 4) ``poses`` (seeded)."""
    return poses[exemplar_pick(len(poses), num, seed)].float()


def build_prior(kind: str, skeleton: Skeleton, joint_index: list[int], config: dict[str, Any]) -> PosePrior:
    """A fresh prior of ``kind`` (a key of :data:`PRIOR_KINDS`) with ``config`` fields overriding the defaults."""
    if kind not in PRIOR_KINDS:
        raise CheckpointError(f"unknown prior kind {kind!r} (expected one of {', '.join(PRIOR_KINDS)})")
    module_name, model_name, config_name = PRIOR_KINDS[kind]
    module = importlib.import_module(module_name)
    return getattr(module, model_name)(skeleton, joint_index, settings_from_dict(getattr(module, config_name), config))


def checkpoint_dict(model: PosePrior, training: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything needed to rebuild ``model`` (and, with ``training``, to resume training)."""
    out = {"format": PRIOR_FORMAT, "format_version": PRIOR_FORMAT_VERSION, "kind": model.name,
           "config": dataclasses.asdict(model.config), "skeleton": skeleton_to_dict(model.skeleton),
           "joint_index": list(model.joint_index), "model": model.state_dict()}
    if training is not None:
        out["training"] = training
    if model.stored_exemplars is not None:
        out["exemplars"] = model.stored_exemplars.detach().cpu().half()
        if model.exemplars_recorded is not None:
            out["exemplars_recorded"] = model.exemplars_recorded.detach().cpu().bool()
    return out


def save_checkpoint(path: str | Path, model: PosePrior, training: dict[str, Any] | None = None) -> None:
    """Write ``model`` (and optional training state) atomically to ``path``."""
    with atomic_path(path) as tmp:
        torch.save(checkpoint_dict(model, training), tmp)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The raw checkpoint dict; raises :class:`CheckpointError` naming the file if it is not one."""
    return read_checkpoint_file(path, PRIOR_FORMAT, PRIOR_FORMAT_VERSION, "prior")


def prior_from_checkpoint(data: dict[str, Any], path: str | Path) -> PosePrior:
    """Rebuild the prior stored in ``data`` (read from ``path``, named in errors)."""
    try:
        model = build_prior(data["kind"], skeleton_from_dict(data["skeleton"]), data["joint_index"], data["config"])
        model.load_state_dict(data["model"])
        if "exemplars" in data:
            model.stored_exemplars = exemplars_from(data["exemplars"], len(model.joint_index))
            if "exemplars_recorded" in data:
                recorded = data["exemplars_recorded"]
                if recorded.dtype != torch.bool or recorded.shape != (len(model.stored_exemplars),):
                    raise ValueError(f"exemplars_recorded of {recorded.dtype} {tuple(recorded.shape)}, "
                                     f"expected bool ({len(model.stored_exemplars)},)")
                model.exemplars_recorded = recorded
    except CheckpointError as exc:
        raise CheckpointError(f"{path}: {exc}") from None
    except Exception as exc:  # missing keys, wrong shapes, bad skeleton
        detail = " ".join(str(exc).split())[:200]
        raise CheckpointError(f"{path}: corrupt prior checkpoint ({type(exc).__name__}: {detail})") from None
    return model.eval()


def exemplars_from(stored: torch.Tensor, num_joints: int) -> torch.Tensor:
    """(M, K, 4) float32 unit quaternions from a checkpoint's stored exemplars (checked)."""
    if stored.ndim != 3 or stored.shape[1:] != (num_joints, 4):
        raise ValueError(f"exemplars of shape {tuple(stored.shape)}, expected (M, {num_joints}, 4)")
    quats = stored.float()
    if not torch.isfinite(quats).all():
        raise ValueError("exemplars hold NaN or inf")
    return quats / quats.norm(dim=-1, keepdim=True).clamp(min=1e-6)


def load_checkpoint(path: str | Path) -> PosePrior:
    """The prior saved at ``path`` (in eval mode, on the CPU)."""
    return prior_from_checkpoint(read_checkpoint(path), path)


def shipped_priors() -> list[str]:
    """Names of the priors shipped with posefield (``posefield/assets/priors/NAME.pt``)."""
    return sorted(p.stem for p in SHIPPED_PRIORS_DIR.glob("*.pt"))


def prior_path(name_or_path: str | Path) -> Path:
    """The checkpoint file of a shipped prior's name (``"cmu-asf"``) or of a path.

    Raises:
        CheckpointError: neither a shipped prior nor an existing file (one line).
    """
    shipped = SHIPPED_PRIORS_DIR / f"{name_or_path}.pt"
    if isinstance(name_or_path, str) and "/" not in name_or_path and shipped.is_file():
        return shipped
    path = Path(name_or_path)
    if not path.is_file():
        raise CheckpointError(f"no prior named {str(name_or_path)!r}: not a shipped prior "
                              f"({', '.join(shipped_priors()) or 'none installed'}) nor a checkpoint file")
    return path


def load_prior(name_or_path: str | Path = DEFAULT_PRIOR) -> PosePrior:
    """A shipped prior by name (``"cmu-asf"``, ``"daz-bvh"``) or a checkpoint by path.

    Raises:
        CheckpointError: unknown name, missing, corrupt or foreign file (one line).
    """
    return load_checkpoint(prior_path(name_or_path))
