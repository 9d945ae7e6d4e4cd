"""Array-argument checks shared by :class:`~tensorcnn.cnn.CNNSpec` and
:class:`~tensorcnn.cnn.DeepCNNSpec`: clear errors naming the argument and the expected axes."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._backend import as_array, is_torch

__all__ = ["check_batch", "check_stack"]


def _float_dtype(value: Any) -> str | None:
    """The floating dtype of an array or tensor as a name ("float32"), None for others."""
    if is_torch(value):
        return str(value.dtype).removeprefix("torch.") if value.is_floating_point() else None
    dtype = getattr(value, "dtype", None)
    return dtype.name if isinstance(dtype, np.dtype) and dtype.kind == "f" else None


def check_stack(value: Any, name: str, expected: tuple[int, ...], what: str,
                reference: Any = None, reference_name: str = "X") -> Any:
    """Validate an array argument of a fixed shape.

    Parameters
    ----------
    value : array-like or torch.Tensor
        The argument (kernels, FC weights).
    name : str
        Its name, for the error message.
    expected : tuple of int
        The shape it must have.
    what : str
        The names of the axes, e.g. ``"(n_kernels, *kernel_shape)"``, for the error message.
    reference : array or torch.Tensor, optional
        The array whose floating dtype every argument must share (one precision for the
        whole computation: a float32 ``value`` with a float64 ``reference`` is refused, not
        cast). Integer arrays and lists are converted to its dtype; when it is a torch
        tensor, a numpy ``value`` is moved to its device (:func:`tensorcnn._backend.as_array`).
    reference_name : str, default "X"
        The name of ``reference``, for the error message.

    Returns
    -------
    array
        ``value`` as a float array, on its own backend (or that of ``reference``).

    Raises
    ------
    TypeError
        If ``value`` is not a real numeric array, or its floating dtype differs from that
        of ``reference``.
    ValueError
        If ``value`` has another shape or holds NaN or infinite entries.
    """
    if reference is not None:
        mine, theirs = _float_dtype(value), _float_dtype(reference)
        if mine is not None and theirs is not None and mine != theirs:
            raise TypeError(f"{name} has dtype {mine} but {reference_name} has dtype {theirs}: "
                            "pass every array in one floating dtype")
    value = as_array(value, name, reference)
    if reference is not None and not is_torch(value) and not is_torch(reference):
        value = value.astype(reference.dtype, copy=False)
    if tuple(value.shape) != expected:
        raise ValueError(f"{name} must have shape {expected} {what}, got {tuple(value.shape)}")
    return value


def check_batch(X: Any, input_shape: tuple[int, ...]) -> Any:
    """Validate a batch of inputs X of shape (n, d_1, …, d_N).

    Parameters
    ----------
    X : array-like or torch.Tensor
        The batch.
    input_shape : tuple of N ints
        d = (d_1, …, d_N), the shape of one input.

    Returns
    -------
    array
        ``X`` as a float array, on its own backend.

    Raises
    ------
    TypeError
        If ``X`` is not a real numeric array.
    ValueError
        If ``X`` does not have shape (n, *input_shape) or holds NaN or infinite entries.
    """
    X = as_array(X, "X")
    if tuple(X.shape[1:]) != input_shape or X.ndim != len(input_shape) + 1:
        raise ValueError(
            f"X must have shape (n, {', '.join(map(str, input_shape))}) = (n, *input_shape), "
            f"got {tuple(X.shape)}"
        )
    return X
