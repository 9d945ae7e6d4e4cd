"""Model kinds: one object per kind decides the checks, counts, truths and estimators."""

import ast
from pathlib import Path

import pytest

from tensorcnn.data import MODEL_KINDS, Setting, cp_study_settings, model_kind, preset
from tensorcnn.estimators import CPRegressor, RankKRegressor, TuckerRegressor
from tensorcnn.simulation.replication import make_estimator

PACKAGE = Path(__file__).resolve().parents[2] / "tensorcnn"


def test_registry_names_and_lookup():
    assert tuple(MODEL_KINDS) == ("rank", "tucker", "cp")
    for name, kind in MODEL_KINDS.items():
        assert model_kind(name) is kind and kind.name == name
    with pytest.raises(ValueError, match=r"model must be one of \('rank', 'tucker', 'cp'\)"):
        model_kind("lowrank")


@pytest.mark.parametrize("setting, estimator", [
    (preset("S2"), RankKRegressor), (preset("T1"), TuckerRegressor),
    (cp_study_settings((8,))[0], CPRegressor)])
def test_each_kind_builds_its_estimator(setting, estimator):
    assert type(make_estimator(setting)) is estimator
    assert setting.kind.compressed == (setting.model != "rank")


@pytest.mark.parametrize("kwargs, match", [
    (dict(ranks=(1,)), "ranks is for 'tucker'/'cp' settings"),
    (dict(fit_rank=2), "fit_rank is for 'tucker'/'cp' settings"),
    (dict(model="tucker", ranks=(1, 1, 1, 1), fit_rank=1), "fit_rank is for 'cp' settings"),
    (dict(model="tucker"), "needs ranks"),
    (dict(model="cp", ranks=(1, 1)), "needs ranks=\\(R,\\)"),
    (dict(model="cp", ranks=(3,)), "CP rank 3 exceeds"),
    (dict(model="cp", ranks=(1,), fit_rank=0), "fit_rank must be >= 1"),
    (dict(model="tucker", ranks=(1, 1, 1, 1), task="classification"), "plain kernels"),
])
def test_kind_checks_name_the_field(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Setting("x", (7, 5, 7), (2, 2, 2), (3, 2, 3), 2, **kwargs)


def test_no_module_switches_on_the_model_string():
    """Only the registry decides by kind: no ``.model ==`` / ``.model !=`` comparisons."""
    offenders = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Compare) and isinstance(node.left, ast.Attribute)
                    and node.left.attr == "model"
                    and any(isinstance(c, ast.Constant) and isinstance(c.value, str)
                            for c in node.comparators)):
                offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert not offenders, offenders
