"""Parametrisation, energy terms and windowing shared by the applications."""
import numpy as np
import pytest
import roma
import torch

from posefield.fit.terms import acceleration_energy, geman_mcclure, saturated, twist_angle, weighted_squared_error
from posefield.fit.variables import PoseVariables, dof_basis
from posefield.fit.windows import blend_weights, in_order, plan_windows, stitch


def test_dof_basis_keeps_hinges_on_their_axis(skeleton):
    basis = dof_basis(skeleton)
    knee = skeleton.index("ltibia")
    assert torch.allclose(basis[knee], torch.diag(torch.tensor([1.0, 0.0, 0.0], dtype=torch.float64)))
    assert torch.allclose(basis[skeleton.index("lfemur")], torch.eye(3, dtype=torch.float64))
    init = torch.as_tensor(roma.random_unitquat((4, skeleton.num_joints)), dtype=torch.float32)
    variables = PoseVariables(init, torch.zeros(4, 3), basis)
    assert torch.allclose(variables.rotations(), init)
    with torch.no_grad():
        variables.offsets.normal_()
    q = roma.quat_product(roma.quat_conjugation(init[:, knee]), variables.rotations()[:, knee])
    assert torch.allclose(q[:, 1:3], torch.zeros(4, 2), atol=1e-6)  # only an x rotation was added


def test_pose_variables_equal_roma_exp_map_and_product_with_finite_gradients(skeleton):
    """PoseVariables.rotations (sinc map, product by the matrices of q0) against roma's
    ``q0 ⊗ rotvec_to_unitquat(B u)``: values and gradients, from u = 0 (the start) to large steps."""
    generator = torch.Generator().manual_seed(0)
    init = roma.random_unitquat((5, skeleton.num_joints)).double()
    basis = dof_basis(skeleton)
    variables = PoseVariables(init, torch.zeros(5, 3, dtype=torch.float64), basis)
    weights = torch.randn(5, skeleton.num_joints, 4, dtype=torch.float64, generator=generator)
    for scale in (0.0, 1e-6, 0.3, 2.5):
        with torch.no_grad():
            variables.offsets.copy_(scale * torch.randn(variables.offsets.shape, dtype=torch.float64, generator=generator))
        variables.offsets.grad = None
        fast = variables.rotations()
        (fast * weights).sum().backward()
        fast_grad = variables.offsets.grad.clone()
        variables.offsets.grad = None
        reference = roma.quat_product(init, roma.rotvec_to_unitquat(torch.einsum("jab,tjb->tja", basis, variables.offsets)))
        (reference * weights).sum().backward()
        torch.testing.assert_close(fast, reference, atol=1e-12, rtol=1e-12)
        torch.testing.assert_close(fast_grad, variables.offsets.grad, atol=1e-12, rtol=1e-12)
        assert torch.isfinite(fast_grad).all()


def test_terms():
    pred, target = torch.zeros(2, 3, 3), torch.zeros(2, 3, 3)
    target[:, 0, 0] = 1.0
    assert weighted_squared_error(pred, target, torch.tensor([1.0, 1.0, 0.0])) == 0.5
    assert weighted_squared_error(pred, target, torch.tensor([0.0, 1.0, 1.0])) == 0.0
    line = torch.arange(5.0)[:, None, None].expand(5, 2, 3)
    assert acceleration_energy(line, fps=30.0) == 0.0
    assert acceleration_energy(line.square(), fps=1.0) == 4.0 * 3
    assert geman_mcclure(torch.tensor(1e6), 2.0) < 4.0 <= geman_mcclure(torch.tensor(1e9), 2.0) + 1e-3
    axis = torch.tensor([0.0, 0.0, 1.0])
    q = roma.rotvec_to_unitquat(torch.tensor([[0.0, 0.0, 0.7], [0.0, 0.0, -0.4]]))
    assert torch.allclose(twist_angle(q, axis), torch.tensor([0.7, -0.4]))
    assert torch.allclose(twist_angle(-q, axis), torch.tensor([0.7, -0.4]))


