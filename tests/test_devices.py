"""Training devices are checked before any work starts."""
import pytest
import torch

from posefield.devices import training_device
from posefield.errors import PosefieldError


def test_cpu_is_always_there():
    assert training_device("cpu") == torch.device("cpu")


@pytest.mark.parametrize("name", ["gpu", "cuda:99"])
def test_unknown_or_missing_devices_give_one_line_errors(name):
    with pytest.raises(PosefieldError) as err:
        training_device(name)
    assert "\n" not in str(err.value) and name in str(err.value)
