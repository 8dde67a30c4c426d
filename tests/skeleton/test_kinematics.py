"""Forward kinematics, checked against positions derived by hand for a tiny ASF/AMC pair."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from posefield.io.amc import read_amc
from posefield.skeleton import forward_kinematics

# Three bones a -> b -> c hanging from the root. Units: 1 raw unit = 1 inch (length 1.0).
# Written with the quirks of real files: tabs, a comment, an exponent, CRLF, multi-line limits.
TINY_ASF = """# hand-written test skeleton\r
:version 1.10\r
:name test\r
:units\r
  mass 1.0\r
  length 1.0\r
  angle deg\r
:documentation\r
  three bones\r
:root\r
   order TX TY TZ RX RY RZ\r
   axis XYZ\r
   position 0 0 0\r
   orientation 0 0 0\r
:bonedata\r
  begin\r
\tid 1\r
\tname a\r
\tdirection 0 1 0\r
\tlength 10\r
\taxis 0 0 0 XYZ\r
\tdof rx ry rz\r
\tlimits (-180 180)\r
\t       (-180 180)\r
\t       (-180 180)\r
  end\r
  begin\r
     id 2\r
     name b\r
     direction 1 0 0   # along x\r
     length 5\r
     axis 0 0 9.0e+01 XYZ\r
     dof rx\r
     limits (-180 180)\r
  end\r
  begin\r
     id 3\r
     name c\r
     direction 0 0 1\r
     length 2\r
     axis 0 0 0 XYZ\r
     dof rx rz\r
     limits (-90 90)\r
            (-90 90)\r
  end\r
:hierarchy\r
  begin\r
    root a\r
    a b\r
    b c\r
  end\r