def test_saturated_energy_follows_small_distances_and_flattens_far_ones():
    f = torch.tensor([0.0, 1e-4, 0.05, 0.2, 2.0], requires_grad=True)
    assert torch.equal(saturated(f, 0.0), f)
    rho = saturated(f, 0.05)
    assert rho[0] == 0 and torch.isclose(rho[1], f[1], rtol=1e-3)
    assert torch.all(rho[1:] < f[1:]) and torch.all(rho.diff() > 0)
    (slope,) = torch.autograd.grad(rho.sum(), f)
    assert torch.allclose(slope, 0.05 / (0.05 + f.detach()))


def test_windows_cover_and_blend():
    windows = plan_windows(250, 100, 20)
    assert windows[0].start == 0 and windows[-1].stop == 250
    assert all(a.stop - b.start >= 20 for a, b in zip(windows, windows[1:]))
    total = np.zeros(250)
    for w, weight in zip(windows, blend_weights(windows, 250)):
        total[w] += weight
    assert np.allclose(total, 1.0)
    assert plan_windows(50, 100, 20) == [slice(0, 50)]
    # one to two windows' length: two halves overlapping by the overlap, whatever the thread count
    assert plan_windows(80, 100, 20) == [slice(0, 50), slice(30, 80)]
    assert plan_windows(100, 100, 20) == [slice(0, 60), slice(40, 100)]
    assert plan_windows(180, 100, 20) == [slice(0, 100), slice(80, 180)]
    assert plan_windows(79, 100, 20) == [slice(0, 79)]  # shorter: one window
    assert [w.stop - w.start for w in plan_windows(181, 100, 20)] == [100, 100, 100]  # longer: full windows
    rot = roma.random_unitquat((250, 3)).numpy()
    trans = np.random.default_rng(0).normal(size=(250, 3))
    # A window may hand back either sign of a quaternion: stitching must not care.
    parts = [(-1) ** i * rot[w] for i, w in enumerate(windows)]
    blocks = list(stitch(windows, ((q, trans[w]) for q, w in zip(parts, windows)), 250))
    # each window's result finishes the frames before the next window: one block per window
    ends = [w.start for w in windows[1:]] + [250]
    assert [len(q) for q, _ in blocks] == list(np.diff([0] + ends))
    out_rot, out_trans = (np.concatenate(parts) for parts in zip(*blocks))
    assert np.allclose(np.abs((out_rot * rot).sum(-1)), 1.0)
    assert np.allclose(out_trans, trans)
    with pytest.raises(ValueError, match="one result per window"):
        list(stitch(windows, iter(()), 250))
    with pytest.raises(ValueError, match="one result per window"):
        list(stitch(windows, ((q, trans[w]) for q, w in zip(parts[:-1], windows)), 250))


def test_windows_run_in_parallel_in_order_with_bounded_results():
    windows = plan_windows(1000, 100, 20)
    started: list[int] = []
    waiting = []

    def work(w: slice) -> int:
        started.append(w.start)
        return w.start

    results = in_order(work, windows, workers=3)
    for w, start in zip(windows, results):
        assert start == w.start
        waiting.append(len(started) - len(waiting))  # started but not yet taken, this one included
    assert max(waiting) <= 3
    assert list(in_order(work, windows, workers=1)) == [w.start for w in windows]


def test_long_clips_filter_in_pieces_as_one(monkeypatch):
    """Filtering, hemisphere choice and noise estimate work FILTER_CHUNK frames at a time: the
    same numbers as the whole clip at once."""
    from posefield.data import filtering
    from posefield.fit import jitter
    from posefield.data.filtering import gaussian_filter, hemisphere_signs, smooth_rotations
    from posefield.fit.jitter import rotation_jitter

    rng = np.random.default_rng(3)
    walk = np.cumsum(rng.normal(scale=0.05, size=(300, 4, 4)), axis=0) + rng.normal(size=(4, 4))
    quats = walk / np.linalg.norm(walk, axis=-1, keepdims=True) * rng.choice([-1.0, 1.0], size=(300, 4, 1))
    dofs = np.array([0, 1, 2, 3])
    whole = (gaussian_filter(quats, 4.0), hemisphere_signs(quats), smooth_rotations(quats, 4.0), rotation_jitter(quats, dofs))
    for module in (filtering, jitter):
        monkeypatch.setattr(module, "FILTER_CHUNK", 7)
    pieces = (gaussian_filter(quats, 4.0), hemisphere_signs(quats), smooth_rotations(quats, 4.0), rotation_jitter(quats, dofs))
    for a, b in zip(whole, pieces):
        assert np.array_equal(a, b)
    flipped = quats * hemisphere_signs(quats)
    assert ((flipped[1:] * flipped[:-1]).sum(-1) >= 0).all()


