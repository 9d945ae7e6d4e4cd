"""The fitting protocol of 003 §4.1, as a reproducer would write it in torch.

"Gradient descent … with a learning rate of 0.01 and a momentum of 0.9. The procedure is
deemed to have reached convergence if the target function drops by less than 10⁻⁸":
full-batch ``torch.optim.SGD(lr=0.01, momentum=0.9)`` on autograd, stopping at
0 ≤ f_old − f_new < 1e-8 · f_old (an increase, possible with momentum, does not stop it).
Shared by ``bench_estimators.py`` (rank-K CNN) and ``bench_fig3.py`` (Tucker CNN).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch


def paper_gd(loss_fn: Callable[[], torch.Tensor], parameters: Sequence[torch.Tensor],
             tol: float = 1e-8, max_iter: int = 1_000_000) -> tuple[float, int]:
    """Run the protocol on ``loss_fn()`` over ``parameters``; returns (objective, iterations).

    Stops early (with a non-finite objective) if the iteration diverges.
    """
    optimizer = torch.optim.SGD(list(parameters), lr=0.01, momentum=0.9)
    with torch.no_grad():
        f_old = float(loss_fn())
    for iteration in range(1, max_iter + 1):
        optimizer.zero_grad()
        loss = loss_fn()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            f_new = float(loss_fn())
        if not math.isfinite(f_new):
            return f_new, iteration
        drop = f_old - f_new
        f_old = f_new
        if 0 <= drop < tol * (f_new + drop):
            return f_new, iteration
    return f_old, max_iter
