"""One intra-op thread for these tests: on a shared 2-core machine, OpenMP threads that
spin-wait for a busy core make small convolutions up to 100× slower."""

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
