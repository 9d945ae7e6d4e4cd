"""Fuzz entries for the public names of tensorcnn.training and neighbours that need a model, data
set, file or result object as input (issue #14); see tests/fuzz/registry.py.

Every ``base`` builds its own small inputs (a two-parameter model, a few fake images, files in a
fresh temporary folder written in the data sets' real formats, as tests/training/test_datasets.py
does), because each invalid case calls ``base()`` again. Invalid values that are files (a corrupt
idx file, a frame of the wrong shape, a CIFAR batch with a label out of range ...) are written
once, at import, into one temporary folder (``_STATIC``); every temporary folder is removed at
exit. The process-group helpers are fuzzed in one process (no process group): each of them is a
documented no-op / identity there, and its argument checks run before the process-group test.
"""

from __future__ import annotations

import atexit
import gzip
import json
import math
import pickle
import shutil
import struct
import tempfile
from pathlib import Path

import numpy as np
import torch
from hypothesis import strategies as st
from torch import nn

from .registry import PROTOCOL, Bad, Entry, Exempt, all_of, instance, resolve

NAN, INF = math.nan, math.inf
_FOLDERS: list[Path] = []


def _tmp() -> Path:
    """A fresh temporary folder, removed when the session ends."""
    folder = Path(tempfile.mkdtemp(prefix="tensorcnn-fuzz-train-"))
    _FOLDERS.append(folder)
    return folder


atexit.register(lambda: [shutil.rmtree(f, ignore_errors=True) for f in _FOLDERS])

#: A path that does not exist (its parent does not either).
MISSING = Path(tempfile.gettempdir()) / "tensorcnn-fuzz-absent" / "nothing-here"
NOT_FOUND = (FileNotFoundError,)


def _ckpt_error():
    from tensorcnn.training.checkpoint import CheckpointError

    return (CheckpointError,)


# -- fake data-set files in the real formats ----------------------------------------------
def _cifar_rows(rng, n):
    images = rng.integers(0, 256, size=(n, 3, 32, 32), dtype=np.uint8)
    return np.concatenate([images[:, c].reshape(n, 1024) for c in range(3)], axis=1)


def _pickle(path: Path, obj) -> None:
    with open(path, "wb") as f:
        pickle.dump(obj, f)


def _cifar10_root(labels_high: int = 10) -> Path:
    """root/cifar-10-batches-py with five training batches of 2 images and a test batch."""
    rng = np.random.default_rng(0)
    folder = _tmp() / "cifar-10-batches-py"
    folder.mkdir()
    _pickle(folder / "batches.meta", {b"label_names": [b"x"] * 10})
    for i in range(1, 6):
        _pickle(folder / f"data_batch_{i}", {b"data": _cifar_rows(rng, 2),
                                             b"labels": [i % 10, labels_high - 1]})
    _pickle(folder / "test_batch", {b"data": _cifar_rows(rng, 2), b"labels": [7, 1]})
    return folder.parent


def _cifar100_root() -> Path:
    rng = np.random.default_rng(1)
    folder = _tmp() / "cifar-100-python"
    folder.mkdir()
    _pickle(folder / "meta", {b"fine_label_names": []})
    for split in ("train", "test"):
        _pickle(folder / split, {b"data": _cifar_rows(rng, 3), b"fine_labels": [0, 99, 42],
                                 b"coarse_labels": [0, 1, 2]})
    return folder.parent


def _svhn_root() -> Path:
    from scipy.io import savemat

    rng = np.random.default_rng(2)
    root = _tmp()
    images = rng.integers(0, 256, size=(3, 3, 32, 32), dtype=np.uint8)
    for split in ("train", "test"):
        savemat(root / f"{split}_32x32.mat",
                {"X": images.transpose(2, 3, 1, 0), "y": np.array([[10], [1], [9]])})
    return root


def _idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(struct.pack(">i", s)
                                                        for s in array.shape)
    return header + array.astype(np.uint8).tobytes()


def _mnist_root(gz: bool = False) -> Path:
    rng = np.random.default_rng(3)
    root = _tmp()
    for prefix, n in (("train", 4), ("t10k", 2)):
        for name, array in ((f"{prefix}-images-idx3-ubyte",
                             rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)),
                            (f"{prefix}-labels-idx1-ubyte", np.arange(n, dtype=np.uint8))):
            raw = _idx_bytes(array)
            if gz:
                with gzip.open(root / f"{name}.gz", "wb") as f:
                    f.write(raw)
            else:
                (root / name).write_bytes(raw)
    return root


def _video_root(frames: int = 2) -> Path:
    """root/<class>/<video>/<frames>.npy: two classes, one video each, 4×5 uint8 frames."""
    rng = np.random.default_rng(4)
    root = _tmp()
    for cls in ("Archery", "Bowling"):
        video = root / cls / f"v_{cls}_g01_c01"
        video.mkdir(parents=True)
        for i in range(frames):
            np.save(video / f"image_{i:05d}.npy",
                    rng.integers(0, 256, size=(4, 5, 3), dtype=np.uint8))
    return root


# -- invalid files, written once ------------------------------------------------------------
_STATIC = _tmp()
EMPTY_DIR = _STATIC / "empty"
EMPTY_DIR.mkdir()
A_FILE = _STATIC / "plain.txt"
A_FILE.write_text("not a data file\n")
BAD_MAGIC = _STATIC / "bad-magic-idx"
BAD_MAGIC.write_bytes(b"\x01\x02\x08\x01" + struct.pack(">i", 2) + b"ab")
SHORT_IDX = _STATIC / "short-idx"
SHORT_IDX.write_bytes(bytes([0, 0, 8, 1]) + struct.pack(">i", 5) + b"ab")
TRUNCATED_HEADER = _STATIC / "truncated-header-idx"
TRUNCATED_HEADER.write_bytes(bytes([0, 0, 8, 3]) + struct.pack(">i", 5))
BAD_GZ = _STATIC / "corrupt-idx.gz"
BAD_GZ.write_bytes(b"\x1f\x8b not really gzip")
WIDE_FRAME = _STATIC / "wide.npy"
np.save(WIDE_FRAME, np.zeros((4, 4, 5)))
NAN_FRAME = _STATIC / "nan.npy"
np.save(NAN_FRAME, np.full((4, 4, 3), np.nan))
TEXT_FRAME = _STATIC / "frame.txt"
TEXT_FRAME.write_text("x")
GARBAGE_NPY = _STATIC / "garbage.npy"
GARBAGE_NPY.write_bytes(b"this is no npy file")
SINGLE_NPY = _STATIC / "single.npz"
with open(SINGLE_NPY, "wb") as _handle:
    np.save(_handle, np.ones(2))                   # a .npy payload under a .npz name
