"""The loop learns; a SIGKILLed run resumes to the same result; 2-process gloo DDP."""

from __future__ import annotations

import multiprocessing
import socket
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as tmp
from torch import nn

from tensorcnn.optim import BetaLasso, param_groups_by_kind
from tensorcnn.training import (
    BatchLoader,
    evaluate,
    fit,
    load_checkpoint,
    synthetic_images,
    train_epoch,
    weight_nonzeros,
)

from . import workers

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def importable_tests(monkeypatch):
    """Spawned children import ``tests.training.workers``; they inherit the parent's sys.path."""
    monkeypatch.syspath_prepend(str(ROOT))


def without_time(records):
    return [{k: v for k, v in r.items() if k != "seconds"} for r in records]


def test_fit_learns_the_synthetic_task_and_returns_records(tmp_path):
    torch.manual_seed(0)
    train = synthetic_images(256, image_size=8, num_classes=4, noise=0.3, rng=0)
    test = synthetic_images(128, image_size=8, num_classes=4, noise=0.3, rng=1)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 4))
    opt = BetaLasso(param_groups_by_kind(model, other=dict(lam=0.0)), lr=0.1, lam=1e-3,
                    beta=5.0)
    test_loader = BatchLoader(test, 64, shuffle=False)
    before = evaluate(model, test_loader)
    records = fit(model, opt, BatchLoader(train, 32, seed=0), epochs=6,
                  test_loader=test_loader, callbacks=[weight_nonzeros()], progress=False,
                  checkpoint_path=tmp_path / "c.pt")
    assert [r["epoch"] for r in records] == list(range(6))
    assert records[-1]["test_accuracy"] > max(0.6, before["accuracy"] + 0.2)
    assert records[-1]["train_loss"] < records[0]["train_loss"]
    assert records[-1]["nonzeros/1.weight"] == int(torch.count_nonzero(model[1].weight))
    assert records[-1]["density/1.weight"] < 1.0  # β-lasso's threshold pruned weights
    assert evaluate(model, test_loader)["accuracy"] == records[-1]["test_accuracy"]
    saved = load_checkpoint(tmp_path / "c.pt")
    assert saved["epoch"] == 5 and without_time(saved["records"]) == without_time(records)
    # Running again with resume finds the run complete and returns its records.
    assert without_time(fit(model, opt, BatchLoader(train, 32), epochs=6,
                            checkpoint_path=tmp_path / "c.pt", progress=False)) == \
        without_time(records)


def test_train_epoch_with_a_disabled_grad_scaler_matches_plain_steps():
    data = synthetic_images(64, image_size=8, num_classes=3, rng=0)
    results = []
    for scaler in (None, torch.amp.GradScaler("cuda", enabled=False)):
        model = workers.make_model(dropout=0.0)
        opt = workers.make_optimizer(model)
        stats = train_epoch(model, BatchLoader(data, 16, seed=0), opt, scaler=scaler)
        results.append((stats, [p.detach().clone() for p in model.parameters()]))
    assert results[0][0] == results[1][0]
    for p, q in zip(results[0][1], results[1][1], strict=True):
        assert torch.equal(p, q)


def test_killed_run_resumes_to_the_same_result(tmp_path, importable_tests):
    """SIGKILL in the middle of epoch 3 of 5, resume from the epoch-2 checkpoint."""
    epochs, threads = 5, torch.get_num_threads()
    ctx = multiprocessing.get_context("spawn")
    killed = ctx.Process(target=workers.train_run,
                         args=(str(tmp_path / "run.pt"), epochs, threads,
                               2 * workers.BATCHES_PER_EPOCH + 3))
    killed.start()
    killed.join(120)
    assert killed.exitcode == -9  # it really was killed
    assert load_checkpoint(tmp_path / "run.pt")["epoch"] == 1

    resumed, opt_r, rec_r = workers.train_run(str(tmp_path / "run.pt"), epochs, threads)
    reference, opt_u, rec_u = workers.train_run(str(tmp_path / "ref.pt"), epochs, threads)
    assert without_time(rec_r) == without_time(rec_u)
    assert len(rec_r) == epochs and "sparse_test_accuracy" in rec_r[-1]
    for p, q in zip(resumed.parameters(), reference.parameters(), strict=True):
        assert torch.equal(p, q)
    for p, q in zip(opt_r.penalised_parameters(), opt_u.penalised_parameters(), strict=True):
        assert torch.equal(opt_r.gamma(p), opt_u.gamma(q))
        assert torch.equal(opt_r.state[p]["V"], opt_u.state[q]["V"])


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(not torch.distributed.is_available(), reason="torch.distributed missing")
def test_two_process_gloo_ddp_equals_one_process_with_the_union_batch(tmp_path,
                                                                    importable_tests):
    tmp.spawn(workers.ddp_worker, args=(2, free_port(), str(tmp_path)), nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=False) for r in range(2)]
    for key in ranks[0]["params"]:
        assert torch.equal(ranks[0]["params"][key], ranks[1]["params"][key])
    for g0, g1 in zip(ranks[0]["gamma"], ranks[1]["gamma"], strict=True):
        assert torch.equal(g0, g1)
    assert without_time(ranks[0]["records"]) == without_time(ranks[1]["records"])
    assert load_checkpoint(tmp_path / "ddp.pt")["epoch"] == 1  # rank 0 wrote it

    model, opt, records = workers.ddp_equivalent_run(rank=0, world_size=1, batch=16)
    for key, value in model.state_dict().items():
        assert torch.allclose(ranks[0]["params"][key], value, rtol=0, atol=1e-12)
    for g_ddp, p in zip(ranks[0]["gamma"], opt.penalised_parameters(), strict=True):
        assert torch.allclose(g_ddp, opt.gamma(p), rtol=0, atol=1e-12)
    assert sum(int(torch.count_nonzero(g)) for g in ranks[0]["gamma"]) > 0
    for r_ddp, r_one in zip(ranks[0]["records"], records, strict=True):
        for key in ("train_loss", "train_accuracy", "test_loss", "test_accuracy"):
            assert r_ddp[key] == pytest.approx(r_one[key], abs=1e-12)
