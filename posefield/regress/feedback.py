"""Reprojection feedback: where the current estimate puts the keypoints, against where they were seen.

For an estimate (rotations, weak-perspective camera (log s, tx, ty), proportions β) the
observed points are posed and projected into crop units the way the camera is defined
(:mod:`posefield.regress.camera`): x̂ = t + s · (X, Y), with (X, Y, Z) root-relative in the
camera frame, metres. The feedback is the residual x − x̂ of every visible keypoint (zero
where hidden), (B, 2P) crop units. It is computed without gradient: to the regressor it is
an observation of how the estimate lines up with the image, like Φ.

HKMR reads it before every chain iteration, after the chain's ancestors have been updated
in the same outer iteration, so a limb's regressor sees its own misalignment given settled
parents and its own last step; the flat regressor reads it once per iteration
(:class:`posefield.regress.regressor.RegressorConfig`, ``feedback``).
"""
from __future__ import annotations

import torch
from torch import nn

from posefield.regress.body import Body
from posefield.regress.params import Estimate
from posefield.skeleton import Skeleton, forward_kinematics


def ancestors_of(parents: tuple[int, ...], points: list[int]) -> list[int]:
    """Increasing indices of ``points`` and all their ancestors in a tree given by ``parents``."""
    keep: set[int] = set()
    for p in points:
        while p >= 0 and p not in keep:
            keep.add(p)
            p = parents[p]
    return sorted(keep)


class ReprojectionFeedback(nn.Module):
    """Residuals of the observed keypoints under an estimate (see the module docstring).

    Args:
        body: the regressor's body.
        keypoints: (P,) long rows of the observed points among the body's joints and end sites.
    """

    def __init__(self, body: Body, keypoints: torch.Tensor):
        super().__init__()
        parents = body.extended.parents
        keep = ancestors_of(parents, keypoints.tolist())
        new = {old: i for i, old in enumerate(keep)}
        self.skeleton = Skeleton(names=tuple(body.extended.names[j] for j in keep),
                                 parents=tuple(new[parents[j]] if parents[j] >= 0 else -1 for j in keep),
                                 offsets=body.extended.offsets[keep], channels=tuple(() for _ in keep))
        regressed = {int(j): r for r, j in enumerate(body.regressed)}
        identity = len(regressed)  # rotation row appended as the identity
        self.register_buffer("rotation_rows", torch.as_tensor([regressed.get(j, identity) for j in keep]),
                             persistent=False)
        self.register_buffer("offsets", body.offsets[keep], persistent=False)
        self.register_buffer("offset_chain", body.offset_chain[keep], persistent=False)
        self.register_buffer("rows", torch.as_tensor([new[int(p)] for p in keypoints]), persistent=False)

    @property
    def size(self) -> int:
        """2P: the feedback's width."""
        return 2 * len(self.rows)

    @torch.no_grad()
    def forward(self, estimate: Estimate, inputs: torch.Tensor) -> torch.Tensor:
        """(B, 2P) residuals, crop units.

        Args:
            estimate: the current estimate of B samples.
            inputs: (B, P, 3) keypoint encoder inputs: crop x, crop y, confidence (0: hidden).
        """
        rotmats = estimate.rotmats()
        eye = torch.eye(3, dtype=rotmats.dtype, device=rotmats.device).expand(rotmats.shape[0], 1, 3, 3)
        rotations = torch.cat([rotmats, eye], dim=1)[:, self.rotation_rows]
        offsets = self.offsets.to(rotmats.dtype) * estimate.beta.exp()[:, self.offset_chain, None]
        points = forward_kinematics(self.skeleton, rotations, rotmats.new_zeros(rotmats.shape[0], 3), offsets)
        projected = estimate.camera[:, 1:, None] + estimate.camera[:, :1, None].exp() * points[:, self.rows, :2].transpose(1, 2)
        residual = torch.where(inputs[..., 2:] > 0, inputs[..., :2] - projected.transpose(1, 2), 0.0)
        return residual.reshape(residual.shape[0], -1)
