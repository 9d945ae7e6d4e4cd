r"""Numerical checks of Propositions A.1–A.4 of 002 (used by ``proofs_check/`` and tests).

Every check returns a :class:`Check` (``passed`` plus the numbers it looked at) and takes
the pieces it verifies as arguments — the map beta_j = ||A_j||, the objective, the flip —
so that a deliberately broken variant can be passed in and seen to fail.

Layout as in :mod:`tensorcnn.sparsity.shrinknet`: X (n, d), A (d, q), beta (d,), and the
objective F(A, beta) = f(X diag(beta) A) + lam ||beta||_1 + lam2 ||A||_p^p.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._backend import as_array, to_numpy
from .._validation import (
    as_generator,
    check_callable,
    check_int,
    check_nonnegative,
    check_positive,
)
from ._validation import check_design, check_p, check_targets
from .datafits import make_datafit
from .group_lasso import group_lasso, group_lasso_objective
from .shrinknet import ridge_fit, shrinknet, shrinknet_objective

__all__ = ["Check", "beta_norm", "beta_norm_squared", "check_prop_a1", "convexity_gap",
           "a2_witness", "check_prop_a2", "check_prop_a3", "check_prop_a3_exception",
           "check_prop_a4_flips", "check_prop_a4_existence", "check_prop_a4_network_existence",
           "check_prop_a4_absent_class", "network_objective", "check_reduced_penalty"]


@dataclass
class Check:
    """Outcome of one numerical check: ``passed`` and the quantities measured."""

    name: str
    passed: bool
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        items = ", ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                          for k, v in self.details.items())
        return f"[{'PASS' if self.passed else 'FAIL'}] {self.name}: {items}"


def _vector(value: Any, name: str) -> np.ndarray:
    """A finite numeric array as float64 numpy (any shape)."""
    return np.asarray(to_numpy(as_array(value, name)), dtype=np.float64)


def _check_layers(layers: Any, n_inputs: int | None = None, n_outputs: int | None = None,
                  name: str = "layers") -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Network layers (A_i (d_{i-1}, d_i), beta_i (d_{i-1},), b_i (d_i,)), finite, chained
    (d_i of a layer = d_{i-1} of the next), with d_0 = ``n_inputs`` and the last d =
    ``n_outputs`` where given; returned as float64 arrays."""
    if isinstance(layers, str | bytes) or not isinstance(layers, Sequence) or not layers:
        raise TypeError(f"{name} must be a non-empty list of (A, beta, b) triples, got "
                        f"{type(layers).__name__} {layers!r:.80}")
    out = []
    for i, layer in enumerate(layers):
        if isinstance(layer, str | bytes) or not isinstance(layer, Sequence) or \
                len(layer) != 3:
            raise TypeError(f"{name}[{i}] must be a triple (A, beta, b), got "
                            f"{type(layer).__name__} {layer!r:.80}")
        A, beta, b = (_vector(part, f"{name}[{i}][{j}]") for j, part in enumerate(layer))
        if A.ndim != 2 or beta.shape != (A.shape[0],) or b.shape != (A.shape[1],):
            raise ValueError(f"{name}[{i}] must be (A (d_in, d_out), beta (d_in,), b "
                             f"(d_out,)), got shapes {A.shape}, {beta.shape}, {b.shape}")
        expected = out[-1][0].shape[1] if out else n_inputs
        if expected is not None and A.shape[0] != expected:
            raise ValueError(f"{name}[{i}] reads {A.shape[0]} inputs but gets {expected} "
                             f"({'the previous layer' if out else 'the columns of X'})")
        out.append((A, beta, b))
    if n_outputs is not None and out[-1][0].shape[1] != n_outputs:
        raise ValueError(f"{name}[-1] has {out[-1][0].shape[1]} outputs but Y has "
                         f"{n_outputs} columns")
    return out


def beta_norm(W: np.ndarray) -> np.ndarray:
    r"""beta_j = ||W_j||_2 — the map that proves Prop. A.1."""
    return np.linalg.norm(W, axis=1)


