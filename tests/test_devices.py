"""Training devices are checked before any work starts."""
import pytest
import torch

from posefield.devices import training_device
from posefield.errors import PosefieldError


def test_cpu_is_always_there():
    assert training_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name", ["gpu", "cuda:99", "mps", "meta"])
def test_unknown_or_missing_devices_give_one_line_errors(name):
    """Torch's own types beyond cpu and cuda included (mps failed deep in regress-train)."""
    with pytest.raises(PosefieldError) as err:
        training_device(name)
    assert "\n" not in str(err.value) and name in str(err.value)


def test_regress_train_refuses_a_device_type_it_does_not_train_on(tmp_path):
    from typer.testing import CliRunner

    from posefield.cli import app

    result = CliRunner().invoke(app, ["regress-train", str(tmp_path / "poses.npz"), "-o", str(tmp_path / "r.pt"),
                                      "--device", "mps"])
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1 and "'mps'" in lines[0], result.output
