"""3D pose errors: MPJPE (protocol 1) and PA-MPJPE (protocol 2, after Procrustes alignment)."""
from __future__ import annotations

import torch


def mpjpe(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """(B,) mean per-joint position error in millimetres of (B, P, 3) root-relative points in metres."""
    return 1000 * (pred - truth).norm(dim=-1).mean(dim=-1)


def procrustes_align(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """(B, P, 3) ``pred`` moved by the similarity transform (rotation, scale, translation) that
    brings it closest to ``truth`` in the least-squares sense (Umeyama)."""
    pred, truth = pred.double(), truth.double()
    mu_p, mu_t = pred.mean(dim=1, keepdim=True), truth.mean(dim=1, keepdim=True)
    p, t = pred - mu_p, truth - mu_t
    u, s, vh = torch.linalg.svd(p.transpose(1, 2) @ t)
    sign = torch.ones_like(s)
    sign[:, -1] = torch.sign(torch.linalg.det(u @ vh))
    rotation = u @ torch.diag_embed(sign) @ vh  # row vectors: p @ rotation ≈ t
    scale = (s * sign).sum(dim=1) / p.square().sum(dim=(1, 2)).clamp(min=1e-12)
    return scale[:, None, None] * p @ rotation + mu_t


def pa_mpjpe(pred: torch.Tensor, truth: torch.Tensor) -> torch.Tensor:
    """(B,) MPJPE in millimetres after Procrustes alignment of ``pred`` to ``truth``."""
    return mpjpe(procrustes_align(pred, truth).to(truth.dtype), truth)
