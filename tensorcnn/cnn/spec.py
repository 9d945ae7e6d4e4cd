"""The three-layer CNN conv → average pool → FC in its "Tucker-like" form (003 §2.2–2.3)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorly as tl

from ..tenalg import kron_sum
from ._base import _TuckerLikeSpec
from .deep import ConvPoolStage, DeepCNNSpec
from .geometry import StageGeometry, normalize_per_mode

__all__ = ["CNNSpec"]

#: Largest U_G (entries) that ``design_matrix`` builds unless told otherwise (3.2 GB float64).
MAX_DESIGN_MATRIX_ENTRIES = 400_000_000


class CNNSpec(_TuckerLikeSpec):
    r"""A conv → average-pool → fully-connected CNN with linear activations, as a linear map.

    The network (003 §2.2, Fig. 1) takes an N-mode input X ∈ R^{d_1×⋯×d_N}, convolves it
    (cross-correlation, as torch) with K kernels A_k ∈ R^{l_1×⋯×l_N} at stride s_c with
    zero padding π, average-pools each of the K maps with windows q at stride s_p, and
    returns :math:`y = \sum_k \langle \mathrm{AvgPool}(\mathrm{Conv}(X, A_k)), B_k\rangle`
    with B_k ∈ R^{p_1×⋯×p_N}. Equivalently (003 Eq. 4–5)

    .. math::
        y = \langle X, W_X\rangle, \quad
        W_X = \Big(\sum_k B_k \otimes A_k\Big) \times_1 U_F^{(1)} \cdots \times_N U_F^{(N)}
        = W \times_1 U_F^{(1)} \cdots \times_N U_F^{(N)},

    and y = ⟨Z, W⟩ with the design tensor Z = X ×_1 U_F^(1)ᵀ ⋯ ×_N U_F^(N)ᵀ.

    Parameters
    ----------
    input_shape : tuple of N ints
        d = (d_1, …, d_N).
    kernel_shape : tuple of N ints
        l = (l_1, …, l_N).
    pool_shape : tuple of N ints
        q = (q_1, …, q_N), the average-pooling windows.
    n_kernels : int
        K, the number of kernels (output channels of the convolution).
    stride : int or tuple of N ints, default 1
        s_c, the convolution stride.
    padding : int or tuple of N ints, default 0
        π, zero padding on each side of each mode.
    pool_stride : int or tuple of N ints, optional
        s_p; defaults to the pooling window (non-overlapping pooling). Smaller values give
        overlapping windows.

    Attributes
    ----------
    conv_shape : tuple of N ints
        m_j = ⌊(d_j + 2π_j − l_j)/s_c⌋ + 1.
    pooled_shape : tuple of N ints
        p_j = ⌊(m_j − q_j)/s_p⌋ + 1.
    n_params : int
        Model complexity d_M = K(P + L + 1) with P = Π p_j, L = Π l_j (003 §2.3).

    Raises
    ------
    ValueError
        If a kernel exceeds the padded input or a pooling window the convolution output, if
        the shapes disagree in length, or if a size is not a positive integer.

    Examples
    --------
    >>> spec = CNNSpec((7, 5, 7), (2, 2, 2), (3, 2, 3), n_kernels=3)
    >>> spec.pooled_shape, spec.n_params
    ((2, 2, 2), 51)
    """

    def __init__(self, input_shape: Sequence[int], kernel_shape: Sequence[int],
                 pool_shape: Sequence[int], n_kernels: int,
                 stride: int | Sequence[int] = 1, padding: int | Sequence[int] = 0,
                 pool_stride: int | Sequence[int] | None = None) -> None:
        self.geometry = StageGeometry.build(input_shape, kernel_shape, pool_shape, stride,
                                            padding, pool_stride)
        (self.n_kernels,) = normalize_per_mode(n_kernels, "n_kernels", 1, minimum=1)

    # --- geometry -------------------------------------------------------------------
    input_shape = property(lambda self: self.geometry.input_shape, doc="d, the input shape.")
    kernel_shape = property(lambda self: self.geometry.kernel_shape, doc="l, the kernel shape.")
    pool_shape = property(lambda self: self.geometry.pool_shape, doc="q, the pooling windows.")
    stride = property(lambda self: self.geometry.stride, doc="s_c per mode.")
    padding = property(lambda self: self.geometry.padding, doc="π per mode.")
    pool_stride = property(lambda self: self.geometry.pool_stride, doc="s_p per mode.")
    conv_shape = property(lambda self: self.geometry.conv_shape, doc="m, the conv output shape.")
    pooled_shape = property(lambda self: self.geometry.pooled_shape, doc="p, the pooled shape.")

    @property
    def n_modes(self) -> int:
        """N, the number of modes of the input."""
        return self.geometry.n_modes

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """Shape (l_1 p_1, …, l_N p_N) of W = Σ_k B_k ⊗ A_k and of the design tensor Z."""
        return tuple(l * p for l, p in zip(self.kernel_shape, self.pooled_shape))

    @property
    def n_params(self) -> int:
        """d_M = K(P + L + 1), the model complexity of Theorem 1 (003 §2.3)."""
        return self.n_kernels * (math.prod(self.pooled_shape) + math.prod(self.kernel_shape) + 1)

    def __repr__(self) -> str:
        return (f"CNNSpec(input_shape={self.input_shape}, kernel_shape={self.kernel_shape}, "
                f"pool_shape={self.pool_shape}, n_kernels={self.n_kernels}, "
                f"stride={self.stride}, padding={self.padding}, pool_stride={self.pool_stride})")

    # --- the fixed factors ----------------------------------------------------------
    def _build_factors(self) -> tuple[np.ndarray, ...]:
        return tuple(self.geometry.pooled_factors())

    def conv_positioning_matrices(self) -> list[np.ndarray]:
        """Conv positioning matrices U_i^(j) (003 Eq. 2), one stack per mode.

        Returns
        -------
        list of N float64 ndarrays, entry j of shape (m_j, d_j, l_j)
            ``[j][i]`` is U_{i+1}^(j+1) of the paper (its indices are 1-based).
        """
        return self.geometry.conv_positioning_matrices()

    def positioning_factors(self) -> list[np.ndarray]:
        """Pooled positioning factors U_F^(j) (003 Eq. 4).

        Returns
        -------
        list of N float64 ndarrays, entry j of shape (d_j, l_j p_j)
            Column ``b * l_j + a`` is column ``a`` of U_{F,b}^(j).
        """
        return [factor.copy() for factor in self._factors]

    def design_matrix(self, max_entries: int = MAX_DESIGN_MATRIX_ENTRIES) -> np.ndarray:
        """U_G = U_F^(1) ⊗ ⋯ ⊗ U_F^(N), so that vec(Z) = U_Gᵀ vec(X) (row-major vec).

        Only for small problems and checks: ``design`` never builds it.

        Returns
        -------
        ndarray of shape (Π d_j, Π l_j p_j)

        Raises
        ------
        ValueError
            If U_G would have more than ``max_entries`` entries.
        """
        n_entries = math.prod(self.input_shape) * math.prod(self.weight_shape)
        if n_entries > max_entries:
            raise ValueError(
                f"U_G would have {n_entries} entries (> max_entries={max_entries}); "
                "use design() which never materialises it, or raise max_entries"
            )
        with tl.backend_context("numpy"):
            return tl.tenalg.kronecker(list(self._factors))

    def rip_constants(self) -> tuple[float, float]:
        """(c_u, C_u) of Assumption 3 of 003: c_u I ⪯ U_Gᵀ U_G ⪯ C_u I.

        U_Gᵀ U_G = ⊗_j U_F^(j)ᵀ U_F^(j), whose eigenvalues are the products of the per-mode
        eigenvalues, so c_u = Π_j σ_min(U_F^(j))² and C_u = Π_j σ_max(U_F^(j))², computed
        without forming U_G.

        Notes
        -----
        003 §2.2 states that U_F^(j) has full column rank "given p_j l_j ≤ d_j". That is
        not enough: without padding, U_F^(j) has full column rank exactly when p_j = 1 or
        l_j ≤ s_c s_p (see ``docs/interpretations.md``). Otherwise c_u = 0 (up to rounding)
        and Assumption 3 fails; the paper's settings T1–T4 are such cases.
        """
        smallest, largest = 1.0, 1.0
        for factor in self._factors:
            singular = np.linalg.svd(factor, compute_uv=False)
            rank_deficient = factor.shape[1] > factor.shape[0]
            smallest *= 0.0 if rank_deficient else float(singular.min()) ** 2
            largest *= float(singular.max()) ** 2
        return smallest, largest

    # --- weights --------------------------------------------------------------------
    def _check_weights(self, A: Any, B: Any, reference: Any = None) -> tuple[Any, Any]:
        K = self.n_kernels
        A, B = self._check_stacks([
            (A, "A", (K, *self.kernel_shape), "(n_kernels, *kernel_shape)"),
            (B, "B", (K, *self.pooled_shape), "(n_kernels, *pooled_shape)"),
        ], reference)
        return A, B

    def weight(self, A: Any, B: Any) -> Any:
        """W = Σ_k B_k ⊗ A_k, the coefficient tensor of the design Z (003 Eq. 5).

        Parameters
        ----------
        A : array of shape (K, l_1, …, l_N)
        B : array of shape (K, p_1, …, p_N)

        Returns
        -------
        array of shape (l_1 p_1, …, l_N p_N), on the backend of A
        """
        A, B = self._check_weights(A, B)
        return kron_sum(B, A)

    def composite_weight(self, A: Any, B: Any) -> Any:
        """W_X = (Σ_k B_k ⊗ A_k) ×_1 U_F^(1) ⋯ ×_N U_F^(N) (003 Eq. 4), so y = ⟨X, W_X⟩.

        Parameters
        ----------
        A : array of shape (K, l_1, …, l_N)
        B : array of shape (K, p_1, …, p_N)

        Returns
        -------
        array of shape (d_1, …, d_N), on the backend of A
        """
        return self._composite_weight(A, B)

    # --- data -----------------------------------------------------------------------
    def design(self, X: Any) -> Any:
        """Design tensors Z_i = X_i ×_1 U_F^(1)ᵀ ⋯ ×_N U_F^(N)ᵀ (003 Eq. 5), batched.

        Computed by N mode products (:func:`tensorcnn.tenalg.mode_products`); U_G is never
        formed.

        Parameters
        ----------
        X : array of shape (n, d_1, …, d_N)

        Returns
        -------
        array of shape (n, l_1 p_1, …, l_N p_N), on the backend of X
        """
        return self._design(X)

    def forward(self, X: Any, A: Any, B: Any) -> Any:
        """Network outputs y_i = ⟨X_i, W_X⟩ for a batch.

        Parameters
        ----------
        X : array of shape (n, d_1, …, d_N)
        A : array of shape (K, l_1, …, l_N)
        B : array of shape (K, p_1, …, p_N)

        Returns
        -------
        array of shape (n,), on the backend of X
        """
        return self._forward(X, A, B)

    # --- the same network as a deep spec --------------------------------------------
    def to_deep(self) -> DeepCNNSpec:
        """This network as a one-stage :class:`~tensorcnn.cnn.DeepCNNSpec`.

        Its kernels are ``[A[:, None]]`` (shape (K, 1, *l)) and its FC weights are B.

        Returns
        -------
        DeepCNNSpec
        """
        g = self.geometry
        stage = ConvPoolStage(g.kernel_shape, g.pool_shape, n_kernels=self.n_kernels,
                              stride=g.stride, padding=g.padding, pool_stride=g.pool_stride)
        return DeepCNNSpec(g.input_shape, [stage])
