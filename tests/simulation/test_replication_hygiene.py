"""Statistical hygiene of a replication: independent solver starts, test points no fit saw."""

from __future__ import annotations

import numpy as np
import pytest

from tensorcnn.data import Setting
from tensorcnn.estimators._trace import design_to_trace
from tensorcnn.simulation import fit_replication
from tensorcnn.simulation.replication import (
    COLD_CHECK_RATIO,
    N_TEST,
    _draw,
    held_out_indices,
    make_estimator,
    replication_streams,
    setting_truth,
)
from tensorcnn.tenalg import mode_products

# a small Tucker setting (a warm-start chain) that fits in well under a second
TUCKER = Setting("tiny-tucker", (6, 6, 2), (3, 3, 2), (2, 2, 1), 2, model="tucker",
                 ranks=(2, 2, 2, 1))
SIZES = (60, 90, 140)


def test_chain_is_tested_on_points_no_fit_trained_on():
    """Recompute each row's prediction error on the points past n_max, chain by hand.

    Fails on the test split of version 0.9 (the 200 points after n): the fit at n < n_max
    started from a fit trained on those points.
    """
    assert TUCKER.kind.warm_chain
    rows = fit_replication(TUCKER, SIZES, rep=3, seed=5)
    weights, transition = setting_truth(TUCKER, 5)
    data_stream, solver_stream = replication_streams(TUCKER, 5, 3)
    X_all, Z_all, y_all = _draw(TUCKER, max(SIZES) + N_TEST, weights, transition,
                                np.random.default_rng(data_stream))
    held_out = list(held_out_indices(SIZES))
    assert held_out[0] == max(SIZES) and len(held_out) == N_TEST
    M_all = design_to_trace(TUCKER.spec, Z_all[: max(SIZES)])
    estimator = make_estimator(TUCKER, rng=np.random.default_rng(solver_stream))
    by_n = {row["n"]: row for row in rows}
    for n in sorted(SIZES, reverse=True):
        estimator.fit_trace(M_all[:n], y_all[:n])
        if n < max(SIZES) and n < COLD_CHECK_RATIO * TUCKER.n_params:
            cold = make_estimator(TUCKER, rng=np.random.default_rng(solver_stream))
            cold.fit_trace(M_all[:n], y_all[:n])
            estimator = min(estimator, cold, key=lambda fit: fit.objective_)
        estimator.n_init = 1
        delta = estimator.W_.reshape(weights.W.shape) - weights.W
        delta_x = mode_products(delta[None], TUCKER.spec.positioning_factors())[0]
        gap = X_all[held_out].reshape(N_TEST, -1) @ delta_x.ravel()
        assert by_n[n]["prediction_error"] == pytest.approx(np.sqrt(np.mean(gap**2)),
                                                            rel=1e-10)
        assert by_n[n]["error"] == pytest.approx(np.linalg.norm(delta), rel=1e-10)
    # and the held-out points are past every training sample of the chain
    assert min(held_out) >= max(SIZES)


def test_replications_draw_their_own_random_starts(monkeypatch):
    """The rank-K solver's random starts differ between replications (same in a rerun).

    Fails on version 0.9: every replication drew the same starts (seed 0).
    """
    from tensorcnn.estimators import lowrank

    drawn: list[np.ndarray] = []
    original = lowrank._random_starts

    def spy(rng, count, K, p):
        starts = original(rng, count, K, p)
        drawn.append(np.array(starts))
        return starts

    monkeypatch.setattr(lowrank, "_random_starts", spy)
    setting = Setting("tiny-rank", (6, 5), (2, 2), (2, 2), 2)
    per_rep = []
    for rep in (0, 1, 0):
        drawn.clear()
        fit_replication(setting, (40, 60), rep=rep, seed=11)
        per_rep.append(np.concatenate([d.ravel() for d in drawn]))
    assert per_rep[0].size > 0
    assert not np.allclose(per_rep[0][:8], per_rep[1][:8])       # independent across reps
    np.testing.assert_array_equal(per_rep[0], per_rep[2])          # reproducible


def test_streams_are_distinct_and_reproducible():
    data0, solver0 = replication_streams(TUCKER, 7, 0)
    data1, solver1 = replication_streams(TUCKER, 7, 1)
    states = [s.generate_state(4).tolist() for s in (data0, solver0, data1, solver1)]
    assert len({tuple(s) for s in states}) == 4
    again = replication_streams(TUCKER, 7, 0)
    assert again[1].generate_state(4).tolist() == states[1]


def test_chain_at_small_n_is_no_worse_than_a_cold_fit():
    """Below COLD_CHECK_RATIO · d_M the chain keeps the lower of the warm and the cold fit.

    Fails on the chain of session 17 (warm start only): in replication 1 of T2 (seed 0,
    the Fig. 3 grid) its fit at n = 186 ended at f = 0.79799, the cold spectral start at
    0.79434 (benchmarks: both misses against the paper's protocol were of this kind).
    """
    from tensorcnn.data import preset
    from tensorcnn.simulation import fit_replications, sample_sizes
    from tensorcnn.simulation.replication import _draw_replication

    setting = preset("T2")
    sizes = sorted((int(n) for n in sample_sizes(setting.n_params)), reverse=True)
    rows = fit_replication(setting, sizes, rep=1, seed=0)
    weights, transition = setting_truth(setting, 0)
    data_stream, solver_stream = replication_streams(setting, 0, 1)
    _, y_all, _, M_all = _draw_replication(setting, sizes, weights, transition,
                                           np.random.default_rng(data_stream))
    checked = [n for n in sizes[1:] if n < COLD_CHECK_RATIO * setting.n_params]
    assert checked == sizes[-2:]
    for row in rows:
        if row["n"] in checked:
            cold = make_estimator(setting, rng=np.random.default_rng(solver_stream))
            cold.fit_trace(M_all[: row["n"]], y_all[: row["n"]])
            assert row["objective"] <= cold.objective_
    assert rows[0]["n"] == 186 and rows[0]["objective"] == pytest.approx(0.7943428169553468,
                                                                         rel=1e-9)
    # the batched engine makes the same choice, bitwise
    assert fit_replications(setting, sizes, [1], seed=0)[0]["objective"] == rows[0]["objective"]
