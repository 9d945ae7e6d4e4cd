"""MACs from ``ptflops``, the maintained counter the papers' GMac figures come from.

``ptflops`` is optional (not a dependency of tensorcnn); it is the cross-check that the
closed forms in :mod:`tensorcnn.blocks` and :mod:`tensorcnn.nets.families` are tested
against.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

__all__ = ["ptflops_macs"]


def ptflops_macs(model: nn.Module, input_shape: Sequence[int]) -> int:
    """MACs of one forward pass of ``model`` on a batch of one, as ``ptflops`` counts them.

    PyTorch backend with functional counting on (so ``torch.matmul`` inside custom layers
    such as :class:`~tensorcnn.nets.local.LocallyConnected2d` is counted) and ``nn.ReLU``
    left to the functional hook: ptflops 0.7.5 otherwise counts an ``nn.ReLU`` twice, once
    as a module and once through the ``F.relu`` it calls.

    Parameters
    ----------
    model : nn.Module
    input_shape : tuple of ints
        One input without the batch axis, e.g. (C, H, W).

    Raises
    ------
    ImportError
        If ptflops is not installed.
    RuntimeError
        If ptflops could not run the model.
    """
    try:
        from ptflops import get_model_complexity_info
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("ptflops_macs needs ptflops: pip install ptflops") from error
    was_training = model.training
    model.eval()
    try:
        macs, _ = get_model_complexity_info(
            model, tuple(input_shape), as_strings=False, print_per_layer_stat=False,
            backend="pytorch", ignore_modules=[nn.ReLU],
            backend_specific_config={"count_functional": True})
    finally:
        model.train(was_training)
    if macs is None:
        raise RuntimeError(f"ptflops could not count the MACs of {type(model).__name__}")
    return int(macs)
