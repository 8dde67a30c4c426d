"""Unit-quaternion helpers (scalar-last ``x, y, z, w``, roma's convention)."""
from __future__ import annotations

import roma
import torch

from posefield.errors import InvalidPoseError


def canonical_hemisphere(q: torch.Tensor) -> torch.Tensor:
    """Map each quaternion to the hemisphere ``w >= 0`` (q and -q are the same rotation).

    Ties at ``w == 0`` are broken by the first non-zero of (x, y, z) being positive, so the
    result is a function of the rotation alone.

    Args:
        q: (..., 4) unit quaternions.
    Returns:
        (..., 4) quaternions with the same rotations.
    """
    key = q[..., 3]
    if bool((key == 0).any()):
        for axis in (0, 1, 2):
            key = torch.where(key == 0, q[..., axis], key)
    return q * torch.where(key < 0, -1.0, 1.0).unsqueeze(-1)


def normalize_quaternions(q: torch.Tensor) -> torch.Tensor:
    """q / |q| for (..., 4) quaternions (one ``rsqrt`` of a sum: a norm over a last dimension of
    4 is several times slower on CPU, forward and backward)."""
    return q * torch.rsqrt((q * q).sum(-1, keepdim=True))


def check_unit_quaternions(q: torch.Tensor, tol: float = 1e-3, what: str = "pose") -> None:
    """Raise :class:`InvalidPoseError` unless ``q`` is finite (..., 4) with unit norm.

    Args:
        q: (..., 4) quaternions.
        tol: allowed deviation of the norm from 1.
        what: name used in the error message.
    """
    if q.ndim < 1 or q.shape[-1] != 4:
        raise InvalidPoseError(f"{what}: expected quaternions of shape (..., 4), got {tuple(q.shape)}")
    if not torch.isfinite(q).all():
        raise InvalidPoseError(f"{what}: contains NaN or inf")
    norm_error = (q.norm(dim=-1) - 1).abs()
    if norm_error.numel() and norm_error.max() > tol:
        raise InvalidPoseError(f"{what}: quaternions are not unit (max |norm-1| = {norm_error.max():.3g})")


def random_unit_quaternions(shape: tuple[int, ...], generator: torch.Generator | None = None,
                            dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Uniformly random rotations as canonical unit quaternions, shape (*shape, 4)."""
    q = torch.randn(*shape, 4, generator=generator, dtype=dtype)
    return canonical_hemisphere(roma.quat_normalize(q))


def quaternion_mean(quats: torch.Tensor, dim: int = 0) -> torch.Tensor:
    """Sign-invariant mean of unit quaternions along ``dim``: the principal eigenvector of Σ q qᵀ
    (the rotation minimising the summed squared chordal distances; Markley et al., 2007).

    Args:
        quats: (..., N, ..., 4) unit quaternions (xyzw), either sign.
        dim: the dimension averaged over (not the last).
    Returns:
        quats with ``dim`` removed: unit quaternions (w ≥ 0), in the input's dtype.
    """
    q = quats.movedim(dim, -2).double()
    scatter = torch.einsum("...ni,...nj->...ij", q, q)
    return canonical_hemisphere(torch.linalg.eigh(scatter).eigenvectors[..., -1]).to(quats.dtype)
