"""The regressed parameters and how they are laid out in one flat vector.

Parameters: the rotations of the R regressed joints (root = global orientation in the camera
frame, then every joint with a rotation channel) in the continuous 6D representation (the
first two columns of the rotation matrix, turned back into a rotation by Gram–Schmidt), a
weak-perspective camera (log s, tx, ty) in crop units (:mod:`posefield.regress.camera`) and
the proportions β (C,) (:mod:`posefield.regress.body`).

The flat vector Θ concatenates the chains in chain order: chain c contributes the 6D values
of its regressed joints in skeleton order, and the root chain then the 3 camera values.
"""
from __future__ import annotations

import dataclasses

import roma
import torch

from posefield.regress.body import Body
from posefield.regress.chains import ROOT_CHAIN

CAMERA_DIM = 3


def rot6d_to_rotmat(rot6d: torch.Tensor) -> torch.Tensor:
    """(..., 6) 6D values -> (..., 3, 3) rotation matrices (Gram–Schmidt of two columns)."""
    return roma.special_gramschmidt(rot6d.reshape(*rot6d.shape[:-1], 3, 2))


def rotmat_to_rot6d(rotmat: torch.Tensor) -> torch.Tensor:
    """(..., 3, 3) rotation matrices -> (..., 6) first two columns, row-major."""
    return rotmat[..., :, :2].reshape(*rotmat.shape[:-2], 6)


@dataclasses.dataclass
class Estimate:
    """One estimate of the parameters of B samples.

    Attributes:
        rot6d: (B, R, 6) rotations of the regressed joints.
        camera: (B, 3) weak-perspective camera (log s, tx, ty), crop units.
        beta: (B, C) proportions (log-scales).
    """

    rot6d: torch.Tensor
    camera: torch.Tensor
    beta: torch.Tensor

    def rotmats(self) -> torch.Tensor:
        """(B, R, 3, 3) rotation matrices."""
        return rot6d_to_rotmat(self.rot6d)


@dataclasses.dataclass(eq=False)
class ParamLayout:
    """Where each chain's parameters sit in the flat vector Θ.

    Attributes:
        rows: per chain, the rows of the regressed-joint list (0..R-1) it owns.
        slices: per chain, its slice of Θ.
        order: (R * 6,) long, picks the 6D values out of Θ in regressed-joint order.
        camera: slice of the camera within Θ.
    """

    rows: list[list[int]]
    slices: list[slice]
    order: torch.Tensor
    camera: slice

    @classmethod
    def of(cls, body: Body) -> "ParamLayout":
        regressed = body.regressed.tolist()
        rows = [[regressed.index(j) for j in chain.joints if j in regressed] for chain in body.chains]
        slices, position, where = [], 0, {}
        for c, chain_rows in enumerate(rows):
            for i, row in enumerate(chain_rows):
                where[row] = position + 6 * i
            size = 6 * len(chain_rows) + (CAMERA_DIM if c == ROOT_CHAIN else 0)
            slices.append(slice(position, position + size))
            position += size
        order = torch.as_tensor([where[r] + k for r in range(len(regressed)) for k in range(6)])
        camera_start = slices[ROOT_CHAIN].stop - CAMERA_DIM
        return cls(rows, slices, order, slice(camera_start, camera_start + CAMERA_DIM))

    @property
    def size(self) -> int:
        """Length of Θ: 6 R + 3."""
        return self.slices[-1].stop if self.slices else 0

    def unpack(self, theta: torch.Tensor, beta: torch.Tensor) -> Estimate:
        """Estimate from (B, size) Θ and (B, C) β."""
        rot6d = theta[:, self.order].reshape(theta.shape[0], -1, 6)
        return Estimate(rot6d, theta[:, self.camera], beta)

    def pack(self, estimate: Estimate) -> torch.Tensor:
        """(B, size) Θ of an estimate (inverse of :meth:`unpack`)."""
        batch = estimate.rot6d.shape[0]
        theta = estimate.rot6d.new_zeros(batch, self.size)
        theta[:, self.order] = estimate.rot6d.reshape(batch, -1)
        theta[:, self.camera] = estimate.camera
        return theta
