"""The package's one set of argument checks, its ``rng`` policy and its ``ConvergenceWarning``.

Every check names the argument, shows the value it got and says what was expected, e.g.
``n_kernels must be a positive integer, got 2.5``. A value of the wrong *type* (a string, a
bool, an array, a float where an integer is needed) raises ``TypeError``; a value of the
right type outside the allowed range (negative, zero, NaN, infinite) raises ``ValueError``.
Bools are never numbers here, although ``bool`` subclasses ``int``.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.exceptions import ConvergenceWarning as _SklearnConvergenceWarning

__all__ = [
    "ConvergenceWarning",
    "as_generator",
    "check_bool",
    "check_finite",
    "check_int",
    "check_nonnegative",
    "check_positive",
]


class ConvergenceWarning(_SklearnConvergenceWarning):
    """A solver stopped at its iteration cap before its convergence criterion held.

    The one such warning of the package, raised by the estimators
    (:mod:`tensorcnn.estimators`) and the sparsity solvers (:mod:`tensorcnn.sparsity`). It
    subclasses :class:`sklearn.exceptions.ConvergenceWarning` (itself a ``UserWarning``), so
    ``warnings.simplefilter("error", sklearn.exceptions.ConvergenceWarning)`` catches it too.
    """


def _integer_expectation(minimum: int) -> str:
    if minimum == 1:
        return "a positive integer"
    if minimum == 0:
        return "a non-negative integer"
    return f"an integer >= {minimum}"


def check_int(value: Any, name: str, minimum: int = 1) -> int:
    """An integer ``>= minimum``, returned as a Python ``int``.

    Parameters
    ----------
    value : Any
        The argument to check: a Python or numpy integer. Bools and floats (``2.0``
        included) are refused.
    name : str
        The argument's name, for the error message.
    minimum : int, default 1
        The smallest value allowed.

    Returns
    -------
    int

    Raises
    ------
    TypeError
        If ``value`` is not an integer (or is a bool).
    ValueError
        If ``value < minimum``.
    """
    expected = _integer_expectation(minimum)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be {expected}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return int(value)


def check_bool(value: Any, name: str) -> bool:
    """A flag: ``True`` or ``False`` (a Python or numpy bool), returned as a Python ``bool``.

    Truthy stand-ins are refused, so that ``batch_norm="no"`` or ``bias=0.5`` cannot be
    read as a flag by accident; ``0`` and ``1`` are refused too.

    Parameters
    ----------
    value : Any
        The argument to check.
    name : str
        The argument's name, for the error message.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        If ``value`` is not a ``bool`` or ``numpy.bool_``.
    """
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be a bool (True or False), got {value!r}")
    return bool(value)


def check_finite(value: Any, name: str) -> float:
    """A finite real number, returned as a Python ``float``.

    Parameters
    ----------
    value : Any
        The argument to check: a Python or numpy real scalar (not a bool).
    name : str
        The argument's name, for the error message.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``value`` is not a real number (or is a bool).
    ValueError
        If ``value`` is NaN or infinite.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite real number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return value


def check_positive(value: Any, name: str, *, integer: bool = False,
                   allow_zero: bool = False) -> float | int:
    """A finite number ``> 0`` (``>= 0`` with ``allow_zero``), optionally an integer.

    Parameters
    ----------
    value : Any
        The argument to check.
    name : str
        The argument's name, for the error message.
    integer : bool, default False
        Require an integer (as :func:`check_int`) and return an ``int``.
    allow_zero : bool, default False
        Allow ``0`` (then the check is :func:`check_nonnegative`).

    Returns
    -------
    float or int
        ``float(value)``, or ``int(value)`` when ``integer``.

    Raises
    ------
    TypeError
        If ``value`` is not a real number (an integer when ``integer``) or is a bool.
    ValueError
        If ``value`` is NaN, infinite, negative, or zero without ``allow_zero``.
    """
    if integer:
        return check_int(value, name, minimum=0 if allow_zero else 1)
    expected = f"a finite number {'>=' if allow_zero else '>'} 0"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be {expected}, got {value!r}")
    number = float(value)
    if not math.isfinite(number) or not (number >= 0 if allow_zero else number > 0):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return number


def check_nonnegative(value: Any, name: str) -> float:
    """A finite real number ``>= 0`` (a penalty weight, a noise level), as a ``float``.

    Parameters
    ----------
    value : Any
        The argument to check.
    name : str
        The argument's name, for the error message.

    Returns
    -------
    float

    Raises
    ------
    TypeError
        If ``value`` is not a real number (or is a bool).
    ValueError
        If ``value`` is NaN, infinite or negative.
    """
    return check_positive(value, name, allow_zero=True)


