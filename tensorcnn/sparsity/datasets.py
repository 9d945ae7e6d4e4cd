r"""Data for the group-sparsity vs ShrinkNet experiments (002 §4.3, §4.4).

* :func:`make_group_sparse_regression` — a synthetic multi-target / multi-class problem
  with a known group support (offline stand-in for the paper's data).
* :func:`load_shipped` — data that scikit-learn ships (linnerud, digits, wine), offline.
* :func:`load_paper_dataset` — scm1d, oes97 (Mulan ARFF/CSV), gina_prior2 and the gas
  sensor drift set (OpenML ARFF, or the UCI ``batch*.dat`` files) from a local folder;
  with ``download=True`` scikit-learn's ``fetch_openml`` is asked (online or cached).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .._validation import (
    as_generator,
    check_bool,
    check_finite,
    check_int,
    check_nonnegative,
    check_path,
)
from ._validation import check_design, check_loss

__all__ = ["make_group_sparse_regression", "load_shipped", "load_paper_dataset",
           "load_arff", "standardize", "PAPER_DATASETS"]

#: name -> (loss, number of targets at the end of the attribute list, OpenML name)
PAPER_DATASETS = {
    "scm1d": ("squared", 16, "scm1d"),
    "oes97": ("squared", 16, "oes97"),
    "gina_prior2": ("multinomial", 1, "gina_prior2"),
    "gas_drift": ("multinomial", 1, "gas-drift"),
}


def make_group_sparse_regression(n_samples: int = 200, n_features: int = 30,
                                 n_targets: int = 5, n_informative: int = 5,
                                 noise: float = 1.0, correlation: float = 0.0,
                                 loss: str = "squared", rng: Any = None
                                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Draw a problem with a known group support S (rows of W*).

    Generative model, with d = ``n_features``, q = ``n_targets`` (classes for
    "multinomial"), s = ``n_informative``, rho = ``correlation``, sigma = ``noise``:

    .. math::
        x_i \sim \mathcal N(0, \Sigma),\ \Sigma_{jk} = \rho^{|j-k|};\quad
        S \subset \{0..d-1\},\ |S| = s \text{ uniform};\quad
        W^*_{j,:} \sim \mathcal N(0, I_q)\ (j \in S),\ W^*_{j,:} = 0\ (j \notin S);

    squared: :math:`y_i = W^{*T} x_i + \sigma \varepsilon_i`, :math:`\varepsilon_i \sim
    \mathcal N(0, I_q)`; multinomial: :math:`P(y_i = k) = \operatorname{softmax}(W^{*T}
    x_i / \max(\sigma, 10^{-12}))_k` (sigma acts as a temperature).

    Returns
    -------
    X : (n_samples, d); Y : (n_samples, q) for "squared", integer labels (n_samples,) for
    "multinomial"; W_true : (d, q).
    """
    loss = check_loss(loss)
    for name, value in (("n_samples", n_samples), ("n_features", n_features),
                        ("n_targets", n_targets)):
        if not isinstance(value, int | np.integer) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if not isinstance(n_informative, int | np.integer) or not 0 <= n_informative <= n_features:
        raise ValueError(f"n_informative must be an integer in [0, n_features], got "
                         f"{n_informative!r}")
    if loss == "multinomial" and n_targets < 2:
        raise ValueError("n_targets (classes) must be >= 2 for loss='multinomial'")
    noise = check_nonnegative(noise, "noise")
    if not -1 < check_finite(correlation, "correlation") < 1:
        raise ValueError(f"correlation must lie in (-1, 1), got {correlation!r}")
    gen = as_generator(rng)
    idx = np.arange(n_features)
    cov = correlation ** np.abs(idx[:, None] - idx[None, :])
    X = gen.standard_normal((n_samples, n_features)) @ np.linalg.cholesky(cov).T
    W = np.zeros((n_features, n_targets))
    support = gen.choice(n_features, size=n_informative, replace=False)
    W[support] = gen.standard_normal((n_informative, n_targets))
    Z = X @ W
    if loss == "squared":
        return X, Z + noise * gen.standard_normal(Z.shape), W
    logits = Z / max(noise, 1e-12)
    P = np.exp(logits - logits.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    u = gen.uniform(size=(n_samples, 1))
    y = np.minimum((P.cumsum(axis=1) < u).sum(axis=1), n_targets - 1)
    return X, y, W


def standardize(X: np.ndarray, Y: np.ndarray | None = None, loss: str = "squared"
                ) -> tuple[np.ndarray, np.ndarray | None]:
    """Centre and scale the columns of X (constant columns left at 0); centre Y for
    "squared" (the solvers fit no intercept by default). X: a finite (n, p) matrix; Y, when
    given, has n rows (finite for "squared")."""
    loss = check_loss(loss)
    X = check_design(X)
    if Y is not None:
        rows = np.shape(Y)[0] if np.ndim(Y) else None
        if rows != X.shape[0]:
            raise ValueError(f"Y must have one row per row of X ({X.shape[0]}), got shape "
                             f"{np.shape(Y)}")
        if loss == "squared":
            Y = np.asarray(Y, float)
            if not np.isfinite(Y).all():
                raise ValueError("Y contains NaN or infinite values")
    sd = X.std(axis=0)
    Xs = (X - X.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    if Y is not None and loss == "squared":
        Y = np.asarray(Y, float)
        Y = Y - Y.mean(axis=0)
    return Xs, Y


def load_shipped(name: str) -> tuple[np.ndarray, np.ndarray, str]:
    """A data set scikit-learn ships: "linnerud" (squared, 3 targets), "digits" or "wine"
    (multinomial). Returns (X, Y, loss) with X standardised and Y centred for squared."""
    from sklearn import datasets

    loaders = {"linnerud": ("squared", datasets.load_linnerud),
               "digits": ("multinomial", datasets.load_digits),
               "wine": ("multinomial", datasets.load_wine)}
    if not isinstance(name, str) or name not in loaders:
        raise ValueError(f"name must be one of {sorted(loaders)}, got {name!r}")
    loss, loader = loaders[name]
    bunch = loader()
    X, Y = standardize(bunch.data, bunch.target, loss)
    return X, Y, loss


def load_arff(path: str | Path, n_targets: int) -> tuple[np.ndarray, np.ndarray]:
    """Read an ARFF file whose last ``n_targets`` attributes are the targets.

    Numeric targets are returned as floats (n, n_targets); a single nominal target as
    labels (n,) (strings). Missing values are an error.

    Raises
    ------
    TypeError
        ``path`` is not a str / PathLike, ``n_targets`` not an integer.
    ValueError
        ``n_targets`` out of range, the file is not valid ARFF, or it has missing values.
    FileNotFoundError
        No file at ``path``.
    """
    from scipy.io import arff

    path = check_path(path, "path")
    n_targets = check_int(n_targets, "n_targets")
    try:
        data, meta = arff.loadarff(str(path))
    except (arff.ArffError, ValueError, StopIteration, UnicodeDecodeError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        # scipy's parser fails with its own errors (even StopIteration) on a non-ARFF file
        raise ValueError(f"path {path} is not a readable ARFF file: "
                         f"{type(error).__name__}: {error}") from error
    names = meta.names()
    if n_targets < 1 or n_targets >= len(names):
        raise ValueError(f"n_targets must be in [1, {len(names) - 1}] for {path}, got "
                         f"{n_targets}")
    feats, targs = names[:-n_targets], names[-n_targets:]
    X = np.column_stack([np.asarray(data[c], float) for c in feats])
    types = meta.types()
    if n_targets == 1 and types[-1] == "nominal":
        Y = np.array([v.decode() if isinstance(v, bytes) else str(v) for v in data[targs[0]]])
    else:
        Y = np.column_stack([np.asarray(data[c], float) for c in targs])
    if not np.isfinite(X).all() or (Y.dtype.kind == "f" and not np.isfinite(Y).all()):
        raise ValueError(f"{path} contains missing or non-finite values")
    return X, Y


def _load_gas_batches(files: list[Path]) -> tuple[np.ndarray, np.ndarray]:
    """UCI gas sensor drift ``batch*.dat``: ``label;concentration 1:v1 2:v2 ... 128:v128``."""
    rows, labels = [], []
    for file in files:
        for line in file.read_text().split("\n"):
            if not line.strip():
                continue
            head, *feats = line.split()
            labels.append(int(head.split(";")[0]))
            row = np.zeros(128)
            for item in feats:
                k, v = item.split(":")
                row[int(k) - 1] = float(v)
            rows.append(row)
    return np.array(rows), np.array(labels)


def load_paper_dataset(name: str, folder: str | Path | None = None, *,
                       download: bool = False, data_home: str | None = None
                       ) -> tuple[np.ndarray, np.ndarray, str]:
    """Load one of the data sets of 002 §4.3: scm1d, oes97, gina_prior2, gas_drift.

    Looks in ``folder`` for ``<name>.arff`` (scm1d, oes97, gina_prior2, gas_drift or
    gas-drift), ``<name>.csv`` (targets last, header row) or, for gas_drift, the UCI
    ``batch*.dat`` files. With ``download=True`` and no local file, calls scikit-learn's
    ``fetch_openml`` (needs the network or a cache in ``data_home``).

    Returns
    -------
    (X standardised, Y centred targets or labels, loss)
    """
    if not isinstance(name, str) or name not in PAPER_DATASETS:
        raise ValueError(f"name must be one of {sorted(PAPER_DATASETS)}, got {name!r}")
    download = check_bool(download, "download")
    if data_home is not None:
        data_home = str(check_path(data_home, "data_home"))
    loss, n_targets, openml_name = PAPER_DATASETS[name]
    X = Y = None
    if folder is not None:
        folder = check_path(folder, "folder")
        if not folder.is_dir():
            raise ValueError(f"folder {folder} is not a directory")
        stems = {name, openml_name}
        for stem in stems:
            if (folder / f"{stem}.arff").exists():
                X, Y = load_arff(folder / f"{stem}.arff", n_targets)
                break
            if (folder / f"{stem}.csv").exists():
                table = np.genfromtxt(folder / f"{stem}.csv", delimiter=",", skip_header=1)
                X, Y = table[:, :-n_targets], table[:, -n_targets:]
                Y = Y[:, 0] if n_targets == 1 else Y
                break
        if X is None and name == "gas_drift":
            batches = sorted(folder.glob("batch*.dat"))
            if batches:
                X, Y = _load_gas_batches(batches)
    if X is None and download:
        from sklearn.datasets import fetch_openml

        bunch = fetch_openml(name=openml_name, version=1, as_frame=False,
                             data_home=data_home, parser="auto")
        X, Y = np.asarray(bunch.data, float), np.asarray(bunch.target)
    if X is None:
        raise FileNotFoundError(
            f"no local copy of {name} in {folder!s} (expected {name}.arff or {name}.csv"
            + (" or batch*.dat" if name == "gas_drift" else "")
            + "); pass download=True to use scikit-learn's fetch_openml when online")
    if loss == "squared":
        Y = np.asarray(Y, float)
    X, Y = standardize(X, Y, loss)
    return X, Y, loss
