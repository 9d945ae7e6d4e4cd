r"""Logistic (binary and M-class) estimators of the CNN, 003 App. A.4 (Theorem 3, Cor. 2–4).

Labels y_i ∈ {0, …, M − 1}; class 0 is the reference class (its logit is 0), and class
m ≥ 1 has the logit

.. math:: \eta_{im} = \langle Z_i, W_m\rangle = \langle M_i, \Theta_m\rangle,\quad
          W_m = \sum_k B_{mk} \otimes A_k,

with kernels A_k shared by the classes (the M-class CNN of App. A.4: one convolution, M
fully-connected heads). M = 2 is binary logistic regression on ⟨Z_i, W⟩ (Theorem 3). The
estimator minimises the mean negative log-likelihood (cross-entropy)

.. math:: \frac1n \sum_i \Big[\log\Big(1 + \sum_{m\ge1} e^{\eta_{im}}\Big)
          - \eta_{i y_i}\Big],\quad \eta_{i0} = 0,

over (A, B) jointly by L-BFGS (scipy) with the exact gradient, from the rank-K truncated SVD
of the moment matrices (1/n) Σ_i (1{y_i = m} − 1/M) M_i. Convergence: scipy's L-BFGS
criterion with ``gtol = tol``; at ``max_iter`` a ConvergenceWarning and converged_ = False.
The reference-class parametrisation makes W_m identifiable (softmax is invariant to adding
one W to every class); it has K((M − 1)P + L) weights, within the paper's
d_M^MC = K(MP + L + 1).

**Units.** The logits are linear in M, so M → M/α maps the maximum-likelihood W to α W and
leaves the likelihood unchanged. The fit runs on M / rms(M) (the exact root mean square:
L-BFGS and the start are not scale-equivariant, and only data of one fixed scale make the
fit equivariant to rescaling X to rounding) and scales W_, B_, theta_ back by 1/α (A_ is
the scale-free side); a non-finite fit raises ``ValueError``.
"""

from __future__ import annotations

import warnings
from numbers import Integral
from typing import Any

import numpy as np
import scipy.optimize
import scipy.special
from sklearn.base import ClassifierMixin
from sklearn.utils._param_validation import Interval

from .._backend import as_array, to_numpy
from ..cnn import CNNSpec
from ._base import (
    POSITIVE,
    POSITIVE_INT,
    CNNEstimator,
    ConvergenceWarning,
    check_finite_fit,
    data_scale,
)
from ._trace import design_to_trace, theta_to_weight
from .lowrank import _split_rank_k

__all__ = ["LogisticCNNClassifier"]