NOT_WEIGHTS = _STATIC / "list.pth"
torch.save([1, 2, 3], NOT_WEIGHTS)
FEW_KEYS = _STATIC / "few-keys.pth"
torch.save({"conv1.weight": torch.zeros(1)}, FEW_KEYS)
BAD_LABELS_CIFAR = _cifar10_root(labels_high=11)   # a label 10 in a 10-class data set
UNDER_A_FILE = A_FILE / "below" / "out.csv"         # a folder part that is a file


# -- tiny models, batches and records -------------------------------------------------------
def _model(seed: int = 0) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Flatten(), nn.Linear(4, 3))


def _batches(n_batches: int = 2, size: int = 5) -> list[tuple[torch.Tensor, torch.Tensor]]:
    g = torch.Generator().manual_seed(1)
    return [(torch.randn(size, 1, 2, 2, generator=g), torch.randint(0, 3, (size,), generator=g))
            for _ in range(n_batches)]


def _sgd(model: nn.Module, lr: float = 0.1) -> torch.optim.Optimizer:
    return torch.optim.SGD(model.parameters(), lr=lr)


def _images(n: int = 4, classes: int = 3):
    from tensorcnn.training import ImageData

    return ImageData(torch.zeros(n, 1, 2, 2), torch.arange(n) % classes, classes, "fake")


def _short_loader():
    """3 examples, batches of 4 with drop_last: a loader with no batch at all."""
    from tensorcnn.training import BatchLoader

    return BatchLoader(_images(3), 4, drop_last=True)


def _splitlbi(record: bool = True):
    from tensorcnn.training.builders import build_optimizer

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3), nn.Flatten(), nn.Linear(8, 2))
    optimizer = build_optimizer("splitlbi", model, lr=0.1)
    if record:
        x, y = torch.randn(4, 1, 4, 4), torch.tensor([0, 1, 0, 1])
        nn.functional.cross_entropy(model(x), y).backward()
        optimizer.step()
        optimizer.record_path(0)
    return model, optimizer


def _path_arrays() -> dict[str, np.ndarray]:
    epochs = np.arange(3.0)
    return {"w/epochs": epochs, "w/group_norms": np.outer(epochs, [0.0, 0.5, 1.0]),
            "w/entry_epoch_group": np.array([9.0, 1.0, 1.0])}


def _records() -> list[dict]:
    return [dict(t=t, seed=s, epoch=e, train_loss=1.0 / (1 + e + s), test_accuracy=0.3 + 0.1 * e,
                 lr=0.1) for t in (1, 4) for s in (0, 1) for e in (0, 1)]


def _table_row() -> dict:
    return dict(t=1, cifar10=91.5, worst_seed=0, gmacs=0.17, params_m=5.56, mean=92.0,
                best=92.5, n_seeds=2)


def _config(**kw):
    from tensorcnn.ablation.config import AblationConfig

    return AblationConfig(**kw)


def _tiny_config(**kw):
    """A K/R ablation that trains in a tenth of a second: a 41-layer skeleton of one block per
    stage and ranks 4, on 20 digits of 8×8, one t, one seed, one epoch."""
    base = dict(network="kr_resnet41", dataset="digits", t_values=(1,), seeds=(0,), epochs=1,
                batch_size=10, lr=0.01, lr_step=1, image_size=8, augment=False, max_train=20,
                max_test=10, threads=1, design=dict(ranks=(4, 4, 4), blocks=(1, 1, 1), stem=8))
    return _config(**{**base, **kw})


def _result():
    from tensorcnn.ablation.runner import AblationResult

    return AblationResult(_config(), _records(), [_table_row()], 1.5)


_META_3D: list[nn.Module] = []


def _meta_3d() -> nn.Module:
    """A KRResNet3D18 on the meta device (no memory, built once): loading is a shape check."""
    if not _META_3D:
        from tensorcnn.nets.kr_resnet3d import kr_resnet3d18

        with torch.device("meta"):
            _META_3D.append(kr_resnet3d18(1, num_classes=10, rank=8, n_blocks=1))
    return _META_3D[0]


def _backbone_file() -> Path:
    from tensorcnn.nets.kr_resnet3d import BACKBONE

    state = {f"module.{k}": v for k, v in _meta_3d().state_dict().items()
             if k.split(".")[0] in BACKBONE}
    path = _tmp() / "resnet-18-kinetics.pth"
    torch.save({"arch": "resnet-18", "state_dict": state}, path)
    return path


def _linear_block(**kw):
    from tensorcnn.blocks.modules import Bottleneck

    torch.manual_seed(0)
    return Bottleneck(8, 4, 8, **{**dict(activation=None, shortcut="none"), **kw})


def _checkpoint_file() -> Path:
    from tensorcnn.training.checkpoint import save_checkpoint

    torch.manual_seed(0)
    return save_checkpoint(_tmp() / "run.pt", model=nn.Linear(2, 2), epoch=3)


def _rng_states():
    from tensorcnn.training.checkpoint import rng_states

    return rng_states()


def _scheduler(**kw):
    model = _model()
    return dict(model=model, optimizer=_sgd(model), **kw)


# -- checks -------------------------------------------------------------------------------
def _that(condition_of):
    """A check from a predicate of (result, call), with the failing result in the message."""

    def check(result, call):
        assert condition_of(result, call), f"unexpected result {result!r:.300}"

    return check


def _metrics(n: int):
    return _that(lambda r, c: set(r) == {"loss", "accuracy", "n"} and r["n"] == n
                 and 0 <= r["accuracy"] <= 1 and r["loss"] > 0)


def _image_data(n: int, shape: tuple[int, ...], dtype=torch.uint8, classes: int = 10):
    from tensorcnn.training import ImageData

    def check(result, call):
        assert isinstance(result, ImageData), type(result)
        assert len(result) == n and tuple(result.images.shape[1:]) == shape, result.images.shape
        assert result.images.dtype == dtype and result.labels.dtype == torch.int64
        assert result.num_classes == classes
        assert int(result.labels.min()) >= 0 and int(result.labels.max()) < classes

    return check


