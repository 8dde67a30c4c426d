"""Projection onto the learned manifold and the two step rules."""
import numpy as np
import pytest
import roma
import torch

from .ndf_data import tree, trained  # noqa: F401  (fixtures)
from posefield.motion import Motion
from posefield.prior.motions.apply import project_motion
from posefield.prior.ndf.noise import perturb
from posefield.prior.ndf.projection import euclidean_step, project, riemannian_step
from posefield.rotations import geodesic_angles, random_unit_quaternions


def test_riemannian_step_moves_along_the_great_circle():
    q = random_unit_quaternions((50, 3), torch.Generator().manual_seed(0))
    v = torch.randn(50, 3, 4) * 0.1
    v = v - (v * q).sum(-1, keepdim=True) * q  # tangent
    moved = riemannian_step(q, v)
    assert torch.allclose(moved.norm(dim=-1), torch.ones(50, 3), atol=1e-6)
    assert torch.allclose(geodesic_angles(moved, q), v.norm(dim=-1), atol=1e-5)
    assert torch.allclose(euclidean_step(q, 1e-4 * v), riemannian_step(q, 1e-4 * v), atol=1e-7)
    assert torch.allclose(riemannian_step(q, v + 3 * q), moved, atol=1e-6)  # the radial part is dropped


@pytest.mark.parametrize("method", ["euclidean", "riemannian"])
def test_projection_reduces_the_distance(trained, tree, method):
    _, model = trained
    clean = tree.split(True)[:200]
    noisy = perturb(clean, 15.0, torch.Generator().manual_seed(0))
    before = model.energy(noisy).detach()
    result = project(model, noisy, method=method, tol=0.0, max_steps=10)
    assert result.quats.shape == noisy.shape
    assert torch.allclose(result.quats.norm(dim=-1), torch.ones(200, noisy.shape[1]), atol=1e-5)
    assert result.distance.mean() < 0.6 * before.mean()
    assert torch.allclose(model.energy(result.quats.detach()).detach(), result.distance, atol=1e-5)
    assert (result.steps == 10).all()


def test_projection_stops_at_the_tolerance(trained, tree):
    _, model = trained
    noisy = perturb(tree.split(True)[:100], 15.0, torch.Generator().manual_seed(1))
    tol = float(model.energy(noisy).detach().median())
    result = project(model, noisy, tol=tol, max_steps=30)
    start = model.energy(noisy).detach()
    assert (result.steps[start < tol] == 0).all()
    assert torch.equal(result.quats[start < tol], noisy[start < tol])
    assert (result.distance[result.steps < 30] < tol).all()


def test_projection_of_an_empty_batch(trained):
    _, model = trained
    result = project(model, torch.zeros(0, model.num_joints, 4))
    assert result.quats.shape == (0, model.num_joints, 4) and result.distance.shape == (0,)


def test_projection_of_a_pose_does_not_depend_on_the_others_in_its_batch(trained, tree):
    """Poses that stop early leave the batch; the others move as they would alone (the whole
    batch while every pose moves, the moving ones once some have stopped)."""
    _, model = trained
    noisy = perturb(tree.split(True)[:60], 15.0, torch.Generator().manual_seed(2))
    start = model.energy(noisy).detach()
    middle = start.sort().values[20:40]  # the tolerance in the widest gap there: no pose on the border
    k = int(middle.diff().argmax())
    tol = float(middle[k] + middle[k + 1]) / 2
    alone = project(model, noisy[start >= tol], tol=tol, max_steps=8)
    mixed = project(model, noisy, tol=tol, max_steps=8)
    assert 0 < int((start < tol).sum()) < len(noisy)
    assert torch.allclose(mixed.quats[start >= tol], alone.quats, atol=1e-6)
    assert torch.allclose(mixed.distance[start >= tol], alone.distance, atol=1e-6)
    assert torch.equal(mixed.steps[start >= tol], alone.steps)
    assert (mixed.steps[start < tol] == 0).all()


def test_a_motion_is_projected_block_by_block_as_in_one_batch(trained, tree):
    """``project_motion`` writes each block of frames into the result as it is done: blocks of 7
    frames give the poses, distances and steps of one batch, and the other joints stay."""
    _, model = trained
    noisy = perturb(tree.split(True)[:30], 15.0, torch.Generator().manual_seed(3))
    rng = np.random.default_rng(0)
    rotations = rng.normal(size=(30, model.skeleton.num_joints, 4))
    rotations /= np.linalg.norm(rotations, axis=-1, keepdims=True)
    rotations[:, model.joint_index] = noisy.double().numpy()
    motion = Motion(skeleton=model.skeleton, rotations=rotations, root_translation=rng.normal(size=(30, 3)), fps=30.0)
    alone = project(model, noisy, max_steps=4)
    for frames in (7, 8192):
        projected, distance, steps = project_motion(motion, model, frames=frames, max_steps=4)
        np.testing.assert_allclose(projected.rotations[:, model.joint_index], alone.quats.double().numpy(), atol=1e-6)
        np.testing.assert_allclose(distance, alone.distance.double().numpy(), atol=1e-6)
        np.testing.assert_array_equal(steps, alone.steps.numpy())
        others = np.setdiff1d(np.arange(model.skeleton.num_joints), model.joint_index)
        np.testing.assert_array_equal(projected.rotations[:, others], rotations[:, others])
        np.testing.assert_array_equal(projected.root_translation, motion.root_translation)
    with pytest.raises(ValueError, match="at least 1"):
        project_motion(motion, model, frames=0)
