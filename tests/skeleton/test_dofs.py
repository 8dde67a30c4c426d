"""The rotations a rig's channels reach: poses made from channels stay, others move onto them."""
import torch

from posefield.rotations import geodesic_angles, random_unit_quaternions
from posefield.skeleton.dofs import RigDofs
from tests.rigs import channel_poses, leg_with_hinges as rig


def test_joints_with_fewer_channels_are_restricted():
    dofs = RigDofs(rig(), [1, 2, 3])
    assert dofs.restricted and dofs.one.tolist() == [1] and dofs.two.tolist() == [2]
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
