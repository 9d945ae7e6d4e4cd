"""What every CNN estimator shares: scikit-learn's estimator API, parameter and input checks.

:class:`CNNEstimator` (a :class:`sklearn.base.BaseEstimator`) validates the parameters at fit
time and the CNN-structured inputs; :class:`CNNRegressor` adds the least-squares ``fit`` /
``fit_design`` / ``fit_trace`` / ``predict`` (and R² ``score``, from
:class:`sklearn.base.RegressorMixin`).

**Units.** The least-squares model y_i = ⟨M_i, Θ⟩ is linear, so M → M/α, y → y/β maps the
least-squares Θ to (α/β) Θ and the objective to f/β². Every regressor fits in standardised
units (:meth:`CNNRegressor._units`: the response scaled to the size of the data, see
:func:`data_scale`) and scales the fitted attributes back, so that a fit of (c M, d y) is the
fit of (M, y) with Θ, W_, B_ × d/c and objective_ × d² (A_ and the stacked kernels are the
scale-free side of the factorisation); the solvers' floors and tolerances then never meet
the data's units. The scales are powers of 2, which rescale floating-point numbers exactly
(the standardisation adds no rounding): on the simulation's data (S1–S4, T1, T3, 48 fits)
the fits are those without it, bit for bit in 25 and to ≤ 1.2e-7 in the error otherwise.
A non-finite fitted W or objective raises ``ValueError`` instead of being returned.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral, Real
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import Interval, InvalidParameterError
from sklearn.utils.validation import check_is_fitted

from .._backend import as_array, to_numpy
from .._validation import (
    ConvergenceWarning,
    check_bool,
    check_instance,
    check_int,
    check_nonnegative,
    check_str_sequence,
)
from ..cnn import CNNSpec
from ._trace import design_to_trace

__all__ = ["CNNEstimator", "CNNRegressor", "ConvergenceWarning", "check_finite_fit", "data_scale",
           "warn_not_converged"]


def warn_not_converged(name: str, max_iter: int, change: float, tol: float,
                       stopped: str | None = None) -> None:
    """A :class:`ConvergenceWarning`; ``stopped`` says why the fit ended, if not at max_iter.

    Parameters
    ----------
    name : str
        The estimator's name, first word of the message.
    max_iter : int
        The iteration cap (>= 1).
    change : float
        The last relative objective change (any real number; ``inf`` before any).
    tol : float
        The tolerance it was compared with (finite, >= 0).
    stopped : str, optional
        Why the fit ended, if not at ``max_iter``.

    Raises
    ------
    TypeError, ValueError
        For an argument of the wrong type or out of range (checked before warning).
    """
    check_instance(name, str, "name", "a str (the estimator's name)")
    check_int(max_iter, "max_iter")
    # any real, inf and NaN included: it is only printed, and a solver's last change may be
    # undefined (0/0); refusing it would turn a warning into an error inside a fit
    if isinstance(change, bool) or not isinstance(change, Real):
        raise TypeError(f"change must be a real number, got {change!r}")
    check_nonnegative(tol, "tol")
    if stopped is not None:
        check_instance(stopped, str, "stopped", "a str or None")
    stopped = stopped or f"stopped after max_iter={max_iter} iterations"
    warnings.warn(
        f"{name} {stopped} with relative objective "
        f"change {change:.3g} > tol={tol:.3g}; the fit is flagged converged_=False",
        ConvergenceWarning, stacklevel=3,
    )


#: Largest |log2| of the data's scale that the solvers see unscaled: within it every
#: product they form (Gram matrices, Hessians: scale^4 and n·P·L terms) stays far from
#: overflow and underflow, so M is rescaled (a copy) only outside it.
_SAFE_LOG2_SCALE = 64


def data_scale(values: np.ndarray, name: str, exact: bool = False) -> float:
    """The root mean square of ``values``, rounded to the nearest power of 2 (unless ``exact``).

    Overflow-safe: when Σ v² is not representable the values are first divided by a power of
    2 above their largest magnitude. 1.0 for an all-zero array.

    Parameters
    ----------
    values : ndarray of any shape
    name : str
        The argument's name, for the error message.
    exact : bool, default False
        Return the root mean square itself (the scale that makes the data's root mean square
        1 to rounding), not its nearest power of 2.

    Returns
    -------
    float
        > 0.

    Raises
    ------
    TypeError
        If ``values`` is not an array of real numbers (a string, an object or complex
        array), ``name`` not a str or ``exact`` not a bool.
    ValueError
        If ``values`` holds NaN or infinite entries.
    """
    check_instance(name, str, "name", "a str (the argument's name, for messages)")
    check_bool(exact, "exact")
    values = np.asarray(values)
    if values.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {values.dtype} "
                        f"({type(values).__name__})")
    if values.dtype.kind != "f":     # bool @ bool is a bool, int @ int overflows silently
        values = values.astype(np.float64)
    if values.size == 0:
        return 1.0
    rows = _contiguous_rows(values)
    with np.errstate(over="ignore", invalid="ignore"):      # an overflow is handled below
        # one pass, no temporary; finite ⇒ every entry finite
        total = math.fsum(float(row @ row) for row in rows)
    if math.isfinite(total) and total > 1e-280:
        rms = math.sqrt(total / values.size)
    else:
        flat = np.ravel(values)
        peak = float(np.max(np.abs(flat)))
        if not math.isfinite(peak):
            raise ValueError(f"{name} must hold finite values only (NaN or inf found)")
        if peak == 0.0:
            return 1.0
        unit = math.ldexp(1.0, math.frexp(peak)[1])          # a power of 2 above the peak
        scaled = flat / unit
        rms = unit * math.sqrt(float(scaled @ scaled) / flat.size)
    if exact:
        return rms
    mantissa, exponent = math.frexp(rms)                     # rms = mantissa · 2^exponent
    return math.ldexp(1.0, exponent if mantissa >= math.sqrt(0.5) else exponent - 1)


def _contiguous_rows(values: np.ndarray) -> Any:
    """``values`` as unit-stride rows (views) covering every entry once, few of them.

    A strided view (a prefix of the P-major M of :func:`~tensorcnn.estimators._trace.
    inputs_to_trace`) is not one block, and ``np.ravel`` would copy it: its axes are taken
    in memory order and the longest mergeable tail becomes the rows.
    """
    order = sorted(range(values.ndim), key=lambda axis: -abs(values.strides[axis]))
    view = values.transpose(order)
    for n_lead in range(view.ndim):
        lead = view.shape[:n_lead]
        try:
            rows = view.reshape((math.prod(lead), -1), copy=False)
        except ValueError:      # this tail is not one unit-stride block: a longer lead
            continue
        if rows.strides[-1] == rows.itemsize and rows.shape[0] <= _MAX_ROWS:
            return rows
        break
    return np.ravel(values)[None]


#: More rows than this and one copy is cheaper than a product per row.
_MAX_ROWS = 4096


def check_finite_fit(estimator: Any, names: tuple[str, ...] = ("W_", "objective_")) -> None:
    """Raise ``ValueError`` when a fitted attribute holds NaN or inf (never return one).

    Parameters
    ----------
    estimator : object
        A fitted estimator.
    names : tuple of str, default ("W_", "objective_")
        Its fitted attributes to check (numbers or arrays of numbers).

    Raises
    ------
    TypeError
        If ``names`` is not a tuple or list of str, or an attribute is not numeric.
    ValueError
        If an attribute holds NaN or inf, or ``estimator`` lacks one (not fitted: a
        :class:`~sklearn.exceptions.NotFittedError`, also an ``AttributeError``).
    """
    check_str_sequence(names, "names", "a tuple of attribute names (str)")
    for attribute in names:
        if not hasattr(estimator, attribute):
            raise NotFittedError(f"estimator {type(estimator).__name__} has no fitted "
                                 f"attribute {attribute!r} (names={tuple(names)!r}): fit it "
                                 "first")
        value = getattr(estimator, attribute)
        try:
            finite = np.all(np.isfinite(value))
        except TypeError:          # a str, None, an object: numpy's message names no one
            raise TypeError(f"estimator {type(estimator).__name__}: fitted attribute "
                            f"{attribute} must be numeric, got {type(value).__name__} "
                            f"{value!r:.60}") from None
        if not finite:
            raise ValueError(
                f"{type(estimator).__name__}: the fit gave a non-finite {attribute} (the data's "
                "scale is beyond what float64 can represent for this fit, or the solver "
                "diverged); rescale X and y")


#: ``_parameter_constraints`` entries shared by the estimators (scikit-learn's format): a
#: finite number ≥ 0, a finite number > 0, an int ≥ 1 and the ``rng`` argument (an int seed
#: ≥ 0 or a Generator, as :func:`~tensorcnn._validation.as_generator` takes).
NON_NEGATIVE = [Interval(Real, 0, np.inf, closed="left")]
POSITIVE = [Interval(Real, 0, np.inf, closed="neither")]
POSITIVE_INT = [Interval(Integral, 1, None, closed="left")]
SEED = [Interval(Integral, 0, None, closed="left"), np.random.Generator]
#: The parameters of the multi-start least-squares solvers (rank-K, Tucker, CP).
MULTI_START: dict = {"tol": NON_NEGATIVE, "max_iter": POSITIVE_INT, "n_init": POSITIVE_INT,
                     "n_screen": POSITIVE_INT, "rng": SEED}


class CNNEstimator(BaseEstimator):
    """Base of the CNN estimators: scikit-learn's estimator API on CNN-structured inputs.

    A subclass's ``__init__`` only stores its arguments under their own names
    (scikit-learn's rule: :func:`sklearn.base.clone`, ``get_params`` / ``set_params`` and
    grid searches rely on it). Every parameter is validated at fit time by
    :meth:`_check_params`: against the class's ``_parameter_constraints`` (scikit-learn's
    declarative table, checked by :meth:`~sklearn.base.BaseEstimator._validate_params`;
    a violation raises :class:`~sklearn.utils._param_validation.InvalidParameterError`, a
    ``ValueError`` and ``TypeError``), then against the architecture by ``_model_params()``
    (e.g. Tucker ranks against the kernel shape), which returns the model's d_M.

    The inputs are not scikit-learn's 2-D tables: X has shape (n, d_1, …, d_N) =
    (n, *spec.input_shape) (an ordinary (n, d) table only for a 1-D CNN, N = 1).
    """

    _parameter_constraints: dict = {"spec": [CNNSpec]}

    spec: CNNSpec

    def _model_params(self) -> int:  # pragma: no cover - abstract
        """d_M of the model, after the checks of the parameters against ``spec``."""
        raise NotImplementedError

    def _check_params(self) -> int:
        """Validate every parameter (the constraints table, then ``spec``); returns d_M."""
        self._validate_params()
        # scikit-learn's Interval(Integral, …) takes True as 1; the package never reads a
        # bool as a count (tensorcnn._validation), so a bool there is refused by name
        for name, constraints in self._parameter_constraints.items():
            value = getattr(self, name, None)
            if isinstance(value, bool | np.bool_) and any(
                    isinstance(c, Interval) and c.type is Integral for c in constraints):
                raise InvalidParameterError(
                    f"The {name!r} parameter of {type(self).__name__} must be an int, not a "
                    f"bool; got {value!r} instead.")
        return self._model_params()

    def _check_inputs(self, X: Any) -> np.ndarray:
        """X as a numpy array of shape (n, *spec.input_shape), with a clear error otherwise."""
        spec = self.spec
        X = to_numpy(as_array(X, "X"))
        if X.ndim != spec.n_modes + 1 or tuple(X.shape[1:]) != spec.input_shape:
            raise ValueError(f"X must have shape (n, *{spec.input_shape}), got {X.shape}")
        return X

    def _check_design(self, Z: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
        self._check_params()
        spec = self.spec
        Z = to_numpy(as_array(Z, "Z")).astype(np.float64, copy=False)
        y = to_numpy(as_array(y, "y")).astype(np.float64, copy=False)
        if Z.ndim != spec.n_modes + 1 or tuple(Z.shape[1:]) != spec.weight_shape:
            raise ValueError(
                f"Z must have shape (n, *weight_shape) = (n, "
                f"{', '.join(map(str, spec.weight_shape))}), got {Z.shape}"
            )
        self._check_response(Z.shape[0], y)
        return Z, y

    def _check_response(self, n_samples: int, y: np.ndarray) -> None:
        if y.ndim != 1 or y.shape[0] != n_samples:
            raise ValueError(f"y must have shape (n,) = ({n_samples},), got {y.shape}")
        n_params = self._model_params()
        if n_samples < n_params:
            raise ValueError(
                f"n = {n_samples} samples is smaller than the number of parameters "
                f"d_M = {n_params} of the model: the unregularised least-squares fit is not "
                "determined (use more samples or a smaller model)"
            )

    def _check_fitted(self) -> None:
        """Raise :class:`sklearn.exceptions.NotFittedError` (an AttributeError) before fit."""
        check_is_fitted(self, "W_")


class CNNRegressor(RegressorMixin, CNNEstimator):
    """Shared ``fit(X, y)`` / ``fit_design(Z, y)`` / ``fit_trace(M, y)`` of the least-squares
    CNN estimators; ``predict`` gives ⟨Z_i, Ŵ⟩ (shape (n,)) and ``score`` its R².

    Subclasses define ``_parameter_constraints``, ``_model_params()`` and
    ``_fit_trace(M, y)`` on the trace-regression data.
    """

    def fit(self, X: Any, y: Any):
        """Fit on raw inputs X of shape (n, d_1, …, d_N) and responses y of shape (n,).

        Returns
        -------
        self
        """
        n_params = self._check_params()  # before the design is built
        spec = self.spec
        X = self._check_inputs(X)
        y = to_numpy(as_array(y, "y"))
        if y.ndim != 1 or y.shape[0] != X.shape[0]:
            raise ValueError(f"y must have shape (n,) = ({X.shape[0]},), got {y.shape}")
        if X.shape[0] < n_params:
            self._check_design(np.zeros((X.shape[0], *spec.weight_shape)), y)
        return self.fit_design(spec.design(X), y)

    def fit_design(self, Z: Any, y: Any):
        """Fit on design tensors Z of shape (n, l_1 p_1, …, l_N p_N) (003 Eq. 5).

        Returns
        -------
        self
        """
        Z, y = self._check_design(Z, y)
        self._fit_standardized(design_to_trace(self.spec, Z), y)
        return self

    def fit_trace(self, M: Any, y: Any):
        """Fit on the trace-regression data M_i (SPEC.md §3): y_i = ⟨M_i, Θ⟩.

        The same fit as :meth:`fit_design` on the design Z_i that M_i rearranges (Z_i's
        Kronecker modes split, the pooled ones first), without that rearrangement per call:
        a sweep over sample sizes computes M once and fits its prefixes.

        Parameters
        ----------
        M : array of shape (n, P, l_1, …, l_N)
        y : array of shape (n,)

        Returns
        -------
        self
        """
        self._check_params()
        spec = self.spec
        # finiteness: data_scale's one pass in _fit_standardized refuses NaN / inf, by name
        M = to_numpy(as_array(M, "M", finite=False)).astype(np.float64, copy=False)
        y = to_numpy(as_array(y, "y")).astype(np.float64, copy=False)
        expected = (math.prod(spec.pooled_shape), *spec.kernel_shape)
        if M.ndim != spec.n_modes + 2 or tuple(M.shape[1:]) != expected:
            raise ValueError(f"M must have shape (n, P, *kernel_shape) = (n, "
                             f"{', '.join(map(str, expected))}), got {M.shape}")
        self._check_response(M.shape[0], y)
        self._fit_standardized(M, y)
        return self

    def _fit_trace(self, M: np.ndarray, y: np.ndarray) -> None:  # pragma: no cover
        raise NotImplementedError

    def _units(self, M: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """(α, β): the solver fits M/α and y/β (module docstring, "Units").

        With a, b the power-of-2 scales of M and y (:func:`data_scale`), β = b α / a, so that
        y/β has the size of M/α: the solver sees data whose response and design have one
        common scale (the solvers are equivariant to scaling both by one factor: Θ and the
        kernels do not change). α = 1 (M used as it is, no copy) unless a is beyond
        2^±64, then α = a. All powers of 2: exact.
        """
        a, b = data_scale(M, "M"), data_scale(y, "y")
        alpha = a if abs(math.log2(a)) > _SAFE_LOG2_SCALE else 1.0
        return alpha, b * alpha / a

    def _fit_standardized(self, M: np.ndarray, y: np.ndarray) -> None:
        """``_fit_trace`` in the units of :meth:`_units`, the fitted attributes scaled back."""
        alpha, beta = self._units(M, y)
        self._fit_trace(M if alpha == 1.0 else M / alpha, y if beta == 1.0 else y / beta)
        self._rescale(beta / alpha, beta)
        check_finite_fit(self)

    def _rescale(self, ratio: float, beta: float) -> None:
        """Back to the data's units: Θ, W_, B_ × ratio = β/α (A_ is scale-free), f × β²."""
        if ratio != 1.0:
            self.theta_ = self.theta_ * ratio
            self.W_ = self.W_ * ratio
            self.B_ = self.B_ * ratio
        with np.errstate(over="ignore"):     # an overflow is reported by check_finite_fit
            self.objective_ = float(np.float64(self.objective_) * np.float64(beta) ** 2)

    def predict(self, X: Any) -> np.ndarray:
        """Predictions ⟨Z_i, Ŵ⟩ (shape (n,)) for inputs X of shape (n, d_1, …, d_N)."""
        self._check_fitted()
        Z = self.spec.design(X)
        return Z.reshape(Z.shape[0], -1) @ self.W_.ravel()
