"""The rotations a rig's channels reach: poses made from channels stay, others move onto them."""
import pytest
import torch

from posefield.prior.registry import get_prior
from posefield.rotations import geodesic_angles, random_unit_quaternions
from posefield.skeleton.dofs import RigDofs
from tests.rigs import channel_poses, leg_with_hinges as rig, poses_with_hard_cases


def test_joints_with_fewer_channels_are_restricted():
    dofs = RigDofs(rig(), [1, 2, 3])
    assert dofs.restricted and dofs.joints.tolist() == [1, 2] and dofs.num_one == 1
    assert not RigDofs(rig(), [1]).restricted


def test_channel_poses_are_reachable():
    skeleton = rig()
    poses = channel_poses(skeleton, 200)
    projected, off = RigDofs(skeleton, [1, 2, 3])(poses)
    assert off.max() < 1e-3
    assert geodesic_angles(projected, poses).max() < 1e-3


def test_projection_is_reachable_and_no_farther_than_channel_poses():
    skeleton = rig()
    dofs = RigDofs(skeleton, [1, 2, 3])
    poses = random_unit_quaternions((100, 3), torch.Generator().manual_seed(0))
    projected, off = dofs(poses)
    assert torch.equal(projected[:, 0], poses[:, 0]) and off[:, 0].max() < 1e-3  # three channels: free
    assert off[:, 1:].min() > 0
    assert dofs(projected)[1].max() < 1e-3  # already reachable
    assert torch.allclose(off, geodesic_angles(projected, poses), atol=1e-3)  # float32 arccos near 1
    candidates = channel_poses(skeleton, 4000, seed=1)  # reachable poses: none is closer
    brute = geodesic_angles(poses[:, None, 1:], candidates[None, :, 1:]).min(dim=1).values
    assert (off[:, 1:] <= brute + 1e-4).all()


def _projection_and_gradient(dofs: RigDofs, poses: torch.Tensor, train: bool, seed: int = 13):
    """Projection, half-angles and the gradient at the poses of a random linear function of both."""
    g = torch.Generator().manual_seed(seed)
    dofs.train(train)
    x = poses.clone().requires_grad_()
    reachable, off = dofs(x)
    up_reachable = torch.randn(reachable.shape, generator=g, dtype=poses.dtype)
    up_off = torch.randn(off.shape, generator=g, dtype=poses.dtype)
    grad, = torch.autograd.grad((reachable * up_reachable).sum() + (off * up_off).sum(), x)
    return reachable.detach(), off.detach(), grad


@pytest.mark.parametrize("name", ["cmu-asf", "daz-bvh"])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_written_out_derivative_matches_autograd_on_the_shipped_rigs(name, dtype):
    """Eval mode (the rig-set step's derivative by hand) against train mode (autograd through the
    same forward), on random poses, the hemispheres' border, the reachable set and channel
    values at the branch corners: equal results, gradients equal to rounding."""
    prior = get_prior(name)
    dofs = RigDofs(prior.skeleton, prior.joint_index).to(dtype)
    poses = poses_with_hard_cases(dofs, prior.skeleton, prior.joint_index, 200, dtype)
    fast, plain = (_projection_and_gradient(dofs, poses, train) for train in (False, True))
    assert torch.equal(fast[0], plain[0]) and torch.equal(fast[1], plain[1])
    # float32: the two orders of rounding differ by up to ~4e-5 at the corner poses (the prior's
    # own gradient stays within 1e-5: tests/prior/test_ndf_model.py)
    tol = 1e-10 if dtype == torch.float64 else 1e-4
    scale = plain[2].abs().clamp(min=1.0)  # near the set's singular poses gradients reach ~1e3
    assert ((fast[2] - plain[2]).abs() / scale).max() < tol
    assert dofs.restricted == (name == "cmu-asf")


def test_written_out_derivative_is_once_differentiable():
    dofs = RigDofs(rig(), [1, 2, 3]).eval()
    x = random_unit_quaternions((8, 3), torch.Generator().manual_seed(14)).requires_grad_()
    grad, = torch.autograd.grad(dofs(x)[1].sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable|does not require grad"):
        grad.sum().backward()
