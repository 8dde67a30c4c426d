"""Capsule body, skinning and self-penetration."""
from __future__ import annotations

import dataclasses

import numpy as np
import roma
import torch

from posefield.mesh import body_mesh, per_vertex_error, self_penetration, skin_motion
from posefield.mesh.bones import bone_segments
from posefield.skeleton import rest_points
from posefield.mesh.capsules import capsule_body, capsule_surface, capsules
from posefield.mesh.penetration import penetrating_pairs, segment_distance


def rest_motion(motion, frames: int = 1):
    """``frames`` frames of the rest pose of ``motion``'s skeleton, root at its rest offset."""
    rot = np.zeros((frames, motion.skeleton.num_joints, 4))
    rot[..., 3] = 1
    return dataclasses.replace(motion, rotations=rot, root_translation=np.tile(motion.skeleton.offsets[0], (frames, 1)))


def signed_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    tri = vertices[faces]
    return float(np.einsum("ij,ij->i", tri[:, 0], np.cross(tri[:, 1], tri[:, 2])).sum() / 6)


def test_capsule_surface_is_closed_outward_and_round():
    start, end, radius = np.array([0.0, 0.0, 0.0]), np.array([0.0, 0.3, 0.1]), 0.05
    v, f = capsule_surface(start, end, radius, around=24, rings=6)
    edges = np.sort(np.concatenate([f[:, [0, 1]], f[:, [1, 2]], f[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    assert (counts == 2).all()  # closed, every edge shared by two faces
    length = np.linalg.norm(end - start)
    expected = np.pi * radius**2 * length + 4 / 3 * np.pi * radius**3
    assert 0.9 * expected < signed_volume(v, f) < expected  # positive: faces point outward
    dist = segment_distance(v, v, np.broadcast_to(start, v.shape), np.broadcast_to(end, v.shape))
    np.testing.assert_allclose(dist, radius, atol=1e-9)


def test_segment_distance_cases():
    o = np.zeros(3)
    x, y = np.array([1.0, 0, 0]), np.array([0, 1.0, 0])
    assert segment_distance(o, x, o + [0, 0, 2], x + [0, 0, 2]) == 2  # parallel
    assert abs(segment_distance(o, x, [0.5, -1, 1], [0.5, 1, 1]) - 1) < 1e-12  # crossing above
    assert abs(segment_distance(o, x, [2, 0, 0], [3, 0, 0]) - 1) < 1e-12  # collinear, apart
    assert abs(segment_distance(o, x, y + [2, 0, 0], y + [2, 1, 0]) - np.sqrt(2)) < 1e-12  # end to end


def test_capsule_body_rest_height_and_follows_fk(cmu_walk):
    body = capsule_body(cmu_walk.skeleton)
    height = np.ptp(body.vertices[:, 1])
    assert 1.4 < height < 2.1
    caps = capsules(cmu_walk.skeleton)
    verts = skin_motion(body, cmu_walk)  # (T, V, 3)
    points = cmu_walk.joint_positions(with_end_sites=True)
    # Each capsule's vertices stay at its radius from its posed bone segment.
    n = capsule_surface(np.zeros(3), np.ones(3), 1.0)[0].shape[0]  # vertices per capsule
    for k, (s, e, r) in enumerate(zip(caps.segments.start, caps.segments.end, caps.radius)):
        v = verts[:, k * n:(k + 1) * n]
        d = segment_distance(v, v, np.broadcast_to(points[:, s, None], v.shape), np.broadcast_to(points[:, e, None], v.shape))
        np.testing.assert_allclose(d, r, atol=1e-6)


def test_bone_segments_drop_repeats_and_zero_lengths(cmu_walk):
    sk = cmu_walk.skeleton
    seg = bone_segments(sk)
    names = [sk.names[o] for o in seg.owner]
    assert names.count("thorax") == 1  # lowerneck, lclavicle and rclavicle all start at its end
    assert "root" not in names  # the ASF root has no length
    pts = rest_points(sk)
    assert (np.linalg.norm(pts[seg.end] - pts[seg.start], axis=1) > 1e-6).all()


def test_self_penetration_rest_clip_and_crossed_legs(cmu_walk):
    assert self_penetration(rest_motion(cmu_walk)) == 0.0
    assert self_penetration(cmu_walk) == 0.0
    crossed = rest_motion(cmu_walk, 2)
    j = cmu_walk.skeleton.index("lfemur")
    crossed.rotations[1, j] = roma.rotvec_to_unitquat(torch.tensor([0.0, 0.0, -1.0])).numpy()  # thigh swung inwards
    assert self_penetration(crossed) == 0.5
    assert ("lfemur", "rfemur") in penetrating_pairs(crossed, 1)


def test_per_vertex_error_mm(cmu_walk):
    body = body_mesh(cmu_walk.skeleton, "capsules")
    assert np.allclose(per_vertex_error(cmu_walk, cmu_walk, body), 0)
    shifted = dataclasses.replace(cmu_walk, root_translation=cmu_walk.root_translation + [0.1, 0, 0])
    np.testing.assert_allclose(per_vertex_error(cmu_walk, shifted, body), 100.0, rtol=1e-9)
