r"""The paper's fitting protocol for Eq. (6) of 003 — our baseline, not our method.

003 §4.1: "gradient descent … with a learning rate of 0.01 and a momentum of 0.9. The
procedure is deemed to have reached convergence if the target function drops by less than
10⁻⁸." Full-batch gradient descent with heavy-ball momentum (torch's SGD form)

.. math:: v \leftarrow \mu v + \nabla f(A, B), \quad (A, B) \leftarrow (A, B) - \eta v,

on f(A, B) = (1/n) Σ_i (y_i − ⟨M_i, Bᵀ A⟩)², from A, B with iid N(0, 1) entries (the
paper does not say; the truth's distribution). Stopping: 0 ≤ f_old − f_new < ``tol`` · f_old
(a relative drop; an increase, possible with momentum, does not stop it). The gradient is
computed from the sufficient statistics, the fastest exact way for these sizes, so the
comparison with :class:`~tensorcnn.estimators.RankKRegressor` measures the algorithm.

**Units.** The protocol's constants (η = 0.01, the N(0, 1) start) are absolute, so its result
depends on the data's units: unlike the other estimators (``_base``, "Units") it cannot be
standardised without changing what it does on the paper's data. ``units="data"`` (default)
runs it on the data as given, the paper's protocol; ``units="standardized"`` runs it on
M / rms(M), y / rms(y) (exact root mean squares), which makes it equivariant to rescaling
X and y (to rounding) but is another protocol: on S1–S4 it needed up to 5× the iterations
and one of 16 fits ended at a 5 % higher objective. A fit whose objective becomes
non-finite (η too large for these data: a divergence) raises ``ValueError``.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import Interval, StrOptions

from .._backend import to_numpy
from .._validation import as_generator
from ..cnn import CNNSpec
from ._base import (
    NON_NEGATIVE,
    POSITIVE,
    POSITIVE_INT,
    SEED,
    CNNRegressor,
    data_scale,
    warn_not_converged,
)
from ._quadratic import QuadraticObjective
from ._trace import theta_to_weight

__all__ = ["PaperGDRegressor"]


class PaperGDRegressor(CNNRegressor):
    """Rank-K CNN least squares by the paper's gradient-descent protocol (003 §4.1).

    Parameters
    ----------
    spec : CNNSpec
    learning_rate : float, default 0.01
    momentum : float, default 0.9
    tol : float, default 1e-8
        Relative drop of the objective that stops the iteration.
    max_iter : int, default 1_000_000
    rng : numpy.random.Generator or int, default 0
        Seeds the N(0, 1) initial A, B.
    units : {"data", "standardized"}, default "data"
        Run the protocol on the data as given (the paper's) or on data of unit root mean
        square (equivariant to rescaling; module docstring).

    Attributes
    ----------
    W_, A_, B_, theta_, objective_, n_iter_, converged_
        As :class:`~tensorcnn.estimators.RankKRegressor` (A_, B_ not balanced).

    Raises
    ------
    ValueError
        At fit, when the objective becomes non-finite (a divergence), naming the iteration.
    """

    _parameter_constraints: dict = {
        **CNNRegressor._parameter_constraints,
        "learning_rate": POSITIVE,
        "momentum": [Interval(Real, 0, 1, closed="left")],
        "tol": NON_NEGATIVE,
        "max_iter": POSITIVE_INT,
        "rng": SEED,
        "units": [StrOptions({"data", "standardized"})],
    }

    def __init__(self, spec: CNNSpec, learning_rate: float = 0.01, momentum: float = 0.9,
                 tol: float = 1e-8, max_iter: int = 1_000_000,
                 rng: np.random.Generator | int = 0, units: str = "data") -> None:
        self.spec = spec
        self.units = units
        self.learning_rate = learning_rate
        self.momentum = momentum
        self.tol = tol
        self.max_iter = max_iter
        self.rng = rng

    def _model_params(self) -> int:
        return self.spec.n_params

    def _units(self, M: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        if self.units == "data":
            return 1.0, 1.0
        return data_scale(M, "M", exact=True), data_scale(y, "y", exact=True)

    def _fit_trace(self, M: np.ndarray, y: np.ndarray) -> None:
        spec = self.spec
        K = spec.n_kernels
        with np.errstate(over="ignore", invalid="ignore"):       # a divergence raises
            obj = QuadraticObjective(M, y)
        rng = as_generator(self.rng, "rng", allow_none=False)
        A = rng.standard_normal((K, obj.L))
        B = rng.standard_normal((K, obj.P))
        with np.errstate(over="ignore", invalid="ignore"):       # a divergence raises
            A, B, n_iter, converged = self._iterate(obj, A, B)
        theta = B.T @ A
        self.theta_ = theta
        self.W_ = theta_to_weight(spec, to_numpy(theta))
        self.A_ = A.reshape(K, *spec.kernel_shape)
        self.B_ = B.reshape(K, *spec.pooled_shape)
        self.objective_ = obj.exact_value(theta)
        self.n_iter_ = n_iter
        self.converged_ = converged

    def _iterate(self, obj: QuadraticObjective, A: np.ndarray, B: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray, int, bool]:
        """Heavy-ball GD from A (K, L), B (K, P); returns (A, B, iterations, converged)."""
        vel_a, vel_b = np.zeros_like(A), np.zeros_like(B)
        lr, mu = self.learning_rate, self.momentum
        f_old = obj.value(B.T @ A)
        converged = False
        change = np.inf
        n_iter = 0
        for n_iter in range(1, self.max_iter + 1):  # noqa: B007
            grad = obj.gradient(B.T @ A)
            vel_a = mu * vel_a + B @ grad
            vel_b = mu * vel_b + A @ grad.T
            A = A - lr * vel_a
            B = B - lr * vel_b
            f_new = obj.value(B.T @ A)
            if not np.isfinite(f_new):
                raise ValueError(
                    f"PaperGDRegressor diverged: the objective became non-finite at iteration "
                    f"{n_iter} (learning_rate={lr:g} is too large for these data in "
                    f"units={self.units!r}); lower learning_rate, rescale X and y or use "
                    "units='standardized'")
            drop = f_old - f_new
            change = drop / max(abs(f_old), 1e-300)
            f_old = f_new
            if 0 <= drop < self.tol * abs(f_new + drop):
                converged = True
                break
        if not converged:
            warn_not_converged(type(self).__name__, self.max_iter, change, self.tol)
        return A, B, n_iter, converged
