"""The Anny body mesh (MakeHuman-based, CC0 assets, Apache-2.0 code) skinned onto the CMU ASF skeleton.

Anny ships a CMU MotionBuilder-style rig (``rig="cmu_mb"``) with the same 31 bones as the CMU
ASF skeleton, only named differently (:data:`ANNY_TO_CMU`). Two steps:

1. **Template** (slow, once): Anny's rest mesh of its default phenotype, its ``cmu_mb`` bone
   heads and tails and skinning weights (the 4 largest per vertex, renormalised), turned from
   Anny's Z-up frame facing −Y into posefield's Y-up frame facing +Z: (x, y, z) -> (x, z, −y).
   Building Anny takes minutes, so the template is cached as ``anny-<version>-cmu_mb.npz`` in
   :func:`posefield.mesh.cache.body_cache_dir`; Anny's own build cache goes to a temporary
   folder that is deleted (unless ``ANNY_CACHE_DIR`` is set). No download is involved.
2. **Rest-pose alignment** (fast, per skeleton): Anny stands in an A-pose with bent elbows,
   CMU skeletons in a T-pose with their own proportions. Each Anny bone b is mapped onto its
   CMU bone j by the affine map x -> P_j + s · R_j · S_j · (x − h_b): s scales Anny to the
   skeleton's height, R_j is the shortest rotation turning Anny's bone direction into the CMU
   bone's (its per-bone alignment rotation; bones without length, like the root, take their
   parent's), S_j stretches along the bone to the CMU bone's length (by a factor clipped to
   [0.5, 2]), h_b is the bone's head and P_j the CMU joint's rest position. Blending these maps
   with the skinning weights puts Anny's mesh into the skeleton's rest pose; skinning uses the
   unblended maps (``BodyMesh.bound``), so a pose blends once, straight from Anny's A-pose.
"""
from __future__ import annotations

import contextlib
import dataclasses
import functools
import importlib.metadata
import os
import sys
import tempfile
from pathlib import Path
from typing import Iterator

import numpy as np

from posefield.errors import SkeletonMismatchError
from posefield.io.atomic import atomic_path
from posefield.mesh.body import BodyMesh
from posefield.mesh.cache import body_cache_dir
from posefield.skeleton import Skeleton, rest_points

ANNY_TO_CMU: dict[str, str] = {
    "Hips": "root", "LowerBack": "lowerback", "Spine": "upperback", "Spine1": "thorax",
    "Neck": "lowerneck", "Neck1": "upperneck", "Head": "head",
    **{f"{a}HipJoint": f"{c}hipjoint" for a, c in (("L", "l"), ("R", "r"))},
    **{f"{a}{part}": f"{c}{cmu}" for a, c in (("Left", "l"), ("Right", "r")) for part, cmu in (
        ("UpLeg", "femur"), ("Leg", "tibia"), ("Foot", "foot"), ("ToeBase", "toes"), ("Shoulder", "clavicle"),
        ("Arm", "humerus"), ("ForeArm", "radius"), ("Hand", "wrist"), ("FingerBase", "hand"),
        ("HandFinger1", "fingers"))},
    **{f"{a}Thumb": f"{c}thumb" for a, c in (("L", "l"), ("R", "r"))},
}
"""Anny ``cmu_mb`` bone -> CMU ASF bone (31 each). Anny's ``LeftHand`` is the CMU wrist bone,
``LeftFingerBase`` the CMU hand, ``LeftHandFinger1`` the fingers."""

WEIGHTS_PER_VERTEX = 4
STRETCH_LIMITS = (0.5, 2.0)


@dataclasses.dataclass(eq=False)
class AnnyTemplate:
    """Anny's rest body with its ``cmu_mb`` rig, posefield axes (Y up, facing +Z), metres.

    Attributes:
        vertices: (V, 3) rest vertices.
        faces: (F, 3) triangles.
        bones: (B,) Anny bone names.
        heads: (B, 3) bone heads (joint positions).
        tails: (B, 3) bone tails.
        bone_index: (V, K) bones skinning each vertex.
        bone_weight: (V, K) their weights, rows summing to 1.
    """

    vertices: np.ndarray
    faces: np.ndarray
    bones: list[str]
    heads: np.ndarray
    tails: np.ndarray
    bone_index: np.ndarray
    bone_weight: np.ndarray


def anny_version() -> str | None:
    """The installed Anny version, ``None`` when Anny is not installed."""
    try:
        return importlib.metadata.version("anny")
    except importlib.metadata.PackageNotFoundError:
        return None