def as_generator(rng: np.random.Generator | int | None, name: str = "rng", *,
                 allow_none: bool = True) -> np.random.Generator:
    """The ``rng`` argument of a random function as a ``numpy.random.Generator``.

    The package's one policy, as scikit-learn's ``random_state``: a Generator is used as
    is (and advanced), an int ``>= 0`` is a seed (same seed, same draws) and ``None`` means
    a fresh, unseeded Generator. Callers whose runs must be reproducible (the data
    generators of SPEC.md §1, the estimators) pass ``allow_none=False``.

    Parameters
    ----------
    rng : numpy.random.Generator, int or None
        The generator, a seed, or ``None``.
    name : str, default "rng"
        The argument's name, for the error message.
    allow_none : bool, default True
        Whether ``None`` (an unseeded Generator) is accepted.

    Returns
    -------
    numpy.random.Generator

    Raises
    ------
    TypeError
        If ``rng`` is not a Generator, an int (bools refused) or ``None``, or is ``None``
        with ``allow_none=False``.
    ValueError
        If ``rng`` is a negative int.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None:
        if allow_none:
            return np.random.default_rng()
        raise TypeError(f"{name} must be a numpy.random.Generator or an int seed (None is "
                        "refused here: the run must be reproducible), got None")
    if isinstance(rng, bool) or not isinstance(rng, numbers.Integral):
        expected = "a numpy.random.Generator, an int seed" + (" or None" if allow_none else "")
        raise TypeError(f"{name} must be {expected}, got {rng!r}")
    if rng < 0:
        raise ValueError(f"{name} must be a non-negative int seed, got {rng!r}")
    return np.random.default_rng(int(rng))


def check_path(value: Any, name: str) -> Path:
    """A file or folder path (a ``str`` or ``os.PathLike``, not empty), as a ``Path``.

    Parameters
    ----------
    value : Any
        The argument to check. Bytes, numbers and other objects are refused (``Path(123)``
        would fail later with a message that does not name the argument).
    name : str
        The argument's name, for the error message.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    TypeError
        If ``value`` is not a ``str`` or ``os.PathLike``.
    ValueError
        If ``value`` is the empty string (which ``Path`` reads as the current folder).
    """
    if not isinstance(value, str | os.PathLike):
        raise TypeError(f"{name} must be a path (str or os.PathLike), got {value!r}")
    if isinstance(value, str) and not value:
        raise ValueError(f"{name} must be a non-empty path, got {value!r}")
    return Path(value)


def check_str_sequence(value: Any, name: str, expected: str) -> tuple[str, ...]:
    """A sequence of strings (not a bare string, which would be read as its characters).

    Parameters
    ----------
    value : Any
        The argument to check.
    name : str
        The argument's name, for the error message.
    expected : str
        What was expected, in words (``"a sequence of key strings, e.g. ('epoch',)"``).

    Returns
    -------
    tuple of str

    Raises
    ------
    TypeError
        If ``value`` is a str / bytes, not a sequence, or holds a non-string.
    """
    if isinstance(value, str | bytes) or not isinstance(value, Sequence) or \
            not all(isinstance(item, str) for item in value):
        raise TypeError(f"{name} must be {expected}, got {value!r:.80}")
    return tuple(value)


def check_instance(value: Any, types: type | tuple[type, ...], name: str, expected: str) -> Any:
    """``value`` when it is an instance of ``types``; else a ``TypeError`` naming ``name``.

    Parameters
    ----------
    value : Any
        The argument to check.
    types : type or tuple of types
        What ``value`` must be an instance of (bools are refused where ``int`` is asked for
        only when ``types`` does not name ``bool``).
    name : str
        The argument's name, for the error message.
    expected : str
        What was expected, in words (``"a CNNSpec"``), for the error message.

    Returns
    -------
    Any
        ``value`` unchanged.

    Raises
    ------
    TypeError
        If ``value`` is not an instance of ``types``.
    """
    wanted = types if isinstance(types, tuple) else (types,)
    if not isinstance(value, wanted) or (
            isinstance(value, bool) and bool not in wanted and int in wanted):
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__} {value!r:.80}")
    return value



def check_callable(value: Any, name: str, *, allow_none: bool = False) -> Any:
    """A callable (a function, a lambda, a class), or ``None`` with ``allow_none``.

    Parameters
    ----------
    value : Any
        The argument to check.
    name : str
        The argument's name, for the error message.
    allow_none : bool, default False
        Whether ``None`` is accepted (an optional hook such as ``progress``).

    Returns
    -------
    Any
        ``value`` unchanged.

    Raises
    ------
    TypeError
        If ``value`` is not callable (and not an allowed ``None``); otherwise the call would
        fail later with ``'int' object is not callable``, which does not name the argument.
    """
    if value is None and allow_none:
        return value
    if not callable(value):
        expected = "a callable" + (" or None" if allow_none else "")
        raise TypeError(f"{name} must be {expected}, got {type(value).__name__} {value!r:.80}")
    return value


def check_options(value: Any, name: str) -> dict[str, Any]:
    """Keyword options: a ``dict`` with ``str`` keys (``None`` is an empty dict), copied.

    Parameters
    ----------
    value : Any
        The argument to check, e.g. the per-kind optimizer options of a parameter grouping.
    name : str
        The argument's name, for the error message.

    Returns
    -------
    dict
        A shallow copy (the caller may update it without touching the user's dict).

    Raises
    ------
    TypeError
        If ``value`` is not a dict or ``None``, or a key is not a string (``dict("x")`` and
        ``f(**{1: 2})`` would fail later with messages that do not name the argument).
    """
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f"{name} must be a dict of options (or None), got "
                        f"{type(value).__name__} {value!r:.80}")
    bad = [key for key in value if not isinstance(key, str)]
    if bad:
        raise TypeError(f"{name} must have string keys (option names), got {bad[0]!r}")
    return dict(value)
