"""Data loaders (local files only) and the synthetic generator of 002's experiments."""

import numpy as np
import pytest

from tensorcnn.sparsity.datasets import (
    load_arff,
    load_paper_dataset,
    make_group_sparse_regression,
)


def write_arff(path, X, Y=None, labels=None):
    lines = ["@RELATION test"]
    lines += [f"@ATTRIBUTE x{j} NUMERIC" for j in range(X.shape[1])]
    if Y is not None:
        lines += [f"@ATTRIBUTE y{j} NUMERIC" for j in range(Y.shape[1])]
    else:
        lines.append("@ATTRIBUTE class {a,b,c}")
    lines.append("@DATA")
    for i in range(X.shape[0]):
        tail = [f"{v:.17g}" for v in Y[i]] if Y is not None else [labels[i]]
        lines.append(",".join([f"{v:.17g}" for v in X[i]] + tail))
    path.write_text("\n".join(lines) + "\n")


def test_multitarget_arff_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((12, 5)), rng.standard_normal((12, 16))
    write_arff(tmp_path / "scm1d.arff", X, Y)
    Xr, Yr = load_arff(tmp_path / "scm1d.arff", 16)
    assert np.allclose(Xr, X, rtol=0, atol=0) and np.allclose(Yr, Y, rtol=0, atol=0)
    Xs, Ys, loss = load_paper_dataset("scm1d", tmp_path)
    assert loss == "squared" and Xs.shape == (12, 5) and Ys.shape == (12, 16)
    assert np.allclose(Xs.mean(axis=0), 0) and np.allclose(Xs.std(axis=0), 1)
    assert np.allclose(Ys, Y - Y.mean(axis=0))


def test_nominal_target_and_gas_batches(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.standard_normal((9, 3))
    labels = ["a", "b", "c"] * 3
    write_arff(tmp_path / "gina_prior2.arff", X, labels=labels)
    _, y, loss = load_paper_dataset("gina_prior2", tmp_path)
    assert loss == "multinomial" and list(y) == labels
    rows = ["1;10.0 " + " ".join(f"{k + 1}:{k * 0.5}" for k in range(128)),
            "3;50.0 " + " ".join(f"{k + 1}:{-k * 0.25}" for k in range(128))]
    (tmp_path / "batch1.dat").write_text("\n".join(rows) + "\n")
    Xg, yg, loss = load_paper_dataset("gas_drift", tmp_path)
    assert Xg.shape == (2, 128) and list(yg) == [1, 3]


def test_missing_files_and_bad_names(tmp_path):
    with pytest.raises(FileNotFoundError, match="oes97"):
        load_paper_dataset("oes97", tmp_path)
    with pytest.raises(ValueError, match="name"):
        load_paper_dataset("mnist", tmp_path)


def test_generator_support_and_model():
    X, Y, W = make_group_sparse_regression(5000, 8, 3, 2, noise=0.1, rng=0)
    assert (np.abs(W).sum(axis=1) > 0).sum() == 2
    W_hat = np.linalg.lstsq(X, Y, rcond=None)[0]
    assert np.allclose(W_hat, W, atol=0.01)
    X, y, W = make_group_sparse_regression(50, 6, 4, 3, loss="multinomial", rng=0)
    assert y.shape == (50,) and set(np.unique(y)) <= set(range(4))
