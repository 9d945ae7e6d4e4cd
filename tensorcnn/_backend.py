"""Which TensorLy backend an array belongs to, and conversion of inputs to it.

TensorLy dispatches on a *global* backend, and importing ``tltorch`` silently switches it
(SPEC.md §1). Library code therefore never relies on the global setting: every public
function looks at the arrays it was given and runs its TensorLy calls inside
``tl.backend_context`` for *their* backend. numpy arrays stay numpy, torch tensors stay
torch (same dtype and device).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import tensorly as tl

__all__ = ["as_array", "backend_of", "is_torch", "on_backend_of", "to_numpy", "like"]


def is_torch(array: Any) -> bool:
    """True for a ``torch.Tensor`` (checked without importing torch)."""
    return type(array).__module__.startswith("torch")


def backend_of(array: Any) -> str:
    """TensorLy backend name for ``array``: ``"pytorch"`` or ``"numpy"``."""
    return "pytorch" if is_torch(array) else "numpy"


@contextmanager
def on_backend_of(array: Any) -> Iterator[None]:
    """Run the enclosed TensorLy calls on the backend that ``array`` belongs to."""
    with tl.backend_context(backend_of(array)):
        yield


def to_numpy(array: Any) -> np.ndarray:
    """A numpy copy/view of a numpy array or torch tensor (any device)."""
    if is_torch(array):
        return array.detach().cpu().numpy()
    return np.asarray(array)


def like(values: np.ndarray, reference: Any) -> Any:
    """``values`` (numpy) as an array of the backend, dtype and device of ``reference``."""
    with on_backend_of(reference):
        return tl.tensor(values, **tl.context(reference))


def as_array(value: Any, name: str, reference: Any = None, *, finite: bool = True) -> Any:
    """Validate a numeric array argument and return it as a float array.

    numpy arrays and torch tensors are kept on their backend; other array-likes (lists,
    tuples) become float64 numpy arrays. Integer and boolean arrays are promoted to
    float64. When ``reference`` is a torch tensor, a numpy argument is moved to its dtype
    and device so that mixed inputs compute on one backend.

    ``finite=False`` skips the finiteness check (a pass over the data with a temporary),
    for callers whose next step checks it anyway (:func:`~tensorcnn.estimators._base.
    data_scale` refuses a non-finite array in its one pass).

    Raises
    ------
    TypeError
        If ``value`` is not numeric (strings, objects, complex numbers).
    ValueError
        If ``value`` holds NaN or infinite entries (unless ``finite=False``).
    """
    if is_torch(value):
        import torch

        if value.is_complex():
            raise TypeError(f"{name} must be real-valued, got a complex tensor")
        if not value.is_floating_point():
            value = value.to(torch.float64)
        ok = not finite or bool(torch.isfinite(value).all())
    else:
        try:
            value = np.asarray(value)
        except Exception as error:  # ragged nested lists and the like
            raise TypeError(
                f"{name} must be a numeric array, got {type(value).__name__}"
            ) from error
        if value.dtype.kind in "biu":
            value = value.astype(np.float64)
        if value.dtype.kind != "f":
            raise TypeError(
                f"{name} must be a real numeric array, got dtype {value.dtype} "
                f"({type(value).__name__})"
            )
        ok = not finite or bool(np.isfinite(value).all())
        if reference is not None and is_torch(reference):
            value = like(value, reference)
    if not ok:
        raise ValueError(f"{name} contains NaN or infinite values")
    return value
