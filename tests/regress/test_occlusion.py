"""Occluders hide exactly the keypoints inside them; synthetic scenes and observations."""
import dataclasses
import math

import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from posefield.regress.occluders import KINDS, Occluders, covered, inside_box, inside_circle, random_occluders
from posefield.regress.synthetic import SyntheticConfig, detect, observe, occlude, random_kinds, sample_scenes

from tests.regress.conftest import tiny_model


def test_box_and_circle_membership():
    points = torch.tensor([[[0.0, 0.0], [2.9, 0.0], [3.1, 0.0], [0.0, 1.1], [0.0, 0.9]]])
    box = inside_box(points, torch.zeros(1, 2), torch.tensor([[3.0, 1.0]]), torch.zeros(1))
    assert box.tolist() == [[True, True, False, False, True]]
    turned = inside_box(points, torch.zeros(1, 2), torch.tensor([[3.0, 1.0]]), torch.tensor([math.pi / 2]))
    assert turned.tolist() == [[True, False, False, True, True]]  # now long along y
    circle = inside_circle(points, torch.zeros(1, 2), torch.tensor([1.0]))
    assert circle.tolist() == [[True, False, False, False, True]]


@settings(max_examples=30, deadline=None)
@given(kind=st.sampled_from(KINDS[1:]), cx=st.floats(-5, 5), cy=st.floats(-5, 5), a=st.floats(0.1, 4),
       b=st.floats(0.1, 4), angle=st.floats(0, math.pi), seed=st.integers(0, 1000))
def test_covered_is_the_shape(kind, cx, cy, a, b, angle, seed):
    points = torch.rand(1, 200, 2, generator=torch.Generator().manual_seed(seed)) * 20 - 10
    occluder = Occluders(torch.tensor([KINDS.index(kind)]), torch.tensor([[cx, cy]]), torch.tensor([[a, b]]),
                         torch.tensor([angle]))
    hidden = covered(points, occluder)[0]
    d = points[0] - torch.tensor([cx, cy])
    if kind == "circle":
        expected = d.norm(dim=-1) <= a
    else:
        along = d[:, 0] * math.cos(angle) + d[:, 1] * math.sin(angle)
        across = -d[:, 0] * math.sin(angle) + d[:, 1] * math.cos(angle)
        expected = (along.abs() <= a) & (across.abs() <= b)
    assert torch.equal(hidden, expected)
    nothing = dataclasses.replace(occluder, kind=torch.tensor([0]))
    assert not covered(points, nothing).any()


def test_observation_hides_exactly_the_covered_keypoints(cmu_skeleton, cmu_poses):
    model = tiny_model(cmu_skeleton)
    config = SyntheticConfig(drop_prob=0.2)
    generator = torch.Generator().manual_seed(1)
    scene = sample_scenes(model.body, cmu_poses[:32], config, generator)
    truth, seen = detect(scene, model.keypoints, config, generator)
    for kind in KINDS:
        occluders = random_occluders(torch.full((32,), KINDS.index(kind)), truth, seen.visible, generator)
        inside = covered(truth, occluders)
        result = occlude(seen, truth, occluders, min_visible=0)
        assert torch.equal(result.visible, seen.visible & ~inside)
        assert torch.equal(result.pixels[result.visible], seen.pixels[result.visible])
        assert not result.pixels[~result.visible].any()
        assert (kind == "none") == (not inside.any())
    everything = Occluders(torch.ones(32, dtype=torch.long), truth.mean(dim=1), torch.full((32, 2), 1e5), torch.zeros(32))
    assert torch.equal(occlude(seen, truth, everything, min_visible=4).visible, seen.visible)  # would leave too few


def test_scenes_keep_bodies_in_view(cmu_skeleton, cmu_poses):
    model = tiny_model(cmu_skeleton)
    config = SyntheticConfig(clip_length=4)
    generator = torch.Generator().manual_seed(3)
    scene = sample_scenes(model.body, cmu_poses[:40], config, generator)
    assert (scene.translation[:, 2] > 1.0).all()
    assert torch.equal(scene.beta[0], scene.beta[3]) and not torch.equal(scene.beta[3], scene.beta[4])  # clips share a person
    assert torch.equal(scene.intrinsics[4], scene.intrinsics[7])
    seen = observe(scene, model.keypoints, random_kinds(40, 0.5, generator), config, generator)
    assert seen.visible.float().mean() > 0.6
    assert (seen.visible.sum(dim=1) >= config.min_visible).all()