def beta_norm_squared(W: np.ndarray) -> np.ndarray:
    r"""beta_j = ||W_j||_2^2 — the map as printed in the seed (a typo)."""
    return np.linalg.norm(W, axis=1) ** 2


# ---------------------------------------------------------------------------- A.1
def check_prop_a1(X: Any, Y: Any, lam: float, loss: str = "squared",
                  beta_map: Callable[[np.ndarray], np.ndarray] = beta_norm,
                  n_random: int = 20, rng: Any = 0, rtol: float = 1e-8) -> Check:
    r"""Prop. A.1: min of (7) equals min of (6) under ||A'_j||_2 = 1.

    (i) From the group-lasso minimiser W*: beta = ``beta_map(W*)``, A'_j = W*_j / beta_j
    (e_1 on zero rows) must satisfy the unit-norm constraint and give the same objective,
    so min (6) <= min (7). (ii) Random feasible (A', beta) map to W = diag(beta) A' with
    the same value, so min (7) <= min (6); their values are >= min (7).
    """
    X = check_design(X)
    Y = check_targets(Y, X.shape[0], loss)
    check_nonnegative(lam, "lam")
    check_callable(beta_map, "beta_map")
    n_random = check_int(n_random, "n_random", minimum=0)
    rtol = check_nonnegative(rtol, "rtol")
    gen = as_generator(rng)
    W = group_lasso(X, Y, lam, loss)
    gl_min = group_lasso_objective(X, Y, W, lam, loss)
    beta = np.asarray(beta_map(W), float)
    safe = np.where(beta != 0, beta, 1.0)
    A = W / safe[:, None]
    zero = beta == 0
    A[zero] = 0.0
    A[zero, 0] = 1.0
    constraint_error = float(np.abs(np.linalg.norm(A, axis=1) - 1.0).max())
    sn_value = shrinknet_objective(X, Y, A, beta, lam, 0.0, 2, loss)
    gap_i = abs(sn_value - gl_min) / max(1.0, abs(gl_min))
    worst_ii, below = 0.0, 0.0
    for _ in range(n_random):
        Ar = gen.standard_normal(A.shape)
        Ar /= np.linalg.norm(Ar, axis=1, keepdims=True)
        br = gen.standard_normal(beta.shape) * gen.uniform(0, 2)
        v_sn = shrinknet_objective(X, Y, Ar, br, lam, 0.0, 2, loss)
        v_gl = group_lasso_objective(X, Y, br[:, None] * Ar, lam, loss)
        worst_ii = max(worst_ii, abs(v_sn - v_gl) / max(1.0, abs(v_gl)))
        below = max(below, (gl_min - v_sn) / max(1.0, abs(gl_min)))
    passed = constraint_error <= 1e-10 and gap_i <= rtol and worst_ii <= rtol and below <= 1e-7
    return Check("Prop A.1 (6) s.t. ||A_j||=1 equals (7)", passed,
                 dict(group_lasso_min=gl_min, shrinknet_value_at_map=sn_value,
                      relative_gap=gap_i, constraint_error=constraint_error,
                      converse_max_gap=worst_ii, feasible_below_min=below))


# ---------------------------------------------------------------------------- A.2
def convexity_gap(f: Callable[[np.ndarray], float], s1: np.ndarray, s2: np.ndarray) -> float:
    r"""f((s1 + s2)/2) - (f(s1) + f(s2))/2: > 0 witnesses that f is not convex.

    ``s1`` and ``s2`` are finite arrays of one shape; ``f`` maps such an array to a number.
    """
    check_callable(f, "f")
    s1, s2 = _vector(s1, "s1"), _vector(s2, "s2")
    if s1.shape != s2.shape:
        raise ValueError(f"s1 and s2 must have the same shape, got {s1.shape} and "
                         f"{s2.shape}")
    return float(f(0.5 * (s1 + s2)) - 0.5 * (f(s1) + f(s2)))


