"""Parameter groups by layer kind: conv filters, other weights, and the rest."""

from __future__ import annotations

from typing import Any

from torch import nn

from .._validation import check_instance, check_options
from ._checks import UnknownNameError

__all__ = ["param_groups_by_kind"]

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)


def param_groups_by_kind(model: nn.Module, conv: dict[str, Any] | None = None,
                         linear: dict[str, Any] | None = None,
                         other: dict[str, Any] | None = None,
                         by_name: dict[str, dict[str, Any]] | None = None
                         ) -> list[dict[str, Any]]:
    """Split ``model``'s parameters into optimizer groups with per-kind options.

    Kinds: "conv" — weights of ``nn.Conv1d/2d/3d``; "linear" — every other parameter with
    two or more axes (``nn.Linear``, locally-connected and dense maps); "other" — biases,
    BatchNorm/LayerNorm parameters and any 0-/1-axis parameter. For SplitLBI this is
    ``conv=dict(penalty="group"), linear=dict(penalty="lasso"), other=dict(penalty=None)``
    (004 §2); for β-lasso ``other=dict(lam=0.0)`` (001 penalises the weights).

    Parameters
    ----------
    model : nn.Module
    conv, linear, other : dict, optional
        Options merged into the group of that kind (omitted: the optimizer's defaults).
    by_name : dict, optional
        Parameter name → options; each named parameter gets a group of its own with the
        options of its kind updated by these (e.g. a larger λ for the first layer, 001 A.2).

    Returns
    -------
    list of dict
        Non-empty groups, each with ``params`` and a ``kind`` entry (and ``name`` for the
        groups of ``by_name``), ready for any ``torch.optim.Optimizer``.

    Raises
    ------
    TypeError
        ``model`` is not an ``nn.Module``; an option set is not a dict with string keys.
    KeyError
        ``by_name`` names a parameter the model does not have (an ``UnknownNameError``,
        also a ``ValueError``).
    """
    check_instance(model, nn.Module, "model", "an nn.Module")
    options = {"conv": check_options(conv, "conv"), "linear": check_options(linear, "linear"),
               "other": check_options(other, "other")}
    by_name = check_options(by_name, "by_name")
    for name, extra in by_name.items():
        by_name[name] = check_options(extra, f"by_name[{name!r}]")
    kinds = {}
    for module in model.modules():
        for pname, p in module.named_parameters(recurse=False):
            if isinstance(module, _CONV) and pname == "weight":
                kinds[id(p)] = "conv"
            elif p.dim() >= 2:
                kinds[id(p)] = "linear"
            else:
                kinds[id(p)] = "other"
    shared: dict[str, list] = {"conv": [], "linear": [], "other": []}
    named_groups = []
    seen = set()
    for name, p in model.named_parameters():
        seen.add(name)
        kind = kinds[id(p)]
        if name in by_name:
            named_groups.append(dict(params=[p], kind=kind, name=name,
                                     **(options[kind] | by_name[name])))
        else:
            shared[kind].append(p)
    unknown = sorted(set(by_name) - seen)
    if unknown:
        raise UnknownNameError(f"by_name names parameters the model does not have: {unknown}")
    groups = [dict(params=ps, kind=kind, **options[kind]) for kind, ps in shared.items() if ps]
    return groups + named_groups
