"""Regressor checkpoints: one ``.pt`` file holding architecture, weights, skeleton and keypoints.

Layout (a dict read with ``torch.load(weights_only=True)``, so loading runs no pickled code)::

    format: "posefield-regressor", format_version: 1,
    config: RegressorConfig fields, skeleton: skeleton_to_dict(...), keypoints: [names],
    model: state_dict (floating-point tensors stored as float16 to keep shipped files small),
    training: {...}   # the record of :func:`posefield.regress.train.train_model`, plus the command

Shipped models live in ``posefield/assets/regress/<rig>-<kind>.pt`` (``cmu-asf-hkmr``, ``cmu-asf-flat``).
"""
from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch

from posefield.errors import CheckpointError
from posefield.io.atomic import atomic_path
from posefield.io.checkpoint_file import read_checkpoint_file
from posefield.regress.model import REGRESSORS, RegressionModel, build_model
from posefield.regress.regressor import RegressorConfig
from posefield.settings import settings_from_dict
from posefield.skeleton.serialize import skeleton_from_dict, skeleton_to_dict

REGRESSOR_FORMAT = "posefield-regressor"
REGRESSOR_FORMAT_VERSION = 1
SHIPPED_MODELS_DIR = Path(__file__).resolve().parent.parent / "assets" / "regress"


def save_model(path: str | Path, model: RegressionModel, training: dict[str, Any] | None = None) -> None:
    """Write ``model`` (and its training record) atomically to ``path``."""
    state = {k: v.half() if v.is_floating_point() else v for k, v in model.regressor.state_dict().items()}
    data = {"format": REGRESSOR_FORMAT, "format_version": REGRESSOR_FORMAT_VERSION, "config": dataclasses.asdict(model.regressor.config),
            "skeleton": skeleton_to_dict(model.body.skeleton), "keypoints": list(model.keypoint_names),
            "model": state, "training": training or {}}
    with atomic_path(path) as tmp:
        torch.save(data, tmp)


def read_regressor_checkpoint(path: str | Path) -> dict[str, Any]:
    """The raw checkpoint dict; raises :class:`CheckpointError` naming the file if it is not one."""
    return read_checkpoint_file(path, REGRESSOR_FORMAT, REGRESSOR_FORMAT_VERSION, "regressor")


def load_model(name_or_path: str | Path) -> RegressionModel:
    """A shipped model by name (``"cmu-asf-hkmr"``) or a checkpoint by path, in eval mode.

    Raises:
        CheckpointError: unknown name, missing, corrupt or foreign file (one line).
    """
    shipped = SHIPPED_MODELS_DIR / f"{name_or_path}.pt"
    path = shipped if isinstance(name_or_path, str) and "/" not in name_or_path and shipped.is_file() else Path(name_or_path)
    return model_from_checkpoint(read_regressor_checkpoint(path), path)


def model_from_checkpoint(data: dict[str, Any], path: str | Path) -> RegressionModel:
    """The model in a checkpoint dict from :func:`read_regressor_checkpoint` of ``path``, in eval mode (a checkpoint
    from before ``feedback`` existed reads none);
    raises :class:`CheckpointError` (one line) when its parts do not fit together."""
    try:
        model = build_model(skeleton_from_dict(data["skeleton"]), list(data["keypoints"]),
                            settings_from_dict(RegressorConfig, data["config"], {RegressorConfig: {"feedback": False}}))
        model.regressor.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in data["model"].items()})
    except Exception as exc:  # missing keys, wrong shapes, bad skeleton or kind
        raise CheckpointError(f"{path}: corrupt regressor checkpoint ({type(exc).__name__}: "
                              f"{' '.join(str(exc).split())[:200]})") from None
    model.regressor.eval()
    return model


def shipped_models() -> list[str]:
    """Names of the shipped regressors (``<rig>-<kind>``)."""
    return sorted(p.stem for p in SHIPPED_MODELS_DIR.glob("*.pt"))


def model_for(spec: str, joint_names: list[str]) -> RegressionModel:
    """The model ``spec`` names: a kind (``hkmr``/``flat``: the shipped model of that kind reading
    the most of ``joint_names``), a shipped name or a checkpoint path."""
    if spec not in REGRESSORS:
        return load_model(spec)
    candidates = [load_model(name) for name in shipped_models() if name.endswith(f"-{spec}")]
    if not candidates:
        raise CheckpointError(f"no shipped {spec!r} regressor is installed (shipped: {', '.join(shipped_models()) or 'none'})")
    return max(candidates, key=lambda m: len(set(m.keypoint_names) & set(joint_names)))
