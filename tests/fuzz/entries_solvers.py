"""Fuzz entries for the public entry points of tensorcnn.solvers (issue #14): the Tucker/CP
structures and multi-start solver, and the rank-K reduced problem, its starts and solver.
Their building blocks (sweeps, LM steps, Newton, the batched kernels of ``_batch``) are not
public: they run inside these entry points on checked input."""

from __future__ import annotations

import math

import numpy as np

from tensorcnn.estimators._quadratic import QuadraticObjective
from tensorcnn.solvers import rank_k, structured

from .registry import Entry, Exempt, all_of, instance, shape

NAN = math.nan
SHAPES = ["x", [], [0, 2], [2.5, 2], None]


def _rng():
    return np.random.default_rng(7)


def _problem_data():
    """Tucker data (G = 1, n = 30, P = 4, L = 3·2) and two starts of R = 1 kernel."""
    rng = _rng()
    return dict(M=rng.standard_normal((1, 30, 4, 6)), y=rng.standard_normal((1, 30)),
                starts=rng.standard_normal((1, 2, 1, 6)))


def _multistart_base():
    return dict(structure=structured.TuckerStructure((3, 2), (2, 2, 1)), **_problem_data(),
                n_screen=2, max_iter=20, tol=1e-8, finish="lm")


def _multistart_check(result, call):
    fit, index = result
    assert tuple(fit.f.shape) == (1,) and np.isfinite(fit.f).all(), fit.f
    assert tuple(index.shape) == (1,) and 0 <= int(index[0]) < call["starts"].shape[1]


def _objective():
    rng = _rng()
    M = rng.standard_normal((40, 4, 6))           # P = 4, L = 6
    return QuadraticObjective(M, rng.standard_normal(40))


def _problem():
    return rank_k.ReducedProblem(_objective(), 1)


def _nan_like(array):
    out = np.array(array, dtype=float, copy=True)
    out.flat[0] = NAN
    return out


def _is_float(result, call):
    assert isinstance(result, float) and result >= 0, f"{result!r} is not a float >= 0"


_DATA = _problem_data()

ENTRIES = [
    Entry("tensorcnn.solvers.structured.TuckerStructure",
          base=lambda: dict(kernel_shape=(3, 2), ranks=(2, 2, 1)),
          bad=dict(kernel_shape=SHAPES,
                   ranks=[(4, 2, 1), (2, 2), "r", (0, 1, 1), (2, 2, 1.5)]),
          check=instance(structured.TuckerStructure)),
    Entry("tensorcnn.solvers.structured.CPStructure",
          base=lambda: dict(kernel_shape=(3, 2), rank=2),
          bad=dict(kernel_shape=SHAPES, rank=[0, 1.5, "2", True]),
          check=instance(structured.CPStructure)),
    Entry("tensorcnn.solvers.structured.fit_multistart", base=_multistart_base,
          bad=dict(structure=["x", None],
                   M=[_nan_like(_DATA["M"]), np.ones((1, 30, 4, 5)), np.ones((30, 4, 6)),
                      [[1.0]], np.ones((1, 0, 4, 6))],
                   y=[np.ones((1, 29)), _nan_like(_DATA["y"]), "y"],
                   starts=[np.ones((1, 0, 1, 6)), np.ones((1, 2, 2, 6)),
                           _nan_like(_DATA["starts"]), np.ones((1, 2, 1, 6), dtype=int)],
                   n_screen=[0, 1.5], max_iter=[0, True], tol=[-1.0, NAN, "x"],
                   finish=["gd", 3], check_data=["yes", 1]),
          check=_multistart_check),
    Entry("tensorcnn.solvers.structured.fit_multistart[cp]",
          call=structured.fit_multistart,
          base=lambda: {**_multistart_base(),
                        "structure": structured.CPStructure((3, 2), 1), "finish": "als"},
          bad=dict(starts=[np.ones((1, 2, 2, 6))]),
          check=_multistart_check),
    Entry("tensorcnn.solvers.rank_k.ReducedProblem",
          base=lambda: dict(obj=_objective(), n_kernels=1),
          bad=dict(obj=["x", None], n_kernels=[0, 4, 1.5, True]),
          check=instance(rank_k.ReducedProblem)),
    Entry("tensorcnn.solvers.rank_k.fit_multistart",
          base=lambda: dict(problem=_problem(), starts=list(_rng().standard_normal((3, 1, 4))),
                            n_screen=2, tol=1e-8, max_iter=50),
          bad=dict(problem=["x"],
                   starts=[[], "s", [np.ones((2, 4))], [np.full((1, 4), NAN)], 5,
                           [[1.0, 2.0]]],
                   n_screen=[0, 1.5], tol=[-1.0, NAN], max_iter=[0, "5"]),
          check=all_of(instance(rank_k.RankKFit))),
    Entry("tensorcnn.solvers.rank_k.least_squares",
          base=lambda: dict(obj=_objective(), exact=True),
          bad=dict(obj=["x"], exact=["yes", 1]),
          check=shape((4, 6))),
    Entry("tensorcnn.solvers.rank_k.random_starts",
          base=lambda: dict(rng=0, count=2, K=1, p=4),
          bad=dict(rng=[-1, "x", 1.5], count=[-1, 1.5], K=[0, "1"], p=[0, None]),
          check=shape((2, 1, 4))),
    Entry("tensorcnn.solvers.rank_k.spectral_starts",
          base=lambda: dict(problem=_problem(), obj=_objective()),
          bad=dict(problem=["x", None], obj=["x"]),
          check=lambda result, call: [shape((1, 4))(s, call) for s in result]),
    Entry("tensorcnn.solvers.rank_k.stationarity",
          base=lambda: dict(obj=_objective(), A=np.ones((1, 6)), B=np.ones((1, 4))),
          bad=dict(obj=["x"], A=[np.ones((1, 5)), "A", np.full((1, 6), NAN), np.ones(6)],
                   B=[np.ones((2, 4)), np.full((1, 4), NAN), [[1.0]]]),
          check=_is_float),
]

EXEMPT = [
    *[Exempt(f"tensorcnn.solvers.structured.{n}",
             "a record the solver returns (its iterate / its result): users read it",
             "tests/solvers/test_structured_solver.py")
      for n in ("StructuredFit", "StructuredState")],
    Exempt("tensorcnn.solvers.rank_k.RankKFit",
           "a record the solver returns (the kept start's factors, objective, counts)",
           "tests/solvers/test_rank_k.py"),
]
