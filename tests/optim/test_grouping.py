"""Parameter groups by layer kind."""

from __future__ import annotations

import pytest
from torch import nn

from tensorcnn.optim import SplitLBI, param_groups_by_kind


def test_groups_by_kind_and_by_name():
    model = nn.Sequential(nn.Conv1d(2, 3, 3), nn.BatchNorm1d(3), nn.Conv3d(3, 2, 1),
                          nn.Flatten(), nn.Linear(8, 4), nn.LayerNorm(4))
    groups = param_groups_by_kind(model, conv=dict(penalty="group"),
                                  linear=dict(penalty="lasso"), other=dict(penalty=None),
                                  by_name={"4.weight": dict(lam=0.5)})
    by_kind = {g["kind"] if "name" not in g else g["name"]: g for g in groups}
    params = dict(model.named_parameters())
    assert [id(p) for p in by_kind["conv"]["params"]] == [id(params["0.weight"]),
                                                          id(params["2.weight"])]
    assert by_kind["4.weight"]["params"][0] is params["4.weight"]
    assert by_kind["4.weight"]["penalty"] == "lasso" and by_kind["4.weight"]["lam"] == 0.5
    assert "linear" not in by_kind  # its only weight went to its own group
    assert {id(p) for p in by_kind["other"]["params"]} == {
        id(params[n]) for n in ("0.bias", "1.weight", "1.bias", "2.bias", "4.bias",
                                "5.weight", "5.bias")}
    assert sum(len(g["params"]) for g in groups) == len(params)
    SplitLBI(groups)  # accepted as they are
    with pytest.raises(KeyError, match="nope"):
        param_groups_by_kind(model, by_name={"nope": {}})
