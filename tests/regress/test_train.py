"""Training helpers: batches move to the training device whole."""
import torch

from posefield.regress.camera import Crop
from posefield.regress.losses import Target
from posefield.regress.train import Batch, moved


def test_moved_copies_nested_dataclasses_onto_a_device():
    crop = Crop(torch.zeros(2, 2), torch.ones(2))
    target = Target(torch.zeros(2, 3, 3, 3), torch.zeros(2, 1), torch.zeros(2, 3), torch.zeros(2, 4, 3))
    batch = Batch(torch.zeros(2, 5, 3), crop, target, None, None)
    copy = moved(batch, "meta")
    assert copy.inputs.device.type == "meta" and copy.crop.scale.device.type == "meta"
    assert copy.target.points.device.type == "meta" and batch.crop.scale.device.type == "cpu"