def test_a_window_of_the_filtered_clip_is_the_whole_clips_filter_there(monkeypatch):
    """The fits filter their start a window at a time (frames near and away from both ends, in
    pieces of FILTER_CHUNK or not) and in float32: the whole clip's numbers there, rounded."""
    from posefield.data import filtering
    from posefield.data.filtering import gaussian_filter, hemisphere_signs, smooth_rotations

    rng = np.random.default_rng(4)
    walk = np.cumsum(rng.normal(scale=0.05, size=(120, 3, 4)), axis=0) + rng.normal(size=(3, 4))
    quats = walk / np.linalg.norm(walk, axis=-1, keepdims=True) * rng.choice([-1.0, 1.0], size=(120, 3, 1))
    shift = rng.normal(size=(120, 3))
    signs = hemisphere_signs(quats)
    for sigma in (0.0, 3.0, 500.0):
        whole = smooth_rotations(quats, sigma), gaussian_filter(shift, sigma)
        for chunk in (8192, 7):
            monkeypatch.setattr(filtering, "FILTER_CHUNK", chunk)
            for w in (slice(0, 30), slice(25, 95), slice(90, 120)):
                part = smooth_rotations(quats, sigma, np.float32, w, signs)
                assert part.dtype == np.float32 and np.array_equal(part, whole[0][w].astype(np.float32))
                assert np.array_equal(gaussian_filter(shift, sigma, frames=w), whole[1][w])


def test_a_gaussian_wider_than_the_clip_puts_its_tails_on_the_end_frames():
    """Weights beyond the clip fall on its repeated end frames: lumping them there gives the
    whole kernel's result, and a clip claiming 10⁹ fps (σ of 10⁸ frames) filters at once
    instead of allocating terabytes."""
    from posefield.data.filtering import gaussian_filter

    values = np.random.default_rng(0).normal(size=(7, 3))

    def whole_kernel(sigma):  # every weight of r = ⌈3σ⌉ applied to the clamped frame
        offsets = np.arange(-int(np.ceil(3 * sigma)), int(np.ceil(3 * sigma)) + 1)
        weights = np.exp(-0.5 * (offsets / sigma) ** 2)
        rows = np.clip(np.arange(7)[:, None] + offsets, 0, 6)
        return (weights[:, None] * values[rows]).sum(1) / weights.sum()

    for sigma in (0.5, 2.0, 5.0, 300.0):
        np.testing.assert_allclose(gaussian_filter(values, sigma), whole_kernel(sigma), atol=1e-12)
    wide = gaussian_filter(values, 1e8)
    assert np.isfinite(wide).all() and np.allclose(wide, wide[0]) and np.allclose(wide[0], whole_kernel(3e4)[0], atol=1e-4)


def test_filtering_keeps_constants_and_ignores_quaternion_signs():
    from posefield.data.filtering import gaussian_filter, smooth_rotations

    values = np.tile([1.0, 2.0, 3.0], (20, 1))
    assert np.allclose(gaussian_filter(values, 2.5), values)
    q = np.tile(roma.random_unitquat((1, 3)).numpy(), (20, 1, 1))
    q[::3] *= -1
    smoothed = smooth_rotations(q, 2.0)
    assert np.allclose(np.abs((smoothed * q).sum(-1)), 1.0)


def test_torso_and_rigid_pairs(skeleton):
    from posefield.fit.points import point_parents, rigid_pairs, torso_points

    names = list(skeleton.names) + [f"{skeleton.names[j]}/end" for j in sorted(skeleton.end_sites)]
    torso = {n for n, t in zip(names, torso_points(skeleton)) if t}
    assert torso == {"root", "spine", "chest", "head", "lhumerus", "rhumerus", "lfemur", "rfemur", "head/end"}
    assert point_parents(skeleton)[names.index("lfoot/end")] == skeleton.index("lfoot")
    points = np.array([skeleton.index(n) for n in ("ltibia", "lfoot", "lhand", "head")])
    rigid = rigid_pairs(skeleton, points)
    assert rigid[0, 1] and rigid[1, 0] and not rigid[0, 2] and not rigid[1, 3]