def _reduction_is_exact(result, call):
    small, new_next = result
    block, next_layer = call["block"].eval(), call["next_layer"]
    x = torch.randn(2, 8, 5, 5, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        want, got = next_layer(block(x)), new_next(small(x))
    assert small.out_channels == block.rank and new_next.in_channels == block.rank
    assert torch.allclose(want, got, atol=1e-5), float((want - got).abs().max())


def _tucker_shape(result, call):
    from tensorly.tucker_tensor import TuckerTensor

    assert isinstance(result, TuckerTensor), type(result)
    core, factors = result
    # torch tensors: the full A_stack by hand (tensorly's default backend is numpy).
    full = torch.einsum("abcd,ia,jb,kc,ld->ijkl", core, *factors)
    assert tuple(full.shape) == (3, 3, 8, 8), full.shape
    assert bool(torch.isfinite(full).all())


def _cp_shape(result, call):
    from tensorly.cp_tensor import CPTensor

    assert isinstance(result, CPTensor), type(result)
    assert result.rank == call["block"].rank


def _rng_restored(result, call):
    assert result is None
    assert torch.equal(torch.get_rng_state(), call["states"]["torch"])
    assert np.random.get_state()[1][0] == call["states"]["numpy"][1][0]  # noqa: NPY002


def _png_written(result, call):
    assert Path(result).is_file() and Path(result).stat().st_size > 0, result


def _diff_of(result, call):
    absent = "<absent>"
    old, new = call["old"], call["new"]
    keys = [k for k in [*old, *(k for k in new if k not in old)]
            if k not in call.get("ignore", ()) and old.get(k, absent) != new.get(k, absent)]
    assert list(result) == keys, (result, keys)
    assert all(result[k] == (old.get(k, absent), new.get(k, absent)) for k in keys)


def _json_ready(result, call):
    json.dumps(result, allow_nan=False)  # raises on anything JSON cannot hold


def _keys_and_shapes(arrays: dict[str, np.ndarray]) -> dict[str, tuple[int, ...]]:
    # The entry epochs are ``inf`` where a weight never entered the support, by design:
    # the valid result is compared by its keys and shapes (and finiteness of the norms).
    assert all(np.isfinite(v).all() for k, v in arrays.items() if k.endswith("group_norms"))
    return {k: tuple(v.shape) for k, v in arrays.items()}


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=True)
    | st.text(max_size=3),
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=2) | st.integers(0, 3), inner, max_size=3),
    max_leaves=8)
SMALL_CONFIGS = st.dictionaries(st.sampled_from("abcd"), st.integers(0, 2), max_size=4)

BAD_PATH = [123, None, b"bytes", ""]
BAD_FLAG = ["yes", 1, None]
BAD_COUNT = [0, -1, 2.5, True, "2"]
BAD_MODEL = [123, "model", None]
#: A path that does not exist, and an empty folder where a data file or folder is expected.
ABSENT = [Bad(MISSING, raises=NOT_FOUND), Bad(EMPTY_DIR, raises=NOT_FOUND)]


