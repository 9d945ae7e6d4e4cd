"""The #Params and #FLOPs columns of 003 Table 2 and Table 3, and our networks' counts.

The paper prints parameters in millions with two decimals ("5.56M") and MACs in GMac
("0.17GMac", ptflops' unit; three decimals for UCF101's added blocks). A count
*matches a cell* when it rounds to the printed number at the printed precision.

MAC conventions (:data:`CONVENTIONS`):

* ``"paper"`` (the cells'): convolutions (k² C_in C_out / g per output position), batch norm
  (2 per element) and linear layers — ReLU and pooling **not** counted. That is what
  ptflops counted before 0.7.1 (2023; 003 is from 2020) on networks that apply ReLU and
  pooling as ``torch.nn.functional`` calls (pytorch-cifar's style): its PyTorch backend saw
  ``nn.Module`` layers only. Every cell of Tables 2–3 that matches in the ``"ptflops"``
  convention matches in this one too, and the t = 1 cells of Table 3 match only in this one
  (ResNeXt 0.0547 vs 0.0552 GMac, ShuffleNet 0.0549 vs 0.0553, printed 0.05).
* ``"ptflops"``: + 1 MAC per output element of a ReLU and 1 per input element of a pooling
  layer, as ptflops 0.7.5 counts ``nn.ReLU`` / pooling modules — the networks'
  closed-form ``cost()`` (:mod:`tensorcnn.blocks.costs`), tested against ptflops itself.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass

import torch
from torch import nn

from .._validation import check_bool, check_finite, check_int, check_positive
from ..blocks.costs import Cost

__all__ = ["CONVENTIONS", "NETWORKS", "PAPER", "CountRow", "PaperCell", "activation_macs",
           "count_rows", "matches_printed", "network_cost"]

#: MAC conventions of :func:`network_cost` (module docstring).
CONVENTIONS = ("paper", "ptflops")


@dataclass(frozen=True)
class PaperCell:
    """One row of 003's tables: params in M and MACs in GMac, with their printed decimals."""

    table: str
    network: str
    t: int
    params_m: float
    gmacs: float
    params_decimals: int = 2
    gmacs_decimals: int = 2

    def __post_init__(self) -> None:
        _check_strings(self, ("table", "network"))
        check_int(self.t, "t")
        check_positive(self.params_m, "params_m")
        check_positive(self.gmacs, "gmacs")
        check_int(self.params_decimals, "params_decimals", minimum=0)
        check_int(self.gmacs_decimals, "gmacs_decimals", minimum=0)


def _check_strings(record: object, names: Sequence[str]) -> None:
    for name in names:
        if not isinstance(getattr(record, name), str):
            raise TypeError(f"{name} must be a string, got {getattr(record, name)!r}")


def _cells(table: str, network: str, rows: Iterable[tuple[int, float, float]],
           gmacs_decimals: int = 2) -> list[PaperCell]:
    return [PaperCell(table, network, t, p, g, 2, gmacs_decimals) for t, g, p in rows]


#: 003 Table 2 (#FLOPs, #Params; UCF101: the added blocks only) and Table 3.
PAPER: list[PaperCell] = (
    _cells("Table 2", "kr_resnet41", [(1, 0.17, 5.56), (4, 0.26, 8.55), (8, 0.43, 14.15),
                                      (16, 0.87, 29.28)])
    + _cells("Table 2", "kr_resnet3d18", [(1, 0.125, 6.97), (4, 0.145, 9.16),
                                          (8, 0.175, 11.11), (16, 0.235, 15.00)], 3)
    + _cells("Table 3", "kr_resnext", [(1, 0.05, 1.45), (2, 0.07, 2.13), (4, 0.14, 4.44)])
    + _cells("Table 3", "kr_shufflenet", [(1, 0.05, 1.33), (2, 0.08, 1.67), (4, 0.16, 3.84)])
)


def _resnet41(t: int, design: dict) -> tuple[Cost, nn.Module, tuple[int, ...]]:
    from ..nets.kr_resnet import kr_resnet41
    model = kr_resnet41(t, **design)
    return model.cost(32), model, (3, 32, 32)


def _resnet3d18(t: int, design: dict) -> tuple[Cost, nn.Module, tuple[int, ...]]:
    from ..nets.kr_resnet3d import kr_resnet3d18
    model = kr_resnet3d18(t, **design)
    return model.added_cost((1, 4, 4)), nn.Sequential(model.blocks, model.head), (512, 1, 4, 4)


def _resnext(t: int, design: dict) -> tuple[Cost, nn.Module, tuple[int, ...]]:
    from ..nets.kr_resnext import kr_resnext
    model = kr_resnext(t, **design)
    return model.cost(32), model, (3, 32, 32)


def _shufflenet(t: int, design: dict) -> tuple[Cost, nn.Module, tuple[int, ...]]:
    from ..nets.kr_shufflenet import kr_shufflenet
    model = kr_shufflenet(t, **design)
    return model.cost(32), model, (3, 32, 32)


#: Network name → (closed-form cost, module counted, its input shape) for (t, design
#: overrides), of what the paper's table counts: the whole net at 32×32; for the 3D net
#: the added blocks + FC on 16×112×112 clips (backbone output 512×1×4×4).
NETWORKS: dict[str, Callable[[int, dict], tuple[Cost, nn.Module, tuple[int, ...]]]] = {
    "kr_resnet41": _resnet41, "kr_resnet3d18": _resnet3d18, "kr_resnext": _resnext,
    "kr_shufflenet": _shufflenet}

_ACTIVATIONS = (nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.PReLU, nn.ELU, nn.GELU, nn.SiLU)
_POOLS = (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AvgPoolNd,
          nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)


