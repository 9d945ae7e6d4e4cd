r"""What :class:`~tensorcnn.cnn.CNNSpec` and :class:`~tensorcnn.cnn.DeepCNNSpec` share.

Both are linear networks in a "Tucker-like" form (003 Eq. 4–5 and 7),

.. math::
    y = \langle X, W_X\rangle, \quad W_X = W \times_1 F^{(1)} \cdots \times_N F^{(N)},
    \quad y = \langle Z, W\rangle, \quad Z = X \times_1 F^{(1)\top} \cdots \times_N F^{(N)\top},

with fixed factors F^(j) ∈ R^{d_j × w_j} (the pooled positioning factors U_F^(j) of one
stage, or the nested factors U_DF^(j) of several) and a coefficient tensor W built from the
network's weights. :class:`_TuckerLikeSpec` holds the design, the composite weight, the
forward pass and the weight-shape checks once; a subclass says how its factors and W are
built.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cached_property
from typing import Any

import numpy as np
import tensorly as tl

from .._backend import like, on_backend_of
from ..tenalg import mode_products
from ._checks import check_batch, check_stack

__all__ = []

#: One weight stack to check: (value, name, expected shape, names of the axes).
StackCheck = tuple[Any, str, tuple[int, ...], str]


class _TuckerLikeSpec:
    """Base of the linear-CNN specs: y = ⟨X, W ×_1 F^(1) ⋯ ×_N F^(N)⟩ (module docstring).

    Subclasses define ``input_shape``, :meth:`_build_factors` (the F^(j)),
    :meth:`_check_weights` (with :meth:`_check_stacks`) and ``weight`` (W from the weights);
    their public ``design``, ``composite_weight`` and ``forward`` call :meth:`_design`,
    :meth:`_composite_weight` and :meth:`_forward`.
    """

    input_shape: tuple[int, ...]

    # --- what a subclass defines ----------------------------------------------------
    def _build_factors(self) -> tuple[np.ndarray, ...]:  # pragma: no cover - abstract
        """The fixed factors F^(j), float64 numpy arrays of shape (d_j, w_j), one per mode."""
        raise NotImplementedError

    def _check_weights(self, weights: Any, B: Any,
                       reference: Any = None) -> tuple[Any, Any]:  # pragma: no cover
        """``weights`` and the FC weights ``B``, checked and converted (backend of
        ``reference`` when given)."""
        raise NotImplementedError

    def weight(self, weights: Any, B: Any) -> Any:  # pragma: no cover - abstract
        """The coefficient tensor W of the design."""
        raise NotImplementedError

    # --- shared ---------------------------------------------------------------------
    @cached_property
    def _factors(self) -> tuple[np.ndarray, ...]:
        return self._build_factors()

    def _factors_like(self, reference: Any) -> list[Any]:
        """The factors F^(j) on the backend, dtype and device of ``reference``."""
        return [like(factor, reference) for factor in self._factors]

    @staticmethod
    def _check_stacks(stacks: Sequence[StackCheck], reference: Any = None,
                      reference_name: str = "X") -> list[Any]:
        """Check each weight stack's shape; convert all of them to one backend.

        Parameters
        ----------
        stacks : sequence of (value, name, expected shape, axes)
            The stacks, in order; ``axes`` names the axes for the error message.
        reference : array or torch.Tensor, optional
            Backend and floating dtype of every stack; by default those of the first stack.
        reference_name : str, default "X"
            The name of ``reference``, for the error messages.

        Returns
        -------
        list of arrays
            The checked stacks, in order.

        Raises
        ------
        TypeError, ValueError
            As :func:`tensorcnn.cnn._checks.check_stack`.
        """
        checked: list[Any] = []
        for value, name, expected, what in stacks:
            if reference is None and checked:
                target, target_name = checked[0], stacks[0][1]
            else:
                target, target_name = reference, reference_name
            checked.append(check_stack(value, name, expected, what, target, target_name))
        return checked

    def _composite_weight(self, weights: Any, B: Any) -> Any:
        """W_X = W ×_1 F^(1) ⋯ ×_N F^(N), shape (d_1, …, d_N), on the backend of W."""
        W = self.weight(weights, B)
        with on_backend_of(W):
            return tl.tenalg.multi_mode_dot(W, self._factors_like(W))

    @cached_property
    def _identity_modes(self) -> tuple[bool, ...]:
        """Whether F^(j) is the identity (a mode the design leaves as it is)."""
        return tuple(f.shape[0] == f.shape[1] and np.array_equal(f, np.eye(f.shape[0]))
                     for f in self._factors)

    def _design(self, X: Any) -> Any:
        """Z_i = X_i ×_1 F^(1)ᵀ ⋯ ×_N F^(N)ᵀ, batched, by mode products — none on a mode
        whose F^(j) is the identity (a channel mode the kernel spans, as in T1–T4): one
        pass over the data fewer."""
        X = check_batch(X, self.input_shape)
        with on_backend_of(X):
            factors = [None if identity else like(factor, X)
                       for factor, identity in zip(self._factors, self._identity_modes)]
            if all(f is None for f in factors):
                return X + 0.0         # a new array, as the products would give
            return mode_products(X, factors, transpose=True)

    def _forward(self, X: Any, weights: Any, B: Any) -> Any:
        """y_i = ⟨X_i, W_X⟩, shape (n,), on the backend of X."""
        X = check_batch(X, self.input_shape)
        weights, B = self._check_weights(weights, B, reference=X)
        W_X = self._composite_weight(weights, B)
        n_inputs = math.prod(self.input_shape)
        with on_backend_of(X):
            return tl.dot(tl.reshape(X, (tl.shape(X)[0], n_inputs)), tl.tensor_to_vec(W_X))
