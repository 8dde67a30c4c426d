"""The Pose-NDF network: sign invariance, input checks, skeleton checks, gradients."""
import copy
import dataclasses

import numpy as np
import pytest
import roma
import torch

from .ndf_data import TINY_MODEL, random_tree, tree  # noqa: F401  (fixtures)
from posefield.errors import InvalidPoseError, SkeletonMismatchError
from posefield.prior.checkpoint import save_checkpoint
from posefield.prior.ndf.losses import NDFObjective, in_metric, metric_gradient, metric_norm
from posefield.prior.ndf.model import PoseNDF, _on_and_off_set, depth_levels
from posefield.prior.registry import get_prior
from posefield.rotations import canonical_hemisphere, pose_distance, random_unit_quaternions
from posefield.rotations.axis_sets import closest_about_axis, closest_two_axis
from posefield.rotations.distance import smooth_geodesic_angles
from posefield.rotations.euler import AXIS_INDEX, rotation_order
from tests.rigs import channel_poses, leg_with_hinges, poses_with_hard_cases


@pytest.fixture()
def model(tree):
    torch.manual_seed(0)
    return PoseNDF(tree.skeleton, tree.joint_index, TINY_MODEL)


def test_depth_levels():
    assert depth_levels([-1, 0, 0, 1, -1, 4]) == [[0, 4], [1, 2, 5], [3]]
    with pytest.raises(ValueError):
        depth_levels([1, -1])


def test_hemisphere_invariance(model):
    q = random_unit_quaternions((64, model.num_joints), torch.Generator().manual_seed(0))
    flip = torch.where(torch.rand(64, model.num_joints, 1) < 0.5, -1.0, 1.0)
    f = model.energy(q)
    assert (f >= 0).all() and f.shape == (64,)
    assert torch.allclose(model.energy(-q), f) and torch.allclose(model.energy(q * flip), f)


def test_joint_is_encoded_with_its_ancestors_only(model):
    """Changing a leaf joint changes f only through that leaf's feature: the encoder follows the tree."""
    q = random_unit_quaternions((1, model.num_joints), torch.Generator().manual_seed(1))
    leaf = max(range(model.num_joints), key=lambda k: k not in model.parents)
    feats = model.encoder(q).view(model.num_joints, -1)
    q2 = q.clone()
    q2[0, leaf] = random_unit_quaternions((1,), torch.Generator().manual_seed(2))[0]
    changed = (model.encoder(q2).view(model.num_joints, -1) != feats).any(dim=1)
    assert changed.nonzero().flatten().tolist() == [leaf]


@pytest.mark.parametrize("bad, message", [
    (lambda q: q * 1.1, "not unit"),
    (lambda q: torch.where(torch.arange(4) == 0, torch.nan, q), "NaN"),
    (lambda q: q[:, :-1], "shape"),
])
def test_invalid_poses_are_rejected_in_one_line(model, bad, message):
    q = random_unit_quaternions((3, model.num_joints), torch.Generator().manual_seed(0))
    with pytest.raises(InvalidPoseError, match=message) as err:
        model.energy(bad(q))
    assert "\n" not in str(err.value)


def test_other_skeleton_is_rejected(model, tree):
    model.check_skeleton(tree.skeleton)
    with pytest.raises(SkeletonMismatchError) as err:
        model.check_skeleton(random_tree(prefix="other"))
    assert "\n" not in str(err.value)


def test_metric_gradient_of_a_true_distance_has_unit_norm():
    """f(θ) = d(θ, θ0) is an exact distance function: its gradient in the distance's metric has norm 1."""
    g = torch.Generator().manual_seed(3)
    w = torch.rand(5) + 0.5
    target, q = random_unit_quaternions((1, 5), g), random_unit_quaternions((100, 5), g)
    q = q.requires_grad_(True)
    unit = q / q.norm(dim=-1, keepdim=True)  # as the model does: radial part of the gradient vanishes
    grad = metric_gradient(pose_distance(unit, target, w), q, w)
    assert torch.allclose(metric_norm(grad, w), torch.ones(100), atol=1e-4)
    assert (grad * q).sum(-1).abs().max() < 1e-5  # tangent to every joint's sphere