class LogisticCNNClassifier(ClassifierMixin, CNNEstimator):
    """Maximum-likelihood logistic CNN, binary or M-class (003 App. A.4).

    A scikit-learn classifier (``score`` is the accuracy of :meth:`predict`) on inputs X of
    shape (n, d_1, …, d_N); parameters are validated at fit time.

    Parameters
    ----------
    spec : CNNSpec
        Architecture; K = ``spec.n_kernels``.
    n_classes : int, default 2
        M.
    tol : float, default 1e-8
        Gradient tolerance of L-BFGS (``gtol``).
    max_iter : int, default 5000

    Attributes
    ----------
    classes_ : ndarray of shape (M,)
        The labels 0, …, M − 1.
    W_ : ndarray of shape (M − 1, l_1 p_1, …, l_N p_N)
        Ŵ_m for the classes m = 1, …, M − 1 (for M = 2 the leading axis has length 1).
    A_ : ndarray of shape (K, l_1, …, l_N)
    B_ : ndarray of shape (M − 1, K, p_1, …, p_N)
    objective_ : float
        Mean negative log-likelihood at the estimate.
    n_iter_ : int
    converged_ : bool
    """

    _parameter_constraints: dict = {
        **CNNEstimator._parameter_constraints,
        "n_classes": [Interval(Integral, 2, None, closed="left")],
        "tol": POSITIVE,
        "max_iter": POSITIVE_INT,
    }

    def __init__(self, spec: CNNSpec, n_classes: int = 2, tol: float = 1e-8,
                 max_iter: int = 5000) -> None:
        self.spec = spec
        self.n_classes = n_classes
        self.tol = tol
        self.max_iter = max_iter

    def _model_params(self) -> int:
        spec = self.spec
        P, L = int(np.prod(spec.pooled_shape)), int(np.prod(spec.kernel_shape))
        M = self.n_classes
        # 003 App. A.4: d_M = K(P + L + 1) (binary), d_M^MC = K(MP + L + 1) (M classes)
        return spec.n_kernels * ((P if M == 2 else M * P) + L + 1)

    def _check_labels(self, y: Any, n: int) -> np.ndarray:
        y = to_numpy(as_array(y, "y"))
        if y.ndim != 1 or y.shape[0] != n:
            raise ValueError(f"y must have shape (n,) = ({n},), got {y.shape}")
        labels = np.rint(y).astype(int)
        if not np.array_equal(labels, y) or labels.min() < 0 or labels.max() >= self.n_classes:
            raise ValueError(f"y must hold class labels 0, ..., {self.n_classes - 1}")
        return labels

    def fit_design(self, Z: Any, y: Any):
        """Fit on design tensors Z (n, l_1 p_1, …) and labels y ∈ {0, …, M − 1}."""
        self._check_params()
        Z = to_numpy(as_array(Z, "Z"))
        labels = self._check_labels(y, Z.shape[0])
        Z, _ = self._check_design(Z, labels.astype(float))
        M = design_to_trace(self.spec, Z)
        alpha = data_scale(M, "Z", exact=True)
        self._fit_labels(M / alpha, labels)
        self.theta_ = self.theta_ / alpha
        self.W_ = self.W_ / alpha
        self.B_ = self.B_ / alpha
        check_finite_fit(self)
        return self

    def _fit_labels(self, M_data: np.ndarray, labels: np.ndarray) -> None:
        spec = self.spec
        n, P = M_data.shape[:2]
        flat = M_data.reshape(n, P, -1)
        L = flat.shape[2]
        K, C = spec.n_kernels, self.n_classes - 1
        onehot = np.zeros((n, C + 1))
        onehot[np.arange(n), labels] = 1.0
        # start: shared kernels from the stacked moment matrices, heads by projection
        moments = np.einsum("nc,npl->cpl", onehot[:, 1:] - 1.0 / (C + 1), flat) / n
        A0, _ = _split_rank_k(moments.reshape(C * P, L), K)
        B0 = np.stack([m @ np.linalg.pinv(A0) for m in moments]).transpose(0, 2, 1)
        scale = max(float(np.linalg.norm(A0)), 1e-3)
        x0 = np.concatenate([(A0 / scale).ravel(), (B0 * scale).ravel()])

        def unpack(v):
            A = v[: K * L].reshape(K, L)
            B = v[K * L:].reshape(C, K, P)
            return A, B

        def loss_and_grad(v):
            A, B = unpack(v)
            theta = np.einsum("ckp,kl->cpl", B, A)                      # (C, P, L)
            eta = np.concatenate([np.zeros((n, 1)),
                                  flat.reshape(n, -1) @ theta.reshape(C, -1).T], axis=1)
            log_norm = scipy.special.logsumexp(eta, axis=1)
            loss = float(np.mean(log_norm - eta[np.arange(n), labels]))
            resid = (np.exp(eta - log_norm[:, None]) - onehot)[:, 1:] / n  # (n, C)
            g_theta = (resid.T @ flat.reshape(n, -1)).reshape(C, P, L)
            grad_a = np.einsum("ckp,cpl->kl", B, g_theta)
            grad_b = np.einsum("kl,cpl->ckp", A, g_theta)
            return loss, np.concatenate([grad_a.ravel(), grad_b.ravel()])

        result = scipy.optimize.minimize(loss_and_grad, x0, jac=True, method="L-BFGS-B",
                                         options=dict(maxiter=self.max_iter, gtol=self.tol,
                                                      ftol=0.0, maxcor=30))
        # L-BFGS may end on a line-search failure at a point that is stationary to rounding
        converged = bool(result.success) or (
            result.nit < self.max_iter and np.linalg.norm(result.jac, np.inf) < 10 * self.tol)
        if not converged:
            warnings.warn(f"LogisticCNNClassifier: L-BFGS stopped ({result.message}) after "
                          f"{result.nit} iterations; converged_=False", ConvergenceWarning,
                          stacklevel=3)
        A, B = unpack(result.x)
        theta = np.einsum("ckp,kl->cpl", B, A)
        self.theta_ = theta
        self.W_ = np.stack([theta_to_weight(spec, t) for t in theta])
        self.A_ = A.reshape(K, *spec.kernel_shape)
        self.B_ = B.reshape(C, K, *spec.pooled_shape)
        self.classes_ = np.arange(self.n_classes)
        self.objective_ = float(result.fun)
        self.n_iter_ = int(result.nit)
        self.converged_ = converged

    def fit(self, X: Any, y: Any):
        """Fit on inputs X (n, d_1, …, d_N) and labels y ∈ {0, …, M − 1}."""
        n_params = self._check_params()
        spec = self.spec
        X = self._check_inputs(X)
        labels = self._check_labels(y, X.shape[0])
        if X.shape[0] < n_params:
            self._check_design(np.zeros((X.shape[0], *spec.weight_shape)), labels * 1.0)
        return self.fit_design(spec.design(X), labels)

    def decision_function(self, X: Any) -> np.ndarray:
        """Logits η (n, M) with η_{·0} = 0."""
        self._check_fitted()
        Z = self.spec.design(X)
        eta = Z.reshape(Z.shape[0], -1) @ self.W_.reshape(self.W_.shape[0], -1).T
        return np.concatenate([np.zeros((Z.shape[0], 1)), eta], axis=1)

    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (n, M)."""
        return scipy.special.softmax(self.decision_function(X), axis=1)

    def predict(self, X: Any) -> np.ndarray:
        """Most probable class (n,)."""
        return np.argmax(self.decision_function(X), axis=1)
