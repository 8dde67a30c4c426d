"""Pose interpolation (Pose-NDF §4.4): walk from pose A to pose B, projecting every step; or,
for a prior with a latent space (the VAE, as VPoser interpolates), walk along the line between
the two poses' codes and decode; or slerp."""
from __future__ import annotations

import numpy as np
import roma
import torch

from posefield.errors import InvalidPoseError, PosefieldError, SkeletonMismatchError
from posefield.fit.manifold import project_to_manifold
from posefield.motion import Motion
from posefield.prior.base import PosePrior
from posefield.prior.registry import check_compatible

INTERPOLATION_METHODS = ("ndf", "latent", "slerp")


def pick_frame(motion: Motion, frame: int) -> Motion:
    """The one-frame motion of ``motion``'s frame ``frame`` (negative counts from the end)."""
    if not -motion.num_frames <= frame < motion.num_frames:
        where = motion.source.get("path", "the motion")
        raise InvalidPoseError(f"{where}: frame {frame} is out of range (it has {motion.num_frames} frames)")
    index = frame % motion.num_frames
    return motion.slice(slice(index, index + 1))


def slerp_path(start: torch.Tensor, end: torch.Tensor, num_frames: int) -> torch.Tensor:
    """(N, ..., 4) spherical linear interpolation from ``start`` to ``end`` ((..., 4) quaternions)."""
    steps = torch.linspace(0, 1, num_frames, dtype=start.dtype)
    return roma.unitquat_slerp(start, end, steps, shortest_arc=True)


def projected_path(prior: PosePrior, start: torch.Tensor, end: torch.Tensor, num_frames: int) -> torch.Tensor:
    """(N, K, 4) the paper's scheme: θ_t = slerp(θ'_{t−1}, θ_end, τ_t), θ'_t = project(θ_t),
    with τ_t = 1 / (N − 1 − (t − 1)) so that the last frame reaches ``end`` (without projection
    this is plain slerp); the first and last frames are ``start`` and ``end`` exactly.

    Args:
        start, end: (K, 4) unit quaternions over ``prior.joint_index``.
    """
    path = [start]
    for t in range(1, num_frames - 1):
        step = roma.unitquat_slerp(path[-1], end, torch.tensor([1.0 / (num_frames - t)], dtype=start.dtype),
                                   shortest_arc=True)
        path.append(project_to_manifold(prior, step.to(torch.float32)).to(start.dtype)[0])
    path.append(end)
    return torch.stack(path)


@torch.no_grad()
def latent_path(prior: PosePrior, start: torch.Tensor, end: torch.Tensor, num_frames: int) -> torch.Tensor:
    """(N, K, 4) decoded poses along the straight line between the posterior means of ``start``
    and ``end`` ((K, 4) quaternions over ``prior.joint_index``) in the prior's latent space; the
    first and last frames are ``start`` and ``end`` exactly.

    Raises:
        PosefieldError: the prior has no latent space (no ``encode``/``decode``).
    """
    if not (hasattr(prior, "encode") and hasattr(prior, "decode")):
        raise PosefieldError(f"the {prior.name!r} prior has no latent space to interpolate in (use --prior vae)")
    ends = torch.stack([start, end]).to(prior.dtype)
    codes, _ = prior.encode(roma.unitquat_to_rotmat(ends))
    steps = torch.linspace(0, 1, num_frames, dtype=codes.dtype)[:, None]
    decoded = roma.rotmat_to_unitquat(prior.decode((1 - steps) * codes[0] + steps * codes[1])).to(start.dtype)
    decoded[0], decoded[-1] = start, end
    return decoded


def interpolate(a: Motion, b: Motion, num_frames: int, prior: PosePrior, method: str = "ndf") -> Motion:
    """A motion of ``num_frames`` frames from the first frame of ``a`` to the first frame of ``b``.

    The prior's joints follow :func:`projected_path` (``method="ndf"``), :func:`latent_path`
    (``"latent"``) or slerp; every other
    joint (the global orientation included) is slerped and the root translation is linear.

    Args:
        a, b: motions of one skeleton (see :func:`pick_frame` to choose frames).
        num_frames: N ≥ 2.
        prior: pose prior of the rig (not used by ``"slerp"``).
        method: ``"ndf"``, ``"latent"`` (priors with a latent space) or ``"slerp"``.
    Returns:
        A motion of N frames at ``a``'s frame rate whose ends equal the inputs.
    """
    if method not in INTERPOLATION_METHODS:
        raise ValueError(f"unknown interpolation method {method!r} (expected one of {', '.join(INTERPOLATION_METHODS)})")
    if num_frames < 2:
        raise InvalidPoseError(f"interpolation needs at least 2 frames, got {num_frames}")
    if a.skeleton.signature() != b.skeleton.signature():
        raise SkeletonMismatchError("the two poses to interpolate come from different skeletons")
    check_compatible(prior, a.skeleton)
    qa, qb = torch.as_tensor(a.rotations[0]), torch.as_tensor(b.rotations[0])
    rotations = slerp_path(qa, qb, num_frames)
    rotations[0], rotations[-1] = qa, qb
    if method != "slerp" and prior.joint_index:
        joints = prior.joint_index
        path = projected_path if method == "ndf" else latent_path
        rotations[:, joints] = path(prior, qa[joints], qb[joints], num_frames)
    steps = np.linspace(0, 1, num_frames)[:, None]
    translation = (1 - steps) * a.root_translation[0] + steps * b.root_translation[0]
    return Motion(a.skeleton, rotations.numpy(), translation, a.fps,
                  {**a.source, "interpolated_with": method if method == "slerp" else prior.name})
