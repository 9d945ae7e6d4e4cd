r"""ShrinkNet regression (problems (6) and (8) of 002): a Switch diag(beta) on the inputs.

With our row layout (X is (n, p), coefficient matrices are (p, q)), the paper's
:math:`A\,\mathrm{diag}(\beta)\,x` becomes :math:`X\,\mathrm{diag}(\beta)\,A` with ``A`` of
shape (p, q) — the transpose of the paper's A, so that ``W = beta[:, None] * A`` has the
layout of :func:`~tensorcnn.sparsity.group_lasso` — and the objective is

.. math:: F(A, \beta) = f(X\,\mathrm{diag}(\beta)\,A) + \lambda \lVert \beta \rVert_1
          + \lambda_2 \lVert A \rVert_p^p ,

with the same data fit f as the group lasso (1/(2n) ||Y - Z||_F^2 or the mean multinomial
NLL). The paper's unscaled (6) is 2n times this with lambda' = 2n lambda, lambda_2' = 2n
lambda_2.

Reduced penalty ("Beyond the paper", issue 5). Fix the product row w_j = beta_j a_j and
minimise the penalty over the split: with t = |beta_j| > 0,

* p = 2: :math:`\min_t \lambda t + \lambda_2 \lVert w_j\rVert_2^2 / t^2` is attained at
  :math:`t^* = (2\lambda_2 \lVert w_j\rVert_2^2/\lambda)^{1/3}` and equals
  :math:`c\,\lVert w_j\rVert_2^{2/3}` with :math:`c = 3 \cdot 2^{-2/3} \lambda^{2/3}
  \lambda_2^{1/3}` — a non-convex group :math:`\ell_{2/3}` penalty on W;
* p = 1: :math:`\min_t \lambda t + \lambda_2 \lVert w_j\rVert_1 / t` is attained at
  :math:`t^* = (\lambda_2 \lVert w_j\rVert_1 / \lambda)^{1/2}` and equals
  :math:`2 (\lambda \lambda_2 \lVert w_j\rVert_1)^{1/2}`.

So ShrinkNet regression is :math:`\min_W f(XW) + \sum_j \rho(w_j)` with that penalty, which
is what the comparison with the (convex, :math:`\ell_{2,1}`) group lasso really compares.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._backend import as_array, to_numpy
from .._validation import check_bool, check_int, check_nonnegative, check_positive
from ._validation import check_design, check_lams, check_p, check_problem
from .datafits import make_datafit
from .penalties import L1, SquaredL2, lp_power
from .solvers import ConvergenceWarning, fista

__all__ = ["shrinknet", "shrinknet_path", "shrinknet_objective", "reduced_penalty",
           "reduced_penalty_constant", "balanced_split", "ridge_fit", "shrinknet_stationarity"]


def reduced_penalty_constant(lam: float, lam2: float) -> float:
    r"""The constant :math:`c = 3 \cdot 2^{-2/3} \lambda^{2/3} \lambda_2^{1/3}` of the group
    :math:`\ell_{2/3}` penalty that ShrinkNet (p = 2) induces on W = diag(beta) A."""
    lam = check_nonnegative(lam, "lam")
    lam2 = check_nonnegative(lam2, "lam2")
    return 3.0 * 2.0 ** (-2.0 / 3.0) * lam ** (2.0 / 3.0) * lam2 ** (1.0 / 3.0)


def _row_size(W: np.ndarray, p: float) -> np.ndarray:
    return np.abs(W).sum(axis=1) if p == 1 else np.sum(W * W, axis=1)


def reduced_penalty(W: Any, lam: float, lam2: float, p: float = 2) -> float:
    r"""min over splits W = diag(beta) A of lam ||beta||_1 + lam2 ||A||_p^p (see module).

    p = 2: :math:`c \sum_j \lVert w_j \rVert_2^{2/3}`; p = 1:
    :math:`2 \sum_j (\lambda\lambda_2 \lVert w_j\rVert_1)^{1/2}`.
    """
    W = check_design(W, "W")
    lam, lam2, p = check_nonnegative(lam, "lam"), check_nonnegative(lam2, "lam2"), check_p(p)
    size = _row_size(W, p)
    if p == 2:
        return float(reduced_penalty_constant(lam, lam2) * np.sum(size ** (1.0 / 3.0)))
    return float(2.0 * np.sum(np.sqrt(lam * lam2 * size)))


def balanced_split(W: Any, lam: float, lam2: float, p: float = 2) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    r"""The split (A, beta) of W = diag(beta) A that minimises the ShrinkNet penalty.

    beta_j = t_j^* >= 0 of the module note and a_j = w_j / beta_j (0 where w_j = 0), so
    that ``shrinknet_objective(..., A, beta) == f(XW) + reduced_penalty(W)``.
    Requires lam > 0 and lam2 > 0.
    """
    W = check_design(W, "W")
    lam, lam2, p = check_positive(lam, "lam"), check_positive(lam2, "lam2"), check_p(p)
    size = _row_size(W, p)
    beta = (2.0 * lam2 * size / lam) ** (1.0 / 3.0) if p == 2 else np.sqrt(lam2 * size / lam)
    safe = np.where(beta > 0, beta, 1.0)
    A = np.where(beta[:, None] > 0, W / safe[:, None], 0.0)
    return A, beta


def _check_A_beta(A, beta, X, Y, names=("A", "beta")):
    """(A, beta) as float64 of shapes (d, q), (d,); ``names`` for the messages (A0, beta0
    for warm starts)."""
    name_A, name_beta = names
    A = check_design(A, name_A)
    if A.shape != (X.shape[1], Y.shape[1]):
        raise ValueError(f"{name_A} must have shape (n_features, n_outputs) = "
                         f"{(X.shape[1], Y.shape[1])}, got {A.shape}")
    beta = np.atleast_1d(np.asarray(to_numpy(as_array(beta, name_beta)), dtype=np.float64))
    if beta.shape != (X.shape[1],):
        raise ValueError(f"{name_beta} must have shape (n_features,) = ({X.shape[1]},), got "
                         f"{beta.shape}")
    return A, beta


def shrinknet_objective(X: Any, Y: Any, A: Any, beta: Any, lam: float, lam2: float = 0.0,
                        p: float = 2, loss: str = "squared") -> float:
    r"""F(A, beta) = f(X diag(beta) A) + lam ||beta||_1 + lam2 ||A||_p^p (Eq. (6), (8)).

    Any p > 0 is accepted here (Prop. A.4 is stated for all p > 0).

    Parameters
    ----------
    X : (n, p_in); Y : (n, q) or labels; A : (p_in, q); beta : (p_in,)
    """
    X, Y, loss = check_problem(X, Y, loss)
    lam, lam2 = check_nonnegative(lam, "lam"), check_nonnegative(lam2, "lam2")
    p = check_p(p, solver=False)
    A, beta = _check_A_beta(A, beta, X, Y)
    value = make_datafit(loss, Y).value(X @ (beta[:, None] * A))
    return float(value + lam * np.abs(beta).sum() + lam2 * np.sum(np.abs(A) ** p))


def shrinknet(X: Any, Y: Any, lam: float, lam2: float, p: float = 2,
              loss: str = "squared", *, A0: Any = None, beta0: Any = None,
              tol: float = 1e-10, max_iter: int = 2000, return_info: bool = False):
    r"""Solve regularised ShrinkNet regression (problem (8) of 002) for one lam.

    Solver: block coordinate descent — alternately minimise over beta (a lasso in beta for
    fixed A) and over A (ridge for p = 2, lasso for p = 1, for fixed beta), each block by
    FISTA (:func:`~tensorcnn.sparsity.solvers.fista`; the squared/p = 2 A-block in closed
    form), warm-started, then a rescaling step that replaces each (beta_j, a_j) by the
    split of w_j = beta_j a_j minimising the penalty (:func:`balanced_split`, exact, fit
    unchanged). Each step cannot increase F, so F decreases monotonically.
    Convergence criterion: the relative decrease of F over one sweep,
    :math:`(F_{k-1} - F_k) \le \mathrm{tol} \cdot \max(1, |F_k|)`. The problem is
    non-convex (Prop. A.2): the result is a stationary point reached from the start below;
    (A, beta) = (0, 0) is always stationary, and is returned when the point reached is
    worse than it.

    Start (unless ``A0``, ``beta0``): W0 = argmin f(XW) + lam2 ||W||^2 (ridge), split by
    :func:`balanced_split`.

    Parameters
    ----------
    X : (n, p_in); Y : (n, q) or labels (n,) / one-hot (n, K)
    lam : float >= 0, weight of ||beta||_1
    lam2 : float >= 0, weight of ||A||_p^p; must be > 0 when lam > 0 (Prop. A.3: without
        it there is no minimiser).
    p : 1 or 2
    loss : "squared" or "multinomial"
    return_info : also return a dict with ``objective`` (final F), ``n_iter`` (sweeps),
        ``converged`` and ``stationarity`` (:func:`shrinknet_stationarity`).

    Returns
    -------
    A : (p_in, q), beta : (p_in,)[, info]
    """
    return_info = check_bool(return_info, "return_info")
    path = shrinknet_path(X, Y, [lam], lam2, p, loss, A0=A0, beta0=beta0, tol=tol,
                          max_iter=max_iter)
    A, beta = path["A"][0], path["beta"][0]
    if return_info:
        return A, beta, dict(objective=float(path["objectives"][0]),
                             n_iter=int(path["n_iter"][0]),
                             converged=bool(path["converged"][0]),
                             stationarity=shrinknet_stationarity(X, Y, A, beta, lam, lam2, p,
                                                                 loss))
    return A, beta


def shrinknet_stationarity(X: Any, Y: Any, A: Any, beta: Any, lam: float, lam2: float,
                           p: float = 2, loss: str = "squared") -> float:
    r"""Block-wise KKT residual of problem (8) at (A, beta): 0 exactly at a stationary point.

    The largest entry of the two proximal-gradient mappings
    :math:`L_b (\beta - \operatorname{prox}_{\lambda\lVert\cdot\rVert_1/L_b}(\beta -
    \nabla_\beta f / L_b))` and the same for A with :math:`\lambda_2\lVert\cdot\rVert_p^p`,
    with L_b, L_A the block Lipschitz constants of the data fit.
    """
    X, Y, loss = check_problem(X, Y, loss)
    lam, lam2, p = check_nonnegative(lam, "lam"), check_nonnegative(lam2, "lam2"), check_p(p)
    A, beta = _check_A_beta(A, beta, X, Y)
    datafit = make_datafit(loss, Y)
    _, gZ = datafit.value_grad(X @ (beta[:, None] * A))
    G = X.T @ gZ
    res = 0.0
    for value, grad, penalty, L in (
            (beta, np.sum(G * A, axis=1), L1(lam), _hadamard_gram_norm(X, A)),
            (A, beta[:, None] * G, lp_power(lam2, p),
             np.linalg.norm(X * beta[None, :], 2) ** 2)):
        L = max(datafit.curvature * L, 1e-12)
        step = value - penalty.prox(value - grad / L, 1.0 / L)
        res = max(res, L * float(np.abs(step).max(initial=0.0)))
    return res


def _hadamard_gram_norm(X: np.ndarray, A: np.ndarray) -> float:
    """||M||_2^2 for M: beta -> X diag(beta) A, i.e. lambda_max((X^T X) o (A A^T))."""
    G = (X.T @ X) * (A @ A.T)
    return float(np.linalg.eigvalsh(G)[-1]) if G.size else 0.0


def shrinknet_path(X: Any, Y: Any, lams: Sequence[float], lam2: float, p: float = 2,
                   loss: str = "squared", *, A0: Any = None, beta0: Any = None,
                   tol: float = 1e-10, max_iter: int = 2000,
                   inner_max_iter: int = 50) -> dict[str, Any]:
    r"""ShrinkNet regression along a path of lam values with warm starts.

    The path is solved from the smallest lam up (dense to sparse): a group with beta_j = 0
    cannot revive under block coordinate descent (its A-row then has zero data gradient),
    so warm starts must go towards sparser solutions. Results are in the order of ``lams``.

    Returns
    -------
    dict with ``lams``, ``A`` (n_lams, p_in, q), ``beta`` (n_lams, p_in), ``coefs``
    (W = diag(beta) A, n_lams, p_in, q), ``objectives``, ``n_iter``, ``converged``.
    """
    X, Y, loss = check_problem(X, Y, loss)
    lam2 = check_nonnegative(lam2, "lam2")
    p = check_p(p)
    tol = check_positive(tol, "tol")
    max_iter = check_int(max_iter, "max_iter")
    inner_max_iter = check_int(inner_max_iter, "inner_max_iter")
    lams = check_lams(lams)
    if lam2 == 0 and np.any(lams > 0):
        raise ValueError("lam2 must be > 0 when lam > 0: without lam2 ||A||_p^p, problem (6) "
                         "has no minimiser (Prop. A.3 of 002)")
    n, d = X.shape
    datafit = make_datafit(loss, Y)
    if (A0 is None) != (beta0 is None):
        raise ValueError("give both A0 and beta0, or neither")
    if A0 is not None:
        A, beta = _check_A_beta(A0, beta0, X, Y, names=("A0", "beta0"))
        A, beta = A.copy(), beta.copy()
    else:
        A, beta = None, None
    order = np.argsort(lams, kind="stable")
    out_A = np.zeros((lams.size, d, Y.shape[1]))
    out_beta = np.zeros((lams.size, d))
    objectives = np.zeros(lams.size)
    n_iter = np.zeros(lams.size, dtype=int)
    converged = np.zeros(lams.size, dtype=bool)
    pen_A = lp_power(lam2, p)
    Xnorm2 = np.linalg.norm(X, 2) ** 2
    for i in order:
        lam = lams[i]
        if A is None:
            W0 = _ridge_start(X, datafit, max(lam2, 1e-8), Xnorm2)
            if lam > 0:
                A, beta = balanced_split(W0, lam, lam2, p)
            else:
                A, beta = W0, np.ones(d)
        pen_b = L1(lam)

        def objective(A_, b_, pen_b=pen_b):
            return (datafit.value(X @ (b_[:, None] * A_)) + pen_b.value(b_)
                    + pen_A.value(A_))

        F = objective(A, beta)
        ok = False
        k = 0
        for k in range(1, max_iter + 1):  # noqa: B007
            beta = _beta_step(X, datafit, A, beta, pen_b, inner_max_iter)
            A = _A_step(X, datafit, A, beta, pen_A, loss, p, lam2, inner_max_iter)
            if lam > 0 and lam2 > 0:  # exact minimisation along each row's scaling orbit
                A, beta = balanced_split(beta[:, None] * A, lam, lam2, p)
            F_new = objective(A, beta)
            decrease = F - F_new
            F = F_new
            if decrease <= tol * max(1.0, abs(F)):
                ok = True
                break
        if not ok:
            warnings.warn(f"shrinknet did not converge at lam={lam:g} in {max_iter} sweeps "
                          f"(last relative decrease {decrease / max(1.0, abs(F)):.3g} > "
                          f"tol={tol:g})", ConvergenceWarning, stacklevel=2)
        if F > datafit.null_value():  # (0, 0) is stationary too, and better: take it
            A, beta, F = np.zeros_like(A), np.zeros_like(beta), datafit.null_value()
        out_A[i], out_beta[i], objectives[i] = A, beta, F
        n_iter[i], converged[i] = k, ok
    return dict(lams=lams, A=out_A, beta=out_beta, coefs=out_beta[:, :, None] * out_A,
                objectives=objectives, n_iter=n_iter, converged=converged)


def ridge_fit(X: Any, Y: Any, lam2: float, loss: str = "squared") -> np.ndarray:
    r"""argmin_W f(XW) + lam2 ||W||_F^2 (the start of :func:`shrinknet`), shape (p_in, q)."""
    X, Y, loss = check_problem(X, Y, loss)
    lam2 = check_positive(lam2, "lam2")
    return _ridge_start(X, make_datafit(loss, Y), lam2, np.linalg.norm(X, 2) ** 2)


def _ridge_start(X, datafit, lam2, Xnorm2):
    W = np.zeros((X.shape[1], datafit.Y.shape[1]))
    if datafit.name == "squared":
        n = X.shape[0]
        G = X.T @ X / n + 2.0 * lam2 * np.eye(X.shape[1])
        return np.linalg.solve(G, X.T @ datafit.Y / n)
    result = fista(lambda V: _grad_W(X, datafit, V), lambda V: datafit.value(X @ V),
                   SquaredL2(lam2), W, datafit.curvature * Xnorm2 or 1.0, tol=1e-8, max_iter=2000,
                   warn=False)
    return result.W


def _grad_W(X, datafit, W):
    value, gZ = datafit.value_grad(X @ W)
    return value, X.T @ gZ


def _beta_step(X, datafit, A, beta, pen_b, max_iter):
    XA_norm = _hadamard_gram_norm(X, A)
    if XA_norm == 0:
        return np.zeros_like(beta)

    def smooth(b):
        value, gZ = datafit.value_grad(X @ (b[:, None] * A))
        return value, np.sum((X.T @ gZ) * A, axis=1)

    def smooth_value(b):
        return datafit.value(X @ (b[:, None] * A))

    return fista(smooth, smooth_value, pen_b, beta, datafit.curvature * XA_norm, tol=1e-12,
                 max_iter=max_iter, warn=False).W


def _A_step(X, datafit, A, beta, pen_A, loss, p, lam2, max_iter):
    Xb = X * beta[None, :]
    if loss == "squared" and p == 2:
        n = X.shape[0]
        G = Xb.T @ Xb / n + 2.0 * lam2 * np.eye(X.shape[1])
        return np.linalg.solve(G, Xb.T @ datafit.Y / n)
    L0 = datafit.curvature * np.linalg.norm(Xb, 2) ** 2
    if L0 == 0:
        return pen_A.prox(A, np.inf) if p == 1 else np.zeros_like(A)
    return fista(lambda V: _grad_W(Xb, datafit, V), lambda V: datafit.value(Xb @ V), pen_A,
                 A, L0, tol=1e-12, max_iter=max_iter, warn=False).W
