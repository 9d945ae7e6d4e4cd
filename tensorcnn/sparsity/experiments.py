r"""The experiments of 002 §4.3–4.4 as library functions (the scripts in ``simulations/``
only parse options, call these and write files).

* :func:`tradeoff_curves` — Fig. 1: loss against sparsity for ShrinkNet and the group
  lasso along their regularisation paths.
* :func:`train_switch_network` — a Switch network trained by torch with a killing
  strategy and optional garbage collection (loss and size per epoch).
* :func:`gamma_experiment` — Fig. 2: effect of the sign-variance gamma on the final loss
  and on the cost sum_epochs (#input neurons).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch import nn

from .._validation import (
    as_generator,
    check_bool,
    check_callable,
    check_finite,
    check_instance,
    check_int,
    check_nonnegative,
    check_positive,
)
from ._validation import check_design, check_loss, check_p, check_problem, check_targets
from .datafits import make_datafit
from .garbage import collect_garbage, count_parameters
from .group_lasso import group_lasso_lambda_max, group_lasso_path
from .killing import SIGN_VARIANCE_RULES, KillStrategy, SignVarianceKill
from .shrinknet import shrinknet_path
from .switch import Switch, shrinknet_penalty

__all__ = ["column_sparsity", "normalized_loss", "tradeoff_curves", "matched_comparison",
           "build_switch_network", "train_switch_network", "gamma_experiment"]

SPARSITY_THRESHOLD = 1e-3


def column_sparsity(W: np.ndarray, threshold: float = SPARSITY_THRESHOLD) -> float:
    r"""Share of input features whose weights are all below ``threshold`` in absolute value
    (002 §4.3: "columns that have all their weight under 1e-3"; columns of the paper's A are
    rows of our (p, q) W)."""
    threshold = check_positive(threshold, "threshold")
    W = np.asarray(W)
    if W.ndim != 2 or 0 in W.shape or W.dtype.kind not in "biuf":
        raise ValueError(f"W must be a non-empty real (n_features, n_targets) matrix, got shape "
                         f"{W.shape} and dtype {W.dtype}")
    return float(np.mean(np.abs(W).max(axis=1) < threshold))


def normalized_loss(X: np.ndarray, Y: np.ndarray, W: np.ndarray, loss: str) -> float:
    r"""Data fit f(XW) divided by f(0) (the fit of the empty model): 0 is a perfect fit,
    1 the empty model (002 §4.3: "loss normalised to [0, 1]")."""
    X_checked, _, loss = check_problem(X, Y, loss)
    W_checked = np.asarray(W)
    if W_checked.ndim != 2 or W_checked.shape[0] != X_checked.shape[1] or \
            W_checked.dtype.kind not in "biuf" or not np.isfinite(W_checked).all():
        raise ValueError(f"W must be a finite (n_features, n_outputs) matrix with "
                         f"n_features = {X_checked.shape[1]}, got shape {W_checked.shape}")
    datafit = make_datafit(loss, Y)
    return datafit.value(X @ W) / datafit.null_value()


def tradeoff_curves(X: Any, Y: Any, loss: str = "squared", n_lams: int = 20,
                    lam2: float = 1e-2, p: float = 2, lam_ratio: float = 1e-3,
                    tol: float = 1e-8, progress: Any = None) -> list[dict[str, Any]]:
    r"""Loss/sparsity pairs along the group-lasso path and the ShrinkNet path (Fig. 1).

    Group lasso: ``n_lams`` values geometric in [lam_ratio, 1] x lam_max. ShrinkNet: the
    same number of values of lam, geometric from lam_ratio^{3/2} x lam_max (its reduced
    penalty grows like lam^{2/3}, so this reaches as close to the unpenalised fit) to the
    first lam that empties the model (found by doubling). For p = 2 the ShrinkNet
    solutions in W depend on (lam, lam2) only through lam^2 lam2 (reduced penalty
    c ||w||^{2/3}, c ∝ lam^{2/3} lam2^{1/3}), so lam2 only reparametrises the path.
    ``tol`` is passed to both solvers (group lasso:
    duality gap / gradient mapping; ShrinkNet: relative decrease per sweep).

    Returns
    -------
    list of dicts ``method, lam, lam2, sparsity, loss (normalised), objective, n_iter``.
    """
    X = check_design(X)
    loss = check_loss(loss)
    Y = check_targets(Y, X.shape[0], loss)
    lam2 = check_positive(lam2, "lam2")
    p = check_p(p)
    n_lams = check_int(n_lams, "n_lams")
    lam_ratio = check_positive(lam_ratio, "lam_ratio")
    if lam_ratio > 1:
        raise ValueError(f"lam_ratio must be in (0, 1] (the smallest lam as a share of "
                         f"lam_max), got {lam_ratio!r}")
    tol = check_positive(tol, "tol")
    check_callable(progress, "progress", allow_none=True)
    lam_max = group_lasso_lambda_max(X, Y, loss)
    rows = []
    gl_lams = lam_max * np.geomspace(1.0, lam_ratio, n_lams)
    path = group_lasso_path(X, Y, gl_lams, loss, tol=tol)
    for lam, W, obj, it in zip(gl_lams, path["coefs"], path["objectives"], path["n_iter"],
                               strict=True):
        rows.append(dict(method="group_lasso", lam=float(lam), lam2=0.0,
                         sparsity=column_sparsity(W), loss=normalized_loss(X, Y, W, loss),
                         objective=float(obj), n_iter=int(it)))
    # ShrinkNet lam range: from small (dense) up to the first lam that empties the model
    lo = lam_max * lam_ratio ** 1.5
    hi = lam_max
    while True:
        W = shrinknet_path(X, Y, [hi], lam2, p, loss, tol=tol)["coefs"][0]
        if column_sparsity(W) == 1.0 or hi > 1e6 * lam_max:
            break
        hi *= 2.0
    sn_lams = np.geomspace(lo, hi, n_lams)
    chunks = [sn_lams] if progress is None else [[v] for v in sn_lams]
    A0 = beta0 = None
    for chunk in (chunks if progress is None else progress(chunks)):
        res = shrinknet_path(X, Y, chunk, lam2, p, loss, A0=A0, beta0=beta0, tol=tol)
        A0, beta0 = res["A"][-1], res["beta"][-1]
        for lam, W, obj, it in zip(chunk, res["coefs"], res["objectives"], res["n_iter"],
                                   strict=True):
            rows.append(dict(method="shrinknet", lam=float(lam), lam2=lam2,
                             sparsity=column_sparsity(W),
                             loss=normalized_loss(X, Y, W, loss), objective=float(obj),
                             n_iter=int(it)))
    return rows


def matched_comparison(rows: Sequence[dict[str, Any]], tol: float = 1e-6
                       ) -> list[dict[str, Any]]:
    r"""Compare the two methods at matched sparsity.

    For each method, the lower envelope :math:`\ell_m(s) = \min\{\text{loss} :
    \text{sparsity} \ge s\}` over its path (the best fit reachable with at least that
    share of inputs removed), evaluated at every sparsity level reached by either method.
    ``difference = shrinknet - group_lasso`` (negative: ShrinkNet fits closer);
    ``shrinknet_at_or_below`` allows ``tol`` for solver accuracy; ``reached_by_both`` marks
    the levels where both paths have a point (elsewhere a coarse grid can favour the method
    that happens to have a point there).
    """
    points: dict[str, list[tuple[float, float]]] = {"group_lasso": [], "shrinknet": []}
    tol = check_nonnegative(tol, "tol")
    if isinstance(rows, str | bytes | dict) or not np.iterable(rows):
        raise TypeError(f"rows must be a sequence of dicts (the rows of tradeoff_curves), got "
                        f"{type(rows).__name__} {rows!r:.80}")
    checked = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise TypeError(f"rows[{i}] must be a dict with method, sparsity and loss, got "
                            f"{type(row).__name__} {row!r:.80}")
        missing = sorted({"method", "sparsity", "loss"} - set(row))
        if missing:
            raise ValueError(f"rows[{i}] lacks the keys {missing} (needs method, sparsity, "
                             "loss)")
        if row["method"] not in points:
            raise ValueError(f"rows[{i}]['method'] must be one of {sorted(points)}, got "
                             f"{row['method']!r}")
        checked.append((row["method"], check_finite(row["sparsity"], f"rows[{i}]['sparsity']"),
                        check_finite(row["loss"], f"rows[{i}]['loss']")))
    for method, sparsity, loss in checked:
        points[method].append((round(sparsity, 12), loss))

    def envelope(method: str, level: float) -> float:
        return min((loss for s, loss in points[method] if s >= level), default=np.inf)

    reached = {m: {s for s, _ in pts} for m, pts in points.items()}
    out = []
    for level in sorted(reached["group_lasso"] | reached["shrinknet"]):
        gl, sn = envelope("group_lasso", level), envelope("shrinknet", level)
        out.append(dict(sparsity=level, group_lasso=gl, shrinknet=sn, difference=sn - gl,
                        shrinknet_at_or_below=bool(sn <= gl + tol),
                        reached_by_both=level in reached["group_lasso"]
                        and level in reached["shrinknet"]))
    return out


# ------------------------------------------------------------------ torch experiments
def build_switch_network(n_inputs: int, n_outputs: int, hidden: int | None = None,
                         rng: Any = None, dtype: torch.dtype = torch.float64
                         ) -> nn.Sequential:
    """Switch(d) -> Linear(d, q, no bias) (the ShrinkNet regression of Eq. (6) as a network),
    or with ``hidden=h``: Switch(d) -> Linear(d, h) -> Switch(h) -> ReLU -> Linear(h, q).
    Weights N(0, 1/fan_in) and switches N(0, 1) drawn from ``rng`` (numpy), not torch's
    global generator."""
    n_inputs, n_outputs = check_int(n_inputs, "n_inputs"), check_int(n_outputs, "n_outputs")
    if hidden is not None:
        hidden = check_int(hidden, "hidden")
    gen = as_generator(rng)

    def linear(i, o, bias):
        layer = nn.Linear(i, o, bias=bias, dtype=dtype)
        with torch.no_grad():
            layer.weight.copy_(torch.as_tensor(gen.standard_normal((o, i)) / np.sqrt(i)))
            if bias:
                layer.bias.zero_()
        return layer

    if hidden is None:
        return nn.Sequential(Switch(n_inputs, rng=gen, dtype=dtype),
                             linear(n_inputs, n_outputs, False))
    return nn.Sequential(Switch(n_inputs, rng=gen, dtype=dtype), linear(n_inputs, hidden, True),
                         Switch(hidden, rng=gen, dtype=dtype), nn.ReLU(),
                         linear(hidden, n_outputs, True))


def _data_loss(output: torch.Tensor, target: torch.Tensor, loss: str) -> torch.Tensor:
    if loss == "squared":
        return ((output - target) ** 2).sum() / (2 * output.shape[0])
    return torch.nn.functional.cross_entropy(output, target.argmax(dim=1), reduction="mean")


def train_switch_network(X: Any, Y: Any, lam: float, lam2: float = 0.0, p: float = 2,
                         loss: str = "squared", *, strategy: KillStrategy | None = None,
                         gc: bool = True, epochs: int = 30, lr: float = 1e-2,
                         batch_size: int = 64, optimizer: str = "adam", momentum: float = 0.9,
                         hidden: int | None = None, kill_every: int = 1,
                         rng: Any = None) -> dict[str, Any]:
    r"""Train a Switch network on (X, Y) with the loss L + Omega^{rs} (Eq. (2), (9) of 002).

    Mini-batch SGD (with momentum) or Adam; the batch order and the initial weights come
    from ``rng``. The killing ``strategy`` starts before the first step
    (``strategy.start``) and runs after every optimizer step when ``strategy.every ==
    "step"`` (the sign-variance rule of the reference code), else after every
    ``kill_every`` epochs; after every ``kill_every`` epochs, when
    ``gc``, :func:`~tensorcnn.sparsity.garbage.collect_garbage` removes the killed neurons
    from the model *and* the optimizer state (and the killed input columns from the data).

    Returns
    -------
    dict with per-epoch lists ``loss`` (data loss on the whole training set, after the
    epoch), ``objective`` (plus the penalty), ``n_inputs`` (alive input neurons during the
    epoch), ``n_params`` (parameters of the model), and the final ``model``.
    """
    X = check_design(X)
    loss = check_loss(loss)
    Y = check_targets(Y, X.shape[0], loss)
    lam, lam2 = check_nonnegative(lam, "lam"), check_nonnegative(lam2, "lam2")
    p = check_p(p, solver=False)
    lr = check_positive(lr, "lr")
    epochs = check_int(epochs, "epochs")
    batch_size = check_int(batch_size, "batch_size")
    kill_every = check_int(kill_every, "kill_every")
    if optimizer not in ("adam", "sgd"):
        raise ValueError(f"optimizer must be 'adam' or 'sgd', got {optimizer!r}")
    # torch's SGD takes any momentum >= 0 (1.5 diverges); Adam ignores it, checked anyway
    if not 0 <= check_finite(momentum, "momentum") < 1:
        raise ValueError(f"momentum must be in [0, 1), got {momentum!r}")
    if strategy is not None:
        check_instance(strategy, KillStrategy, "strategy", "a KillStrategy or None")
    gc = check_bool(gc, "gc")
    gen = as_generator(rng)
    model = build_switch_network(X.shape[1], Y.shape[1], hidden, gen)
    opt = (torch.optim.Adam(model.parameters(), lr=lr) if optimizer == "adam"
           else torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum))
    Xt, Yt = torch.as_tensor(X), torch.as_tensor(Y)
    history: dict[str, Any] = dict(loss=[], objective=[], n_inputs=[], n_params=[])
    n = X.shape[0]
    if strategy is not None:
        strategy.start(model)
    for epoch in range(epochs):
        history["n_inputs"].append(int(model[0].alive.sum()))
        order = torch.as_tensor(gen.permutation(n))
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            opt.zero_grad()
            out = model(Xt[idx])
            objective = _data_loss(out, Yt[idx], loss) + shrinknet_penalty(model, lam, lam2, p)
            objective.backward()
            opt.step()
            if strategy is not None and strategy.every == "step":
                strategy.update(model)
        if strategy is not None and (epoch + 1) % kill_every == 0:
            if strategy.every == "epoch":
                strategy.update(model)
            if gc:
                report = collect_garbage(model, opt)
                if report.input_keep is not None:
                    Xt = Xt[:, report.input_keep]
        with torch.no_grad():
            data = float(_data_loss(model(Xt), Yt, loss))
            history["loss"].append(data)
            history["objective"].append(data + float(shrinknet_penalty(model, lam, lam2, p)))
        history["n_params"].append(count_parameters(model))
    history["model"] = model
    return history


def gamma_experiment(X: Any, Y: Any, gammas: Sequence[float], lam: float, lam2: float = 0.0,
                     p: float = 2, loss: str = "squared", repetitions: int = 30,
                     rng: Any = None, progress: Any = None,
                     kill_rule: str = "ema-variance", **train_kwargs: Any
                     ) -> list[dict[str, Any]]:
    r"""Fig. 2 of 002: final loss and cost sum_epochs(#input neurons) against gamma.

    For each repetition r (its own seed, shared by all gammas and the baseline) the network
    is trained without removal (the baseline, ``gamma = None``) and with
    :class:`~tensorcnn.sparsity.killing.SignVarianceKill` (gamma, ``rule=kill_rule``) plus
    garbage collection. With the default rule gamma is the decay of the sign statistics
    (the reference code's meaning, updated every step); ``kill_rule="mean-variance"`` is
    the former rule, gamma a variance threshold checked once per epoch.

    Returns
    -------
    list of dicts ``gamma, repetition, final_loss, final_objective, cost, n_inputs_final``.
    """
    # checked here (not only in train_switch_network) so that nothing runs on bad input
    check_targets(Y, check_design(X).shape[0], check_loss(loss))
    check_nonnegative(lam, "lam")
    if isinstance(gammas, str | bytes) or not np.iterable(gammas):
        raise TypeError(f"gammas must be a sequence of sign-variance gammas, got "
                        f"{type(gammas).__name__} {gammas!r:.80}")
    gammas = list(gammas)
    if kill_rule not in SIGN_VARIANCE_RULES:
        raise ValueError(f"kill_rule must be one of {SIGN_VARIANCE_RULES}, got {kill_rule!r}")
    for gamma in gammas:  # every strategy is valid before the first network is trained
        SignVarianceKill(gamma, rule=kill_rule)
    repetitions = check_int(repetitions, "repetitions")
    check_callable(progress, "progress", allow_none=True)
    seeds = as_generator(rng).integers(0, 2**32 - 1, size=repetitions)
    jobs = [(r, g) for r in range(repetitions) for g in [None, *gammas]]
    rows = []
    for r, gamma in (jobs if progress is None else progress(jobs)):
        strategy = None if gamma is None else SignVarianceKill(gamma, rule=kill_rule)
        hist = train_switch_network(X, Y, lam, lam2, p, loss, strategy=strategy, gc=True,
                                    rng=int(seeds[r]), **train_kwargs)
        rows.append(dict(gamma=gamma, repetition=r, final_loss=hist["loss"][-1],
                         final_objective=hist["objective"][-1],
                         cost=int(sum(hist["n_inputs"])),
                         n_inputs_final=int(hist["n_inputs"][-1] if gamma is None
                                            else hist["model"][0].alive.sum())))
    return rows