def template_path(version: str) -> Path:
    return body_cache_dir() / f"anny-{version}-cmu_mb.npz"


def cached_template() -> Path | None:
    """The cached template of the installed Anny (any cached one when Anny is not installed)."""
    version = anny_version()
    found = [template_path(version)] if version else sorted(body_cache_dir().glob("anny-*-cmu_mb.npz"))
    return next((p for p in found if p.is_file()), None)


def anny_available() -> bool:
    """Whether an Anny body can be had: a cached template, or Anny installed to build one."""
    return anny_version() is not None or cached_template() is not None


def to_posefield_axes(points: np.ndarray) -> np.ndarray:
    """(..., 3) points from Anny's frame (Z up, facing −Y) to posefield's (Y up, facing +Z)."""
    return np.stack([points[..., 0], points[..., 2], -points[..., 1]], axis=-1)


def top_weights(index: np.ndarray, weight: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest of (V, N) skinning weights per vertex, renormalised to sum to 1."""
    order = np.argsort(-weight, axis=1)[:, :k]
    index, weight = np.take_along_axis(index, order, 1), np.take_along_axis(weight, order, 1)
    return index, weight / np.maximum(weight.sum(axis=1, keepdims=True), 1e-12)


@contextlib.contextmanager
def _anny_build_cache() -> Iterator[None]:
    """Point Anny's build cache at a temporary folder for the block, unless ANNY_CACHE_DIR is set."""
    if os.environ.get("ANNY_CACHE_DIR"):
        yield
        return
    import anny.paths

    before = anny.paths.get_anny_cache_path()
    with tempfile.TemporaryDirectory(prefix="posefield-anny-") as tmp:
        anny.paths.set_anny_cache_path(tmp)
        try:
            yield
        finally:
            anny.paths.set_anny_cache_path(before)


def build_anny_template() -> AnnyTemplate:
    """Build the template with Anny (minutes; see the module docstring)."""
    from posefield.requires import require

    require("anny", "mesh", "the Anny body mesh")
    import anny
    import torch

    with _anny_build_cache():
        model = anny.Anny(rig="cmu_mb").to(torch.float64)
        with torch.no_grad():
            rest = model(pose_parameters=torch.eye(4, dtype=torch.float64).expand(1, model.bone_count, 4, 4),
                         return_bone_ends=True)
    index, weight = top_weights(model.vertex_bone_indices.numpy(), model.vertex_bone_weights.numpy(),
                                WEIGHTS_PER_VERTEX)
    return AnnyTemplate(to_posefield_axes(rest["rest_vertices"][0].numpy()), model.faces.numpy().astype(np.int64),
                        list(model.bone_labels), to_posefield_axes(rest["rest_bone_heads"][0].numpy()),
                        to_posefield_axes(rest["rest_bone_tails"][0].numpy()), index, weight)


def save_template(template: AnnyTemplate, path: Path) -> None:
    """Write ``template`` atomically (float32, compressed: about 1 MB), making the cache folder if needed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        np.savez_compressed(tmp, vertices=template.vertices.astype(np.float32), faces=template.faces.astype(np.int32),
                            bones=np.asarray(template.bones), heads=template.heads, tails=template.tails,
                            bone_index=template.bone_index.astype(np.int16),
                            bone_weight=template.bone_weight.astype(np.float32))


def load_template_file(path: Path) -> AnnyTemplate:
    with np.load(path, allow_pickle=False) as data:
        return AnnyTemplate(data["vertices"].astype(np.float64), data["faces"].astype(np.int64),
                            [str(b) for b in data["bones"]], data["heads"], data["tails"],
                            data["bone_index"].astype(np.int64), data["bone_weight"].astype(np.float64))


@functools.lru_cache(maxsize=1)
def load_anny_template() -> AnnyTemplate:
    """The cached template of the installed Anny (any cached one when Anny is not installed),
    built and cached first when missing."""
    cached = cached_template()
    if cached is not None:
        return load_template_file(cached)
    print(f"posefield: building the Anny body once (a few minutes); it will be cached in {body_cache_dir()}",
          file=sys.stderr)
    template = build_anny_template()
    save_template(template, template_path(anny_version() or "unknown"))
    return template


def shortest_rotation(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(3, 3) the smallest rotation turning direction ``a`` into direction ``b`` (both (3,), non-zero)."""
    a, b = a / np.linalg.norm(a), b / np.linalg.norm(b)
    v, c = np.cross(a, b), float(a @ b)
    if c < -1 + 1e-9:  # opposite: half a turn about any axis perpendicular to a
        axis = np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
        axis /= np.linalg.norm(axis)
        return 2 * np.outer(axis, axis) - np.eye(3)
    vx = np.array([[0, -v[2], v[1]], [v[2], 0, -v[0]], [-v[1], v[0], 0]])
    return np.eye(3) + vx + vx @ vx / (1 + c)


def bone_vectors(skeleton: Skeleton) -> np.ndarray:
    """(J, 3) rest vector of each joint's own bone, metres: to its first child with a non-zero
    offset, else to its end site, else zero (a joint without a bone, like the ASF root)."""
    out = np.zeros((skeleton.num_joints, 3))
    for j in range(skeleton.num_joints):
        offsets = [skeleton.offsets[c] for c in skeleton.children(j) if np.linalg.norm(skeleton.offsets[c]) > 1e-9]
        if offsets:
            out[j] = offsets[0]
        elif j in skeleton.end_sites:
            out[j] = skeleton.end_sites[j]
    return out


def cmu_joint_of_bones(template: AnnyTemplate, skeleton: Skeleton) -> np.ndarray:
    """(B,) skeleton joint index of each Anny bone; raises when the skeleton lacks a CMU bone."""
    missing = [c for c in ANNY_TO_CMU.values() if c not in skeleton.names]
    if missing:
        raise SkeletonMismatchError(f"the Anny body needs a CMU ASF skeleton; this {skeleton.rig} skeleton "
                                    f"lacks {', '.join(missing)}")
    return np.array([skeleton.names.index(ANNY_TO_CMU[b]) for b in template.bones], dtype=np.int64)


def body_height(points: np.ndarray) -> float:
    """Vertical (Y) extent of (N, 3) points, metres."""
    return float(points[:, 1].max() - points[:, 1].min())


def alignment_maps(template: AnnyTemplate, skeleton: Skeleton) -> tuple[np.ndarray, np.ndarray]:
    """Per Anny bone b, the affine map of its vertices into the skeleton's rest pose,
    x -> A_b (x − h_b) + P_j (module docstring). Returns A (B, 3, 3) and P (B, 3)."""
    joint = cmu_joint_of_bones(template, skeleton)
    points = rest_points(skeleton)
    scale = body_height(points) / body_height(np.concatenate([template.heads, template.tails]))
    cmu_vectors = bone_vectors(skeleton)
    rotation = np.tile(np.eye(3), (skeleton.num_joints, 1, 1))
    linear = np.zeros((len(template.bones), 3, 3))
    for b in sorted(range(len(template.bones)), key=lambda b: joint[b]):  # parents before children
        j = joint[b]
        anny_vec, cmu_vec = scale * (template.tails[b] - template.heads[b]), cmu_vectors[j]
        if np.linalg.norm(anny_vec) < 1e-6 or np.linalg.norm(cmu_vec) < 1e-6:
            p = skeleton.parents[j]
            rotation[j] = rotation[p] if p >= 0 else np.eye(3)
            linear[b] = scale * rotation[j]
            continue
        rotation[j] = shortest_rotation(anny_vec, cmu_vec)
        direction = anny_vec / np.linalg.norm(anny_vec)
        stretch = np.clip(np.linalg.norm(cmu_vec) / np.linalg.norm(anny_vec), *STRETCH_LIMITS)
        linear[b] = scale * rotation[j] @ (np.eye(3) + (stretch - 1) * np.outer(direction, direction))
    return linear, points[joint]


def anny_body(skeleton: Skeleton, template: AnnyTemplate | None = None) -> BodyMesh:
    """Anny's mesh in ``skeleton``'s rest pose, bound to its joints (CMU ASF skeletons only)."""
    template = template or load_anny_template()
    joint = cmu_joint_of_bones(template, skeleton)
    linear, target = alignment_maps(template, skeleton)
    idx, w = template.bone_index, template.bone_weight
    local = template.vertices[:, None, :] - template.heads[idx]  # (V, K, 3)
    mapped = np.einsum("vkij,vkj->vki", linear[idx], local) + target[idx]  # (V, K, 3)
    vertices = (w[..., None] * mapped).sum(axis=1)
    return BodyMesh(vertices, template.faces, joint[idx], w, "anny", bound=mapped)
