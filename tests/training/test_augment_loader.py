"""Augmentations against explicit per-image references; loader sharding; schedules; records."""

from __future__ import annotations

import csv
import json
import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from tensorcnn.training import (
    BatchLoader,
    Compose,
    ImageData,
    Normalize,
    RandomCrop,
    RandomHorizontalFlip,
    long_format,
    make_scheduler,
    standard_augmentation,
    write_records,
)


@given(st.integers(1, 4), st.integers(1, 3), st.integers(2, 7), st.integers(2, 7),
       st.integers(0, 3), st.integers(0, 10_000))
def test_random_crop_is_a_window_of_the_zero_padded_image(n, c, h, w, pad, seed):
    x = torch.randn(n, c, h, w, generator=torch.Generator().manual_seed(seed))
    out = RandomCrop(pad)(x, torch.Generator().manual_seed(seed))
    offsets = torch.randint(0, 2 * pad + 1, (n, 2), generator=torch.Generator().manual_seed(seed))
    assert out.shape == x.shape
    for i in range(n):
        padded = torch.zeros(c, h + 2 * pad, w + 2 * pad)
        padded[:, pad:pad + h, pad:pad + w] = x[i]
        if pad == 0:
            assert torch.equal(out[i], x[i])
            continue
        dy, dx = offsets[i].tolist()
        assert torch.equal(out[i], padded[:, dy:dy + h, dx:dx + w])


def test_flip_mirrors_some_images_and_keeps_the_others():
    x = torch.randn(200, 2, 3, 5)
    out = RandomHorizontalFlip(0.5)(x, torch.Generator().manual_seed(0))
    flipped = torch.tensor([torch.equal(o, xi.flip(-1)) for o, xi in zip(out, x, strict=True)])
    kept = torch.tensor([torch.equal(o, xi) for o, xi in zip(out, x, strict=True)])
    assert torch.all(flipped | kept) and 60 < int(flipped.sum()) < 140
    assert torch.equal(RandomHorizontalFlip(0.0)(x, None), x)


def test_normalize_and_standard_augmentation():
    x = torch.rand(4, 3, 8, 8)
    out = Normalize([0.5, 0.4, 0.3], [0.1, 0.2, 0.3])(x)
    assert torch.allclose(out[:, 1], (x[:, 1] - 0.4) / 0.2)
    cifar = standard_augmentation("cifar10")
    assert [type(t) for t in cifar.transforms] == [RandomCrop, RandomHorizontalFlip]
    assert [type(t) for t in standard_augmentation("svhn").transforms] == [RandomCrop]
    assert standard_augmentation("mnist").transforms == []
    gen = torch.Generator().manual_seed(1)
    assert Compose([])(x, gen) is x
    with pytest.raises(ValueError):
        Normalize([0.0], [0.0])


def labelled(n):
    return ImageData(torch.arange(float(n)).reshape(n, 1, 1, 1), torch.arange(n) % 3, 3)


@pytest.mark.parametrize("n,batch,world", [(24, 4, 2), (25, 3, 3), (10, 4, 1)])
def test_ranks_split_the_single_process_batches(n, batch, world):
    data = labelled(n)
    single = list(BatchLoader(data, batch * world, seed=4))
    shards = [list(BatchLoader(data, batch, seed=4, rank=r, world_size=world))
              for r in range(world)]
    assert all(len(s) == len(shards[0]) for s in shards)
    everything = sorted({v for s in shards for x, _ in s for v in x.flatten().tolist()})
    assert everything == list(range(n))  # padding wraps around: every example is seen
    if n % (batch * world) == 0:
        for i, (xs, _) in enumerate(single):
            union = sorted(v for s in shards for v in s[i][0].flatten().tolist())
            assert union == sorted(xs.flatten().tolist())


def test_loader_epochs_are_seeded_and_distinct():
    data = labelled(30)
    loader = BatchLoader(data, 7, seed=1, transform=RandomHorizontalFlip())
    loader.set_epoch(3)
    a = torch.cat([x for x, _ in loader])
    b = torch.cat([x for x, _ in loader])
    loader.set_epoch(4)
    c = torch.cat([x for x, _ in loader])
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert len(loader) == 5 and len(BatchLoader(data, 7, drop_last=True)) == 4
    ordered = torch.cat([x for x, _ in BatchLoader(data, 7, shuffle=False)])
    assert ordered.flatten().tolist() == list(range(30))
    uint8 = ImageData(torch.full((2, 1, 2, 2), 255, dtype=torch.uint8), torch.zeros(2), 1)
    x, _ = next(iter(BatchLoader(uint8, 2)))
    assert x.dtype == torch.float32 and torch.all(x == 1)


def test_schedules_follow_their_formulas():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make_scheduler("cosine", opt, 10, eta_min=0.001)
    lrs = []
    for _ in range(10):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    expected = [0.001 + 0.5 * (0.1 - 0.001) * (1 + math.cos(math.pi * t / 10)) for t in range(10)]
    assert lrs == pytest.approx(expected, rel=1e-9)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make_scheduler("step", opt, 100, step_size=30)
    got = []
    for _ in range(65):
        got.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert got[29] == pytest.approx(0.1) and got[30] == pytest.approx(0.01)
    assert got[60] == pytest.approx(0.001)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make_scheduler("multistep", opt, 160, milestones=[80, 120])
    for _ in range(120):
        opt.step()
        sched.step()
    assert opt.param_groups[0]["lr"] == pytest.approx(0.001)
    with pytest.raises(ValueError, match="schedule"):
        make_scheduler("linear", opt, 10)


def test_write_records_csv_json_and_long(tmp_path):
    records = [{"epoch": 0, "loss": 1.5}, {"epoch": 1, "loss": float("nan"), "extra": 2}]
    write_records(records, tmp_path / "r.csv")
    rows = list(csv.DictReader(open(tmp_path / "r.csv")))
    assert rows[0] == {"epoch": "0", "loss": "1.5", "extra": ""}
    write_records(records, tmp_path / "r.json")
    assert json.loads((tmp_path / "r.json").read_text())[1]["loss"] is None
    assert long_format(records) == [
        {"epoch": 0, "metric": "loss", "value": 1.5},
        {"epoch": 1, "metric": "loss", "value": records[1]["loss"]},
        {"epoch": 1, "metric": "extra", "value": 2}]
    with pytest.raises(ValueError):
        write_records(records, tmp_path / "r.txt")
