"""Fixtures shared by every test module."""
import pytest
import torch


@pytest.fixture(scope="session", autouse=True)
def one_thread():
    """Small batched ops run fastest on one thread (and do not fight other jobs for cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
