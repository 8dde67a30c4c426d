"""Unit-quaternion helpers (scalar-last ``x, y, z, w``, roma's convention)."""
from __future__ import annotations

import torch

from posefield.errors import InvalidPoseError


def hemisphere_sign(q: torch.Tensor) -> torch.Tensor:
    """(..., 4) quaternions -> (..., 1) signs ±1 that take each to the hemisphere ``w >= 0``
    (q and -q are the same rotation): -1 where ``w < 0``. Ties at ``w == 0`` are broken by the
    first non-zero of (x, y, z) being positive, so the signed quaternion is a function of the
    rotation alone."""
    key = q[..., 3]
    if bool((key == 0).any()):
        for axis in (0, 1, 2):
            key = torch.where(key == 0, q[..., axis], key)
    return torch.where(key < 0, -1.0, 1.0).unsqueeze(-1).to(q.dtype)


def canonical_hemisphere(q: torch.Tensor) -> torch.Tensor:
    """Map each quaternion to the hemisphere ``w >= 0`` (:func:`hemisphere_sign`).

    Args:
        q: (..., 4) unit quaternions.
    Returns:
        (..., 4) quaternions with the same rotations.
    """
    return q * hemisphere_sign(q)


def quaternion_dot(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """(..., 4) and (..., 4) quaternions -> (..., 1) their 4D dot products.

    A matrix product with a column of ones: on CPU a sum over a last dimension of 4 takes about
    three times as long (``benchmarks/speed.md``)."""
    return (a * b) @ a.new_ones(4, 1)


def normalize_quaternions(q: torch.Tensor) -> torch.Tensor:
    """q / |q| for (..., 4) quaternions (one ``rsqrt`` of a dot product: a norm over a last
    dimension of 4 is several times slower on CPU, forward and backward)."""
    return q * torch.rsqrt(quaternion_dot(q, q))


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


def rotmat_entries(x: torch.Tensor, y: torch.Tensor, z: torch.Tensor, w: torch.Tensor) -> list[torch.Tensor]:
    """The nine entries of the rotation matrices of unit quaternions given by their components
    (any equal shapes), row by row: R11, R12, R13, R21, …, R33 (no normalisation)."""
    xx, yy, zz, ww = x * x, y * y, z * z, w * w
    xy, zw, xz, yw, yz, xw = x * y, z * w, x * z, y * w, y * z, x * w
    return [xx - yy - zz + ww, 2 * (xy - zw), 2 * (xz + yw),
            2 * (xy + zw), -xx + yy - zz + ww, 2 * (yz - xw),
            2 * (xz - yw), 2 * (yz + xw), -xx - yy + zz + ww]


def quaternion_to_rotmat(q: torch.Tensor) -> torch.Tensor:
    """(..., 4) unit quaternions (xyzw) -> (..., 3, 3) rotation matrices (no normalisation)."""
    return torch.stack(rotmat_entries(*q.unbind(-1)), dim=-1).unflatten(-1, (3, 3))


def rotmat_to_quaternion(rot: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) rotation matrices -> (..., 4) unit quaternions (xyzw, either sign).

    Of the four vectors 4 q_i q readable from the matrix (Markley, 2008), the one with the
    largest q_i² is normalised (a unit result even for slightly non-orthonormal input).
    """
    (a11, a12, a13), (a21, a22, a23), (a31, a32, a33) = (row.unbind(-1) for row in rot.unbind(-2))
    candidates = torch.stack([
        torch.stack([1 + a11 - a22 - a33, a21 + a12, a13 + a31, a32 - a23], dim=-1),
        torch.stack([a21 + a12, 1 + a22 - a33 - a11, a32 + a23, a13 - a31], dim=-1),
        torch.stack([a13 + a31, a32 + a23, 1 + a33 - a11 - a22, a21 - a12], dim=-1),
        torch.stack([a32 - a23, a13 - a31, a21 - a12, 1 + a11 + a22 + a33], dim=-1)], dim=-2)
    best = candidates.diagonal(dim1=-2, dim2=-1).argmax(dim=-1)
    chosen = torch.gather(candidates, -2, best[..., None, None].expand(*best.shape, 1, 4))[..., 0, :]
    return chosen / chosen.norm(dim=-1, keepdim=True)


def random_unit_quaternions(shape: tuple[int, ...], generator: torch.Generator | None = None,
                            dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Uniformly random rotations as canonical unit quaternions, shape (*shape, 4)."""
    import roma  # imports torch._dynamo (seconds): only where needed

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
