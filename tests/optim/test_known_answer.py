"""Two (and more) steps of each optimizer against the hand-written references, in float64."""

from __future__ import annotations

import itertools

import pytest
import torch

from tensorcnn.optim import BetaLasso, SplitLBI

from .reference import beta_lasso_reference, splitlbi_reference

TOL = 1e-12

# Weights of conv1d/2d/3d filters, linear weights of 2 and 3 axes, a bias, a scalar.
SHAPES = [(4, 3, 5), (5, 2, 2, 3), (3, 2, 2, 2, 2), (6, 7), (4, 3, 5), (6,), ()]


def make_problem(seed: int, scale: float = 1.0):
    gen = torch.Generator().manual_seed(seed)
    W0 = [scale * torch.randn(s, generator=gen, dtype=torch.float64) for s in SHAPES]
    c = [torch.randn(s, generator=gen, dtype=torch.float64) for s in SHAPES]
    a = [torch.rand(s, generator=gen, dtype=torch.float64) + 0.5 for s in SHAPES]
    return W0, c, a


def run_optimizer(make_opt, W0, c, a, n_steps):
    params = [torch.nn.Parameter(w.clone()) for w in W0]
    opt = make_opt(params)
    for _ in range(n_steps):
        opt.zero_grad()

        def closure():
            loss = sum((ci * p).sum() + 0.5 * (ai * p * p).sum()
                       for p, ci, ai in zip(params, c, a, strict=True))
            loss.backward()
            return loss

        opt.step(closure)
    return params, opt


SPLIT_CASES = [
    # (momentum, weight_decay, nesterov, coupling_in_momentum, weight_decay_mode)
    (0.0, 0.0, False, True, "decoupled"),
    (0.9, 0.0, False, True, "decoupled"),
    (0.9, 0.01, False, True, "decoupled"),
    (0.9, 0.01, True, True, "decoupled"),
    (0.0, 0.01, False, True, "decoupled"),
    (0.9, 0.01, False, False, "gradient"),
    (0.9, 0.01, True, False, "gradient"),
    (0.5, 0.02, False, True, "gradient"),
    (0.5, 0.02, False, False, "decoupled"),
]


@pytest.mark.parametrize("penalty,group_scaling",
                         [("group", False), ("group", True), ("lasso", False), (None, False)])
@pytest.mark.parametrize("case", SPLIT_CASES)
@pytest.mark.parametrize("n_steps", [2, 5])
@pytest.mark.parametrize("decay_1d", [False, True])
def test_splitlbi_matches_hand_computation(penalty, group_scaling, case, n_steps, decay_1d):
    """Weight decay skips the bias (6,) and the scalar () unless ``weight_decay_1d``."""
    momentum, wd, nesterov, coupled, mode = case
    hyper = dict(alpha=0.4, kappa=2.0, nu=1.5, lam=0.35, momentum=momentum, weight_decay=wd,
                 nesterov=nesterov, penalty=penalty, group_scaling=group_scaling,
                 coupling_in_momentum=coupled, weight_decay_mode=mode)
    W0, c, a = make_problem(0, scale=2.0)
    params, opt = run_optimizer(
        lambda ps: SplitLBI(ps, lr=hyper["alpha"], kappa=hyper["kappa"], nu=hyper["nu"],
                            lam=hyper["lam"], momentum=momentum, weight_decay=wd,
                            nesterov=nesterov, penalty=penalty, group_scaling=group_scaling,
                            coupling_in_momentum=coupled, weight_decay_mode=mode,
                            weight_decay_1d=decay_1d),
        W0, c, a, n_steps)
    zero_and_nonzero = [False, False]
    for p, w0, ci, ai in zip(params, W0, c, a, strict=True):
        decay = wd if decay_1d or w0.dim() >= 2 else 0.0
        W, _, G = splitlbi_reference(w0, ci, ai, n_steps, **{**hyper, "weight_decay": decay})
        assert torch.allclose(p.detach(), W, rtol=0, atol=TOL)
        gamma = opt.gamma(p)
        if penalty is None:
            assert gamma is None
            continue
        assert torch.allclose(gamma, G, rtol=0, atol=TOL)
        assert torch.equal(opt.support(p), G != 0)
        zero_and_nonzero[0] |= bool((G == 0).any())
        zero_and_nonzero[1] |= bool((G != 0).any())
    if penalty is not None:
        # The thresholds matter in this problem: some of Γ is zero, some is not.
        assert all(zero_and_nonzero)


