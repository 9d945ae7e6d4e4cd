"""Functions run in child processes by the resume and DDP tests (importable by spawn)."""

from __future__ import annotations

import os
import signal

import torch
import torch.distributed as dist
from torch import nn

from tensorcnn.optim import SplitLBI, param_groups_by_kind
from tensorcnn.training import (
    BatchLoader,
    Compose,
    RandomCrop,
    RandomHorizontalFlip,
    fit,
    make_scheduler,
    splitlbi_metrics,
    synthetic_images,
    wrap_ddp,
)

BATCHES_PER_EPOCH = 6


def make_model(dtype=torch.float32, dropout: float = 0.2) -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Dropout(dropout),
                         nn.Linear(16, 3)).to(dtype)


def make_optimizer(model: nn.Module) -> SplitLBI:
    return SplitLBI(param_groups_by_kind(model, linear=dict(penalty="lasso"),
                                         other=dict(penalty=None)),
                    lr=0.1, kappa=1.0, nu=1.0, lam=0.02, momentum=0.9, weight_decay=1e-4)


def train_run(checkpoint: str, epochs: int, threads: int, kill_at_batch: int | None = None):
    """The resume test's run; with ``kill_at_batch`` the process SIGKILLs itself there."""
    torch.set_num_threads(threads)
    data = synthetic_images(16 * BATCHES_PER_EPOCH, image_size=8, num_classes=3, rng=0)
    test = synthetic_images(32, image_size=8, num_classes=3, rng=1)
    model = make_model()
    opt = make_optimizer(model)
    sched = make_scheduler("cosine", opt, epochs)
    train_loader = BatchLoader(data, 16, seed=3,
                               transform=Compose([RandomCrop(1), RandomHorizontalFlip()]))
    test_loader = BatchLoader(test, 16, shuffle=False)
    if kill_at_batch is not None:
        calls = [0]

        def hook(module, args):
            if module.training:
                calls[0] += 1
                if calls[0] == kill_at_batch:
                    os.kill(os.getpid(), signal.SIGKILL)

        model.register_forward_pre_hook(hook)
    records = fit(model, opt, train_loader, epochs=epochs, test_loader=test_loader,
                  scheduler=sched, checkpoint_path=checkpoint, progress=False,
                  callbacks=[splitlbi_metrics(test_loader)])
    return model, opt, records


def ddp_worker(rank: int, world_size: int, port: int, folder: str) -> None:
    """One rank of the 2-process gloo run: SplitLBI on a float64 MLP, 2 epochs."""
    os.environ.setdefault("GLOO_SOCKET_IFNAME", "lo")
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world_size)
    try:
        model, opt, records = ddp_equivalent_run(rank, world_size, batch=8,
                                                 checkpoint=os.path.join(folder, "ddp.pt"))
        torch.save({"params": model.state_dict(),
                    "gamma": [opt.gamma(p) for p in opt.penalised_parameters()],
                    "records": records}, os.path.join(folder, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def ddp_equivalent_run(rank: int, world_size: int, batch: int, checkpoint: str | None = None):
    """world_size ranks of batch b ≡ one process of batch world_size · b (no dropout/BN)."""
    data = synthetic_images(96, image_size=8, num_classes=3, rng=0)
    data.images = data.images.double()
    test = synthetic_images(40, image_size=8, num_classes=3, rng=1)
    test.images = test.images.double()
    model = make_model(torch.float64, dropout=0.0)
    opt = make_optimizer(model)
    ddp = wrap_ddp(model, "cpu")
    train_loader = BatchLoader(data, batch, seed=5, rank=rank, world_size=world_size)
    test_loader = BatchLoader(test, 10, shuffle=False, rank=rank, world_size=world_size)
    records = fit(ddp, opt, train_loader, epochs=2, test_loader=test_loader,
                  checkpoint_path=checkpoint, progress=False)
    return model, opt, records
