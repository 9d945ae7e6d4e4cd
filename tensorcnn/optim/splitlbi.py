"""Split Linearized Bregman Iteration (SplitLBI, 004) as a ``torch.optim`` optimizer."""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np
import torch
from torch import nn

from .._validation import check_bool, check_finite, check_nonnegative, check_positive
from ._base import GroupwiseOptimizer
from ._checks import UnknownNameError, check_lr, check_momentum
from ._momentum import momentum_direction
from .penalties import PENALTIES, GroupLasso, group_view

__all__ = ["SplitLBI"]

WEIGHT_DECAY_MODES = ("decoupled", "gradient")


class SplitLBI(GroupwiseOptimizer):
    r"""SplitLBI (Eq. (4) of 004) with the momentum and weight-decay variants (Eq. (12)-(14)).

    For the augmented loss L̄(W, Γ) = L_n(W) + ‖W − Γ‖² / (2ν) (Eq. (2) of 004), one step on a
    parameter W with sparse companion Γ and dual variable V (V_0 = Γ_0 = 0) is

    .. math::

        d_k &= \nabla L_n(W_k) + (W_k - \Gamma_k)/\nu
                \quad(= \nabla_W \bar L(W_k, \Gamma_k)) \\
        v_{k+1} &= \tau v_k + d_k \quad\text{(Eq. (12a)/(13); } v_{k+1} = d_k
                  \text{ without momentum)} \\
        W_{k+1} &= W_k - \kappa\alpha\, v_{k+1} - \beta W_k
                \quad\text{(Eq. (4a), (12b), (14))} \\
        V_{k+1} &= V_k - \alpha (\Gamma_k - W_k)/\nu \quad\text{(Eq. (4b))} \\
        \Gamma_{k+1} &= \kappa\, \mathrm{Prox}_{\Omega_\lambda}(V_{k+1}) \quad\text{(Eq. (4c))}

    with Nesterov's variant stepping along d_k + τ v_{k+1} instead of v_{k+1}. The penalty
    Ω_λ of a parameter group is ``"group"`` (group lasso, one group per output channel of a
    conv filter / row of a linear weight: Γ_g = κ max(0, 1 − λ/‖V_g‖₂) V_g), ``"lasso"``
    (elementwise soft threshold) or ``None`` (no Γ: W takes the step above without the
    coupling term — biases, BatchNorm).

    Parameters
    ----------
    params : iterable of tensors or of dicts
        Parameters or parameter groups; every argument below can be overridden per group.
    lr : float, default 0.1
        α >= 0. W moves with step κα, V with step α.
    kappa : float, default 1.0
        Damping κ > 0.
    nu : float, default 10.0
        Coupling ν > 0 between W and Γ.
    lam : float, default 1.0
        Penalty level λ >= 0.
    momentum : float, default 0.0
        τ in [0, 1) (004 uses 0.9).
    weight_decay : float, default 0.0
        β >= 0 of Eq. (14) of 004: W loses β W_k per step, not scaled by α (see
        ``weight_decay_mode``).
    nesterov : bool, default False
        Nesterov momentum; needs ``momentum > 0``.
    penalty : {"group", "lasso", None}, default "group"
    group_scaling : bool, default False
        Use λ √|g| for a group of |g| weights (size-weighted group lasso).
    coupling_in_momentum : bool, default True
        True (the paper, Eq. (12a)): the coupling (W − Γ)/ν is part of ∇_W L̄ and goes
        through the momentum buffer. False (the authors' released code): the buffer holds
        only the data gradient and κα (W − Γ)/ν is added to the step outside it.
    weight_decay_mode : {"decoupled", "gradient"}, default "decoupled"
        "decoupled" (the paper, Eq. (14)): W ← … − β W_k. "gradient" (the released code):
        β W is added to the data gradient before the momentum buffer, so it is scaled by κα
        and accumulated. ``coupling_in_momentum=False, weight_decay_mode="gradient"``
        reproduces the released update.
    weight_decay_1d : bool, default False
        Also decay parameters with fewer than two axes (biases, BatchNorm/LayerNorm scales
        and shifts). False (the default, as the released code, which skips 1-axis
        parameters and those named ``bn``): weight decay acts on weights of two or more
        axes only, in both modes.
    track_path : bool, default False
        Record, for every penalised weight, the step at which it first enters supp(Γ)
        (``entry_step`` in its state; see :meth:`entry_steps`). Costs one comparison and
        one masked fill per penalised tensor per step. Entry *epochs*, the per-group norms
        of Γ along the path and the prune order come from :meth:`record_path`, called
        once per epoch.
    nonfinite : {"apply", "skip", "raise"}, default "apply"
        A NaN/inf gradient: "apply" steps anyway (``torch.optim.SGD``'s behaviour, the
        default), "skip" skips the whole step (as ``GradScaler``), "raise" raises
        ``FloatingPointError`` before anything moves.
    maximize : bool, default False
        Maximise L_n: the data gradient's sign is flipped; the coupling (W − Γ)/ν, the
        V, Γ updates and weight decay are unchanged (the step of minimising −L_n).
    foreach : bool or None, default None
        Use the ``torch._foreach_*`` implementation; None picks it when every parameter
        of the group is a CUDA tensor (and the group is not differentiable), as
        ``torch.optim`` does. Both implementations give the same numbers.
    differentiable : bool, default False
        Let autograd through the step (no ``torch.no_grad``): W, V and Γ after a step are
        differentiable functions of W, V, Γ, the momentum buffer and the gradient before
        it (V and Γ are then replaced, not updated in place). Needs ``foreach`` None or
        False.

    Raises
    ------
    ValueError
        κ <= 0, ν <= 0, negative α, λ or β, β >= 1 in decoupled mode, momentum outside
        [0, 1), Nesterov without momentum, an unknown penalty or mode, a non-bool flag, or
        ``foreach=True`` with ``differentiable=True``; the message names the argument.

    Notes
    -----
    The state of a penalised parameter is ``V`` and ``Gamma`` (and ``momentum_buffer``);
    all of it is in ``state_dict()``, so a reloaded optimizer continues the same path.
    Theorem 1 of 004 prints α < 2 / (κ (Lip + 1/ν)) for the full-batch iteration; a
    sufficient bound is 2 / (κ L̃) with the joint Lipschitz constant L̃ of ∇L̄ (see
    :meth:`max_stable_lr`).

    Relation to ``torch.optim.SGD`` (tested in float64, step for step; with
    ``weight_decay_1d=True``, since SGD decays every parameter): a group with
    ``penalty=None`` is SGD with learning rate κα and the same momentum and Nesterov flag,
    with ``weight_decay=β`` in ``"gradient"`` mode; in ``"decoupled"`` mode it is SGD with
    weight decay 0 when β = 0, and with weight decay β/(κα) when there is no momentum
    (with momentum, decoupled decay is not an SGD step). A penalised group whose Γ stays 0
    (λ above every ‖V_g‖ reached, e.g. before the first group enters the path) moves W as
    SGD with weight decay 1/ν (+ β in gradient mode) when ``coupling_in_momentum=True``;
    as ν → ∞ that reduces to plain SGD with learning rate κα.

    The path (the released code's ``update_prune_order`` / ``prune_layer_by_order_by_list``
    and ``calculate_all_residue``, re-derived): :meth:`record_path` (per epoch),
    :meth:`entry_epochs`, :meth:`entry_steps`, :meth:`path_history`, :meth:`prune_order`,
    :meth:`prune_masks` and :meth:`residual` (‖W − Γ‖²/(2ν)); see ``docs/optim.md``.

    References
    ----------
    004 §2 (Eq. (2), (4), (5)), §4 (Eq. (11)-(14)), Table 10.
    """

    def __init__(self, params: Iterable, lr: float = 0.1, kappa: float = 1.0,
                 nu: float = 10.0, lam: float = 1.0, momentum: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False,
                 penalty: str | None = "group", *, group_scaling: bool = False,
                 coupling_in_momentum: bool = True,
                 weight_decay_mode: str = "decoupled", weight_decay_1d: bool = False,
                 track_path: bool = False, nonfinite: str = "apply",
                 maximize: bool = False, foreach: bool | None = None,
                 differentiable: bool = False) -> None:
        defaults = dict(lr=lr, kappa=kappa, nu=nu, lam=lam, momentum=momentum,
                        weight_decay=weight_decay, nesterov=nesterov, penalty=penalty,
                        group_scaling=group_scaling,
                        coupling_in_momentum=coupling_in_momentum,
                        weight_decay_mode=weight_decay_mode,
                        weight_decay_1d=weight_decay_1d, track_path=track_path,
                        nonfinite=nonfinite, maximize=maximize,
                        foreach=foreach, differentiable=differentiable)
        super().__init__(params, defaults)

    def _check_group(self, group: dict[str, Any]) -> None:
        super()._check_group(group)
        check_lr(group["lr"])
        check_positive(group["kappa"], "kappa")
        check_positive(group["nu"], "nu")
        check_nonnegative(group["lam"], "lam")
        check_nonnegative(group["weight_decay"], "weight_decay")
        check_momentum(group["momentum"], group["nesterov"])
        if group["penalty"] is not None and group["penalty"] not in PENALTIES:
            raise ValueError(f"penalty must be one of {sorted(PENALTIES)} or None, "
                             f"got {group['penalty']!r}")
        if group["weight_decay_mode"] not in WEIGHT_DECAY_MODES:
            raise ValueError(f"weight_decay_mode must be one of {WEIGHT_DECAY_MODES}, "
                             f"got {group['weight_decay_mode']!r}")
        if group["weight_decay_mode"] == "decoupled" and group["weight_decay"] >= 1:
            raise ValueError("weight_decay must be < 1 in decoupled mode (W ← (1 − β) W …), "
                             f"got {group['weight_decay']!r}")
        for flag in ("group_scaling", "coupling_in_momentum", "weight_decay_1d",
                     "track_path"):
            if not isinstance(group[flag], bool):
                raise ValueError(f"{flag} must be a bool, got {group[flag]!r}")

    @staticmethod
    def max_stable_lr(kappa: float, nu: float, lipschitz: float, printed: bool = False) -> float:
        r"""A step size α below which full-batch SplitLBI converges (Theorem 1 of 004).

        Parameters
        ----------
        kappa, nu : float
            κ > 0, ν > 0.
        lipschitz : float
            Lip, the Lipschitz constant of ∇L_n.
        printed : bool, default False
            Return the bound as 004 prints it, 2 / (κ (Lip + 1/ν)). That bound is not
            sufficient (see ``docs/interpretations.md``, 004): the proof needs the joint
            Lipschitz constant of ∇L̄ in (W, Γ),
            L̃ = (Lip + 2/ν + √(Lip² + 4/ν²)) / 2, and the default is 2 / (κ L̃). With
            Lip = 0 the printed bound allows α up to 2ν/κ while W − Γ on the active set is
            multiplied by 1 − 2κα/ν each step, which diverges past α = ν/κ.
        """
        check_positive(kappa, "kappa")
        check_positive(nu, "nu")
        check_nonnegative(lipschitz, "lipschitz")
        printed = check_bool(printed, "printed")
        if printed:
            return 2.0 / (kappa * (lipschitz + 1.0 / nu))
        joint = (lipschitz + 2.0 / nu + math.sqrt(lipschitz ** 2 + 4.0 / nu ** 2)) / 2.0
        return 2.0 / (kappa * joint)

    @staticmethod
    def _penalty(group: dict[str, Any]):
        name = group["penalty"]
        if name is None:
            return None
        if name == "group":
            return GroupLasso(scale_by_size=group["group_scaling"])
        return PENALTIES[name]()

    def _step_group(self, group: dict[str, Any], params: list[torch.Tensor],
                    grads: list[torch.Tensor], foreach: bool) -> None:
        """Eq. (4), (12)-(14) of 004 on the parameters of one group."""
        if foreach:
            self._step_group_foreach(group, params, grads)
        else:
            for p, g in zip(params, grads, strict=True):
                self._step_param(group, p, g)
        if group["track_path"] and group["penalty"] is not None:
            self._track_entries(params)

    @torch.no_grad()
    def _track_entries(self, params: list[torch.Tensor]) -> None:
        """Count the step and set ``entry_step`` where Γ is non-zero for the first time."""
        for p in params:
            state = self.state[p]
            state["path_step"] = state.get("path_step", 0) + 1
            entry = state.get("entry_step")
            if entry is None:
                entry = state["entry_step"] = torch.full_like(
                    p, math.inf, memory_format=torch.preserve_format)
            entry.masked_fill_((state["Gamma"] != 0) & torch.isinf(entry),
                               float(state["path_step"]))

    def _step_group_foreach(self, group: dict[str, Any], params: list[torch.Tensor],
                            grads: list[torch.Tensor]) -> None:
        """The group's step with the ``torch._foreach_*`` kernels (one device and dtype)."""
        alpha, kappa, nu = group["lr"], group["kappa"], group["nu"]
        momentum, decay = group["momentum"], group["weight_decay"]
        decoupled = group["weight_decay_mode"] == "decoupled"
        penalty = self._penalty(group)

        coupling = None
        if penalty is not None:
            V, Gamma = self._dual_state(params)
            # ∇_W ‖W − Γ‖²/(2ν) = (W_k − Γ_k)/ν; Eq. (4b) reuses it: ∇_Γ = −(W_k − Γ_k)/ν.
            coupling = torch._foreach_sub(params, Gamma)
            torch._foreach_div_(coupling, nu)

        decayed = self._decayed(group, params)
        direction = grads
        if decayed and not decoupled:
            if len(decayed) == len(params):
                direction = torch._foreach_add(direction, params, alpha=decay)
            else:
                direction = list(direction)
                moved = torch._foreach_add([direction[i] for i in decayed],
                                           [params[i] for i in decayed], alpha=decay)
                for i, d in zip(decayed, moved, strict=True):
                    direction[i] = d
        if coupling is not None and group["coupling_in_momentum"]:
            direction = torch._foreach_add(direction, coupling)
        if momentum != 0:
            direction = momentum_direction(self.state, params, direction, momentum,
                                           group["nesterov"])
        if coupling is not None and not group["coupling_in_momentum"]:
            direction = torch._foreach_add(direction, coupling)

        if decayed and decoupled:
            torch._foreach_mul_([params[i] for i in decayed], 1.0 - decay)
        torch._foreach_add_(params, direction, alpha=-kappa * alpha)

        if penalty is not None:
            torch._foreach_add_(V, coupling, alpha=alpha)
            for p, v, gamma in zip(params, V, Gamma, strict=True):
                gamma.copy_(self._prox_with_removed_columns(penalty, group, p, v)).mul_(kappa)

    def _step_param(self, group: dict[str, Any], p: torch.Tensor, grad: torch.Tensor) -> None:
        """The step of one parameter with public tensor operations (the single-tensor path).

        The same operations in the same order as :meth:`_step_group_foreach`. In a
        differentiable group V and Γ are replaced by new tensors: the prox keeps V for
        its backward, so V must not change in place afterwards.
        """
        alpha, kappa, nu = group["lr"], group["kappa"], group["nu"]
        momentum = group["momentum"]
        decay = group["weight_decay"] if self._decayed(group, [p]) else 0.0
        decoupled = group["weight_decay_mode"] == "decoupled"
        penalty = self._penalty(group)

        coupling = None
        if penalty is not None:
            (v,), (gamma,) = self._dual_state([p])
            coupling = torch.sub(p, gamma).div_(nu)

        d = grad
        if decay != 0 and not decoupled:
            d = d.add(p, alpha=decay)
        if coupling is not None and group["coupling_in_momentum"]:
            d = d.add(coupling)
        if momentum != 0:
            d = momentum_direction(self.state, [p], [d], momentum, group["nesterov"],
                                   foreach=False)[0]
        if coupling is not None and not group["coupling_in_momentum"]:
            d = d.add(coupling)

        if decay != 0 and decoupled:
            p.mul_(1.0 - decay)
        p.add_(d, alpha=-kappa * alpha)

        if penalty is not None:
            if group["differentiable"]:
                state = self.state[p]
                state["V"] = v = v.add(coupling, alpha=alpha)
                state["Gamma"] = self._prox_with_removed_columns(penalty, group, p, v).mul(kappa)
            else:
                v.add_(coupling, alpha=alpha)
                gamma.copy_(self._prox_with_removed_columns(penalty, group, p, v)).mul_(kappa)

    def _prox_with_removed_columns(self, penalty, group: dict[str, Any], p: torch.Tensor,
                                   v: torch.Tensor) -> torch.Tensor:
        r"""Prox_{Ω_λ}(V) of ``p``, counting the columns that garbage collection removed.

        :func:`~tensorcnn.sparsity.collect_garbage` cuts entries inside the groups of a
        group-lasso parameter (input columns of a consumer layer, whose input is exactly 0)
        and keeps their state as ``state["removed_columns"]``: ``W``, ``V``, ``Gamma`` (and
        ``momentum_buffer``) of shape (n_groups, k), k <= 4 virtual entries per group with
        the Gram matrix of the removed ones, and ``n`` removed entries per group. Here they
        take this step with ∇L_n = 0 (a linear map shared by all entries of a group, so the
        virtual entries carry ‖V_removed,g‖ exactly; ``tensorcnn/sparsity/garbage.py``),
        and the prox shrinks each group by its full norm ‖V_kept,g‖² + ‖V_removed,g‖² (and
        λ√|g| uses the size before removal). Without that state: ``penalty.prox(v, λ)``.
        """
        removed = self.state[p].get("removed_columns")
        if removed is None or not isinstance(penalty, GroupLasso):
            return penalty.prox(v, group["lam"])
        alpha, kappa, nu = group["lr"], group["kappa"], group["nu"]
        momentum, decay = group["momentum"], group["weight_decay"]
        decoupled = group["weight_decay_mode"] == "decoupled"
        w, v_removed, gamma_removed = removed["W"], removed["V"], removed["Gamma"]
        with torch.no_grad():  # the step of _step_param with a zero data gradient
            coupling = torch.sub(w, gamma_removed).div_(nu)
            d = torch.zeros_like(w)
            if decay != 0 and not decoupled:
                d = d.add(w, alpha=decay)
            if group["coupling_in_momentum"]:
                d = d.add(coupling)
            if momentum != 0:
                d = momentum_direction({0: removed}, [0], [d], momentum, group["nesterov"],
                                       foreach=False)[0]  # buffer kept in ``removed``
            if not group["coupling_in_momentum"]:
                d = d.add(coupling)
            if decay != 0 and decoupled:
                w.mul_(1.0 - decay)
            w.add_(d, alpha=-kappa * alpha)
            v_removed.add_(coupling, alpha=alpha)
        rows = group_view(v)
        kept, lam = rows.shape[1], group["lam"]
        if penalty.scale_by_size:  # λ√|g| with |g| = kept + removed entries
            lam = lam * math.sqrt((kept + removed["n"]) / (kept + v_removed.shape[1]))
        joint = penalty.prox(torch.cat([rows, v_removed.to(rows)], dim=1), lam)
        with torch.no_grad():
            gamma_removed.copy_(joint[:, kept:]).mul_(kappa)
        return joint[:, :kept].reshape(v.shape)

    @staticmethod
    def _decayed(group: dict[str, Any], params: list[torch.Tensor]) -> list[int]:
        """Positions in ``params`` that weight decay acts on (none when β = 0)."""
        if group["weight_decay"] == 0:
            return []
        return [i for i, p in enumerate(params) if group["weight_decay_1d"] or p.dim() >= 2]

    def _dual_state(self, params: list[torch.Tensor]):
        V, Gamma = [], []
        for p in params:
            state = self.state[p]
            if "Gamma" not in state:
                state["V"] = torch.zeros_like(p, memory_format=torch.preserve_format)
                state["Gamma"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            V.append(state["V"])
            Gamma.append(state["Gamma"])
        return V, Gamma

    # ----------------------------------------------------------------- Γ and its support

    def penalised_parameters(self) -> Iterator[torch.Tensor]:
        """The parameters of the groups with a penalty (those that carry V and Γ)."""
        for group in self.param_groups:
            if group["penalty"] is not None:
                yield from group["params"]

    def gamma(self, param: torch.Tensor) -> torch.Tensor | None:
        """Γ of ``param`` (same shape; zeros before its first step), or None if unpenalised."""
        if id(param) not in {id(p) for p in self.penalised_parameters()}:
            return None
        state = self.state.get(param, {})
        return state["Gamma"] if "Gamma" in state else torch.zeros_like(param)

    def support(self, param: torch.Tensor) -> torch.Tensor | None:
        """supp(Γ) as a bool mask of ``param``'s shape, or None if unpenalised."""
        gamma = self.gamma(param)
        return None if gamma is None else gamma != 0

    def group_support(self, param: torch.Tensor) -> torch.Tensor | None:
        """Shape (n_groups,) bool: which groups (slices along the first axis) have Γ_g ≠ 0."""
        mask = self.support(param)
        return None if mask is None else group_view(mask).any(dim=1)

    def _names(self, model: nn.Module | None) -> dict[int, str]:
        names = {}
        if model is not None:
            names = {id(p): name for name, p in model.named_parameters()}
        for gi, group in enumerate(self.param_groups):
            for pi, p in enumerate(group["params"]):
                names.setdefault(id(p), f"group{gi}.param{pi}")
        return names

    def support_masks(self, model: nn.Module | None = None) -> dict[str, torch.Tensor]:
        """supp(Γ) of every penalised parameter, keyed by its name in ``model`` if given."""
        names = self._names(model)
        return {names[id(p)]: self.support(p) for p in self.penalised_parameters()}

    def sparsity(self, model: nn.Module | None = None,
                 level: str = "weight") -> dict[str, float]:
        """Share of non-zeros of Γ per penalised parameter (004 §4 "sparsity").

        Parameters
        ----------
        model : nn.Module, optional
            Names the parameters; without it they are called ``group{i}.param{j}``.
        level : {"weight", "group"}
            "weight": non-zero entries of Γ / entries; "group": groups (output channels /
            rows) with Γ_g ≠ 0 / groups.
        """
        if level not in ("weight", "group"):
            raise ValueError(f"level must be 'weight' or 'group', got {level!r}")
        names = self._names(model)
        out = {}
        for p in self.penalised_parameters():
            mask = self.support(p) if level == "weight" else self.group_support(p)
            out[names[id(p)]] = float(mask.sum()) / mask.numel()
        return out

    @contextlib.contextmanager
    def sparse_weights(self) -> Iterator[None]:
        """Within the block every penalised W is W ⊙ 1(Γ ≠ 0) (the sparse model of 004 §4.3).

        The dense weights are restored on exit, so a sparse-model evaluation can sit inside
        a training run.
        """
        saved = []
        with torch.no_grad():
            for p in self.penalised_parameters():
                saved.append((p, p.detach().clone()))
                p.mul_(self.support(p))
        try:
            yield
        finally:
            with torch.no_grad():
                for p, dense in saved:
                    p.copy_(dense)

    def sparse_model(self, model: nn.Module) -> nn.Module:
        """A deep copy of ``model`` whose penalised weights are W ⊙ 1(Γ ≠ 0)."""
        masks = {id(p): self.support(p) for p in self.penalised_parameters()}
        sparse = copy.deepcopy(model)
        with torch.no_grad():
            for p, q in zip(model.parameters(), sparse.parameters(), strict=True):
                if id(p) in masks:
                    q.mul_(masks[id(p)])
        return sparse

    # ------------------------------------- the regularisation path, prune order, residual

    def _penalised_with_groups(self) -> Iterator[tuple[dict[str, Any], torch.Tensor]]:
        for group in self.param_groups:
            if group["penalty"] is not None:
                for p in group["params"]:
                    yield group, p

    def _group_of(self, param: torch.Tensor) -> dict[str, Any] | None:
        for group, p in self._penalised_with_groups():
            if p is param:
                return group
        return None

    @torch.no_grad()
    def record_path(self, epoch: int) -> None:
        r"""Record supp(Γ) and the group norms ‖Γ_g‖₂ at ``epoch`` (once per epoch, after it).

        For every penalised parameter, its state gets (all saved by ``state_dict()``):

        - ``entry_epoch`` (the parameter's shape): the first recorded epoch at which the
          weight was in supp(Γ), ∞ for a weight that never was — min over the calls of
          ``epoch`` where Γ ≠ 0 (the released code's ``epoch_record``, whose sentinel for
          "never" is 2000); a weight that leaves the support keeps its entry epoch;
        - ``path_epochs`` (R,) and ``path_norms`` (R, n_groups): the recorded epochs and
          ‖Γ_g‖₂ of every group g (slice along the first axis) at each, the regularisation
          path that :func:`~tensorcnn.training.plot_path` draws.

        Parameters
        ----------
        epoch : int >= 0
            The epoch just finished (any non-decreasing step counter works).
        """
        epoch = check_nonnegative(epoch, "epoch")
        for _, p in self._penalised_with_groups():
            state = self.state[p]
            gamma = state["Gamma"] if "Gamma" in state else torch.zeros_like(p)
            entry = state.get("entry_epoch")
            if entry is None:
                entry = state["entry_epoch"] = torch.full_like(
                    p, math.inf, memory_format=torch.preserve_format)
            entry.masked_fill_((gamma != 0) & (entry > epoch), epoch)
            norms = torch.linalg.vector_norm(group_view(gamma.detach()), dim=1)[None]
            at = torch.tensor([epoch], dtype=norms.dtype, device=norms.device)
            if "path_norms" in state:
                norms = torch.cat([state["path_norms"], norms.to(state["path_norms"])])
                at = torch.cat([state["path_epochs"], at.to(state["path_epochs"])])
            state["path_norms"], state["path_epochs"] = norms, at

    def _entries(self, param: torch.Tensor, key: str, level: str,
                 how: str) -> torch.Tensor | None:
        if level not in ("weight", "group"):
            raise ValueError(f"level must be 'weight' or 'group', got {level!r}")
        if self._group_of(param) is None:
            return None
        state = self.state.get(param, {})
        if key not in state:
            raise RuntimeError(f"no {key} recorded for this parameter: {how}")
        entry = state[key]
        return entry if level == "weight" else group_view(entry).amin(dim=1)

    def entry_epochs(self, param: torch.Tensor, level: str = "weight") -> torch.Tensor | None:
        """Epoch at which each weight (``level="weight"``, the parameter's shape) or group
        (``"group"``, shape (n_groups,): the earliest of its weights) entered supp(Γ);
        ∞ where never. None for an unpenalised parameter. Needs :meth:`record_path`."""
        return self._entries(param, "entry_epoch", level, "call record_path(epoch) first")

    def entry_steps(self, param: torch.Tensor, level: str = "weight") -> torch.Tensor | None:
        """As :meth:`entry_epochs`, the optimizer step (1, 2, …) after which the weight or
        group first had Γ ≠ 0; needs ``track_path=True``."""
        return self._entries(param, "entry_step", level,
                             "construct the optimizer with track_path=True")

    def path_history(self, model: nn.Module | None = None
                     ) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """{name: (epochs (R,), ‖Γ_g‖₂ (R, n_groups))} of every penalised parameter with a
        recorded path (:meth:`record_path`)."""
        names = self._names(model)
        out = {}
        for _, p in self._penalised_with_groups():
            state = self.state.get(p, {})
            if "path_norms" in state:
                out[names[id(p)]] = (state["path_epochs"], state["path_norms"])
        return out

    @torch.no_grad()
    def prune_order(self, param: torch.Tensor, never: float = 2000.0) -> torch.Tensor | None:
        r"""The released code's prune order: early entry first, then large weights.

        With t the entry epoch (:meth:`entry_epochs`, ``never`` where the weight never
        entered): for ``penalty="group"`` one value per group,
        :math:`o_g = \lVert W_g \rVert_2 - \min_{i \in g} t_i` (shape (n_groups,)); for
        ``"lasso"`` one per weight, :math:`o_i = |W_i| - t_i` (the parameter's shape).
        W is the current dense weight. Since entry epochs are integers, a weight that
        entered earlier ranks higher unless the norms differ by more than the epochs.

        Parameters
        ----------
        param : tensor
            A penalised parameter (None is returned for another).
        never : float, default 2000.0
            The entry epoch given to weights that never entered (the released code's 2000).
        """
        group = self._group_of(param)
        if group is None:
            return None
        never = check_finite(never, "never")
        t = self.entry_epochs(param).nan_to_num(posinf=never)
        W = param.detach()
        if group["penalty"] == "group":
            return torch.linalg.vector_norm(group_view(W), dim=1) - group_view(t).amin(dim=1)
        return W.abs() - t

    @torch.no_grad()
    def prune_masks(self, percent: float, model: nn.Module | None = None,
                    names: Iterable[str] | None = None, *, never: float = 2000.0,
                    prune_bias: bool = False) -> dict[str, torch.Tensor]:
        """Masks that prune ``percent`` % of each layer by :meth:`prune_order` (the released
        ``prune_layer_by_order_by_list``).

        Per penalised parameter, the threshold is the ``percent``-th percentile of its
        order values (``numpy.percentile``, linear interpolation). ``penalty="group"``:
        a group (filter / row) is kept when its order is >= the threshold and pruned
        whole otherwise; ``"lasso"``: a weight is kept when its order is > the threshold
        (the released code's comparisons, strict for fc weights, not for filters). Apply
        with :func:`~tensorcnn.optim.apply_masks_` or keep with
        :func:`~tensorcnn.optim.keep_masks`.

        Parameters
        ----------
        percent : float in [0, 100]
        model : nn.Module, optional
            Names the parameters (else ``group{i}.param{j}``).
        names : iterable of str, optional
            Only these parameters (default: every penalised one).
        never : float, default 2000.0
            See :meth:`prune_order`.
        prune_bias : bool, default False
            Also mask ``<module>.bias`` of a pruned group (needs ``model``; group penalty).

        Returns
        -------
        dict
            Name → bool mask of the parameter's shape (True = kept).
        """
        percent = check_finite(percent, "percent")
        if not 0 <= percent <= 100:
            raise ValueError(f"percent must be in [0, 100], got {percent!r}")
        if model is not None and not isinstance(model, nn.Module):
            raise TypeError(f"model must be an nn.Module or None, got {type(model).__name__}")
        if isinstance(names, str):  # set("0.weight") would be a set of characters
            raise TypeError(f"names must be an iterable of parameter names, not a str "
                            f"({names!r}); wrap one name in a list")
        prune_bias = check_bool(prune_bias, "prune_bias")
        all_names = self._names(model)
        wanted = None if names is None else set(names)
        params = dict(model.named_parameters()) if model is not None else {}
        masks: dict[str, torch.Tensor] = {}
        for group, p in self._penalised_with_groups():
            name = all_names[id(p)]
            if wanted is not None and name not in wanted:
                continue
            order = self.prune_order(p, never)
            threshold = np.percentile(order.cpu().numpy(), percent)
            threshold = torch.as_tensor(threshold, dtype=order.dtype, device=order.device)
            if group["penalty"] == "group":
                keep = order >= threshold
                masks[name] = keep[:, None].expand(group_view(p).shape).reshape(p.shape)
                bias = name[: -len("weight")] + "bias" if name.endswith("weight") else None
                if prune_bias and bias in params and params[bias].shape == keep.shape:
                    masks[bias] = keep.clone()
            else:
                masks[name] = order > threshold
        if wanted is not None and wanted - set(masks):
            raise UnknownNameError(f"names not among the penalised parameters: "
                           f"{sorted(wanted - set(masks))}")
        return masks

    @torch.no_grad()
    def residual(self, model: nn.Module | None = None) -> dict[str, float]:
        """‖W − Γ‖² / (2ν) of every penalised parameter (ν of its group), by name.

        The split term of L̄ (Eq. (2) of 004), the released code's ``calculate_all_residue``
        per layer; their sum is the residual of the whole model.
        """
        names = self._names(model)
        out = {}
        for group, p in self._penalised_with_groups():
            state = self.state.get(p, {})
            gamma = state["Gamma"] if "Gamma" in state else torch.zeros_like(p)
            diff = (p.detach() - gamma.detach()).double()
            out[names[id(p)]] = float((diff * diff).sum()) / (2.0 * group["nu"])
        return out
