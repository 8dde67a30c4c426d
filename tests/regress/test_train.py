"""Training: batches move to the training device whole; an interrupted run resumes exactly."""
import dataclasses

import pytest
import torch

from posefield.regress.camera import Crop
from posefield.regress.losses import Target
from posefield.regress.train import Batch, RegressTrainConfig, moved, train_model
from posefield.settings import settings_from_dict
from tests.regress.conftest import tiny_model


def test_moved_copies_nested_dataclasses_onto_a_device():
    crop = Crop(torch.zeros(2, 2), torch.ones(2))
    target = Target(torch.zeros(2, 3, 3, 3), torch.zeros(2, 1), torch.zeros(2, 3), torch.zeros(2, 4, 3))
    batch = Batch(torch.zeros(2, 5, 3), crop, target, None, None)
    copy = moved(batch, "meta")
    assert copy.inputs.device.type == "meta" and copy.crop.scale.device.type == "meta"
    assert copy.target.points.device.type == "meta" and batch.crop.scale.device.type == "cpu"


class Interrupted(Exception):
    """Stands in for a crash or Ctrl-C in the middle of training."""


def test_a_resumed_run_matches_one_that_never_stopped(cmu_skeleton, cmu_poses):
    config = RegressTrainConfig(steps=6, batch_size=8, log_every=2, seed=3)
    train, val = cmu_poses[:48], cmu_poses[48:]
    whole = tiny_model(cmu_skeleton)
    whole_record = train_model(whole, train, val, config)

    saved: list[dict] = []

    def crash_after_step_4(step: int, record: dict) -> None:
        if step == 4:
            raise Interrupted

    with pytest.raises(Interrupted):
        train_model(tiny_model(cmu_skeleton), train, val, config, progress=crash_after_step_4, checkpoint=saved.append)
    assert [r["steps_done"] for r in saved] == [2, 4] and saved[-1]["resume"]["step"] == 4 and len(saved[-1]["resume"]["generators"]) == 1
    resumed = tiny_model(cmu_skeleton)
    record = train_model(resumed, train, val, settings_from_dict(RegressTrainConfig, saved[-1]["config"]), resume=saved[-1]["resume"])
    for name, value in whole.regressor.state_dict().items():
        assert torch.equal(value, resumed.regressor.state_dict()[name]), name
    assert record["steps_done"] == 6 and "resume" not in record
    assert [h["val_mpjpe_mm"] for h in record["history"]] == [h["val_mpjpe_mm"] for h in whole_record["history"]]


def test_train_config_survives_a_checkpoint_round_trip():
    config = RegressTrainConfig(steps=7, max_minutes=3.5)
    assert settings_from_dict(RegressTrainConfig, dataclasses.asdict(config)) == config
