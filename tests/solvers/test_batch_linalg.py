"""The batched linear algebra of the solvers (:mod:`tensorcnn.solvers._batch`) against
numpy's and tensorly's one-system-at-a-time routines, on random shapes."""

from __future__ import annotations

import numpy as np
import pytest
import tensorly as tl
from hypothesis import given, settings
from hypothesis import strategies as st

from tensorcnn.solvers._batch import lstsq, mode_dot, psd_solve, select

EXAMPLES = settings(max_examples=25, deadline=None)
seeds = st.integers(0, 2**32 - 1)


def _definite(rng: np.random.Generator, B: int, q: int) -> np.ndarray:
    """B well-conditioned positive definite q × q matrices (XᵀX, X with q + 3 rows)."""
    X = rng.standard_normal((B, q + 3, q))
    return np.matrix_transpose(X) @ X


def _singular(rng: np.random.Generator, B: int, q: int, rows: int) -> np.ndarray:
    """B PSD matrices of rank ``rows`` < q (XᵀX, X with fewer rows than columns)."""
    X = rng.standard_normal((B, rows, q))
    return np.matrix_transpose(X) @ X


def _close(a: np.ndarray, b: np.ndarray, rtol: float) -> bool:
    return bool(np.linalg.norm(a - b) <= rtol * max(np.linalg.norm(b), 1e-300))


@EXAMPLES
@given(seed=seeds, B=st.integers(1, 5), q=st.integers(1, 12))
def test_psd_solve_definite_matches_solve(seed, B, q):
    rng = np.random.default_rng(seed)
    S, r = _definite(rng, B, q), rng.standard_normal((B, q))
    x = psd_solve(S, r)
    assert x.shape == (B, q)
    for b in range(B):
        assert _close(x[b], np.linalg.solve(S[b], r[b]), 1e-9)


@EXAMPLES
@given(seed=seeds, B=st.integers(1, 5), q=st.integers(2, 12), data=st.data())
def test_psd_solve_singular_is_min_norm(seed, B, q, data):
    """Rank-deficient AᵀA: the minimum-norm solution, S⁺ r (r need not be in the range)."""
    rows = data.draw(st.integers(1, q - 1), label="rows")
    rng = np.random.default_rng(seed)
    S, r = _singular(rng, B, q, rows), rng.standard_normal((B, q))
    x = psd_solve(S, r)
    for b in range(B):
        expected = np.linalg.lstsq(S[b], r[b], rcond=1e-10)[0]
        assert _close(x[b], expected, 1e-7), (b, rows, q)
    # and the solution solves the system on S's range: S x = P_range r
    consistent = S @ rng.standard_normal((B, q))[..., None]
    x = psd_solve(S, consistent[..., 0])
    assert _close((S @ x[..., None])[..., 0], consistent[..., 0], 1e-8)


@EXAMPLES
@given(seed=seeds, q=st.integers(2, 10), pattern=st.lists(st.booleans(), min_size=1,
                                                            max_size=6))
def test_psd_solve_mixed_batch_gives_each_member_its_own_solution(seed, q, pattern):
    """A batch of definite (True) and singular (False) members: each member its own
    solution (solve for the definite ones, min-norm for the others), as it gets alone."""
    rng = np.random.default_rng(seed)
    S = np.stack([_definite(rng, 1, q)[0] if definite else
                  _singular(rng, 1, q, int(rng.integers(1, q)))[0] for definite in pattern])
    r = rng.standard_normal((len(pattern), q))
    x = psd_solve(S, r)
    for b, definite in enumerate(pattern):
        reference = (np.linalg.solve(S[b], r[b]) if definite
                     else np.linalg.lstsq(S[b], r[b], rcond=1e-10)[0])
        assert _close(x[b], reference, 1e-7), b
        assert _close(x[b], psd_solve(S[b:b + 1], r[b:b + 1])[0], 1e-9), b


def _mixed_pair() -> tuple[np.ndarray, np.ndarray]:
    """A rank-1 2 × 2 PSD matrix (numpy's Cholesky refuses it) and a definite one."""
    rng = np.random.default_rng(0)
    singular, definite = _singular(rng, 1, 2, 1)[0], _definite(rng, 1, 2)[0]
    return np.stack([singular, definite]), rng.standard_normal((2, 2))


def test_psd_solve_definite_member_alone_uses_direct_solve():
    """Alone, a definite member is solved directly (bitwise numpy.linalg.solve); the
    rank-1 member makes numpy's batched Cholesky raise (the premise of the next test)."""
    S, r = _mixed_pair()
    assert np.array_equal(psd_solve(S[1:], r[1:])[0], np.linalg.solve(S[1], r[1]))
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(S)


