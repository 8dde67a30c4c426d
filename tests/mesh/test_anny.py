"""Anny body: bone mapping and rest-pose alignment (a synthetic template), and the real Anny
body where its template is cached or Anny is installed."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import roma
import torch

from posefield.mesh import per_vertex_error, skin_motion
from posefield.mesh.anny_body import (ANNY_TO_CMU, AnnyTemplate, anny_body, bone_vectors, cached_template,
                                      shortest_rotation, to_posefield_axes)
from posefield.skeleton import rest_points
from posefield.mesh.capsules import capsule_body, capsule_surface, capsules
from posefield.mesh.penetration import segment_distance
from posefield.skeleton import forward_kinematics


def test_mapping_covers_the_cmu_skeleton_once(cmu_walk):
    assert len(ANNY_TO_CMU) == 31
    assert sorted(ANNY_TO_CMU.values()) == sorted(cmu_walk.skeleton.names)


def test_shortest_rotation():
    rng = np.random.default_rng(0)
    for a, b in list(rng.normal(size=(20, 2, 3))) + [(np.array([1.0, 0, 0]), np.array([-1.0, 0, 0]))]:
        r = shortest_rotation(a, b)
        np.testing.assert_allclose(r @ r.T, np.eye(3), atol=1e-9)
        assert abs(np.linalg.det(r) - 1) < 1e-9
        np.testing.assert_allclose(r @ (a / np.linalg.norm(a)), b / np.linalg.norm(b), atol=1e-9)


def test_axes_turn_z_up_facing_minus_y_into_y_up_facing_z():
    np.testing.assert_allclose(to_posefield_axes(np.array([[1.0, 0, 0], [0, -1.0, 0], [0, 0, 1.0]])),
                               [[1, 0, 0], [0, 0, 1], [0, 1, 0]])


def posed_template(skeleton) -> tuple[AnnyTemplate, np.ndarray]:
    """A stand-in for Anny: the skeleton's capsule body at 0.9 scale, arms lowered and elbows bent
    (an A-pose), with Anny's bone names. Returns it and the rest capsule radii."""
    j = skeleton.num_joints
    rot = torch.zeros(j, 4, dtype=torch.float64)
    rot[:, 3] = 1
    for name, rotvec in (("lhumerus", [0, 0, -0.8]), ("rhumerus", [0, 0, 0.8]), ("lradius", [0, -0.6, 0]),
                         ("rradius", [0, 0.6, 0])):
        rot[skeleton.index(name)] = roma.rotvec_to_unitquat(torch.tensor(rotvec, dtype=torch.float64))
    body = capsule_body(skeleton)
    posed = skin_motion(body, dataclasses.replace(_one_frame(skeleton), rotations=rot[None].numpy()))[0] * 0.9
    glob = roma.unitquat_to_rotmat(rot)
    for k, p in enumerate(skeleton.parents):
        if p >= 0:
            glob[k] = glob[p] @ glob[k]
    heads = forward_kinematics(skeleton, rot).numpy() * 0.9
    tails = heads + 0.9 * np.einsum("jab,jb->ja", glob.numpy(), bone_vectors(skeleton))
    cmu_to_anny = {c: a for a, c in ANNY_TO_CMU.items()}
    order = [skeleton.index(c) for c in cmu_to_anny]
    remap = np.argsort(order)  # skeleton joint -> template bone
    template = AnnyTemplate(posed, body.faces, list(cmu_to_anny.values()), heads[order], tails[order],
                            remap[body.joints], body.weights)
    return template, body


def _one_frame(skeleton):
    from posefield.motion import Motion

    rot = np.zeros((1, skeleton.num_joints, 4))
    rot[..., 3] = 1
    return Motion(skeleton, rot, skeleton.offsets[:1].copy(), 30.0)


def test_alignment_puts_an_a_pose_template_back_into_the_t_pose(cmu_walk):
    skeleton = cmu_walk.skeleton
    template, rest_body = posed_template(skeleton)
    aligned = anny_body(skeleton, template)
    assert aligned.kind == "anny"
    np.testing.assert_array_equal(aligned.joints, rest_body.joints)
    # Rigid capsules come back around their rest bones (twist about a bone may differ).
    points = rest_points(skeleton)
    caps = capsules(skeleton)
    n = capsule_surface(np.zeros(3), np.ones(3), 1.0)[0].shape[0]  # vertices per capsule
    for k, (s, e, r) in enumerate(zip(caps.segments.start, caps.segments.end, caps.radius)):
        v = aligned.vertices[k * n:(k + 1) * n]
        d = segment_distance(v, v, np.broadcast_to(points[s], v.shape), np.broadcast_to(points[e], v.shape))
        np.testing.assert_allclose(d, r, atol=2e-3)


needs_anny = pytest.mark.skipif(cached_template() is None, reason="no Anny body template is cached (building one takes "
                                "minutes: pip install 'posefield[mesh]', then posefield render CLIP --mesh once)")


@needs_anny
def test_anny_body_rest_height_and_follows_fk(cmu_walk):
    body = anny_body(cmu_walk.skeleton)
    assert body.num_vertices > 5000
    assert 1.4 < np.ptp(body.vertices[:, 1]) < 2.0
    verts = skin_motion(body, cmu_walk)
    points = cmu_walk.joint_positions(with_end_sites=True)
    # Vertices bound (almost) wholly to one limb bone stay within a limb's thickness of it.
    sk = cmu_walk.skeleton
    for name in ("lfemur", "rtibia", "lhumerus", "rradius"):
        j = sk.index(name)
        mine = (body.joints[:, 0] == j) & (body.weights[:, 0] > 0.95)
        end = sk.children(j)[0]
        v = verts[:, mine]
        d = segment_distance(v, v, np.broadcast_to(points[:, j, None], v.shape), np.broadcast_to(points[:, end, None], v.shape))
        assert mine.sum() > 50 and np.median(d) < 0.08 and d.max() < 0.16, name


@needs_anny
def test_per_vertex_error_with_anny(cmu_walk):
    assert np.allclose(per_vertex_error(cmu_walk, cmu_walk), 0)
    bent = cmu_walk.rotations.copy()
    bent[:, cmu_walk.skeleton.index("lradius")] = roma.rotvec_to_unitquat(torch.tensor([0.0, -1.5, 0.0])).numpy()
    error = per_vertex_error(cmu_walk, dataclasses.replace(cmu_walk, rotations=bent))
    assert (error > 1).all() and (error < 100).all()