def a2_witness(A0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    r"""The seed's witness generalised: with Y = 0, s1 = (A = 0, beta = 2·1) and
    s2 = (A = 2 A0, beta = 0) both fit perfectly, the midpoint (A0, 1) does not.

    Points are packed as the vector [vec(A), beta]. ``A0``: a finite (d, q) matrix.
    """
    A0 = check_design(A0, "A0")
    d = A0.shape[0]
    s1 = np.concatenate([np.zeros(A0.size), 2.0 * np.ones(d)])
    s2 = np.concatenate([2.0 * A0.ravel(), np.zeros(d)])
    return s1, s2


def check_prop_a2(objective: Callable[[np.ndarray, np.ndarray], float],
                  A0: np.ndarray) -> Check:
    r"""Prop. A.2: the ShrinkNet objective (6) is not convex in (A, beta).

    ``objective(A, beta)``; passes when the witness of :func:`a2_witness` gives a strictly
    positive convexity gap (for (6) with Y = 0 it equals ||X A0||_F^2 / (2n)).
    """
    check_callable(objective, "objective")
    A0 = check_design(A0, "A0")
    shape = A0.shape

    def f(v: np.ndarray) -> float:
        return objective(v[:A0.size].reshape(shape), v[A0.size:])

    gap = convexity_gap(f, *a2_witness(A0))
    scale = max(1.0, abs(f(a2_witness(A0)[0])))
    return Check("Prop A.2 non-convexity witness", gap > 1e-12 * scale,
                 dict(convexity_gap=gap))


# ---------------------------------------------------------------------------- A.3
def check_prop_a3(objective: Callable[[np.ndarray, np.ndarray], float], A: np.ndarray,
                  beta: np.ndarray, n_steps: int = 30) -> Check:
    r"""Prop. A.3: along (2^k A, beta / 2^k) the objective of (6) strictly decreases.

    The product diag(beta) A, hence the data fit, is unchanged while lam ||beta||_1 halves,
    so no point can be a minimiser (for lam > 0 and beta != 0). Passes when all n_steps
    successive differences are strictly negative. ``A`` (d, q), ``beta`` (d,) finite;
    ``n_steps`` >= 1.
    """
    check_callable(objective, "objective")
    A, beta = check_design(A, "A"), _vector(beta, "beta")
    if beta.shape != (A.shape[0],):
        raise ValueError(f"beta must have shape (d,) = ({A.shape[0]},) to match A, got "
                         f"{beta.shape}")
    n_steps = check_int(n_steps, "n_steps")
    values = np.array([objective(2.0 ** k * A, beta / 2.0 ** k) for k in range(n_steps + 1)])
    steps = np.diff(values)
    return Check("Prop A.3 strict decrease along (2A, beta/2)", bool(np.all(steps < 0)),
                 dict(first=float(values[0]), last=float(values[-1]),
                      largest_step=float(steps.max())))


def check_prop_a3_exception(X: Any, Y: Any, lam: float, loss: str = "squared",
                            objective: Callable[[np.ndarray, np.ndarray], float] | None = None,
                            n_random: int = 20, rng: Any = 0, gtol: float = 1e-10) -> Check:
    r"""Prop. A.3 as it holds: (6) has a minimiser **iff** G = Xᵀ∇f(0) = 0 (lam > 0).

    G is the gradient of W ↦ f(XW) at W = 0: −XᵀY/n for the squared loss (so the exception
    is XᵀY = 0, Y orthogonal to the columns of X), Xᵀ(1/K − Y)/n for the multinomial loss.

    * G = 0: f(XW) is convex with a zero gradient at 0, so f(XW) ≥ f(0) and
      F(A, beta) ≥ f(0) = F(A, 0): every (A, 0) is a minimiser (and only those, since
      lam ||beta||_1 > 0 otherwise). Checked: F(A, 0) = f(0) for random A, F ≥ f(0) at
      random points, and the A.3 ray is flat from beta = 0.
    * G ≠ 0: W_t = −tG gives f(XW_t) < f(0) for small t, and (A, beta) = (W_t / eps,
      eps 1) has F < f(0) for small eps, so no beta = 0 point is a minimiser; points with
      beta ≠ 0 are not either (:func:`check_prop_a3`). Checked: such a point is found.

    Passes when the evidence agrees with the prediction from G. ``objective(A, beta)``
    (default: (6) on (X, Y)) can be replaced by a broken variant.
    """
    X = check_design(X)
    Y = check_targets(Y, X.shape[0], loss)
    lam = check_positive(lam, "lam")
    check_callable(objective, "objective", allow_none=True)
    n_random = check_int(n_random, "n_random")
    gtol = check_nonnegative(gtol, "gtol")
    gen = as_generator(rng)
    d, q = X.shape[1], Y.shape[1]
    datafit = make_datafit(loss, Y)
    f0 = datafit.null_value()
    _, gZ = datafit.value_grad(np.zeros_like(Y))
    G = X.T @ gZ
    grad_norm = float(np.linalg.norm(G))
    scale = float(np.linalg.norm(X) * np.linalg.norm(gZ)) or 1.0
    has_minimiser = grad_norm <= gtol * scale
    if objective is None:
        def objective(A, beta):
            return shrinknet_objective(X, Y, A, beta, lam, 0.0, 2, loss)
    slack = 1e-12 * max(1.0, abs(f0))
    if has_minimiser:
        at_zero = [objective(gen.standard_normal((d, q)), np.zeros(d)) for _ in range(n_random)]
        lowest = min(objective(gen.standard_normal((d, q)) * gen.uniform(0, 3),
                               gen.standard_normal(d) * gen.uniform(0, 3))
                     for _ in range(n_random))
        A0 = gen.standard_normal((d, q))
        ray = [objective(2.0 ** k * A0, np.zeros(d)) for k in range(5)]
        agrees = (max(abs(v - f0) for v in at_zero) <= slack and lowest >= f0 - slack
                  and np.ptp(ray) <= slack)
        witness = lowest
    else:
        witness = np.inf
        for j in range(60):  # backtrack on t, then shrink eps
            W = -(2.0 ** -j) * G / grad_norm
            gain = f0 - datafit.value(X @ W)
            if gain > 0:
                eps = 0.25 * gain / (lam * d)
                witness = objective(W / eps, np.full(d, eps))
                break
        agrees = witness < f0 - slack
    return Check("Prop A.3 with its exception: a minimiser iff X^T grad f(0) = 0",
                 bool(agrees), dict(grad_norm=grad_norm, has_minimiser=bool(has_minimiser),
                                    f0=f0, witness=float(witness)))


# ---------------------------------------------------------------------------- A.4
def network_objective(X: Any, Y: Any, layers: Sequence[tuple[np.ndarray, np.ndarray,
                                                             np.ndarray]],
                      lam: float, lam2: float, p: float = 2,
                      activation: Callable[[np.ndarray], np.ndarray] = np.tanh,
                      multiplier: Callable[[np.ndarray], np.ndarray] = lambda b: b,
                      loss: str = "squared", lam_bias: float = 0.0) -> float:
    r"""Objective of Prop. A.4 for N(x) = f_n(... f_1(x)), f_i(x) = a(x diag(beta_i) A_i + b_i).

    Row layout: x (n, d_{i-1}), beta_i (d_{i-1},), A_i (d_{i-1}, d_i), b_i (d_i,); the last
    layer has no activation. Penalty :math:`\Omega^{rs} = \lambda \sum_i \lVert\beta_i
    \rVert_1 + \lambda_2 \sum_i \lVert A_i \rVert_p^p` — the biases are not penalised;
    ``lam_bias`` > 0 adds :math:`\lambda_b \sum_i \lVert b_i \rVert_2^2` (not in the paper).
    ``multiplier`` maps beta to the switch values (identity: Eq. (1);
    ``lambda b: np.maximum(b, 0)``: the authors' released code, relu(theta)).
    """
    X = check_design(X)
    Y = check_targets(Y, X.shape[0], loss)
    layers = _check_layers(layers, X.shape[1], Y.shape[1])
    lam, lam2 = check_nonnegative(lam, "lam"), check_nonnegative(lam2, "lam2")
    lam_bias = check_nonnegative(lam_bias, "lam_bias")
    p = check_p(p, solver=False)
    check_callable(activation, "activation")
    check_callable(multiplier, "multiplier")
    H = X
    penalty = 0.0
    for i, (A, beta, b) in enumerate(layers):
        H = (H * multiplier(beta)[None, :]) @ A + b[None, :]
        if i < len(layers) - 1:
            H = activation(H)
        penalty += (lam * np.abs(beta).sum() + lam2 * np.sum(np.abs(A) ** p)
                    + lam_bias * np.sum(b * b))
    return make_datafit(loss, Y).value(H) + penalty


def check_prop_a4_flips(objective: Callable[[Sequence], float], layers: Sequence,
                        flip: Callable | None = None, rtol: float = 1e-12) -> Check:
    r"""Prop. A.4 (second part): the 2^k sign flips of (beta_ij, row j of A_i) leave the
    objective unchanged, k = sum_i #beta_i. Enumerates all 2^k patterns (keep k small).

    ``flip(layer, signs)`` builds the flipped layer (default: beta * s, A * s[:, None]).
    """
    check_callable(objective, "objective")
    _check_layers(layers)  # checked only: objective and flip get the layers as given
    check_callable(flip, "flip", allow_none=True)
    rtol = check_nonnegative(rtol, "rtol")
    if flip is None:
        def flip(layer, s):
            A, beta, b = layer
            return A * s[:, None], beta * s, b
    sizes = [len(layer[1]) for layer in layers]
    k = sum(sizes)
    base = objective(layers)
    worst = 0.0
    for signs in itertools.product((1.0, -1.0), repeat=k):
        s = np.array(signs)
        parts = np.split(s, np.cumsum(sizes)[:-1])
        value = objective([flip(layer, si) for layer, si in zip(layers, parts, strict=True)])
        worst = max(worst, abs(value - base) / max(1.0, abs(base)))
    return Check(f"Prop A.4 all 2^{k} sign flips give equal objective", worst <= rtol,
                 dict(k=k, n_patterns=2 ** k, max_relative_difference=worst))


def check_prop_a4_existence(X: Any, Y: Any, lam: float, lam2: float, p: float = 2,
                            loss: str = "squared", n_starts: int = 5, n_rays: int = 20,
                            rng: Any = 0) -> Check:
    r"""Prop. A.4 (first part): with lam, lam2 > 0 a global minimum exists.

    Argument checked numerically: F >= lam ||beta||_1 + lam2 ||A||_p^p, so the sublevel set
    {F <= F(0, 0) = f(0)} lies in the bounded box ||beta||_1 <= f(0)/lam,
    ||A||_p^p <= f(0)/lam2; F is continuous, so it attains its minimum there (Weierstrass).
    Checked: (i) along random rays and along the A.3 ray (2^k A, beta/2^k) F eventually
    exceeds f(0) (coercivity; fails when lam2 = 0); (ii) solutions from ``n_starts``
    random starts lie in the box, and their best value is <= f(0).
    """
    X = check_design(X)
    Y = check_targets(Y, X.shape[0], loss)
    lam, lam2 = check_nonnegative(lam, "lam"), check_nonnegative(lam2, "lam2")
    n_starts = check_int(n_starts, "n_starts", minimum=0)
    n_rays = check_int(n_rays, "n_rays", minimum=0)
    p = check_p(p, solver=lam2 > 0 and n_starts > 0)  # the solver runs only then
    gen = as_generator(rng)
    d, q = X.shape[1], Y.shape[1]
    f0 = make_datafit(loss, Y).null_value()

    def F(A, beta):
        return shrinknet_objective(X, Y, A, beta, lam, lam2, p, loss)

    coercive = True
    for _ in range(n_rays):  # uniform scaling rays t (A, beta)
        A, beta = gen.standard_normal((d, q)), gen.standard_normal(d)
        coercive &= F(2.0 ** 20 * A, 2.0 ** 20 * beta) > f0
    # the A.3 ray (2^k W, 2^-k 1) from a least-squares-like fit W: F must grow along it
    W = _ridge_fit(X, Y, loss)
    start = F(W, np.ones(d))
    coercive &= F(2.0 ** 40 * W, np.full(d, 2.0 ** -40)) > start
    box_beta = f0 / lam if lam > 0 else np.inf
    box_A = f0 / lam2 if lam2 > 0 else np.inf
    in_box, values = True, []
    for _ in range(n_starts if lam2 > 0 else 0):
        A0, b0 = gen.standard_normal((d, q)), gen.standard_normal(d)
        A, beta, info = shrinknet(X, Y, lam, lam2, p, loss, A0=A0, beta0=b0, return_info=True)
        values.append(info["objective"])
        in_box &= np.abs(beta).sum() <= box_beta and np.sum(np.abs(A) ** p) <= box_A
    passed = bool(coercive and in_box and np.isfinite(box_A) and values
                  and min(values) <= f0)
    return Check("Prop A.4 a global minimum exists (coercive, bounded sublevel set)", passed,
                 dict(coercive=bool(coercive), minimisers_in_box=bool(in_box),
                      f0=f0, best=float(min(values)) if values else float("nan"),
                      spread=float(np.ptp(values)) if values else float("nan")))


def check_prop_a4_network_existence(X: Any, Y: Any, layers: Sequence, lam: float,
                                    lam2: float, p: float = 2,
                                    activation: Callable[[np.ndarray], np.ndarray] = np.tanh,
                                    loss: str = "squared", lam_bias: float = 0.0,
                                    n_rays: int = 10, rng: Any = 0) -> Check:
    r"""Prop. A.4's existence argument on the n-layer network: is F coercive?

    The seed's proof: a diverging parameter makes Omega^rs diverge, so the sublevel set
    {F <= F(0)} is bounded and F attains its minimum. That holds for beta_i and A_i
    (lam, lam2 > 0) but Omega^rs does not penalise the biases b_i. Checked along rays
    from the zero network (output b_n): random directions in all parameters, and rays
    moving one layer's bias only; passes when F(2^20 d) > F(0) + 1 on every ray. With
    ``lam_bias`` > 0 (:func:`network_objective`) it passes; with lam_bias = 0 it fails as
    soon as there is a hidden layer (its bias moves nothing when the weights are 0) or the
    loss is multinomial (b_n = t 1 leaves the softmax unchanged). Coercivity is sufficient
    for a minimum, not necessary: see :func:`check_prop_a4_absent_class` for a case
    without any minimiser. ``layers`` gives the shapes (A_i, beta_i, b_i).
    """
    X = check_design(X)
    Y = check_targets(Y, X.shape[0], loss)
    layers = _check_layers(layers, X.shape[1], Y.shape[1])
    lam, lam2 = check_nonnegative(lam, "lam"), check_nonnegative(lam2, "lam2")
    lam_bias = check_nonnegative(lam_bias, "lam_bias")
    p = check_p(p, solver=False)
    check_callable(activation, "activation")
    n_rays = check_int(n_rays, "n_rays", minimum=0)
    gen = as_generator(rng)

    def F(ls):
        return network_objective(X, Y, ls, lam, lam2, p, activation, loss=loss,
                                 lam_bias=lam_bias)

    zero = [tuple(np.zeros_like(np.asarray(part, float)) for part in layer) for layer in layers]
    f0 = F(zero)
    failed = []
    last = len(layers) - 1
    rays = ([("all parameters", None)] * n_rays
            + [(f"bias of layer {i + 1}", i) for i in range(len(layers))]
            + ([("last bias along 1 (softmax shift)", "shift")] if loss == "multinomial"
               else []))
    for label, only in rays:
        direction = []
        for i, layer in enumerate(zero):
            parts = [gen.standard_normal(part.shape) for part in layer]
            if only == "shift":
                parts = [np.zeros_like(part) for part in layer]
                if i == last:
                    parts[2] = np.ones_like(parts[2])
            elif only is not None:
                parts = [np.zeros_like(parts[0]), np.zeros_like(parts[1]),
                         parts[2] if i == only else np.zeros_like(parts[2])]
            direction.append(tuple(parts))
        far = [tuple(2.0 ** 20 * part for part in layer) for layer in direction]
        if not F(far) > f0 + 1.0 and label not in failed:  # grows, not a rounding wiggle
            failed.append(label)
    return Check("Prop A.4 existence argument on the n-layer network: F coercive",
                 not failed, dict(n_layers=len(layers), lam_bias=float(lam_bias), f0=f0,
                                  non_coercive=", ".join(failed) or "none"))


def check_prop_a4_absent_class(X: Any, Y: Any, layers: Sequence, lam: float, lam2: float,
                               p: float = 2,
                               activation: Callable[[np.ndarray], np.ndarray] = np.tanh,
                               lam_bias: float = 0.0, n_steps: int = 20) -> Check:
    r"""A counterexample to Prop. A.4 as printed (biases free): no global minimum.

    Multinomial loss with one-hot Y in which class c never occurs. The last layer is
    linear, so ∂F/∂(b_n)_c = mean_i softmax_c(N(x_i)) > 0 at every point: lowering
    (b_n)_c always decreases F, and F has no minimiser, for any depth, activation, lam,
    lam2 and p. Checked: from the point ``layers``, F strictly decreases over
    ``n_steps`` unit steps of (b_n)_c. With ``lam_bias`` > 0 the bias is penalised and F
    eventually grows along the ray (the check fails): the repaired statement.
    """
    X = check_design(X)
    Y = check_targets(Y, X.shape[0], "multinomial")
    layers = _check_layers(layers, X.shape[1], Y.shape[1])
    lam, lam2 = check_nonnegative(lam, "lam"), check_nonnegative(lam2, "lam2")
    lam_bias = check_nonnegative(lam_bias, "lam_bias")
    p = check_p(p, solver=False)
    check_callable(activation, "activation")
    n_steps = check_int(n_steps, "n_steps")
    absent = np.flatnonzero(Y.sum(axis=0) == 0)
    if absent.size == 0:
        raise ValueError("Y must have a class that never occurs (a zero column of the "
                         "one-hot matrix)")
    c = int(absent[0])

    def moved(t):
        out = list(layers)
        A, beta, b = out[-1]
        b = np.array(b, float)
        b[c] -= t
        out[-1] = (A, beta, b)
        return out

    values = np.array([network_objective(X, Y, moved(float(t)), lam, lam2, p, activation,
                                         loss="multinomial", lam_bias=lam_bias)
                       for t in range(n_steps + 1)])
    steps = np.diff(values)
    return Check("Prop A.4 fails with free biases: F strictly decreases along (b_n)_c -> -inf",
                 bool(np.all(steps < 0)), dict(absent_class=c, first=float(values[0]),
                                               last=float(values[-1]),
                                               largest_step=float(steps.max())))


def _ridge_fit(X: np.ndarray, Y: np.ndarray, loss: str) -> np.ndarray:
    """A well-fitting W (small ridge) used as the start of the A.3 ray."""
    return ridge_fit(X, Y, 1e-6, loss)


# ------------------------------------------------------------- reduced penalty (p = 2)
def check_reduced_penalty(W: np.ndarray, lam: float, lam2: float, p: float,
                          closed_form: Callable[[np.ndarray, float, float, float], float]
                          ) -> Check:
    r"""The closed form of min_{beta, A: diag(beta) A = W} lam||beta||_1 + lam2||A||_p^p
    against a 1-D numerical minimisation per row (scipy ``minimize_scalar`` over log t)."""
    from scipy.optimize import minimize_scalar

    W = check_design(W, "W")
    lam, lam2 = check_nonnegative(lam, "lam"), check_nonnegative(lam2, "lam2")
    p = check_p(p, solver=False)
    check_callable(closed_form, "closed_form")
    total = 0.0
    for w in np.atleast_2d(W):
        size = np.abs(w).sum() if p == 1 else np.sum(w * w)
        if size == 0:
            continue

        def g(s, size=size):
            t = np.exp(s)
            return lam * t + lam2 * size / t ** p

        res = minimize_scalar(g, bounds=(-40, 40), method="bounded",
                              options=dict(xatol=1e-12))
        total += res.fun
    value = closed_form(W, lam, lam2, p)
    rel = abs(value - total) / max(1e-300, abs(total)) if total else abs(value)
    return Check(f"reduced penalty (p={p:g}) equals the 1-D minimisation", bool(rel <= 1e-7),
                 dict(closed_form=value, numerical=total, relative_difference=rel))