def activation_macs(model: nn.Module, input_shape: Sequence[int]) -> int:
    """MACs of ``model``'s activation and pooling modules in ptflops' count: 1 per output
    element of an activation, 1 per input element of a pooling layer, for one forward pass
    on a (1, *input_shape) input (run on the model's device: the meta device costs nothing).

    Raises
    ------
    TypeError, ValueError
        ``model`` not an ``nn.Module``, ``input_shape`` not a sequence of positive
        integers, or an ``input_shape`` the model cannot take (the forward pass fails).
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(input_shape, str | bytes) or not isinstance(input_shape, Sequence) \
            or not input_shape:
        raise TypeError(f"input_shape must be a non-empty sequence of positive integers "
                        f"(one input without its batch axis), got {input_shape!r}")
    input_shape = tuple(check_int(s, "input_shape entry") for s in input_shape)
    total = 0

    def hook(module, inputs, output):
        nonlocal total
        total += math.prod((inputs[0] if isinstance(module, _POOLS) else output).shape)

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, _ACTIVATIONS + _POOLS)]
    parameter = next(model.parameters(), None)
    kwargs = {} if parameter is None else dict(dtype=parameter.dtype, device=parameter.device)
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            try:
                model(torch.zeros((1, *input_shape), **kwargs))
            except (RuntimeError, ValueError, IndexError) as err:
                first = str(err).strip().splitlines()[0] if str(err).strip() else ""
                raise ValueError(f"input_shape {input_shape} does not fit the model "
                                 f"{type(model).__name__} ({type(err).__name__}: "
                                 f"{first})") from err
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return total


def network_cost(network: str, t: int, convention: str = "paper", **design) -> Cost:
    """Cost of ``network`` (a key of :data:`NETWORKS`) built on the meta device (no memory
    for the weights): closed-form parameters, and MACs in ``convention`` (one of
    :data:`CONVENTIONS`; ``"paper"``: ReLU and pooling not counted)."""
    if network not in NETWORKS:
        raise ValueError(f"network must be one of {sorted(NETWORKS)}, got {network!r}")
    if convention not in CONVENTIONS:
        raise ValueError(f"convention must be one of {CONVENTIONS}, got {convention!r}")
    with torch.device("meta"):
        cost, model, input_shape = NETWORKS[network](t, design)
        if convention == "ptflops":
            return cost
        return Cost(cost.params, cost.macs - activation_macs(model, input_shape))


def matches_printed(value: float, printed: float, decimals: int) -> bool:
    """True when ``value`` rounds to ``printed`` at ``decimals`` decimals (finite numbers,
    ``decimals`` a non-negative integer)."""
    value, printed = check_finite(value, "value"), check_finite(printed, "printed")
    decimals = check_int(decimals, "decimals", minimum=0)
    return round(value, decimals) == round(printed, decimals)


@dataclass(frozen=True)
class CountRow:
    """Our count of one paper cell."""

    table: str
    network: str
    t: int
    params: int
    macs: int
    paper_params_m: float
    paper_gmacs: float
    params_match: bool
    gmacs_match: bool
    #: The ReLU and pooling MACs left out of ``macs`` (paper convention); ``macs +
    #: activation_macs`` is the ptflops-0.7.5 count (the networks' closed-form ``cost()``).
    activation_macs: int = 0

    def __post_init__(self) -> None:
        _check_strings(self, ("table", "network"))
        check_int(self.t, "t")
        check_int(self.params, "params", minimum=0)
        check_int(self.macs, "macs", minimum=0)
        check_positive(self.paper_params_m, "paper_params_m")
        check_positive(self.paper_gmacs, "paper_gmacs")
        check_bool(self.params_match, "params_match")
        check_bool(self.gmacs_match, "gmacs_match")
        check_int(self.activation_macs, "activation_macs", minimum=0)

    @property
    def params_rel_diff(self) -> float:
        """(ours − paper) / paper for the parameters."""
        return self.params / (self.paper_params_m * 1e6) - 1

    @property
    def gmacs_rel_diff(self) -> float:
        """(ours − paper) / paper for the MACs."""
        return self.macs / (self.paper_gmacs * 1e9) - 1

    @property
    def ptflops_macs(self) -> int:
        """The MACs with ReLU and pooling counted (ptflops 0.7.5 on ``nn`` modules)."""
        return self.macs + self.activation_macs

    def as_dict(self) -> dict:
        return {**asdict(self), "params_rel_diff": self.params_rel_diff,
                "gmacs_rel_diff": self.gmacs_rel_diff, "closed_form_macs": self.ptflops_macs}


def count_rows(networks: Iterable[str] | None = None,
               designs: dict[str, dict] | None = None) -> list[CountRow]:
    """Our #Params and #MACs (paper convention: ReLU and pooling not counted) next to every
    cell of 003 Tables 2–3.

    Parameters
    ----------
    networks : iterable of str, optional
        Keys of :data:`NETWORKS` (default all).
    designs : dict, optional
        Network name → design overrides (default: the constructors' defaults).
    """
    wanted = set(NETWORKS if networks is None else networks)
    designs = designs or {}
    rows = []
    for cell in PAPER:
        if cell.network not in wanted:
            continue
        design = designs.get(cell.network, {})
        cost = network_cost(cell.network, cell.t, **design)
        full = network_cost(cell.network, cell.t, "ptflops", **design)
        rows.append(CountRow(
            cell.table, cell.network, cell.t, cost.params, cost.macs, cell.params_m,
            cell.gmacs, matches_printed(cost.params / 1e6, cell.params_m, cell.params_decimals),
            matches_printed(cost.macs / 1e9, cell.gmacs, cell.gmacs_decimals),
            full.macs - cost.macs))
    return rows
