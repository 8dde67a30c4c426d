"""The shared resume scheme: what a run saves restores optimiser, scheduler, progress, history
and random state as they were; states of older formats still restore."""
import io

import pytest
import torch

from posefield.regress.train import cosine_schedule, current_keys
from posefield.resume import restore, resume_state


def saved_and_read(state: dict) -> dict:
    """``state`` through torch.save and torch.load, as a checkpoint keeps it."""
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=False)


def adam_with_cosine() -> tuple[torch.optim.Adam, torch.optim.lr_scheduler.LambdaLR]:
    weight = torch.nn.Parameter(torch.ones(3))
    optimizer = torch.optim.Adam([weight], lr=0.1)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, cosine_schedule(10))


def stepped(optimizer: torch.optim.Optimizer, scheduler, steps: int) -> None:
    for _ in range(steps):
        optimizer.zero_grad()
        (optimizer.param_groups[0]["params"][0] ** 2).sum().backward()
        optimizer.step()
        scheduler.step()


def test_a_saved_state_restores_everything_a_run_continues_from():
    torch.manual_seed(5)
    optimizer, scheduler = adam_with_cosine()
    stepped(optimizer, scheduler, 3)
    generator = torch.Generator().manual_seed(7)
    state = saved_and_read(resume_state(optimizer, scheduler, [{"step": 3, "loss": 1.5}], "step", 3, "cpu",
                                        [generator.get_state()]))
    expected_draw = torch.rand(4)
    stepped(optimizer, scheduler, 2)  # the run goes on, then stops
    fresh, fresh_scheduler = adam_with_cosine()
    done, history, generators = restore(fresh, fresh_scheduler, state, "step", "cpu")
    assert done == 3 and history == [{"step": 3, "loss": 1.5}] and torch.equal(torch.rand(4), expected_draw)
    assert torch.equal(generators[0], generator.get_state())
    assert fresh_scheduler.last_epoch == 3 and fresh.param_groups[0]["lr"] == pytest.approx(0.1 * cosine_schedule(10)(3))
    assert fresh.state_dict()["state"][0]["step"] == 3


def test_a_fresh_start_and_a_state_without_random_state():
    optimizer, scheduler = adam_with_cosine()
    assert restore(optimizer, scheduler, None, "epoch", "cpu") == (0, [], [])
    state = resume_state(optimizer, scheduler, [], "epoch", 2, "cpu")
    del state["rng"], state["generators"]  # as VAE checkpoints were written before the shared scheme
    torch.manual_seed(1)
    expected = torch.rand(2)
    torch.manual_seed(1)
    assert restore(*adam_with_cosine(), state, "epoch", "cpu") == (2, [], [])
    assert torch.equal(torch.rand(2), expected)  # the random state was left alone


def test_a_regressor_state_written_before_the_shared_scheme_restores():
    optimizer, scheduler = adam_with_cosine()
    stepped(optimizer, scheduler, 2)
    generator = torch.Generator().manual_seed(3)
    legacy = {"step": 2, "seconds": 1.0, "history": [], "weights": {}, "optimiser": optimizer.state_dict(),
              "schedule": scheduler.state_dict(), "generators": [generator.get_state()]}
    fresh, fresh_scheduler = adam_with_cosine()
    done, _, generators = restore(fresh, fresh_scheduler, current_keys(legacy), "step", "cpu")
    assert done == 2 and fresh_scheduler.last_epoch == 2 and torch.equal(generators[0], generator.get_state())