ENTRIES: list[Entry] = [
    # -- ablation.tables --------------------------------------------------------------------
    Entry("tensorcnn.ablation.tables.CountRow",
          base=lambda: dict(table="Table 2", network="kr_resnet41", t=4, params=8_550_000,
                            macs=260_000_000, paper_params_m=8.55, paper_gmacs=0.26,
                            params_match=True, gmacs_match=True, activation_macs=10),
          bad=dict(table=[123, None], network=[4], t=[0, 2.5, True], params=[-1, 1.5, "8"],
                   macs=[-1, NAN], paper_params_m=[NAN, -1.0, 0.0, "x"],
                   paper_gmacs=[INF, 0.0], params_match=["yes", 1, None], gmacs_match=[0],
                   activation_macs=[-1, 2.5]),
          check=all_of(instance("tensorcnn.ablation.tables.CountRow"),
                       _that(lambda r, c: r.ptflops_macs == c["macs"] + c["activation_macs"]
                             and abs(r.params_rel_diff) < 1e-9))),
    Entry("tensorcnn.ablation.tables.network_cost",
          base=lambda: dict(network="kr_shufflenet", t=1, ranks=(8, 8, 8), units=(1, 1, 1),
                            stem=8),
          bad=dict(network=["vgg", 123, None], t=[0, 3, 2.5, True],
                   convention=["flops", 123, None]),
          check=all_of(instance("tensorcnn.blocks.costs.Cost"),
                       _that(lambda r, c: r.params > 0 and r.macs > 0))),
    Entry("tensorcnn.ablation.tables.network_cost[ptflops]",
          base=lambda: dict(network="kr_resnet41", t=1, convention="ptflops", ranks=(4, 4, 4),
                            blocks=(1, 1, 1), stem=8),
          bad=dict(t=[0, 2]),
          check=_that(lambda r, c: r.params > 0 and r.macs > 0)),
    Entry("tensorcnn.ablation.tables.activation_macs",
          base=lambda: dict(model=nn.Sequential(nn.Conv2d(1, 2, 3), nn.ReLU(), nn.MaxPool2d(2)),
                            input_shape=(1, 6, 6)),
          bad=dict(model=BAD_MODEL, input_shape=["x", (), 6, (1, 0, 6), (1, 2.5, 6), (3, 6, 6),
                                                 (1, -6, 6), None]),
          # ReLU: 2 × 4 × 4 outputs; max pooling: the same 32 inputs.
          check=_that(lambda r, c: r == 64)),
    # -- ablation.io ---------------------------------------------------------------------------
    Entry("tensorcnn.ablation.io.format_table",
          base=lambda: dict(table=[_table_row()], dataset="cifar10"),
          bad=dict(table=[123, "x", [123], [{"t": 1}], None],
                   dataset=[123, None, Bad("svhn", names="svhn")]),
          check=_that(lambda r, c: "| 1 | 91.50 | 0.170GMac | 5.56M | 92.00 | 92.50 | 2 |" in r)),
    Entry("tensorcnn.ablation.io.plot_curves",
          base=lambda: dict(records=_records(), path=_tmp() / "curves.png", title="t"),
          bad=dict(records=[[], 123, [123], [{"t": 1, "seed": 0}], "records"],
                   path=BAD_PATH + [Bad(Path("curves.notaformat"), names="path"),
                                    Bad(EMPTY_DIR, names="path")],
                   title=[123]),
          check=_png_written),
    Entry("tensorcnn.ablation.io.write_results",
          base=lambda: dict(result=_result(), out_dir=_tmp() / "out"),
          bad=dict(result=[123, None, {"records": []}], out_dir=BAD_PATH + [A_FILE]),
          check=_that(lambda r, c: set(r) == {"table_md", "config", "table_csv", "records",
                                              "curves"} and all(p.is_file() for p in r.values())
                      and json.loads(r["config"].read_text())["seconds"] == 1.5)),
    # -- ablation.runner ---------------------------------------------------------------------
    Entry("tensorcnn.ablation.runner.AblationResult",
          base=lambda: dict(config=_config(), records=_records(), table=[_table_row()],
                            seconds=2.0),
          bad=dict(config=[123, None, {"network": "kr_resnet41"}],
                   records=[123, "x", [123], None], table=[{"t": 1}, [None]],
                   seconds=[-1.0, NAN, INF, "1", True]),
          check=instance("tensorcnn.ablation.runner.AblationResult")),
    Entry("tensorcnn.ablation.runner.config_dict",
          base=lambda: dict(config=_config(t_values=(1, 4), seeds=(1,))),
          bad=dict(config=[123, None, {"network": "kr_resnet41"}, "paper"]),
          check=_that(lambda r, c: r["t_values"] == [1, 4] and r["seeds"] == [1]
                      and json.loads(json.dumps(r)) == r)),
    Entry("tensorcnn.ablation.runner.load_data",
          base=lambda: dict(config=_tiny_config()),
          bad=dict(config=[123, None, "smoke",
                           Bad(_config(dataset="cifar10"), names="data_root"),
                           Bad(_config(dataset="cifar10", data_root=str(MISSING)), names="root",
                               raises=NOT_FOUND)]),
          check=_that(lambda r, c: [len(r[0]), len(r[1])] == [20, 10]
                      and tuple(r[0].images.shape[1:]) == (3, 8, 8))),
    Entry("tensorcnn.ablation.runner.run_ablation",
          base=lambda: dict(config=_tiny_config(), progress=False),
          bad=dict(config=[123, None, "smoke"], checkpoint_dir=[123, b"dir", A_FILE],
                   progress=BAD_FLAG, on_run=[123, "print"]),
          check=all_of(instance("tensorcnn.ablation.runner.AblationResult"),
                       _that(lambda r, c: len(r.records) == 1 and len(r.table) == 1
                             and r.table[0]["t"] == 1 and r.seconds >= 0))),
    Entry("tensorcnn.ablation.runner.run_ablation[checkpoint]",
          base=lambda: dict(config=_tiny_config(), checkpoint_dir=_tmp() / "ckpt",
                            on_run=lambda t, seed, records: None),
          bad=dict(on_run=[object()]),
          check=_that(lambda r, c: len(list(c["checkpoint_dir"].glob("*.pt"))) == 1)),
    Entry("tensorcnn.ablation.runner.run_identity",
          base=lambda: dict(config=_config(), t=4, seed=1),
          bad=dict(config=[123, None], t=[0, 2.5, True, "4"], seed=[-1, 1.5, "1", None]),
          check=_that(lambda r, c: r["t"] == 4 and r["seed"] == 1 and "epochs" not in r
                      and r["network"] == "kr_resnet41")),
    Entry("tensorcnn.ablation.runner.worst_seed_table",
          base=lambda: dict(records=_records(), config=_tiny_config(), num_classes=10),
          bad=dict(records=[123, "x", [123], [{"t": 1}], None],
                   config=[123, None], num_classes=[0, -1, 2.5, True]),
          # seed 0 and seed 1 end at the same accuracy: the worst is the first seen.
          check=_that(lambda r, c: [row["t"] for row in r] == [1, 4]
                      and all(abs(row["digits"] - 40.0) < 1e-9 and row["n_seeds"] == 2
                              and row["params_m"] > 0 for row in r))),
    # -- blocks ---------------------------------------------------------------------------------
    Entry("tensorcnn.blocks.reduction.reduce_block",
          base=lambda: dict(block=_linear_block(), next_layer=nn.Conv2d(8, 3, 1)),
          bad=dict(block=[123, None, nn.Conv2d(8, 8, 1),
                          _linear_block(activation=nn.ReLU),
                          _linear_block(shortcut="auto")],
                   next_layer=[123, None, nn.Conv2d(8, 3, 3), nn.Conv2d(6, 3, 1),
                               nn.Conv2d(8, 4, 1, groups=2), nn.Linear(8, 3)]),
          check=_reduction_is_exact),
    Entry("tensorcnn.blocks.stacked.stacked_kernel",
          base=lambda: dict(block=_linear_block(batch_norm=False)),
          bad=dict(block=[123, None, nn.Conv2d(1, 1, 1), "Bottleneck"]),
          check=_tucker_shape),
    Entry("tensorcnn.blocks.stacked.stacked_kernel[cp]",
          base=lambda: dict(block=__import__("tensorcnn.blocks.modules", fromlist=["x"])
                            .DepthwiseSeparable(4, 8)),
          bad=dict(block=[nn.Sequential()]),
          check=_cp_shape),
    # -- nets -------------------------------------------------------------------------------------
    Entry("tensorcnn.nets.kr_resnet3d.load_pretrained_backbone",
          base=lambda: dict(model=_meta_3d(), path=_backbone_file()),
          bad=dict(model=[123, None, nn.Linear(2, 2)],
                   path=BAD_PATH + ABSENT + [NOT_WEIGHTS, FEW_KEYS, A_FILE]),
          check=_that(lambda r, c: len(r) == 102 and all(isinstance(k, str) for k in r)
                      and not any(k.startswith(("blocks", "head")) for k in r))),
    # -- training.checkpoint -----------------------------------------------------------------
    Entry("tensorcnn.training.checkpoint.config_diff",
          base=lambda: dict(old={"lr": 0.1, "epochs": 3, "gone": 1}, new={"lr": 0.2, "epochs": 3},
                            ignore=()),
          bad=dict(old=[123, "x", [("lr", 1)], None], new=[None, 1.5],
                   ignore=["epochs", 123, (1,), None]),
          valid=st.builds(lambda a, b, i: dict(old=a, new=b, ignore=tuple(i)), SMALL_CONFIGS,
                          SMALL_CONFIGS, st.lists(st.sampled_from("abcd"), max_size=2)),
          check=_diff_of),
    Entry("tensorcnn.training.checkpoint.format_diff",
          base=lambda: dict(diff={"lr": (0.1, 0.2), "x": ("<absent>", [1, 2])}),
          bad=dict(diff=[123, "x", {"lr": 1}, {"lr": (1, 2, 3)}, None]),
          check=_that(lambda r, c: r == 'lr: 0.1 -> 0.2; x: "<absent>" -> [1, 2]')),
    Entry("tensorcnn.training.checkpoint.jsonable",
          base=lambda: dict(value={"a": (1, 2.5), "b": NAN, 3: Path("x"), "d": np.float32(1.5),
                                   "e": torch.float32, "f": [None, True]}),
          valid=st.builds(lambda v: dict(value=v), JSONISH),
          check=all_of(_json_ready, _that(lambda r, c: not isinstance(c["value"], dict)
                                           or all(isinstance(k, str) for k in r)))),
    Entry("tensorcnn.training.checkpoint.save_checkpoint",
          base=lambda: dict(path=_tmp() / "sub" / "run.pt", model=nn.Linear(2, 2), epoch=1),
          bad=dict(path=BAD_PATH + [Bad(EMPTY_DIR, names="folder", raises=_ckpt_error())],
                   model=[Bad(lambda: 0, names="model")]),
          check=_that(lambda r, c: __import__("tensorcnn.training.checkpoint", fromlist=["x"])
                      .load_checkpoint(r)["epoch"] == 1)),
    Entry("tensorcnn.training.checkpoint.load_checkpoint",
          base=lambda: dict(path=_checkpoint_file(), map_location="cpu", model=nn.Linear(2, 2)),
          bad=dict(path=BAD_PATH + [Bad(MISSING, names="checkpoint", raises=_ckpt_error()),
                                    Bad(A_FILE, names="checkpoint", raises=_ckpt_error()),
                                    Bad(EMPTY_DIR, names="checkpoint", raises=_ckpt_error())],
                   map_location=[123, "nowhere", 1.5],
                   model=[123, "model", Bad(nn.Linear(3, 2), names="model",
                                            raises=_ckpt_error())]),
          check=_that(lambda r, c: r["epoch"] == 3 and torch.equal(
              c["model"].weight, r["model"]["weight"]))),
    Entry("tensorcnn.training.checkpoint.load_states",
          base=lambda: dict(payload={"model": nn.Linear(2, 2).state_dict()}, path="run.pt",
                            model=nn.Linear(2, 2)),
          bad=dict(payload=[123, None, "model", Bad({}, names="model", raises=_ckpt_error())],
                   model=[123, "model", Bad(nn.Linear(3, 2), names="model",
                                            raises=_ckpt_error())]),
          check=_that(lambda r, c: r is None and torch.equal(
              c["model"].weight, c["payload"]["model"]["weight"]))),
    Entry("tensorcnn.training.checkpoint.set_rng_states",
          base=lambda: dict(states=_rng_states()),
          bad=dict(states=[123, None, {}, [1, 2, 3],
                           {"python": 1, "numpy": 2, "torch": 3},
                           {**_rng_states(), "python": (99, (), None)},
                           {**_rng_states(), "torch": torch.zeros(3)},
                           {**_rng_states(), "torch": torch.zeros(3, dtype=torch.uint8)}]),
          check=_rng_restored),
    # -- training.datasets ------------------------------------------------------------------
    Entry("tensorcnn.training.datasets.ImageData",
          base=lambda: dict(images=torch.zeros(4, 1, 2, 2), labels=torch.tensor([0, 1, 2, 0]),
                            num_classes=3, name="x"),
          bad=dict(images=[123, np.zeros((4, 1, 2, 2)), torch.zeros(4, 2, 2),
                           torch.full((4, 1, 2, 2), NAN), torch.full((4, 1, 2, 2), INF),
                           torch.zeros(4, 1, 2, 2, dtype=torch.complex64)],
                   # labels out of range (issue #14), negative, fractional, misshapen
                   labels=[torch.tensor([0, 1, 3, 0]), torch.tensor([-1, 0, 1, 0]),
                           torch.tensor([0.5, 1.0, 0.0, 0.0]), torch.tensor([0, 1]),
                           torch.tensor([True, False, True, False]), [0, 1, 2, 0]],
                   num_classes=[0, 2.5, True, "3", Bad(2, names="labels")],
                   name=[123, None]),
          check=_image_data(4, (1, 2, 2), torch.float32, classes=3)),
    Entry("tensorcnn.training.datasets.load_cifar10",
          base=lambda: dict(root=_cifar10_root(), train=True),
          bad=dict(root=BAD_PATH + ABSENT + [Bad(A_FILE, raises=NOT_FOUND),
                                    Bad(BAD_LABELS_CIFAR, names="labels")],
                   train=BAD_FLAG),
          check=_image_data(10, (3, 32, 32))),
    Entry("tensorcnn.training.datasets.load_cifar10[test]",
          base=lambda: dict(root=_cifar10_root() / "cifar-10-batches-py", train=False),
          check=_image_data(2, (3, 32, 32))),
    Entry("tensorcnn.training.datasets.load_cifar100",
          base=lambda: dict(root=_cifar100_root(), train=False),
          bad=dict(root=BAD_PATH + ABSENT + [Bad(_cifar10_root(), raises=NOT_FOUND)],
                   train=BAD_FLAG),
          check=_image_data(3, (3, 32, 32), classes=100)),
    Entry("tensorcnn.training.datasets.load_svhn",
          base=lambda: dict(root=_svhn_root(), train=True),
          bad=dict(root=BAD_PATH + ABSENT,
                   train=BAD_FLAG),
          check=all_of(_image_data(3, (3, 32, 32)),
                       _that(lambda r, c: r.labels.tolist() == [0, 1, 9]))),
    Entry("tensorcnn.training.datasets.load_mnist",
          base=lambda: dict(root=_mnist_root(), train=True),
          bad=dict(root=BAD_PATH + ABSENT + [Bad(A_FILE, raises=NOT_FOUND)],
                   train=BAD_FLAG),
          check=all_of(_image_data(4, (1, 28, 28)),
                       _that(lambda r, c: r.labels.tolist() == [0, 1, 2, 3]))),
    Entry("tensorcnn.training.datasets.load_mnist[gz]",
          base=lambda: dict(root=_mnist_root(gz=True), train=False),
          check=_image_data(2, (1, 28, 28))),
    Entry("tensorcnn.training.datasets.read_idx",
          base=lambda: dict(path=_mnist_root() / "train-labels-idx1-ubyte"),
          bad=dict(path=BAD_PATH + ABSENT + [BAD_MAGIC, SHORT_IDX, TRUNCATED_HEADER, BAD_GZ,
                                              A_FILE]),
          check=_that(lambda r, c: r.dtype == np.uint8 and r.tolist() == [0, 1, 2, 3])),
    Entry("tensorcnn.training.datasets.load_image_dataset",
          base=lambda: dict(name="mnist", root=_mnist_root(), train=False),
          bad=dict(name=["imagenet", 123, None, "MNIST"],
                   root=BAD_PATH + [Bad(MISSING, raises=NOT_FOUND)], train=BAD_FLAG),
          check=_image_data(2, (1, 28, 28))),
    # -- training.distributed (one process, no process group) ------------------------------
    Entry("tensorcnn.training.distributed.DistInfo",
          base=lambda: dict(rank=0, world_size=2, local_rank=0, device=torch.device("cpu")),
          bad=dict(rank=[-1, 2, 2.5, True, None], world_size=[0, "2", 1.0],
                   local_rank=[-1, "0"], device=["cpu", 123, None]),
          check=_that(lambda r, c: r.is_main and r.world_size == 2)),
    Entry("tensorcnn.training.distributed.all_reduce_sum",
          base=lambda: dict(values=torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64)),
          bad=dict(values=[123, [1.0, 2.0], np.array([1.0]), None]),
          check=_that(lambda r, c: torch.equal(r, c["values"]))),
    Entry("tensorcnn.training.distributed.unwrap",
          base=lambda: dict(model=nn.Linear(2, 2)),
          bad=dict(model=BAD_MODEL),
          check=_that(lambda r, c: r is c["model"])),
    Entry("tensorcnn.training.distributed.unwrap[DataParallel]",
          call=lambda inner: __import__("tensorcnn.training.distributed", fromlist=["x"])
          .unwrap(nn.DataParallel(inner)),
          base=lambda: dict(inner=nn.Linear(2, 2)),
          check=instance(nn.Linear)),
    Entry("tensorcnn.training.distributed.wrap_ddp",
          base=lambda: dict(model=nn.Linear(2, 2), device="cpu"),
          bad=dict(model=BAD_MODEL, device=[123, None, "nowhere", 1.5]),
          check=_that(lambda r, c: r is c["model"])),
    # -- training.loop -------------------------------------------------------------------------
    Entry("tensorcnn.training.loop.evaluate",
          base=lambda: dict(model=_model(), loader=_batches()),
          bad=dict(model=BAD_MODEL + [nn.Identity()], loader=[[], 123, "xy", {}, None],
                   loss_fn=[123, "cross_entropy"], amp_dtype=["float16", torch.int32, 16]),
          check=_metrics(10)),
    Entry("tensorcnn.training.loop.train_epoch",
          base=lambda: _scheduler(loader=_batches()),
          bad=dict(model=BAD_MODEL + [nn.Identity()], loader=[[], 123, "xy", None],
                   optimizer=[123, None, "sgd"], loss_fn=[123], scaler=[123, "scaler"],
                   amp_dtype=["x", torch.int64], progress=["yes", 1], desc=[123]),
          check=_metrics(10)),
    Entry("tensorcnn.training.loop.fit",
          base=lambda: _scheduler(train_loader=_batches(), test_loader=_batches(1), epochs=1,
                                  progress=False),
          bad=dict(epochs=[0, -1, 2.5, True, "1", None],
                   # an empty loader (issue #14), one whose only batch is dropped, a non-loader
                   train_loader=[[], Bad(_short_loader(), names="train_loader"), 123, "xy",
                                 None],
                   test_loader=[[], 123],
                   model=BAD_MODEL, optimizer=[123, None], scheduler=[123, "cosine"],
                   loss_fn=[123], checkpoint_every=[0, 1.5, True],
                   callbacks=[123, [123], "callback", None], amp=["yes", 1],
                   amp_dtype=[torch.float32, "bfloat16", None], config=[123, [("a", 1)], "cfg"],
                   checkpoint_path=[123, b"x", Bad(EMPTY_DIR, names="folder",
                                                   raises=_ckpt_error())],
                   resume=["yes"], extend=[1], progress=["no", None]),
          check=_that(lambda r, c: len(r) == 1 and r[0]["epoch"] == 0 and {
              "lr", "train_loss", "train_accuracy", "test_loss", "test_accuracy", "seconds"}
              <= set(r[0]))),
    Entry("tensorcnn.training.loop.fit[checkpoint]",
          base=lambda: _scheduler(train_loader=_batches(), epochs=2, progress=False,
                                  checkpoint_path=_tmp() / "fit.pt", config={"lr": 0.1},
                                  callbacks=[lambda **kw: {"extra": 1.0}]),
          bad=dict(callbacks=[[lambda **kw: None, 0]]),
          check=_that(lambda r, c: [x["epoch"] for x in r] == [0, 1] and r[1]["extra"] == 1.0
                      and c["checkpoint_path"].is_file())),
    Entry("tensorcnn.training.loop.harness_settings",
          base=lambda: (lambda call: {**call, "scheduler": __import__(
              "tensorcnn.training.schedules", fromlist=["x"]).make_scheduler(
              "cosine", call["optimizer"], 3), "train_loader": _short_loader()})(_scheduler()),
          bad=dict(model=BAD_MODEL, optimizer=[123, None], scheduler=[123, "cosine"]),
          check=_that(lambda r, c: r["model.class"] == "Sequential" and r["scheduler.T_max"] == 3
                      and r["train_loader.batch_size"] == 4 and r["optimizer.groups"] == 1)),
    # -- training.path -----------------------------------------------------------------------
    Entry("tensorcnn.training.path.path_arrays",
          call=lambda optimizer, model: _keys_and_shapes(
              __import__("tensorcnn.training.path", fromlist=["x"]).path_arrays(optimizer,
                                                                                  model)),
          base=lambda: dict(zip(("model", "optimizer"), _splitlbi(), strict=True)),
          bad=dict(optimizer=[123, None, _sgd(_model()), _splitlbi(record=False)[1]],
                   model=[123, "model"]),
          check=_that(lambda r, c: r["0.weight/entry_epoch"] == (2, 1, 3, 3)
                      and r["0.weight/group_norms"] == (1, 2) and r["2.weight/epochs"] == (1,))),
    Entry("tensorcnn.training.path.save_path",
          base=lambda: dict(arrays=_path_arrays(), path=_tmp() / "path.npz"),
          bad=dict(arrays=[123, None, "arrays", {1: np.ones(2)}],
                   path=BAD_PATH + [Path("path.txt"), Path("path")]),
          check=_that(lambda r, c: sorted(np.load(r).files) == sorted(c["arrays"]))),
    Entry("tensorcnn.training.path.load_path",
          base=lambda: dict(path=__import__("tensorcnn.training.path", fromlist=["x"])
                            .save_path(_path_arrays(), _tmp() / "path.npz")),
          bad=dict(path=BAD_PATH + ABSENT + [A_FILE, GARBAGE_NPY, SINGLE_NPY]),
          check=_that(lambda r, c: np.array_equal(r["w/group_norms"],
                                                  _path_arrays()["w/group_norms"]))),
    Entry("tensorcnn.training.path.plot_path",
          base=lambda: dict(arrays=_path_arrays(), path=_tmp() / "path.png", max_groups=2),
          bad=dict(arrays=[123, None, {}, {"w/group_norms": np.ones((2, 2))},
                           {**_path_arrays(), "w/group_norms": np.ones(3)},
                           {**_path_arrays(), "w/epochs": np.arange(5.0)}],
                   path=BAD_PATH + [Bad(Path("path.notaformat"), names="path")],
                   max_groups=[0, -1, 2.5, True, None]),
          check=_png_written),
    # -- training.records --------------------------------------------------------------------
    Entry("tensorcnn.training.records.long_format",
          base=lambda: dict(records=[{"epoch": 0, "loss": 1.0, "acc": 0.5}, {"epoch": 1}],
                            id_keys=("epoch",)),
          bad=dict(records=[123, None, [123], "ab", {"epoch": 0}],
                   id_keys=["epoch", 123, [1], None]),
          check=_that(lambda r, c: r == [{"epoch": 0, "metric": "loss", "value": 1.0},
                                         {"epoch": 0, "metric": "acc", "value": 0.5}])),
    Entry("tensorcnn.training.records.write_records",
          base=lambda: dict(records=[{"epoch": 0, "loss": 1.0}, {"epoch": 1, "acc": NAN}],
                            path=_tmp() / "r.csv"),
          bad=dict(records=[123, None, [123], "ab", {"epoch": 0}],
                   path=BAD_PATH + [Path("records.txt"), Path("records")]),
          check=_that(lambda r, c: r.read_text().splitlines()[0] == "epoch,loss,acc"
                      and len(r.read_text().splitlines()) == 3)),
    Entry("tensorcnn.training.records.write_records[json]",
          base=lambda: dict(records=[{"epoch": 0, "loss": NAN}], path=_tmp() / "r.json"),
          bad=dict(records=[[None]]),
          check=_that(lambda r, c: json.loads(r.read_text()) == [{"epoch": 0, "loss": None}])),
    Entry("tensorcnn.training.records.check_output_file",
          base=lambda: dict(path=_tmp() / "new" / "out.csv", what="--out", suffixes=(".csv",)),
          bad=dict(path=BAD_PATH + [Bad(EMPTY_DIR, names="--out"),
                                    Bad(UNDER_A_FILE, names="--out"),
                                    Bad(Path("out.txt"), names="--out")],
                   what=[123, None], suffixes=[".csv", 123, [1], b".csv"]),
          check=_that(lambda r, c: r == c["path"] and r.parent.is_dir() and not r.exists())),
    # -- training.schedules ------------------------------------------------------------------
    Entry("tensorcnn.training.schedules.make_scheduler",
          call=lambda model, **kw: __import__("tensorcnn.training.schedules", fromlist=["x"])
          .make_scheduler(**kw),
          base=lambda: _scheduler(name="multistep", epochs=4, milestones=(1, 3), gamma=0.1),
          # unsorted, repeated, past the last epoch, at the last epoch, < 1 (issue #14)
          bad=dict(milestones=[Bad((3, 1), names="milestones"), (1, 1), (1, 5), (1, 4), (0, 2),
                               5, (1.5,), "13", None],
                   gamma=[-1, -1.0, 0.0, NAN, INF, "x", True],
                   name=["linear", 123, None, "MultiStep"],
                   optimizer=[123, None, _model()], epochs=[0, 2.5, True, "4"]),
          check=_that(lambda r, c: isinstance(r, torch.optim.lr_scheduler.MultiStepLR)
                      and sorted(r.milestones) == [1, 3])),
    Entry("tensorcnn.training.schedules.make_scheduler[step]",
          call=lambda model, **kw: __import__("tensorcnn.training.schedules", fromlist=["x"])
          .make_scheduler(**kw),
          base=lambda: _scheduler(name="step", epochs=4, step_size=2, gamma=0.5),
          bad=dict(step_size=[0, -1, 1.5, True], gamma=[-1, 0.0, NAN]),
          check=_that(lambda r, c: isinstance(r, torch.optim.lr_scheduler.StepLR)
                      and r.step_size == 2)),
    Entry("tensorcnn.training.schedules.make_scheduler[cosine]",
          call=lambda model, **kw: __import__("tensorcnn.training.schedules", fromlist=["x"])
          .make_scheduler(**kw),
          base=lambda: _scheduler(name="cosine", epochs=4, eta_min=0.001),
          bad=dict(eta_min=[-1.0, NAN, INF, "x"], epochs=[0, -3]),
          check=_that(lambda r, c: r.T_max == 4 and r.eta_min == 0.001)),
    # -- training.builders -------------------------------------------------------------------
    Entry("tensorcnn.training.builders.build_model",
          base=lambda: dict(name="s-fc", num_classes=3, in_channels=1, image_size=8, alpha=2),
          bad=dict(name=["vgg", 123, None, "resnet21"], num_classes=[0, 2.5],
                   in_channels=[0, True], image_size=[0, -8], alpha=[0, 2.5]),
          check=_that(lambda r, c: tuple(r(torch.zeros(2, 1, 8, 8)).shape) == (2, 3))),
    Entry("tensorcnn.training.builders.build_model[resnet]",
          base=lambda: dict(name="resnet20", num_classes=3, in_channels=1, image_size=8),
          bad=dict(num_classes=[0, 2.5], in_channels=[0, True]),
          check=_that(lambda r, c: tuple(r(torch.zeros(2, 1, 8, 8)).shape) == (2, 3))),
    Entry("tensorcnn.training.builders.build_optimizer",
          base=lambda: dict(name="sgd", model=nn.Linear(3, 2), lr=0.1, momentum=0.9,
                            nesterov=True),
          bad=dict(name=["adam", 123, None, "SGD"], model=BAD_MODEL + [nn.Identity()],
                   lr=[-1.0, NAN, INF, "0.1", True], momentum=[-0.5, NAN],
                   weight_decay=[-1.0, NAN], nesterov=["yes", 1, None], track_path=["yes"]),
          check=_that(lambda r, c: isinstance(r, torch.optim.SGD)
                      and r.param_groups[0]["lr"] == 0.1)),
    Entry("tensorcnn.training.builders.build_optimizer[splitlbi]",
          base=lambda: dict(name="splitlbi", model=nn.Sequential(nn.Conv2d(1, 2, 3),
                                                                 nn.Flatten(), nn.Linear(8, 2)),
                            lr=0.1),
          bad=dict(kappa=[-1.0, 0.0, NAN], nu=[0.0, -1.0], lam=[-1.0],
                   conv_penalty=[Bad("l7", names="penalty"), Bad(123, names="penalty")],
                   linear_penalty=[Bad("l7", names="penalty")], track_path=["yes"]),
          check=instance("tensorcnn.optim.SplitLBI")),
    Entry("tensorcnn.training.builders.build_optimizer[beta-lasso]",
          base=lambda: dict(name="beta-lasso", model=nn.Sequential(nn.Conv2d(1, 2, 3),
                                                                   nn.Flatten(), nn.Linear(8, 2)),
                            lr=0.1, lam=1e-4, first_layer_lam=1e-3),
          bad=dict(lam=[-1.0], beta=[NAN, -1.0], first_layer_lam=[Bad(-1.0, names="lam")]),
          check=instance("tensorcnn.optim.BetaLasso")),
    Entry("tensorcnn.training.builders.load_data",
          base=lambda: dict(name="digits", image_size=8, seed=0),
          bad=dict(name=["imagenet", 123, None], root=[123, b"x"],
                   image_size=[4, 0, 2.5, True], seed=[-1, 2.5, True, "0"]),
          check=_that(lambda r, c: len(r) == 2 and len(r[0]) + len(r[1]) == 1797
                      and tuple(r[0].images.shape[1:]) == (1, 8, 8))),
    Entry("tensorcnn.training.builders.load_data[files]",
          base=lambda: dict(name="cifar10", root=_cifar10_root()),
          bad=dict(root=[None, 123, Bad(MISSING, raises=NOT_FOUND)]),
          check=_that(lambda r, c: [len(r[0]), len(r[1])] == [10, 2])),
    # -- training.video -----------------------------------------------------------------------
    Entry("tensorcnn.training.video.read_frame",
          base=lambda: dict(path=next((_video_root(1) / "Archery").glob("*/*.npy"))),
          bad=dict(path=BAD_PATH + [Bad(MISSING.with_suffix(".npy"), raises=NOT_FOUND),
                                    Bad(EMPTY_DIR / "x.png", raises=NOT_FOUND),
                                    WIDE_FRAME, NAN_FRAME, TEXT_FRAME, GARBAGE_NPY]),
          check=_that(lambda r, c: tuple(r.shape) == (3, 4, 5) and r.dtype == torch.float32
                      and 0 <= float(r.min()) <= float(r.max()) <= 1)),
    Entry("tensorcnn.training.video.VideoClips",
          call=lambda **kw: (lambda clips: (len(clips), clips.num_classes, clips.clip(1)))(
              __import__("tensorcnn.training.video", fromlist=["x"]).VideoClips(**kw)),
          base=lambda: dict(root=_video_root(), clip_length=3, size=4, train=False),
          bad=dict(root=BAD_PATH + ABSENT + [Bad(A_FILE, raises=NOT_FOUND)],
                   clip_length=[0, -1, 2.5, True], size=[0, 1.5, "4"], train=BAD_FLAG,
                   classes=["Archery", [1, 2], 5],
                   split_file=[123, Bad(MISSING, raises=NOT_FOUND)]),
          # 2 videos of 2 frames, looped to 3; the 4×5 frames cropped to 4×4
          check=_that(lambda r, c: r[:2] == (2, 2) and tuple(r[2][0].shape) == (3, 3, 4, 4)
                      and r[2][1] == 1)),
    Entry("tensorcnn.training.video.ClipLoader",
          call=lambda clips, **kw: next(iter(
              __import__("tensorcnn.training.video", fromlist=["x"]).ClipLoader(clips, **kw))),
          base=lambda: dict(clips=__import__("tensorcnn.training.video", fromlist=["x"])
                            .VideoClips(_video_root(), clip_length=2, size=4),
                            batch_size=2, shuffle=True, seed=3),
          bad=dict(clips=[123, None, "root"], batch_size=[0, -1, 2.5, True],
                   shuffle=BAD_FLAG, seed=["x", 1.5, None], device=[123, "nowhere"]),
          check=_that(lambda r, c: tuple(r[0].shape) == (2, 3, 2, 4, 4)
                      and sorted(r[1].tolist()) == [0, 1])),
    # -- issue #14's own examples, next to the entries of entries_others.py -------------------
    Entry("tensorcnn.training.augment.Normalize[issue14]",
          base=lambda: dict(mean=[0.5, 0.5], std=[0.2, 0.3]),
          bad=dict(mean=[[NAN, 0.5], [0.5], [0.5, 0.5, 0.5], [INF, 0.0]],
                   std=[[0.2], [0.2, NAN], [0.0, 1.0], [-0.1, 1.0]]),
          check=_that(lambda r, c: tuple(r.mean.shape) == (1, 2, 1, 1))),
    Entry("tensorcnn.training.offline.train_test_split[issue14]",
          base=lambda: dict(data=_images(20, 2), test_fraction=0.2, rng=0),
          # round(0.01 · 10) = 0 per class: an empty test set; 0.99: an empty training set
          bad=dict(test_fraction=[0.01, 0.99],
                   data=[Bad(_images(3, 3), names="test set empty"), 123, None]),
          check=_that(lambda r, c: [len(r[0]), len(r[1])] == [16, 4])),
]

EXEMPT: list[Exempt] = [
    Exempt("tensorcnn.training.loop.Callback",
           PROTOCOL + " (Callback = Callable[..., dict | None], the type of fit's callbacks; "
           "fit refuses a non-callable callback, fuzzed in its entry)",
           covered_by="tests/training/test_loop_resume_ddp.py"),
]


def _resolved(dotted: str):
    """The public object ``dotted``, looked up at call time (for the ``name[variant]``
    entries, whose name is not itself a path)."""

    def call(*args, **kwargs):
        return resolve(dotted)(*args, **kwargs)

    return call


for _entry in ENTRIES:
    if _entry.call is None and "[" in _entry.name:
        _entry.call = _resolved(_entry.name.split("[", 1)[0])