def test_loss_parts_are_finite_and_differentiable(model):
    g = torch.Generator().manual_seed(4)
    noisy, clean = random_unit_quaternions((32, model.num_joints), g), random_unit_quaternions((8, model.num_joints), g)
    total, parts = NDFObjective(model, eikonal_fraction=0.5)(noisy, torch.rand(32), clean)
    total.backward()
    assert set(parts) == {"distance", "eikonal", "zero"} and all(torch.isfinite(torch.tensor(list(parts.values()))))
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def _hinged_leg_prior(rig_dofs: bool = True) -> PoseNDF:
    torch.manual_seed(0)
    return PoseNDF(leg_with_hinges(), [1, 2, 3], dataclasses.replace(TINY_MODEL, rig_dofs=rig_dofs))


def test_distance_off_the_rig_set_adds_to_the_learned_part_at_a_right_angle():
    model = _hinged_leg_prior()
    q = random_unit_quaternions((64, 3), torch.Generator().manual_seed(3))
    reachable, off = model.dofs(q)
    off_set = (0.5 * model.weights * off.square()).sum(-1)
    f = model.energy(q)
    assert torch.allclose(f.square(), model.field(reachable).square() + off_set, atol=1e-5)
    assert (f >= off_set.sqrt() - 1e-6).all()
    poses = channel_poses(model.skeleton, 64)  # reachable: the network alone
    assert torch.allclose(model.energy(poses), model.field(poses), atol=1e-5)
    plain = _hinged_leg_prior(rig_dofs=False)
    assert plain.dofs is None and torch.allclose(plain.energy(q), plain.field(q))


def test_rig_set_distance_has_finite_second_order_gradients():
    """Projection and the eikonal loss differentiate f twice, on and off the reachable set."""
    model = _hinged_leg_prior()
    poses = torch.cat([channel_poses(model.skeleton, 32), random_unit_quaternions((32, 3), torch.Generator())])
    q = poses.clone().requires_grad_()
    grad, = torch.autograd.grad(model(q).sum(), q, create_graph=True)
    metric_norm(grad, model.weights).sum().backward()
    assert torch.isfinite(grad).all() and all(torch.isfinite(p.grad).all() for p in model.parameters())


def test_prior_takes_the_reachable_rotations_from_the_subject_it_is_used_on(tmp_path):
    """A subject whose shin hinge has another axis frame: its poses reach the set of that axis."""
    path = tmp_path / "leg.pt"
    save_checkpoint(path, _hinged_leg_prior())
    subject = copy.deepcopy(leg_with_hinges())
    subject.axes = subject.axes.copy()
    subject.axes[2] = roma.rotvec_to_rotmat(torch.tensor([0.3, 0.0, -0.2], dtype=torch.float64)).numpy()
    poses = channel_poses(subject, 32, seed=1)
    trained_rig = get_prior(str(path), leg_with_hinges())
    used_rig = get_prior(str(path), subject)
    assert trained_rig.dofs(poses)[1][:, 1].min() > 1e-3  # off the training skeleton's hinge
    assert used_rig.dofs(poses)[1].abs().max() < 1e-3
    assert torch.allclose(used_rig.energy(poses), used_rig.field(poses), atol=1e-5)
    assert np.allclose(used_rig.skeleton.axes, leg_with_hinges().axes)  # the stored rig is unchanged


def _reference_distance(model: PoseNDF, quats: torch.Tensor) -> torch.Tensor:
    """PoseNDF's distance written out plainly: the rig set joint by joint (the geodesic angle by
    its definition), the encoder joint by joint in joint order, then the distance MLP."""
    q = canonical_hemisphere(quats)
    reachable = []
    for k, joint in enumerate(model.joint_index):
        order = rotation_order(model.skeleton.channels[joint])
        frame = torch.as_tensor(model.skeleton.axes[joint], dtype=q.dtype)
        axes = [frame[:, AXIS_INDEX[a]] for a in order]
        reachable.append(closest_about_axis(q[:, k], axes[0]) if len(order) == 1 else
                         closest_two_axis(q[:, k], axes[0], axes[1]) if len(order) == 2 else q[:, k])
    reachable = torch.stack(reachable, dim=1)
    off_set = (0.5 * model.weights * smooth_geodesic_angles(reachable, q).square()).sum(-1)
    x = roma.quat_normalize(canonical_hemisphere(reachable))
    enc, features = model.encoder, []
    for k, parent in enumerate(model.parents):
        v_parent = features[parent] if parent >= 0 else x.new_zeros(len(x), enc.feature_dim)
        hidden = enc.act(torch.cat([x[:, k], v_parent], dim=-1) @ enc.w1[k] + enc.b1[k])
        features.append(hidden @ enc.w2[k] + enc.b2[k])
    g = model.distance(torch.cat(features, dim=-1)).squeeze(-1).abs()
    return torch.where(off_set > 1e-12, (g.square() + off_set).sqrt(), g)