"""

# Frame 1: rest pose at (10, 20, 30). Frame 2: the root turns 90° about z, b turns 90° about its
# axis frame's x, which axis 0 0 90 maps to world y. Bone lines in shuffled order.
TINY_AMC = """:FULLY-SPECIFIED
:DEGREES
1
root 10 20 30 0 0 0
c 0 0
b 0
a 0 0 0
2
a 0 0 0
root 10 20 30 0 0 90
b 90
c 0 0
"""

# Derived by hand, inches: root, a (= root), b, c, then c's end site.
# Frame 2: W_a = Rz(90) sends a's (0, 10, 0) to (-10, 0, 0); b's local rotation is
# Rz(90)·Rx(90)·Rz(90)ᵀ = Ry(90), which sends (5, 0, 0) to (0, 0, -5), and Rz(90) keeps it;
# c's (0, 0, 2) goes through Ry(90) to (2, 0, 0) and through Rz(90) to (0, 2, 0).
EXPECTED_INCHES = np.array([
    [[10, 20, 30], [10, 20, 30], [10, 30, 30], [15, 30, 30], [15, 30, 32]],
    [[10, 20, 30], [10, 20, 30], [0, 20, 30], [0, 20, 25], [0, 22, 25]],
], dtype=np.float64)



def in_radians(asf: str, amc: str) -> tuple[str, str]:
    """The same pair with angles in radians (ASF ``angle rad``, AMC ``:RADIANS``)."""
    asf = asf.replace("angle deg", "angle rad").replace("9.0e+01", repr(np.pi / 2))
    amc = amc.replace(":DEGREES", ":RADIANS").replace("root 10 20 30 0 0 90", f"root 10 20 30 0 0 {np.pi / 2!r}")
    return asf, amc.replace("b 90", f"b {np.pi / 2!r}")


@pytest.fixture(params=["degrees", "radians"])
def tiny_motion(tmp_path, request):
    asf, amc = (TINY_ASF, TINY_AMC) if request.param == "degrees" else in_radians(TINY_ASF, TINY_AMC)
    (tmp_path / "tiny.asf").write_bytes(asf.encode())
    (tmp_path / "tiny_01.amc").write_text(amc)
    return read_amc(tmp_path / "tiny_01.amc")


def test_hand_derived_positions(tiny_motion):
    np.testing.assert_allclose(tiny_motion.joint_positions(with_end_sites=True), EXPECTED_INCHES * 0.0254,
                               atol=1e-12)


def test_local_rotation_is_conjugated_by_the_axis_frame(tiny_motion):
    ry90 = np.array([[0, 0, 1], [0, 1, 0], [-1, 0, 0]], dtype=np.float64)
    np.testing.assert_allclose(tiny_motion.rotmats()[1, tiny_motion.skeleton.index("b")], ry90, atol=1e-12)


def test_batched_float32_and_per_sample_offsets(tiny_motion):
    skeleton = tiny_motion.skeleton
    rotations = torch.as_tensor(tiny_motion.rotations, dtype=torch.float32)
    translation = torch.as_tensor(tiny_motion.root_translation, dtype=torch.float32)
    doubled = torch.as_tensor(skeleton.offsets * 2, dtype=torch.float32).expand(2, -1, -1)
    positions = forward_kinematics(skeleton, rotations[None], translation[None], offsets=doubled[None])
    assert positions.dtype == torch.float32 and positions.shape == (1, 2, 4, 3)
    expected = translation[:, None] + 2 * (torch.as_tensor(EXPECTED_INCHES[:, :4] * 0.0254, dtype=torch.float32)
                                           - translation[:, None])
    torch.testing.assert_close(positions[0], expected, atol=1e-6, rtol=0)


def _per_joint_reference(skeleton, rotmats: torch.Tensor, translation: torch.Tensor) -> torch.Tensor:
    """(..., J + E, 3) positions joint by joint: W_j = W_parent L_j, p_j = p_parent + W_parent o_j."""
    offsets = torch.as_tensor(skeleton.offsets, dtype=rotmats.dtype)
    world, points = [], []
    for j, p in enumerate(skeleton.parents):
        if p < 0:
            world.append(rotmats[..., j, :, :])
            points.append(translation)
        else:
            world.append(world[p] @ rotmats[..., j, :, :])
            points.append(points[p] + (world[p] @ offsets[j, :, None])[..., 0])
    for j in sorted(skeleton.end_sites):
        site = torch.as_tensor(skeleton.end_sites[j], dtype=rotmats.dtype)
        points.append(points[j] + (world[j] @ site[:, None])[..., 0])
    return torch.stack(points, dim=-2)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_depth_batched_kinematics_equal_the_joint_by_joint_chain_with_gradients(dtype):
    """The component-first, depth-batched FK against a plain per-joint chain on a branching
    CMU skeleton: positions and the gradients of both inputs, quaternions and matrices, two batch dims."""
    from pathlib import Path

    from posefield.rotations import quaternion_to_rotmat
    motion = read_amc(Path(__file__).parents[1] / "fixtures" / "cmu" / "05_17.amc")
    skeleton = motion.skeleton
    frames = 12
    quats = torch.as_tensor(motion.rotations[:frames], dtype=dtype).reshape(3, 4, skeleton.num_joints, 4)
    translation = torch.as_tensor(motion.root_translation[:frames], dtype=dtype).reshape(3, 4, 3)
    weights = torch.randn(3, 4, skeleton.num_joints + len(skeleton.end_sites), 3, dtype=dtype,
                          generator=torch.Generator().manual_seed(0))
    tol = {"atol": 1e-5, "rtol": 1e-5} if dtype == torch.float32 else {"atol": 1e-12, "rtol": 1e-12}
    for as_matrix in (False, True):
        q = quats.clone().requires_grad_()
        t = translation.clone().requires_grad_()
        rotations = quaternion_to_rotmat(q) if as_matrix else q
        fast = forward_kinematics(skeleton, rotations, t, with_end_sites=True)
        (fast * weights).sum().backward()
        fast_grads = q.grad.clone(), t.grad.clone()
        q.grad = t.grad = None
        slow = _per_joint_reference(skeleton, quaternion_to_rotmat(q), t)
        (slow * weights).sum().backward()
        torch.testing.assert_close(fast, slow, **tol)
        torch.testing.assert_close(fast_grads[0], q.grad, **tol)
        torch.testing.assert_close(fast_grads[1], t.grad, **tol)


def test_motion_joint_positions_in_pieces_equal_the_whole_clip(monkeypatch):
    import posefield.motion

    motion = read_amc(Path(__file__).parents[1] / "fixtures" / "cmu" / "05_17.amc")
    whole = motion.joint_positions(with_end_sites=True)
    monkeypatch.setattr(posefield.motion, "FK_CHUNK", 7)
    assert np.array_equal(motion.joint_positions(with_end_sites=True), whole)
    assert np.array_equal(motion.joint_positions(), whole[:, :motion.skeleton.num_joints])
