r"""Deeper CNNs: S conv → average-pool stages, then one FC layer (003 §2.4, Eq. 7, App. A.2).

Which networks the nested ("nested doll") form covers
------------------------------------------------------
Exactly the networks that :func:`tensorcnn.cnn.torch_network.network_forward` runs:

* a single-channel N-mode input X ∈ R^{d_1×⋯×d_N} (a multi-channel input is an extra mode
  that the first kernel spans fully and later kernels have size 1 in);
* stage s = 1..S: a full, channel-mixing convolution without bias from C_{s−1} to C_s
  channels (C_0 = 1), kernel A^(s) ∈ R^{C_s × C_{s−1} × l^(s)}, its own stride and zero
  padding, then average pooling with its own window and stride (no pool padding, floor
  mode), with **linear (identity) activations** throughout;
* an FC layer B ∈ R^{C_S × p^(S)} giving one scalar.

The paper writes the single-channel case (C_s = 1). With channels the composite weight is a
sum over channel paths; the positioning factors do not depend on the channels, so

.. math::
    y = \langle X, W \times_1 U_{DF}^{(1)} \cdots \times_N U_{DF}^{(N)}\rangle, \quad
    W = \sum_{c_S, …, c_1} B_{c_S} \otimes A^{(S)}_{c_S c_{S-1}} \otimes \cdots
        \otimes A^{(1)}_{c_1, 0},

which for one channel per stage is 003 Eq. (7), (B ⊗ Ã ⊗ A) ×_j U_DF^(j). Biases,
non-linear activations, max pooling and dilation are not covered.

The nested factor of mode j, U_DF^(j) ∈ R^{d_j × p^(S)_j Π_s l^(s)_j}, is built stage by
stage: with U^{[1]} = U_F^{(1,j)} (shape d_j × p^(1)_j l^(1)_j) and U_F^{(s,j)} the pooled
factor of stage s on its p^(s−1)_j-long input,

.. math::
    U^{[s]}[x, (b_s, a_s, r)] = \sum_i U_F^{(s,j)}[i, (b_s, a_s)]\, U^{[s-1]}[x, (i, r)],

where r = (a_{s−1}, …, a_1). This is the paper's (U^(j) ×_3 Ũ^(j))_(1) for S = 2. Zero padding
of any stage enters through that stage's factor, i.e. it propagates back to the input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorly as tl

from .._backend import on_backend_of
from .._validation import check_int
from ..tenalg import interleave_kron, kron_sum
from ._base import _TuckerLikeSpec
from .geometry import StageGeometry, normalize_per_mode, normalize_shape

__all__ = ["ConvPoolStage", "DeepCNNSpec"]


@dataclass(frozen=True)
class ConvPoolStage:
    """Hyper-parameters of one conv → average-pool stage (its input size comes from the
    previous stage).

    Parameters
    ----------
    kernel_shape : tuple of N ints
        l^(s).
    pool_shape : tuple of N ints
        q^(s).
    n_kernels : int
        C_s, the output channels of the convolution.
    stride, padding, pool_stride : int or tuple of N ints
        As in :class:`~tensorcnn.cnn.CNNSpec`; ``pool_stride=None`` means the window.
    """

    kernel_shape: Sequence[int]
    pool_shape: Sequence[int]
    n_kernels: int = 1
    stride: int | Sequence[int] = 1
    padding: int | Sequence[int] = 0
    pool_stride: int | Sequence[int] | None = None

    def __post_init__(self) -> None:
        """Check what does not depend on the stage's input size (that is checked by
        :class:`DeepCNNSpec`): shapes of positive ints, one count per mode, C_s >= 1."""
        kernel = normalize_shape(self.kernel_shape, "kernel_shape")
        n_modes = len(kernel)
        pool = normalize_shape(self.pool_shape, "pool_shape", n_modes)
        check_int(self.n_kernels, "n_kernels")
        normalize_per_mode(self.stride, "stride", n_modes, minimum=1)
        normalize_per_mode(self.padding, "padding", n_modes, minimum=0)
        if self.pool_stride is not None:
            normalize_per_mode(self.pool_stride, "pool_stride", n_modes, minimum=1)
        object.__setattr__(self, "kernel_shape", kernel)
        object.__setattr__(self, "pool_shape", pool)


class DeepCNNSpec(_TuckerLikeSpec):
    r"""A stack of conv → average-pool stages and an FC layer, with linear activations.

    See the module docstring for the exact class of networks and the nested-doll formula
    (003 Eq. 7, generalised to any number of stages and channels).

    Parameters
    ----------
    input_shape : tuple of N ints
        d, the shape of one (single-channel) input.
    stages : sequence of ConvPoolStage
        The S stages, first to last.

    Attributes
    ----------
    geometries : list of StageGeometry
        Validated geometry of each stage (its ``input_shape`` is the previous ``pooled_shape``).
    channels : tuple of S + 1 ints
        (C_0 = 1, C_1, …, C_S).
    kernel_shapes : list of tuples
        Expected shape of each stage's kernel stack, (C_s, C_{s−1}, *l^(s)).
    pooled_shape : tuple of N ints
        p^(S), the output shape of the last stage; B has shape (C_S, *p^(S)).
    """

    def __init__(self, input_shape: Sequence[int], stages: Sequence[ConvPoolStage]) -> None:
        if isinstance(stages, str | bytes) or not isinstance(stages, Sequence):
            raise TypeError(f"stages must be a sequence of ConvPoolStage, got {stages!r}")
        stages = list(stages)
        if not stages:
            raise ValueError("stages must hold at least one ConvPoolStage")
        geometries, channels = [], [1]
        shape = input_shape
        for index, stage in enumerate(stages):
            if not isinstance(stage, ConvPoolStage):
                raise TypeError(f"stages[{index}] must be a ConvPoolStage, got {stage!r}")
            name = "input_shape" if index == 0 else f"the output of stage {index - 1}"
            try:
                geometry = StageGeometry.build(shape, stage.kernel_shape, stage.pool_shape,
                                               stage.stride, stage.padding, stage.pool_stride,
                                               input_name=name)
            except ValueError as error:
                raise ValueError(f"stages[{index}]: {error}") from error
            geometries.append(geometry)
            (n_kernels,) = normalize_per_mode(stage.n_kernels, f"stages[{index}].n_kernels",
                                              1, minimum=1)
            channels.append(n_kernels)
            shape = geometry.pooled_shape
        self.geometries: list[StageGeometry] = geometries
        self.channels: tuple[int, ...] = tuple(channels)

    @property
    def input_shape(self) -> tuple[int, ...]:
        """d, the input shape."""
        return self.geometries[0].input_shape

    @property
    def n_modes(self) -> int:
        """N."""
        return self.geometries[0].n_modes

    @property
    def n_stages(self) -> int:
        """S, the number of conv → pool stages."""
        return len(self.geometries)

    @property
    def pooled_shape(self) -> tuple[int, ...]:
        """p^(S), the shape of each channel of the last pooled output."""
        return self.geometries[-1].pooled_shape

    @property
    def kernel_shapes(self) -> list[tuple[int, ...]]:
        """(C_s, C_{s−1}, *l^(s)) for each stage."""
        return [(self.channels[s + 1], self.channels[s], *g.kernel_shape)
                for s, g in enumerate(self.geometries)]

    @property
    def fc_shape(self) -> tuple[int, ...]:
        """(C_S, *p^(S)), the shape of B."""
        return (self.channels[-1], *self.pooled_shape)

    @property
    def weight_shape(self) -> tuple[int, ...]:
        """Shape of W and of the design: (p^(S)_j Π_s l^(s)_j)_j."""
        return tuple(p * math.prod(g.kernel_shape[j] for g in self.geometries)
                     for j, p in enumerate(self.pooled_shape))

    @property
    def n_weights(self) -> int:
        """Number of real weights Σ_s C_s C_{s−1} L_s + C_S P (kernels and FC, no biases)."""
        return sum(math.prod(shape) for shape in self.kernel_shapes) + math.prod(self.fc_shape)

    def __repr__(self) -> str:
        return f"DeepCNNSpec(input_shape={self.input_shape}, stages={self.geometries})"

    # --- factors --------------------------------------------------------------------
    def _build_factors(self) -> tuple[np.ndarray, ...]:
        per_stage = [g.pooled_factors() for g in self.geometries]
        factors = []
        with tl.backend_context("numpy"):
            for j in range(self.n_modes):
                first = self.geometries[0]
                nested = per_stage[0][j].reshape(first.input_shape[j], first.pooled_shape[j], -1)
                for s in range(1, self.n_stages):
                    g = self.geometries[s]
                    # Contract the previous pooled index i with the rows of this stage's U_F.
                    nested = tl.tenalg.mode_dot(nested, per_stage[s][j].T, mode=1)
                    nested = nested.reshape(nested.shape[0], g.pooled_shape[j], -1)
                factors.append(nested.reshape(nested.shape[0], -1))
        return tuple(factors)

    def nested_factors(self) -> list[np.ndarray]:
        """U_DF^(j) (003 Eq. 7), one per mode.

        Returns
        -------
        list of N float64 ndarrays, entry j of shape (d_j, p^(S)_j Π_s l^(s)_j)
            Columns ordered (b_S, a_S, a_{S−1}, …, a_1), row-major, matching
            W = B ⊗ A^(S) ⊗ ⋯ ⊗ A^(1).
        """
        return [factor.copy() for factor in self._factors]

    # --- weights --------------------------------------------------------------------
    def _check_weights(self, kernels: Sequence[Any], B: Any,
                       reference: Any = None) -> tuple[list[Any], Any]:
        if isinstance(kernels, (str, bytes)) or not isinstance(kernels, Sequence):
            raise TypeError("kernels must be a list with one kernel stack per stage")
        if len(kernels) != self.n_stages:
            raise ValueError(f"kernels must hold {self.n_stages} arrays (one per stage), "
                             f"got {len(kernels)}")
        stacks = [(kernel, f"kernels[{s}]", shape, "(C_s, C_{s-1}, *kernel_shape)")
                  for s, (kernel, shape) in enumerate(zip(kernels, self.kernel_shapes))]
        *checked, B = self._check_stacks(
            [*stacks, (B, "B", self.fc_shape, "(C_S, *pooled_shape)")], reference)
        return checked, B

    def weight(self, kernels: Sequence[Any], B: Any) -> Any:
        """W = Σ_paths B_{c_S} ⊗ A^(S)_{c_S c_{S−1}} ⊗ ⋯ ⊗ A^(1)_{c_1 0}.

        Parameters
        ----------
        kernels : list of S arrays, entry s of shape (C_s, C_{s−1}, *l^(s))
        B : array of shape (C_S, *p^(S))

        Returns
        -------
        array of shape ``weight_shape``, on the backend of ``kernels[0]``
        """
        kernels, B = self._check_weights(kernels, B)
        core = kernels[0][:, 0]
        for kernel in kernels[1:]:
            n_out, n_in = kernel.shape[:2]
            l_shape, r_shape = tuple(kernel.shape[2:]), tuple(core.shape[1:])
            with on_backend_of(kernel):
                # Σ_c A[c_out, c] ⊗ core[c] for every c_out at once, as one matrix product.
                stacked = tl.reshape(tl.transpose(tl.reshape(kernel, (n_out, n_in, -1)),
                                                  (0, 2, 1)), (-1, n_in))
                mixed = tl.dot(stacked, tl.reshape(core, (n_in, -1)))
                mixed = tl.reshape(mixed, (n_out, *l_shape, *r_shape))
            core = interleave_kron(mixed, l_shape, r_shape, n_lead=1)
        return kron_sum(B, core)

    def composite_weight(self, kernels: Sequence[Any], B: Any) -> Any:
        """W_X = W ×_1 U_DF^(1) ⋯ ×_N U_DF^(N) (003 Eq. 7), shape (d_1, …, d_N)."""
        return self._composite_weight(kernels, B)

    def design(self, X: Any) -> Any:
        """Z_i = X_i ×_1 U_DF^(1)ᵀ ⋯ ×_N U_DF^(N)ᵀ, shape (n, *weight_shape); y = ⟨Z_i, W⟩."""
        return self._design(X)

    def forward(self, X: Any, kernels: Sequence[Any], B: Any) -> Any:
        """Network outputs y_i = ⟨X_i, W_X⟩, shape (n,), on the backend of X."""
        return self._forward(X, kernels, B)
