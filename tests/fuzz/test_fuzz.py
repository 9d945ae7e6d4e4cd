"""The fuzz suite of issue #14: every public name of tensorcnn refuses invalid input by name,
before work, and gives finite output of the documented shape on valid edge input.

* ``test_every_public_name_has_an_entry``: a public name (an ``__all__`` entry anywhere in the
  package) without an :class:`~tests.fuzz.registry.Entry` or a reasoned
  :class:`~tests.fuzz.registry.Exempt` fails the suite;
* ``test_refuses``: each invalid case (one argument of a valid call replaced) raises
  ``ValueError`` / ``TypeError`` whose message names the argument; the outcome is *refused*,
  or *silent* (accepted), *crash* (another exception: an ``IndexError``, torch's internal
  message) or *unnamed* (the message does not name the argument);
* ``test_accepts``: valid calls (the base call and, for entries with a strategy, hypothesis
  draws) run and return finite values passing the entry's check: *ok*, *wrong* or *error*.

Counts by category are printed at the end of the run (``tests/fuzz/conftest.py``).
"""

from __future__ import annotations

import os
import warnings

import pytest
from hypothesis import HealthCheck, given, settings

from .registry import PROFILES, TALLY, Bad, Entry, public_names, registry

ENTRIES, EXEMPT = registry()
PROFILE = os.environ.get("TENSORCNN_FUZZ") or (
    "long" if os.environ.get("HYPOTHESIS_PROFILE") == "thorough" else "default")


def _examples(config) -> int:
    name = config.getoption("--fuzz-profile", default=None) or PROFILE
    return PROFILES[name]


def _covers(entry_name: str, public: str) -> bool:
    return entry_name == public or entry_name.startswith((public + ".", public + "["))


def test_every_public_name_has_an_entry():
    names = public_names()
    covered = {n for n in names if any(_covers(e.name, n) for e in ENTRIES)}
    exempt = {x.name for x in EXEMPT}
    missing = sorted(set(names) - covered - exempt)
    assert not missing, f"public names with no fuzz entry or exemption: {missing}"
    both = sorted(covered & exempt)
    assert not both, f"names both fuzzed and exempt: {both}"


def test_registry_names_are_public():
    names = public_names()
    stale = sorted({e.name for e in ENTRIES if not any(_covers(e.name, n) for n in names)}
                   | {x.name for x in EXEMPT if x.name not in names})
    assert not stale, f"registry names that are not public (renamed or removed?): {stale}"
    assert all(x.reason for x in EXEMPT)


def _cases():
    for entry in ENTRIES:
        for argument, values in entry.bad.items():
            for i, value in enumerate(values):
                bad = value if isinstance(value, Bad) else Bad(value)
                marks = [pytest.mark.xfail(strict=True, reason=bad.xfail)] if bad.xfail else []
                yield pytest.param(entry, argument, bad, id=f"{entry.name}-{argument}-{i}",
                                   marks=marks)


def _invoke(entry: Entry, call: dict):
    call = dict(call)
    args = call.pop("args", ())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return entry.target()(*args, **call)


def classify(entry: Entry, argument: str, bad: Bad) -> tuple[str, str]:
    """(outcome, detail) of one invalid call."""
    call = entry.base()
    if argument.startswith("args["):
        args = list(call["args"])
        args[int(argument[5:-1])] = bad.value
        call["args"] = tuple(args)
    else:
        call[argument] = bad.value
    try:
        result = _invoke(entry, call)
    except bad.raises as error:
        wanted = bad.names if bad.names is not None else argument
        if wanted.lower() not in str(error).lower():
            return "unnamed", f"{type(error).__name__}: {error}"
        return "refused", ""
    except Exception as error:  # noqa: BLE001 - the point is to see what else escapes
        return "crash", f"{type(error).__name__}: {error}"
    return "silent", f"accepted {bad.value!r}, returned {type(result).__name__}"


@pytest.mark.parametrize(("entry", "argument", "bad"), list(_cases()))
def test_refuses(entry, argument, bad):
    outcome, detail = classify(entry, argument, bad)
    key = f"invalid/{outcome}" + ("/xfail-owner" if bad.xfail else "")
    TALLY[key] = TALLY.get(key, 0) + 1
    assert outcome == "refused", f"{entry.name}({argument}={bad.value!r}): {outcome}: {detail}"


def _check_valid(entry: Entry, call: dict) -> tuple[str, str]:
    from .registry import non_finite

    try:
        result = _invoke(entry, call)
    except Exception as error:  # noqa: BLE001
        return "error", f"{type(error).__name__}: {error}"
    bad_paths = list(non_finite(result))
    if bad_paths:
        return "wrong", f"non-finite values at {bad_paths[:3]}"
    if entry.check is not None:
        try:
            entry.check(result, call)
        except AssertionError as error:
            return "wrong", str(error)
    return "ok", ""


@pytest.mark.parametrize("entry", [
    pytest.param(e, id=e.name, marks=[pytest.mark.xfail(strict=True, reason=e.xfail_valid)]
                 if e.xfail_valid else []) for e in ENTRIES])
def test_accepts(entry, request):
    outcomes: list[tuple[str, str]] = [_check_valid(entry, entry.base())]
    if entry.valid is not None:
        @settings(max_examples=_examples(request.config), deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(entry.valid)
        def run(call):
            outcomes.append(_check_valid(entry, call))
            assert outcomes[-1][0] == "ok", outcomes[-1][1]

        try:
            run()
        except AssertionError:
            pass
    worst = next((o for o in outcomes if o[0] != "ok"), outcomes[0])
    key = f"valid/{worst[0]}" + ("/xfail-owner" if entry.xfail_valid else "")
    TALLY[key] = TALLY.get(key, 0) + 1
    assert worst[0] == "ok", f"{entry.name}: {worst[0]}: {worst[1]}"


def test_exemptions_counted():
    TALLY["exempt"] = TALLY.get("exempt", 0) + len(EXEMPT)