def test_splitlbi_per_group_overrides_match_hand_computation():
    W0, c, a = make_problem(1, scale=2.0)
    base = dict(alpha=0.3, kappa=1.5, nu=2.0, lam=0.2, momentum=0.9, weight_decay=0.0,
                nesterov=False, penalty="group")
    overrides = [dict(), dict(penalty="lasso", lam=0.5), dict(kappa=3.0, nu=0.7),
                 dict(lr=0.05, momentum=0.0), dict(weight_decay=0.05, nesterov=True),
                 dict(penalty=None), dict(lam=0.0)]
    params = [torch.nn.Parameter(w.clone()) for w in W0]
    groups = [dict(params=[p], **o) for p, o in zip(params, overrides, strict=True)]
    opt = SplitLBI(groups, lr=base["alpha"], kappa=base["kappa"], nu=base["nu"],
                   lam=base["lam"], momentum=base["momentum"], penalty="group")
    for _ in range(3):
        opt.zero_grad()
        loss = sum((ci * p).sum() + 0.5 * (ai * p * p).sum()
                   for p, ci, ai in zip(params, c, a, strict=True))
        loss.backward()
        opt.step()
    for p, w0, ci, ai, o in zip(params, W0, c, a, overrides, strict=True):
        hyper = dict(base)
        hyper.update({("alpha" if k == "lr" else k): v for k, v in o.items()})
        W, _, G = splitlbi_reference(w0, ci, ai, 3, **hyper)
        assert torch.allclose(p.detach(), W, rtol=0, atol=TOL)
        if hyper["penalty"] is not None:
            assert torch.allclose(opt.gamma(p), G, rtol=0, atol=TOL)


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
@pytest.mark.parametrize("beta", [0.0, 1.0, 5.0, 50.0])
@pytest.mark.parametrize("n_steps", [2, 4])
def test_beta_lasso_matches_hand_computation(momentum, nesterov, beta, n_steps):
    W0, c, a = make_problem(2, scale=0.3)
    lr, lam = 0.05, 0.02 if beta <= 5 else 0.002
    params, _ = run_optimizer(
        lambda ps: BetaLasso(ps, lr=lr, lam=lam, beta=beta, momentum=momentum,
                             nesterov=nesterov), W0, c, a, n_steps)
    zeros = 0
    for p, w0, ci, ai in zip(params, W0, c, a, strict=True):
        ref = beta_lasso_reference(w0, ci, ai, n_steps, lr=lr, lam=lam, beta=beta,
                                   momentum=momentum, nesterov=nesterov)
        assert torch.allclose(p.detach(), ref, rtol=0, atol=TOL)
        zeros += int((ref == 0).sum())
    if beta > 0:
        assert zeros > 0  # the hard threshold acted


def test_beta_lasso_per_group_lambda_and_beta():
    W0, c, a = make_problem(3, scale=0.3)
    settings = [(0.01, 50.0), (0.001, 50.0), (0.0, 50.0), (0.02, 1.0), (0.01, 0.0),
                (0.005, 10.0), (0.03, 2.0)]
    params = [torch.nn.Parameter(w.clone()) for w in W0]
    groups = [dict(params=[p], lam=lam, beta=beta)
              for p, (lam, beta) in zip(params, settings, strict=True)]
    opt = BetaLasso(groups, lr=0.1, lam=1.0)
    for _ in range(2):
        opt.zero_grad()
        sum((ci * p).sum() + 0.5 * (ai * p * p).sum()
            for p, ci, ai in zip(params, c, a, strict=True)).backward()
        opt.step()
    for p, w0, ci, ai, (lam, beta) in zip(params, W0, c, a, settings, strict=True):
        ref = beta_lasso_reference(w0, ci, ai, 2, lr=0.1, lam=lam, beta=beta)
        assert torch.allclose(p.detach(), ref, rtol=0, atol=TOL)


def test_beta_lasso_with_beta_zero_is_a_lasso_subgradient_step():
    """001: β = 0 leaves Algorithm 1 as θ − η(∇f + λ sign θ) (issue 6, theory check)."""
    W0, c, a = make_problem(4, scale=0.3)
    params, _ = run_optimizer(lambda ps: BetaLasso(ps, lr=0.1, lam=0.05, beta=0.0),
                              W0, c, a, 1)
    for p, w0, ci, ai in zip(params, W0, c, a, strict=True):
        assert torch.allclose(p.detach(), w0 - 0.1 * (ci + ai * w0 + 0.05 * torch.sign(w0)),
                              rtol=0, atol=TOL)


def test_parameters_without_gradient_are_left_alone():
    p, q = (torch.nn.Parameter(torch.ones(3, 2, dtype=torch.float64)) for _ in range(2))
    for opt in (SplitLBI([p, q], lr=0.1, momentum=0.9), BetaLasso([p, q], lr=0.1, lam=0.1)):
        p.grad = torch.ones_like(p)
        q.grad = None
        before = q.detach().clone()
        opt.step()
        assert torch.equal(q.detach(), before)
        assert len(opt.state[q]) == 0


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_splitlbi_paper_and_released_agree_without_momentum_or_decay(dtype):
    """The two momentum conventions differ only through the buffer (issue 6 §2)."""
    W0, c, a = make_problem(5)
    runs = []
    for coupled, mode in itertools.product((True, False), ("decoupled", "gradient")):
        params, _ = run_optimizer(
            lambda ps, coupled=coupled, mode=mode: SplitLBI(
                ps, lr=0.2, lam=0.3, coupling_in_momentum=coupled, weight_decay_mode=mode),
            [w.to(dtype) for w in W0], [x.to(dtype) for x in c], [x.to(dtype) for x in a], 3)
        runs.append(params)
    for other in runs[1:]:
        for p, q in zip(runs[0], other, strict=True):
            assert torch.equal(p, q)


def test_beta_lasso_keeps_weights_exactly_at_the_threshold():
    """Line 3 of Algorithm 1 keeps |θ| >= βλ (lr = 0 isolates the threshold)."""
    theta = torch.nn.Parameter(torch.tensor([1.0, 0.999, -1.0, -1.001, 0.0], dtype=torch.float64))
    opt = BetaLasso([theta], lr=0.0, lam=0.5, beta=2.0)
    theta.grad = torch.zeros_like(theta)
    opt.step()
    assert theta.detach().tolist() == [1.0, 0.0, -1.0, -1.001, 0.0]
