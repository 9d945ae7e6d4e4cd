"""The real network that :class:`CNNSpec` and :class:`DeepCNNSpec` describe, run by torch.

This is the independent reference for the positioning-matrix formulas: it uses torch's own
``conv{1,2,3}d`` and ``avg_pool{1,2,3}d`` and shares no code with them.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._checks import check_batch
from .deep import DeepCNNSpec
from .spec import CNNSpec

__all__ = ["network_forward"]


def _as_tensor(value: Any, reference: Any = None):
    import torch

    if isinstance(value, torch.Tensor):
        return value
    kwargs = {"dtype": torch.float64} if reference is None else {
        "dtype": reference.dtype, "device": reference.device}
    return torch.as_tensor(np.asarray(value, dtype=np.float64), **kwargs)


def network_forward(spec: CNNSpec | DeepCNNSpec, X: Any, kernels: Any, B: Any):
    """Run the conv → avg-pool (→ …) → FC network with torch, linear activations.

    Parameters
    ----------
    spec : CNNSpec or DeepCNNSpec
        The architecture, N ≤ 3 modes (torch has no 4-D convolution).
    X : array or tensor of shape (n, d_1, …, d_N)
    kernels : for a CNNSpec, A of shape (K, *l); for a DeepCNNSpec, a list of S stacks of
        shape (C_s, C_{s−1}, *l^(s))
    B : array of shape (K, *p) or (C_S, *p^(S))

    Returns
    -------
    torch.Tensor of shape (n,)

    Raises
    ------
    TypeError, ValueError
        If ``spec`` is not a CNNSpec or DeepCNNSpec or has more than 3 modes, or X, the
        kernels or B have the wrong shape, mixed floating dtypes or non-finite entries
        (the spec's own checks, before any convolution).
    """
    import torch.nn.functional as F

    if not isinstance(spec, CNNSpec | DeepCNNSpec):
        raise TypeError(f"spec must be a CNNSpec or DeepCNNSpec, got {type(spec).__name__}")
    if spec.n_modes > 3:
        raise ValueError(f"torch has convolutions for 1 to 3 modes; this spec has {spec.n_modes}")
    X = check_batch(X, spec.input_shape)
    kernels, B = spec._check_weights(kernels, B, reference=X)
    if isinstance(spec, CNNSpec):
        kernels = [_as_tensor(kernels)[:, None]]
        spec = spec.to_deep()
    conv = (F.conv1d, F.conv2d, F.conv3d)[spec.n_modes - 1]
    pool = (F.avg_pool1d, F.avg_pool2d, F.avg_pool3d)[spec.n_modes - 1]
    out = _as_tensor(X)[:, None]
    for geometry, kernel in zip(spec.geometries, kernels):
        out = conv(out, _as_tensor(kernel, out), stride=geometry.stride, padding=geometry.padding)
        out = pool(out, geometry.pool_shape, stride=geometry.pool_stride)
    fc = _as_tensor(B, out)
    return (out * fc).flatten(1).sum(1)