def test_fast_forward_and_gradient_match_the_plain_computation():
    """The level-ordered encoder and the component-wise rig-set step against the plain computation
    (CMU rig: nine tree levels, one- and two-channel joints)."""
    shipped = get_prior("cmu-asf")
    torch.manual_seed(0)
    model = PoseNDF(shipped.skeleton, shipped.joint_index, TINY_MODEL).double()
    g = torch.Generator().manual_seed(5)
    poses = random_unit_quaternions((64, model.num_joints), g, torch.float64)
    poses[48:] = model.dofs(poses[48:])[0]  # on the rig's set: the learned field alone
    fast_in, plain_in = poses.clone().requires_grad_(), poses.clone().requires_grad_()
    fast, plain = model(fast_in), _reference_distance(model, plain_in)
    assert len(model.encoder.level_sizes) == 9 and model.dofs.restricted
    assert torch.allclose(fast, plain, atol=1e-10)
    fast_grad, = torch.autograd.grad(fast.sum(), fast_in)
    plain_grad, = torch.autograd.grad(plain.sum(), plain_in)
    assert torch.allclose(fast_grad, plain_grad, atol=1e-8)


def _distance_and_gradient(model: PoseNDF, poses: torch.Tensor, train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    model.train(train)
    x = poses.clone().requires_grad_()
    f = model(x)
    grad, = torch.autograd.grad(f.sum(), x)
    return f.detach(), grad


@pytest.mark.parametrize("name", ["cmu-asf", "daz-bvh"])
def test_frozen_field_of_a_shipped_prior_matches_the_autograd_computation(name):
    """Eval mode (the hand-written forward and input gradient of :class:`FrozenField`, in chunks)
    against train mode (the module's autograd graph) on random poses of both hemispheres,
    across several chunks and a partial one."""
    model = get_prior(name)
    poses = random_unit_quaternions((2 * 512 + 37, model.num_joints), torch.Generator().manual_seed(6))
    poses[:5, :, 3] = 0.0  # on the hemispheres' border: the tie-breaking sign
    poses[:5] /= poses[:5].norm(dim=-1, keepdim=True)
    f_eager, grad_eager = _distance_and_gradient(model, poses, train=True)
    f_frozen, grad_frozen = _distance_and_gradient(model, poses, train=False)
    assert torch.allclose(f_frozen, f_eager, rtol=0, atol=1e-5)
    assert torch.allclose(grad_frozen, grad_eager, rtol=1e-4, atol=1e-4)
    with torch.no_grad():
        assert torch.allclose(model(poses), f_eager, rtol=0, atol=1e-5)


@pytest.mark.parametrize("activation", ["silu", "relu", "softplus"])
def test_frozen_field_matches_autograd_for_every_activation(activation):
    shipped = get_prior("cmu-asf")
    torch.manual_seed(0)
    model = PoseNDF(shipped.skeleton, shipped.joint_index, dataclasses.replace(TINY_MODEL, activation=activation))
    model = model.double()
    poses = random_unit_quaternions((40, model.num_joints), torch.Generator().manual_seed(7), torch.float64)
    f_eager, grad_eager = _distance_and_gradient(model, poses, train=True)
    f_frozen, grad_frozen = _distance_and_gradient(model, poses, train=False)
    assert torch.allclose(f_frozen, f_eager, rtol=0, atol=1e-12)
    assert torch.allclose(grad_frozen, grad_eager, rtol=0, atol=1e-10)


def test_frozen_field_follows_changed_weights_and_refuses_second_derivatives(model):
    model.eval()
    poses = random_unit_quaternions((16, model.num_joints), torch.Generator().manual_seed(8))
    before = model(poses)
    with torch.no_grad():
        model.distance[-1].bias += 0.5
        model.encoder.w1.mul_(1.1)
    after = model(poses)
    assert torch.allclose(after, model.train()(poses).detach(), atol=1e-6) and not torch.allclose(after, before)
    x = poses.clone().requires_grad_()
    grad, = torch.autograd.grad(model.eval()(x).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable|does not require grad"):
        grad.sum().backward()


@pytest.mark.parametrize("name", ["cmu-asf", "daz-bvh"])
def test_rig_set_step_by_hand_keeps_the_shipped_priors_distance_and_gradient(name):
    """Eval mode (distance and gradient in one pass, the chain rule through the rig-set step
    written out) against autograd through the rig-set step with the learned field the same, in
    float64 (the same arithmetic; float32 rounds a gradient of a few hundred by its last bit):
    f within 1e-6, the metric gradient within 1e-5, on random, border, reachable and
    corner-channel poses. In float32, against autograd through all the modules (train mode)
    within 1e-5 and 1e-4; and ``distance_and_gradient`` returns the same."""
    shipped = get_prior(name)
    model = copy.deepcopy(shipped).double().eval()
    poses = poses_with_hard_cases(model.dofs, model.skeleton, model.joint_index, 100, torch.float64)
    x = poses.clone().requires_grad_()
    f = model(x)
    f_fast, grad_fast = f.detach(), metric_gradient(f, x, model.weights)
    model.dofs.train(True)  # autograd through the rig-set step; the learned field still the frozen one
    x = poses.clone().requires_grad_()
    reachable, off = model.dofs(canonical_hemisphere(x))
    f = _on_and_off_set(model.field(reachable), model._off_set(off))[0]
    assert (f_fast - f.detach()).abs().max() < 1e-6
    assert (grad_fast - metric_gradient(f, x, model.weights)).abs().max() < 1e-5
    model = shipped.eval()
    poses = poses_with_hard_cases(model.dofs, model.skeleton, model.joint_index, 100, torch.float32)
    results = []
    for train in (False, True):
        model.train(train)
        x = poses.clone().requires_grad_()
        f = model(x)
        results.append((f.detach(), metric_gradient(f, x, model.weights)))
    model.eval()
    (f_fast, grad_fast), (f_plain, grad_plain) = results
    assert (f_fast - f_plain).abs().max() < 1e-5 and (grad_fast - grad_plain).abs().max() < 1e-4
    f_direct, grad_direct = model.distance_and_gradient(poses)
    assert torch.equal(f_direct, f_fast) and torch.equal(in_metric(grad_direct, model.weights), grad_fast)
    with torch.no_grad():
        assert torch.allclose(model(poses), f_fast, rtol=0, atol=1e-6)


def test_within_channels_in_one_pass_matches_autograd_through_the_modules():
    """g(Pθ) of the fits' prior term and its gradient: eval mode (written out) against train mode
    (autograd through the rig-set step and the encoder); on poses the channels reach it is f."""
    model = get_prior("cmu-asf")
    poses = poses_with_hard_cases(model.dofs, model.skeleton, model.joint_index, 60, torch.float32)
    results = []
    for train in (False, True):
        model.train(train)
        x = poses.clone().requires_grad_()
        g = model.within_channels(x)
        results.append((g.detach(), torch.autograd.grad(g.sum(), x)[0]))
    model.eval()
    (g_fast, grad_fast), (g_plain, grad_plain) = results
    assert (g_fast - g_plain).abs().max() < 1e-5 and (grad_fast - grad_plain).abs().max() < 1e-4
    with torch.no_grad():
        reachable = model.dofs(canonical_hemisphere(poses))[0]
        assert torch.allclose(model.within_channels(reachable), model(reachable), rtol=0, atol=1e-5)
        assert (model.within_channels(poses) <= model(poses) + 1e-5).all()
