"""The #Params and #FLOPs columns of 003 Table 2 and Table 3, and our networks' counts.

The paper prints parameters in millions with two decimals ("5.56M") and MACs in GMac
("0.17GMac", ptflops' unit; three decimals for UCF101's added blocks). A count
*matches a cell* when it rounds to the printed number at the printed precision.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass

import torch

from ..blocks.costs import Cost

__all__ = ["NETWORKS", "PAPER", "CountRow", "PaperCell", "count_rows", "matches_printed",
           "network_cost"]


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


def _resnet41(t: int, design: dict) -> Cost:
    from ..nets.kr_resnet import kr_resnet41
    return kr_resnet41(t, **design).cost(32)


def _resnet3d18(t: int, design: dict) -> Cost:
    from ..nets.kr_resnet3d import kr_resnet3d18
    return kr_resnet3d18(t, **design).added_cost((1, 4, 4))


def _resnext(t: int, design: dict) -> Cost:
    from ..nets.kr_resnext import kr_resnext
    return kr_resnext(t, **design).cost(32)


def _shufflenet(t: int, design: dict) -> Cost:
    from ..nets.kr_shufflenet import kr_shufflenet
    return kr_shufflenet(t, **design).cost(32)


#: Network name → cost(t, design overrides) of what the paper's table counts (whole net at
#: 32×32; for the 3D net the added blocks + FC on 16×112×112 clips).
NETWORKS: dict[str, Callable[[int, dict], Cost]] = {
    "kr_resnet41": _resnet41, "kr_resnet3d18": _resnet3d18, "kr_resnext": _resnext,
    "kr_shufflenet": _shufflenet}


def network_cost(network: str, t: int, **design) -> Cost:
    """Closed-form cost of ``network`` (a key of :data:`NETWORKS`) built on the meta
    device (no memory for the weights)."""
    if network not in NETWORKS:
        raise ValueError(f"network must be one of {sorted(NETWORKS)}, got {network!r}")
    with torch.device("meta"):
        return NETWORKS[network](t, design)


def matches_printed(value: float, printed: float, decimals: int) -> bool:
    """True when ``value`` rounds to ``printed`` at ``decimals`` decimals."""
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

    @property
    def params_rel_diff(self) -> float:
        """(ours − paper) / paper for the parameters."""
        return self.params / (self.paper_params_m * 1e6) - 1

    @property
    def gmacs_rel_diff(self) -> float:
        """(ours − paper) / paper for the MACs."""
        return self.macs / (self.paper_gmacs * 1e9) - 1

    def as_dict(self) -> dict:
        return {**asdict(self), "params_rel_diff": self.params_rel_diff,
                "gmacs_rel_diff": self.gmacs_rel_diff}


def count_rows(networks: Iterable[str] | None = None,
               designs: dict[str, dict] | None = None) -> list[CountRow]:
    """Our #Params and #MACs next to every cell of 003 Tables 2–3.

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
        cost = network_cost(cell.network, cell.t, **designs.get(cell.network, {}))
        rows.append(CountRow(
            cell.table, cell.network, cell.t, cost.params, cost.macs, cell.params_m,
            cell.gmacs, matches_printed(cost.params / 1e6, cell.params_m, cell.params_decimals),
            matches_printed(cost.macs / 1e9, cell.gmacs, cell.gmacs_decimals)))
    return rows
