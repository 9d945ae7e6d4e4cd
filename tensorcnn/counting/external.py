"""MACs from ``ptflops``, the maintained counter the papers' GMac figures come from.

``ptflops`` is optional (not a dependency of tensorcnn); it is the cross-check that the
closed forms in :mod:`tensorcnn.blocks` and :mod:`tensorcnn.nets.families` are tested
against.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from ..cnn.geometry import normalize_shape

__all__ = ["ptflops_macs"]

# Modules whose forward calls a functional that ptflops patches when count_functional=True.
_COUNTED_AS_FUNCTIONALS = (
    nn.ReLU, nn.PReLU, nn.ELU, nn.GELU, nn.SiLU,
    nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
    nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d,
)


def ptflops_macs(model: nn.Module, input_shape: Sequence[int]) -> int:
    """MACs of one forward pass of ``model`` on a batch of one, as ``ptflops`` counts them.

    PyTorch backend with functional counting on (so ``torch.matmul`` inside custom layers
    such as :class:`~tensorcnn.nets.local.LocallyConnected2d` is counted), and the modules
    whose forward calls a patched functional (``nn.ReLU`` → ``F.relu``, pooling →
    ``F.max_pool2d`` …) left to the functional hook: ptflops 0.7.5 otherwise counts each
    of their calls twice, once as a module and once through the functional.

    Parameters
    ----------
    model : nn.Module
    input_shape : tuple of ints
        One input without the batch axis, e.g. (C, H, W).

    Raises
    ------
    TypeError, ValueError
        If ``model`` is not an ``nn.Module`` or ``input_shape`` not a shape of sizes >= 1.
    ImportError
        If ptflops is not installed.
    RuntimeError
        If ptflops could not run the model.
    """
    try:
        from ptflops import get_model_complexity_info
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise ImportError("ptflops_macs needs ptflops: pip install ptflops") from error
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    input_shape = normalize_shape(input_shape, "input_shape")
    was_training = model.training
    model.eval()
    try:
        macs, _ = get_model_complexity_info(
            model, tuple(input_shape), as_strings=False, print_per_layer_stat=False,
            backend="pytorch", ignore_modules=list(_COUNTED_AS_FUNCTIONALS),
            backend_specific_config={"count_functional": True})
    finally:
        model.train(was_training)
    if macs is None:
        raise RuntimeError(f"ptflops could not count the MACs of {type(model).__name__}")
    return int(macs)