def test_psd_solve_definite_member_bitwise_independent_of_batch():
    S, r = _mixed_pair()
    assert np.array_equal(psd_solve(S, r)[1], psd_solve(S[1:], r[1:])[0])


def test_psd_solve_zero_matrix_gives_zero():
    """The all-zero system (a start with every column zero): the min-norm solution 0."""
    x = psd_solve(np.zeros((2, 3, 3)), np.ones((2, 3)))
    assert np.array_equal(x, np.zeros((2, 3)))


@EXAMPLES
@given(seed=seeds, B=st.integers(1, 4), q=st.integers(1, 8), extra=st.integers(-3, 20),
       shared=st.booleans())
def test_lstsq_matches_numpy(seed, B, q, extra, shared):
    """Tall (full column rank) and wide (min-norm) designs; y (B, n) or shared (1, n)."""
    n = max(1, q + extra)
    rng = np.random.default_rng(seed)
    design = rng.standard_normal((B, n, q))
    y = rng.standard_normal((1 if shared else B, n))
    coef, residual, f = lstsq(design, y)
    assert coef.shape == (B, q) and residual.shape == (B, n) and f.shape == (B,)
    for b in range(B):
        yb = y[0 if shared else b]
        expected = np.linalg.lstsq(design[b], yb, rcond=1e-10)[0]
        assert _close(coef[b], expected, 1e-7), (n, q)
        r = yb - design[b] @ expected
        assert np.allclose(residual[b], r, rtol=0, atol=1e-8 * (1 + np.abs(yb).max()))
        assert f[b] == pytest.approx(np.mean(r**2), rel=1e-7, abs=1e-20)


@st.composite
def _mode_problem(draw):
    ndim = draw(st.integers(1, 4))
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=ndim, max_size=ndim)))
    axis = draw(st.integers(1, ndim))
    rows = draw(st.integers(1, 4))
    B = draw(st.integers(1, 3))
    return B, shape, axis, rows, draw(seeds)


@EXAMPLES
@given(problem=_mode_problem())
def test_mode_dot_matches_tensorly_per_member(problem):
    B, shape, axis, rows, seed = problem
    rng = np.random.default_rng(seed)
    T = rng.standard_normal((B, *shape))
    H = rng.standard_normal((B, rows, shape[axis - 1]))
    out = mode_dot(T, H, axis)
    expected_shape = list(T.shape)
    expected_shape[axis] = rows
    assert out.shape == tuple(expected_shape)
    for b in range(B):
        expected = tl.tenalg.mode_dot(T[b], H[b], axis - 1)
        np.testing.assert_allclose(out[b], expected, rtol=1e-12, atol=1e-12)


@EXAMPLES
@given(seed=seeds, B=st.integers(1, 5),
       shape=st.lists(st.integers(1, 3), min_size=0, max_size=3))
def test_select_picks_member_by_member(seed, B, shape):
    rng = np.random.default_rng(seed)
    mask = rng.random(B) < 0.5
    new, old = rng.standard_normal((B, *shape)), rng.standard_normal((B, *shape))
    out = select(mask, new, old)
    assert out.shape == new.shape
    for b in range(B):
        assert np.array_equal(out[b], new[b] if mask[b] else old[b])


def test_torch_agrees_with_numpy():
    """The same calls on float64 CPU tensors: the numpy numbers to rounding."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    q = 5
    S = np.concatenate([_definite(rng, 2, q), _singular(rng, 2, q, 2)])
    r = rng.standard_normal((4, q))
    design, y = rng.standard_normal((3, 9, 4)), rng.standard_normal((3, 9))
    T, H = rng.standard_normal((2, 3, 4, 2)), rng.standard_normal((2, 5, 4))
    mask = np.array([True, False, True, True])

    def t(a):
        return torch.as_tensor(a, dtype=torch.float64)

    assert _close(psd_solve(t(S), t(r)).numpy(), psd_solve(S, r), 1e-10)
    for got, want in zip(lstsq(t(design), t(y)), lstsq(design, y)):
        assert _close(got.numpy(), want, 1e-10)
    assert _close(mode_dot(t(T), t(H), 2).numpy(), mode_dot(T, H, 2), 1e-12)
    assert np.array_equal(select(torch.as_tensor(mask), t(S), t(2 * S)).numpy(),
                          select(mask, S, 2 * S))
