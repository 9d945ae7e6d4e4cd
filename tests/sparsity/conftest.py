"""Fixtures of the sparsity tests: torch on one thread (tiny models; a 2-core CI machine
shared with other jobs makes multi-threaded autograd spin)."""

import pytest
import torch


@pytest.fixture(autouse=True)
def single_thread_torch():
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
