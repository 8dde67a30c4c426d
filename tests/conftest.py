"""Fixtures shared by every test module, and the hypothesis profile of every property test."""
import pytest
import torch
from hypothesis import settings

# The same examples on every run, so that a test fails on every machine or on none (CI included);
# ``pytest --hypothesis-profile=explore`` draws fresh examples, to look for new failures.
settings.register_profile("deterministic", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("deterministic")


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """Small batched ops run fastest on one thread (and do not fight other jobs for cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
