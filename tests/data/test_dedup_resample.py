import numpy as np
import roma
import torch

from posefield.data.build import BuildConfig, choose_validation, deduplicate
from posefield.data.resample import resample, slerp_pairs
from posefield.motion import Motion
from posefield.rotations import pose_distance, random_unit_quaternions
from posefield.skeleton import Skeleton


def chain_skeleton(n: int = 4) -> Skeleton:
    return Skeleton(names=[f"j{i}" for i in range(n)], parents=[-1] + list(range(n - 1)),
                    offsets=[[0, 0, 0]] + [[0, 0.1, 0]] * (n - 1),
                    channels=[("Xposition", "Yposition", "Zposition", "Zrotation", "Xrotation", "Yrotation")]
                    + [("Zrotation", "Xrotation", "Yrotation")] * (n - 1))


def test_dedup_matches_brute_force_greedy():
    g = torch.Generator().manual_seed(1)
    base = random_unit_quaternions((30, 5), g)
    q = roma.quat_normalize(base.repeat(8, 1, 1) + 0.02 * torch.randn(240, 5, 4, generator=g))
    threshold = 0.05
    kept = deduplicate(q, threshold, chunk=128)
    expected = []
    for i in range(len(q)):
        if not expected or pose_distance(q[i][None], q[expected]).min() >= threshold:
            expected.append(i)
    assert kept.tolist() == expected
    assert 30 <= len(kept) < 240


def test_dedup_zero_threshold_keeps_all():
    q = random_unit_quaternions((10, 3))
    assert deduplicate(q, 0.0).tolist() == list(range(10))


def test_slerp_pairs_endpoints_and_midpoint():
    g = torch.Generator().manual_seed(0)
    a, b = random_unit_quaternions((7,), g, torch.float64), random_unit_quaternions((7,), g, torch.float64)
    assert torch.allclose(slerp_pairs(a, b, torch.zeros(7, dtype=torch.float64)), a, atol=1e-9)
    end = slerp_pairs(a, b, torch.ones(7, dtype=torch.float64))
    assert torch.allclose(roma.unitquat_to_rotmat(end), roma.unitquat_to_rotmat(b), atol=1e-9)
    mid = slerp_pairs(a, b, torch.full((7,), 0.5, dtype=torch.float64))
    assert torch.allclose(geo := roma.unitquat_geodesic_distance(a, mid), roma.unitquat_geodesic_distance(mid, b), atol=1e-9)
    assert torch.allclose(2 * geo, roma.unitquat_geodesic_distance(a, b), atol=1e-9)


def test_resample_halves_frames_and_interpolates():
    sk = chain_skeleton()
    g = torch.Generator().manual_seed(0)
    rot = random_unit_quaternions((9, 4), g, torch.float64).numpy()
    trans = np.arange(27, dtype=float).reshape(9, 3)
    m = Motion(sk, rot, trans, fps=120.0)
    half = resample(m, 60.0)
    assert half.num_frames == 5 and half.fps == 60.0
    assert np.allclose(half.rotations, rot[::2]) and np.allclose(half.root_translation, trans[::2])
    odd = resample(m, 80.0)  # 1.5 source frames per frame
    assert odd.num_frames == 6
    assert np.allclose(odd.root_translation[1], (trans[1] + trans[2]) / 2)


def test_choose_validation_by_fraction_is_deterministic_and_keeps_training():
    groups = ["a", "b", "c", "d"]
    frames = {"a": 100, "b": 100, "c": 100, "d": 100}
    cfg = BuildConfig(val_fraction=0.3, seed=3)
    chosen = choose_validation(groups, frames, cfg)
    assert chosen == choose_validation(groups, frames, cfg)
    assert 1 <= len(chosen) < 4
    assert choose_validation(groups, frames, BuildConfig(val_fraction=0.99)) != set(groups)
    assert choose_validation(groups, frames, BuildConfig(val_subjects=("b",))) == {"b"}
