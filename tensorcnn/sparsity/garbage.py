r"""Neural garbage collection (002 §3.5.2): physically remove killed neurons.

:func:`collect_garbage` traces the model with torch.fx (any module whose forward torch.fx
can trace: nested containers, residual blocks; Switch and torch.nn's modules are leaves)
and splits its tensors into *channel spaces* (:mod:`tensorcnn.sparsity._graph`): the
output channels of a producer (a Linear's output units, a Conv's output channels, or the
model's input), carried through channel-wise modules and joined by residual sums, up to
the consumers (the Linear / Conv layers that read them).

**The rule.** Channel c of a space is removed when it is exactly 0 in the input of every
consumer of the space. Zeros start at the dead units of Switches and are carried by what
maps 0 to 0 channel-wise (activations with a(0) = 0, pooling, dropout, identity, Flatten,
products by a number); a sum is 0 where every term is. So a unit feeding a residual sum is
removed only when it is dead in every branch of the sum (or every branch is dead after
it). Then the channel is cut everywhere in the space — new ``Parameter`` objects, swapped
into the optimizer's param groups in place of the old ones:

* the producers: a Linear's output rows / a Conv's output channels (weight and bias);
  when the producer is the model's input, the kept input indices are reported
  (``GCReport.input_keep``) so that the caller slices its data;
* the members: every Switch (theta, alive and every per-neuron buffer of the killing
  strategies), BatchNorm (affine parameters, running statistics) and per-channel PReLU;
* the consumers: a Linear's input columns (a block of columns per channel after
  Flatten) / a Conv's input channels;
* the optimizer state of every sliced parameter: every state tensor of the parameter's
  shape (SGD ``momentum_buffer``, Adam/AdamW ``exp_avg``, ``exp_avg_sq``,
  ``max_exp_avg_sq``, Adagrad ``sum``, SplitLBI ``V``, ``Gamma``, ...) is sliced the
  same way; scalar state (``step``) is kept.

A dead unit that cannot be removed is either *blocked* — another branch of a sum, or
another consumer, still reads a non-zero value of its channel: it is kept, counted in
``GCReport.blocked``, and may be collected later when that branch dies too — or an error:
``ValueError`` when a module after it does not map 0 to 0 (BatchNorm, sigmoid), when its
space reaches the model's output or an operation that mixes channels or that this module
does not know (concatenation, indexing, softmax, a grouped convolution ...), naming the
Switch and the operation. ``TypeError`` when torch.fx cannot trace the model. Everything
is checked before anything is changed.

**Exactness.** The removed channels are exactly 0 at every consumer, so the function is
unchanged, the surviving parameters get the same gradients, and every element-wise
optimizer (SGD, Adam/AMSGrad, AdamW, Adagrad, β-lasso, SplitLBI with the lasso) makes the
same updates on them: training goes on as it would have on the uncollected model.
SplitLBI with the *group* lasso is the exception that needs more: a group of a consumer
(an output row of a Linear, an output channel of a Conv) contains the removed columns, and
its prox Γ_g = κ max(0, 1 − λ/‖V_g‖) V_g reads ‖V_g‖² = ‖V_kept‖² + ‖V_removed‖². The
removed entries are not idle: their data gradient is 0 (their input is 0) but the coupling
(W − Γ)/ν keeps moving W and V, so ‖V_removed‖ changes from step to step. Dropping them
changes the group norms (the defect of issue #19: 4e-4 after 3 steps). We keep them
exactly, in O(n_groups) memory: with ∇L_n = 0, one SplitLBI step maps the state
x_e = (W_e, V_e, Γ_e, b_e) of every removed entry e of group g by the same linear map M_g
(it depends on the hyper-parameters and on the group's shrink factor only), so the Gram
matrix G_g = Σ_e x_e x_eᵀ (4 × 4) evolves as M_g G_g M_gᵀ and ‖V_removed‖² = (G_g)_VV
at every step. Any k ≤ 4 vectors r_i with Σ_i r_i r_iᵀ = G_g (the rows of R in the QR
factorisation of the stacked x_e) therefore carry the removed norm exactly. They are stored
in the SplitLBI state as ``state["removed_columns"]`` (``W``, ``V``, ``Gamma``,
``momentum_buffer``: shape (n_groups, k); ``n``: removed entries per group, for
``group_scaling``'s λ√|g| with the original |g|) and take the step of a removed entry
inside :meth:`SplitLBI._prox_with_removed_columns
<tensorcnn.optim.SplitLBI._prox_with_removed_columns>`. Tested: the collected model
follows the uncollected one restricted to the kept units to ≤ 1e-10 (float64), with
momentum, Nesterov, both weight-decay modes, group scaling, Linear and Conv consumers.
What this does not reproduce: a penalty that the *loss* puts on the removed entries (e.g.
:func:`~tensorcnn.sparsity.shrinknet_penalty`'s λ₂‖W‖ term gives them a gradient in the
uncollected model); SplitLBI's own ``weight_decay`` is reproduced.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn

from .._validation import check_instance
from ..optim.penalties import group_view
from ..optim.splitlbi import SplitLBI
from ._graph import ChannelGraph, Space, describe_switch
from .switch import Switch

__all__ = ["GCReport", "collect_garbage", "count_parameters"]

#: Key of the SplitLBI state that keeps the removed columns of a group-lasso parameter.
REMOVED_COLUMNS = "removed_columns"


@dataclass
class GCReport:
    """What :func:`collect_garbage` removed.

    Attributes
    ----------
    removed : dict
        Switch → number of its channels removed. Keys are the Switches' qualified names in
        the model, ints (the index) for the children of a top-level ``nn.Sequential``.
    input_keep : LongTensor or None
        Kept indices of the model input's axis 1 when it lost channels (slice the data
        with them), else None.
    blocked : dict
        Switch (same keys) → number of its dead units kept because another branch of a
        residual sum or another consumer still reads their channel (see the module
        docstring); absent when there are none.
    """

    removed: dict[int | str, int] = field(default_factory=dict)
    input_keep: torch.Tensor | None = None
    blocked: dict[int | str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """Channels removed, summed over the Switches."""
        return sum(self.removed.values())


def count_parameters(model: nn.Module) -> int:
    """Number of scalar parameters of ``model`` (an ``nn.Module``; else ``TypeError``)."""
    check_instance(model, nn.Module, "model", "an nn.Module")
    return sum(p.numel() for p in model.parameters())


# ------------------------------------------------------------------------- slicing
def _group_lasso_splitlbi(optimizer, param: torch.Tensor) -> bool:
    if not isinstance(optimizer, SplitLBI):
        return False
    return any(group["penalty"] == "group" and any(q is param for q in group["params"])
               for group in optimizer.param_groups)


def _keep_removed_columns(state: dict, param: torch.Tensor, dim: int,
                          keep: torch.Tensor) -> None:
    """Store the SplitLBI state of the entries of ``param`` cut along ``dim`` (>= 1, inside
    the groups) as <= 4 virtual entries per group with the same Gram matrix (the module
    docstring), appended to those of earlier collections."""
    removed = torch.ones(param.shape[dim], dtype=torch.bool, device=keep.device)
    removed[keep] = False
    index = torch.nonzero(removed).reshape(-1).to(param.device)
    old = state.get(REMOVED_COLUMNS)
    names = ["W", "V", "Gamma"]
    if "momentum_buffer" in state or (old is not None and "momentum_buffer" in old):
        names.append("momentum_buffer")
    full = {"W": param.detach(), "V": state.get("V"), "Gamma": state.get("Gamma"),
            "momentum_buffer": state.get("momentum_buffer")}
    columns = []
    for name in names:
        value = full[name]
        value = torch.zeros_like(param) if value is None else value.detach()
        columns.append(group_view(value.index_select(dim, index)))
    entries = torch.stack(columns, dim=-1)  # (n_groups, removed entries, components)
    n_removed = entries.shape[1]
    if old is not None:
        previous = [old[name] if name in old else torch.zeros_like(old["W"])
                    for name in names]  # a buffer not created yet is a zero buffer
        entries = torch.cat([torch.stack(previous, dim=-1), entries], dim=1)
        n_removed += old["n"]
    elif not bool(entries.any()):
        return  # every removed entry is 0 and stays 0: nothing to keep
    factor = torch.linalg.qr(entries, mode="r").R  # RᵀR = Σ_e x_e x_eᵀ per group
    state[REMOVED_COLUMNS] = {name: factor[..., i].contiguous()
                              for i, name in enumerate(names)} | {"n": int(n_removed)}


def _slice_param(module: nn.Module, name: str, dim: int, keep: torch.Tensor,
                 optimizer: torch.optim.Optimizer | None) -> None:
    """Replace ``module.<name>`` by its slice along ``dim``; a Parameter becomes a new
    Parameter (autograd caches a leaf's shape, so it cannot be resized in place) that takes
    the old one's place in the optimizer's param groups, with its state sliced alike."""
    param = getattr(module, name, None)
    if param is None:
        return
    keep = keep.to(param.device)
    if name in module._buffers:
        module._buffers[name] = param.index_select(dim, keep).clone()
        return
    new = nn.Parameter(param.detach().index_select(dim, keep).clone(),
                       requires_grad=param.requires_grad)
    if param.grad is not None:
        new.grad = param.grad.index_select(dim, keep).clone()
    setattr(module, name, new)
    if optimizer is None:
        return
    for group in optimizer.param_groups:
        group["params"] = [new if q is param else q for q in group["params"]]
    if dim != 0 and _group_lasso_splitlbi(optimizer, new):
        _keep_removed_columns(optimizer.state.setdefault(param, {}), param, dim, keep)
    if param in optimizer.state:
        state = optimizer.state.pop(param)
        new_state = {}
        for key, value in state.items():
            if key == REMOVED_COLUMNS and dim == 0:  # whole groups go: slice the groups
                value = {k: v.index_select(0, keep) if torch.is_tensor(v) else v
                         for k, v in value.items()}
            elif torch.is_tensor(value) and value.shape == param.shape:
                value = value.index_select(dim, keep).clone()
            new_state[key] = value
        optimizer.state[new] = new_state


def _slice_member(module: nn.Module, keep: torch.Tensor, optimizer) -> None:
    if isinstance(module, Switch):
        for name in list(module._parameters) + list(module._buffers):
            _slice_param(module, name, 0, keep, optimizer)
        module.num_features = int(keep.numel())
    elif isinstance(module, nn.PReLU):
        _slice_param(module, "weight", 0, keep, optimizer)
        module.num_parameters = int(keep.numel())
    else:  # BatchNorm
        for name in ("weight", "bias", "running_mean", "running_var"):
            _slice_param(module, name, 0, keep, optimizer)
        module.num_features = int(keep.numel())


def _consumer_columns(name: str, module: nn.Module, layout: str, keep: torch.Tensor,
                      channels: int) -> torch.Tensor:
    """The input columns / channels of a consumer that the kept channels map to."""
    if layout == "channels":
        return keep
    block, rest = divmod(module.in_features, channels)
    if rest:
        raise ValueError(f"cannot remove channels: Linear {name!r} reads {module.in_features}"
                         f" flattened inputs, not a multiple of the {channels} channels")
    # channel-major flatten: a block of columns per channel
    return (keep[:, None] * block + torch.arange(block)).reshape(-1)


def _apply(space: Space, keep: torch.Tensor, report: GCReport, optimizer) -> None:
    for _, module in {id(m): (n, m) for n, m in space.producers}.values():
        if module is None:
            report.input_keep = keep.clone()
            continue
        _slice_param(module, "weight", 0, keep, optimizer)
        _slice_param(module, "bias", 0, keep, optimizer)
        if isinstance(module, nn.Linear):
            module.out_features = int(keep.numel())
        else:
            module.out_channels = int(keep.numel())
    for _, module in {id(m): (n, m) for n, m in space.members}.values():
        _slice_member(module, keep, optimizer)
    for name, module, layout in {id(c[1]): c for c in space.consumers}.values():
        cols = _consumer_columns(name, module, layout, keep, space.size)
        _slice_param(module, "weight", 1, cols, optimizer)
        if isinstance(module, nn.Linear):
            module.in_features = int(cols.numel())
        else:
            module.in_channels = int(cols.numel())


def _plan(space: Space, report: GCReport, key) -> torch.Tensor | None:
    """The kept channels of ``space`` (None: nothing to remove), after checking that every
    dead unit is removable or blocked (see the module docstring)."""
    switches = space.switches()
    dead = None
    for _, switch in switches:
        mask = ~switch.alive.detach().cpu()
        dead = mask if dead is None else dead | mask
    if dead is None or not bool(dead.any()):
        return None
    removable = dead.clone()
    for zero in space.consumer_zeros:
        removable &= zero if zero is not None else torch.zeros_like(dead)
    if space.barriers:
        removable[:] = False
    for name, switch in switches:
        stuck = ~switch.alive.detach().cpu() & ~removable
        if not bool(stuck.any()):
            continue
        what = f"cannot remove the dead units of {describe_switch(name)}"
        if space.barriers:
            raise ValueError(f"{what}: {space.barriers[0]}")
        for where, zero in space.losses:
            if bool((zero & stuck).any()):
                raise ValueError(f"{what}: {where} after it does not map 0 to 0 channel-wise "
                                 "(e.g. BatchNorm, sigmoid)")
        report.blocked[key(name)] = int(stuck.sum())
    layouts: dict[int, set[str]] = {}
    for name, module, layout in space.consumers:
        layouts.setdefault(id(module), set()).add(layout)
        if len(layouts[id(module)]) > 1:
            raise ValueError(f"cannot remove channels: {name!r} reads them both flattened "
                             "and unflattened")
        _consumer_columns(name, module, layout, torch.zeros(0, dtype=torch.long),
                          space.size)
    if not bool(removable.any()):
        return None
    return torch.nonzero(~removable).reshape(-1)


def collect_garbage(model: nn.Module, optimizer: torch.optim.Optimizer | None = None
                    ) -> GCReport:
    """Remove the killed neurons of every Switch of ``model`` (see the module docstring).

    Parameters
    ----------
    model : nn.Module
        Any module torch.fx can trace (nn.Sequential, nested containers, residual
        blocks); Switches and torch.nn's modules are leaves of the trace.
    optimizer : torch.optim.Optimizer, optional
        The optimizer training ``model``: the sliced parameters replace the old ones in its
        param groups and their per-parameter state is sliced (for SplitLBI with the group
        lasso, the removed columns' share of the group norms is kept, exactly).

    Returns
    -------
    GCReport

    Raises
    ------
    TypeError
        torch.fx cannot trace ``model``.
    ValueError
        A dead unit cannot be removed (a module after it does not map 0 to 0, its channel
        reaches the output or an unsupported operation); raised before changing anything.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be an nn.Module, got {type(model).__name__}")
    if optimizer is not None:  # checked before the trace: a bad one fails mid-slicing
        check_instance(optimizer, torch.optim.Optimizer, "optimizer",
                       "a torch.optim.Optimizer or None")
    graph = ChannelGraph(model)
    sequential = isinstance(model, nn.Sequential)

    def key(name: str) -> int | str:
        return int(name) if sequential and name.isdigit() else name

    report = GCReport()
    plans = []
    traced = set()
    for space in graph.spaces():  # validate everything before changing anything
        traced.update(id(switch) for _, switch in space.switches())
        keep = _plan(space, report, key)
        if keep is not None:
            plans.append((space, keep))
    for name, module in model.named_modules():
        if isinstance(module, Switch) and id(module) not in traced and not bool(
                module.alive.all()):
            raise ValueError(f"cannot remove the dead units of {describe_switch(name)}: the "
                             "traced forward of the model does not call it (or calls it "
                             "inside a module that torch.fx does not trace through)")
    for space, keep in plans:
        for name, _ in space.switches():
            report.removed[key(name)] = space.size - int(keep.numel())
        _apply(space, keep, report, optimizer)
    return report
