"""Fuzz entries generated from signatures, for the public names of the modules whose owners
fix them (optim, training, sparsity, mdl, estimators, simulation, cli) and of blocks, nets,
counting and ablation, plus the reasoned exemptions.

Each name of ``AUTO`` (only scalar required arguments) and ``MANUAL`` (a hand-written base
call) becomes an :class:`~tests.fuzz.registry.Entry` whose invalid cases come from the
annotations: an ``int`` argument must refuse 2.5 and "x", a ``float`` NaN and "x", a
``bool`` "yes", a ``str`` 123. Names are listed explicitly, so a new public name still fails
``test_every_public_name_has_an_entry`` until it is added here or elsewhere.

``XFAIL`` lists the cases that fail on today's code in modules this helper does not own:
strict xfails with the owner, for the owner (or the lead) to fix and unmark.
"""

from __future__ import annotations

import inspect
import math

import numpy as np

from .registry import CONSTANT, EXCEPTION, PROTOCOL, Bad, Entry, Exempt, resolve

NAN = math.nan

#: Owner of each module prefix (for the xfail reasons).
OWNERS = {
    "tensorcnn.optim": "helper A", "tensorcnn.training": "helper A",
    "tensorcnn.cli.train": "helper A", "tensorcnn.sparsity.killing": "helper A",
    "tensorcnn.sparsity.penalties": "helper B", "tensorcnn.sparsity.solvers": "helper B",
    "tensorcnn.sparsity.propositions": "helper B", "tensorcnn.mdl": "helper B",
    "tensorcnn.sparsity.garbage": "helper C", "tensorcnn.sparsity.switch": "helper C",
    "tensorcnn.estimators": "helper D", "tensorcnn._prox": "helper B (prox helpers)",
    "tensorcnn.simulation.config": "helper E", "tensorcnn.simulation.report": "helper E",
    "tensorcnn.simulation.experiments": "helper E",
    "tensorcnn.simulation.sensitivity": "helper E", "tensorcnn.cli.simulate": "helper E",
    "tensorcnn.simulation.replication": "lead", "tensorcnn.simulation.runner": "lead",
    "tensorcnn.simulation.batched": "lead", "tensorcnn.solvers": "lead",
    # owned by the issue-14 helpers (core math first, then blocks, nets, counting, ablation)
    "tensorcnn.blocks": "issue-14 helper",
    "tensorcnn.nets": "issue-14 helper",
    "tensorcnn.counting": "issue-14 helper",
    "tensorcnn.ablation": "issue-14 helper",
}


def owner(name: str) -> str:
    best = max((p for p in OWNERS if name.startswith(p + ".") or name == p), key=len,
               default=None)
    return OWNERS[best] if best else "lead (unassigned module)"


AUTO = [
    "tensorcnn.ablation.tables.count_rows",
    "tensorcnn.ablation.tables.matches_printed",
    "tensorcnn.ablation.config.AblationConfig",
    "tensorcnn.blocks.modules.Bottleneck",
    "tensorcnn.blocks.modules.CompressedBlock",
    "tensorcnn.blocks.costs.Cost",
    "tensorcnn.blocks.modules.DepthwiseSeparable",
    "tensorcnn.blocks.modules.InvertedResidual",
    "tensorcnn.blocks.modules.ShuffleV2Unit",
    "tensorcnn.blocks.modules.funnel_block",
    "tensorcnn.blocks.modules.normalized_funnel_block",
    "tensorcnn.blocks.modules.resnet_bottleneck",
    "tensorcnn.blocks.modules.resnext_bottleneck",
    "tensorcnn.blocks.costs.activation_cost",
    "tensorcnn.blocks.costs.conv_output_size",
    "tensorcnn.blocks.costs.norm_cost",
    "tensorcnn.counting.reference_models.mobilenet_v2",
    "tensorcnn.counting.reference_models.resnet50",
    "tensorcnn.counting.reference_models.resnext50_32x4d",
    "tensorcnn.counting.reference_models.shufflenet_v2_x1_0",
    "tensorcnn.counting.registry.registered_types",
    "tensorcnn.counting.registry.traced_functions",
    "tensorcnn.estimators._base.CNNEstimator",
    "tensorcnn.estimators._base.CNNRegressor",
    "tensorcnn.mdl.kraft.KraftSharingCode",
    "tensorcnn.mdl.kraft.bound_attainable",
    "tensorcnn.mdl.kraft.floor_bound_length",
    "tensorcnn.mdl.kraft_sharing_code",
    "tensorcnn.mdl.code.model_code_length",
    "tensorcnn.mdl.code.sharing_code_length",
    "tensorcnn.mdl.kraft.kraft_sharing_code",
    "tensorcnn.nets.resnet_cifar.ResNetCIFAR",
    "tensorcnn.nets.resnet_cifar.resnet_cifar",
    "tensorcnn.nets.kr_layers.ClassifierHead",
    "tensorcnn.nets.kr_layers.ConvBN",
    "tensorcnn.nets.kr_layers.StagedNet",
    "tensorcnn.nets.kr_layers.pool_cost",
    "tensorcnn.nets.kr_resnet.FunnelBlockA",
    "tensorcnn.nets.kr_resnet.ResNet41Design",
    "tensorcnn.nets.kr_resnet3d.BasicBlock3d",
    "tensorcnn.nets.kr_resnet3d.BottleneckB3d",
    "tensorcnn.nets.kr_resnext.GroupedFunnelBlockA",
    "tensorcnn.nets.kr_resnext.ResNeXtDesign",
    "tensorcnn.nets.kr_shufflenet.DownUnitT1",
    "tensorcnn.nets.kr_shufflenet.ShuffleNetDesign",
    "tensorcnn.nets.resnet_cifar.BasicBlock",
    "tensorcnn.optim.penalties.GroupLasso",
    "tensorcnn.optim.penalties.Lasso",
    "tensorcnn.sparsity.garbage.GCReport",
    "tensorcnn.sparsity.killing.KillStrategy",
    "tensorcnn.sparsity.killing.SignChangeKill",
    "tensorcnn.sparsity.killing.SignVarianceKill",
    "tensorcnn.sparsity.switch.Switch",
    "tensorcnn.sparsity.killing.ThresholdKill",
    "tensorcnn.sparsity.penalties.GroupL2",
    "tensorcnn.sparsity.penalties.L1",
    "tensorcnn.sparsity.penalties.SquaredL2",
    "tensorcnn.sparsity.shrinknet.reduced_penalty_constant",
    "tensorcnn.sparsity._graph.Space",
    "tensorcnn.sparsity.datasets.make_group_sparse_regression",
    "tensorcnn.sparsity.experiments.build_switch_network",
    "tensorcnn.sparsity.penalties.lp_power",
    "tensorcnn.training.augment.RandomCrop",
    "tensorcnn.training.augment.RandomHorizontalFlip",
    "tensorcnn.training.callbacks.splitlbi_metrics",
    "tensorcnn.training.callbacks.splitlbi_path",
    "tensorcnn.training.callbacks.weight_nonzeros",
    "tensorcnn.training.checkpoint.rng_states",
    "tensorcnn.training.distributed.barrier",
    "tensorcnn.training.distributed.dist_info",
    "tensorcnn.training.distributed.init_distributed",
    "tensorcnn.training.loader.epoch_generator",
    "tensorcnn.training.offline.load_digits",
    "tensorcnn.training.offline.synthetic_images",
    "tensorcnn.training.video.clip_indices",
]

#: Hand-written valid calls for names that need more than scalars.
MANUAL = {
    "tensorcnn._prox.soft_threshold": lambda: dict(x=np.array([-2.0, 0.1, 3.0]),
                                                   threshold=0.5),
    "tensorcnn._prox.group_shrinkage": lambda: dict(norms=np.array([0.1, 2.0]), threshold=0.5,
                                                    tiny=1e-12),
    "tensorcnn.nets.kr_resnet.KRResNet41": lambda: dict(t=4, num_classes=10),
    "tensorcnn.nets.kr_resnet3d.KRResNet3D18": lambda: dict(t=4, num_classes=10, rank=8),
    "tensorcnn.nets.kr_resnext.KRResNeXt": lambda: dict(t=4, num_classes=10),
    "tensorcnn.nets.kr_shufflenet.KRShuffleNet": lambda: dict(t=4, num_classes=10),
    "tensorcnn.cli.build_parser": lambda: {},
    "tensorcnn.cli._reference.reference_markdown": lambda: {},
    "tensorcnn.cli._reference.subcommand_parsers": lambda: {},
    "tensorcnn.sparsity.penalties.lp_power": lambda: dict(lam2=0.1, p=2),
    "tensorcnn.nets.kr_resnet.kr_resnet41": lambda: dict(t=4, num_classes=10, ranks=(4, 4, 4),
                                                         blocks=(1, 1, 1), stem=8),
    "tensorcnn.nets.kr_resnext.kr_resnext": lambda: dict(t=4, num_classes=10, ranks=(8, 8, 8),
                                                         blocks=(1, 1, 1), stem=8,
                                                         cardinality=2),
    "tensorcnn.nets.kr_resnext.kr_resnext_shufflewidths": lambda: dict(t=4, num_classes=10),
    "tensorcnn.nets.kr_shufflenet.kr_shufflenet": lambda: dict(t=4, num_classes=10,
                                                               ranks=(8, 8, 8), units=(1, 1, 1),
                                                               stem=8),
    "tensorcnn.nets.kr_resnet3d.kr_resnet3d18": lambda: dict(t=4, num_classes=10, rank=8),
    "tensorcnn.blocks.modules.Bottleneck": lambda: dict(in_channels=8, rank=4, out_channels=8),
    "tensorcnn.blocks.modules.DepthwiseSeparable": lambda: dict(in_channels=4, out_channels=8),
    "tensorcnn.blocks.modules.InvertedResidual": lambda: dict(in_channels=4, out_channels=4,
                                                              expansion=2),
    "tensorcnn.blocks.modules.ShuffleV2Unit": lambda: dict(in_channels=8, rank=4,
                                                           out_channels=8),
    "tensorcnn.nets.local.LocallyConnected2d": lambda: dict(in_channels=1, out_channels=2,
                                                            input_size=6, kernel_size=3),
    "tensorcnn.nets.kr_layers.ConvBN": lambda: dict(in_channels=2, out_channels=4),
    "tensorcnn.nets.kr_layers.ClassifierHead": lambda: dict(in_features=8, num_classes=10),
    "tensorcnn.nets.resnet_cifar.BasicBlock": lambda: dict(in_channels=4, out_channels=4),
    "tensorcnn.nets.resnet_cifar.ResNetCIFAR": lambda: dict(depth=8, width=4),
    "tensorcnn.nets.kr_resnet3d.BasicBlock3d": lambda: dict(in_channels=4, channels=4),
    "tensorcnn.nets.kr_resnet3d.BottleneckB3d": lambda: dict(in_channels=8, rank=4,
                                                             out_channels=8),
    "tensorcnn.nets.kr_resnet.FunnelBlockA": lambda: dict(in_channels=8, rank=4, stride=1),
    "tensorcnn.nets.kr_resnext.GroupedFunnelBlockA": lambda: dict(in_channels=8, rank=8,
                                                                  stride=1, groups=2),
    "tensorcnn.nets.kr_shufflenet.DownUnitT1": lambda: dict(in_channels=8, rank=4,
                                                            out_channels=8),
    "tensorcnn.nets.kr_layers.check_num_classes": lambda: dict(num_classes=10),
    "tensorcnn.nets.kr_layers.check_t": lambda: dict(t=4, allowed=(1, 4)),
    "tensorcnn.blocks.costs.conv_cost": lambda: dict(in_channels=4, out_channels=8, kernel=3,
                                                     out_positions=16),
    "tensorcnn.counting.registry.check_unknown": lambda: dict(unknown="warn"),
    "tensorcnn.sparsity._validation.check_loss": lambda: dict(loss="squared"),
    "tensorcnn.sparsity._validation.check_p": lambda: dict(p=2.0),
    "tensorcnn.training.schedules.check_milestones": lambda: dict(milestones=(2, 4), epochs=6),
    "tensorcnn.simulation.replication.setting_key": lambda: dict(setting=_setting()),
    "tensorcnn.simulation.replication.setting_hash": lambda: dict(setting=_setting()),
    "tensorcnn.simulation.replication.setting_truth": lambda: dict(setting=_setting(), seed=0),
    "tensorcnn.simulation.replication.make_estimator": lambda: dict(setting=_setting()),
    "tensorcnn.simulation.replication.replication_streams": lambda: dict(setting=_setting(),
                                                                         seed=0, rep=0),
    "tensorcnn.simulation.replication.held_out_indices": lambda: dict(sizes=(20, 40)),
    "tensorcnn.simulation.replication.check_sizes": lambda: dict(sizes=(20, 40)),
    "tensorcnn.simulation.replication.cold_check": lambda: dict(setting=_tucker_setting(),
                                                                n=30),
    "tensorcnn.simulation.batched.batchable": lambda: dict(setting=_tucker_setting()),
    "tensorcnn.simulation.batched.check_device": lambda: dict(device="cpu"),
    "tensorcnn.simulation.batched.fit_replications": lambda: dict(
        setting=_tucker_setting(), sizes=(30,), reps=(0, 1), seed=0),
    "tensorcnn.simulation.runner.make_tasks": lambda: dict(settings=[_setting()], n_reps=1,
                                                           seed=0, n_points=3),
    "tensorcnn.mdl.code.encode_model": lambda: dict(w=[0.0, 1.5, 0.0], bits=32),
    "tensorcnn.mdl.code.share_weights": lambda: dict(w=[0.0, 1.5, 1.5], bits=32),
    "tensorcnn.mdl.code.encode_sharing": lambda: dict(assignment=[0, 1, 1], k=2),
    "tensorcnn.sparsity.penalties.L1": lambda: dict(lam=0.5),
    "tensorcnn.sparsity.penalties.SquaredL2": lambda: dict(lam=0.5),
    "tensorcnn.sparsity.penalties.GroupL2": lambda: dict(lam=0.5),
    "tensorcnn.sparsity.propositions.beta_norm": lambda: dict(W=_W()),
    "tensorcnn.sparsity.propositions.beta_norm_squared": lambda: dict(W=_W()),
    "tensorcnn.sparsity.experiments.column_sparsity": lambda: dict(W=_W()),
    "tensorcnn.sparsity.shrinknet.reduced_penalty": lambda: dict(W=_W(), lam=0.5, lam2=0.1),
    "tensorcnn.sparsity.shrinknet.balanced_split": lambda: dict(W=_W(), lam=0.5, lam2=0.1),
}


def _torch():
    import torch

    return torch


def _images(n: int = 24):
    from tensorcnn.training.offline import synthetic_images

    return synthetic_images(n, image_size=8, rng=0)


def _switch_net():
    from tensorcnn.sparsity.experiments import build_switch_network

    return build_switch_network(3, 2, rng=0)


def _problem():
    rng = np.random.default_rng(0)
    return rng.standard_normal((6, 3)), rng.standard_normal((6, 2))


#: Former "needs a model / data set" exemptions given real entries (valid call + invalid
#: cases), cheapest first: plain numbers, small arrays, a tiny model or image set.
MANUAL.update({
    "tensorcnn.ablation.config.get_config": lambda: dict(name="smoke"),
    "tensorcnn.ablation.runner.checkpoint_name": lambda: dict(
        config=resolve("tensorcnn.ablation.config.AblationConfig")(), t=4, seed=1),
    "tensorcnn.ablation.tables.PaperCell": lambda: dict(
        table="Table 2", network="kr_resnet41", t=4, params_m=8.55, gmacs=0.26),
    "tensorcnn.blocks.modules.channel_shuffle": lambda: dict(x=_torch().ones(1, 4, 2, 2),
                                                             groups=2),
    "tensorcnn.nets.families.alpha_for_budget": lambda: dict(
        name="s-conv", budget=20000, image_size=16, in_channels=1, num_classes=10),
    "tensorcnn.nets.families.family_macs": lambda: dict(
        name="d-conv", alpha=2, image_size=16, in_channels=1, num_classes=10),
    "tensorcnn.nets.families.family_n_params": lambda: dict(
        name="d-local", alpha=2, image_size=16, in_channels=1, num_classes=10),
    "tensorcnn.nets.families.table_n_params": lambda: dict(
        name="s-fc", alpha=2, image_size=16, num_classes=10),
    "tensorcnn.nets.families.family_layers": lambda: dict(
        name="d-conv", alpha=2, image_size=16, in_channels=3),
    "tensorcnn.nets.families.FeatureLayer": lambda: dict(
        connectivity="conv", in_channels=1, out_channels=2, kernel_size=3, stride=1,
        padding=1, in_size=8, out_size=8),
    "tensorcnn.nets.families.build_family": lambda: dict(
        name="s-conv", alpha=2, image_size=8, in_channels=1, num_classes=3),
    "tensorcnn.nets.kr_layers.check_triple": lambda: dict(value=(1, 2, 3), name="ranks"),
    "tensorcnn.nets.kr_layers.he_init": lambda: dict(model=_torch().nn.Conv2d(1, 2, 3)),
    "tensorcnn.mdl.code.SharedWeights": lambda: dict(values=np.array([1.5]),
                                                     assignment=np.array([0, 1, 0])),
    "tensorcnn.mdl.code.decode_model": lambda: dict(
        code=resolve("tensorcnn.mdl.code.encode_model")([0.0, 1.5, 0.0], 32), n=3),
    "tensorcnn.mdl.code.decode_sharing": lambda: dict(
        code=resolve("tensorcnn.mdl.code.encode_sharing")([0, 1, 1], 1), n=3),
    "tensorcnn.sparsity._validation.check_design": lambda: dict(X=_problem()[0]),
    "tensorcnn.sparsity._validation.check_targets": lambda: dict(
        Y=_problem()[1], n_samples=6, loss="squared"),
    "tensorcnn.sparsity._validation.check_problem": lambda: dict(
        X=_problem()[0], Y=_problem()[1], loss="squared"),
    "tensorcnn.sparsity.datasets.standardize": lambda: dict(X=_problem()[0], Y=_problem()[1]),
    "tensorcnn.sparsity.experiments.normalized_loss": lambda: dict(
        X=_problem()[0], Y=_problem()[1], W=np.zeros((3, 2)), loss="squared"),
    "tensorcnn.sparsity.switch.switches": lambda: dict(model=_switch_net()),
    "tensorcnn.sparsity.switch.shrinknet_penalty": lambda: dict(model=_switch_net(), lam=0.5,
                                                                lam2=0.1),
    "tensorcnn.training.augment.Compose": lambda: dict(
        transforms=[resolve("tensorcnn.training.augment.RandomHorizontalFlip")()]),
    "tensorcnn.training.augment.Normalize": lambda: dict(mean=[0.5, 0.5], std=[0.2, 0.3]),
    "tensorcnn.training.augment.standard_augmentation": lambda: dict(dataset="cifar10"),
    "tensorcnn.training.callbacks.nonzeros_per_layer": lambda: dict(
        model=_torch().nn.Linear(3, 2)),
    "tensorcnn.training.offline.train_test_split": lambda: dict(data=_images()),
    "tensorcnn.training.loader.BatchLoader": lambda: dict(data=_images(), batch_size=8),
    "tensorcnn.optim.penalties.group_view": lambda: dict(t=_torch().ones(3, 2)),
    "tensorcnn.counting.trace.count_macs": lambda: dict(
        model=_torch().nn.Conv2d(1, 2, 3), input_shape=(1, 6, 6)),
})

#: Extra invalid values, beyond the annotation-derived ones (the issue's examples).
EXTRA_BAD = {
    "tensorcnn.ablation.config.get_config": dict(name=["huge"], epochs=[2.5, 0]),
    "tensorcnn.ablation.runner.checkpoint_name": dict(config=[123], t=[0], seed=[-1]),
    "tensorcnn.ablation.tables.PaperCell": dict(t=[0], params_m=[-1.0], gmacs=[-1.0],
                                                params_decimals=[-1], gmacs_decimals=[-1]),
    "tensorcnn.blocks.modules.channel_shuffle": dict(
        groups=[0, 3], x=["x", Bad(np.ones((1, 4, 2, 2)), names="x")]),
    "tensorcnn.nets.families.alpha_for_budget": dict(name=["vgg"], budget=[0]),
    "tensorcnn.nets.families.family_macs": dict(name=["vgg"], alpha=[0]),
    "tensorcnn.nets.families.family_n_params": dict(name=["vgg"], alpha=[0], image_size=[0]),
    "tensorcnn.nets.families.table_n_params": dict(name=["vgg"], alpha=[0]),
    "tensorcnn.nets.families.family_layers": dict(name=["vgg"], alpha=[0]),
    "tensorcnn.nets.families.FeatureLayer": dict(connectivity=["dense"], in_channels=[0],
                                                 out_size=[0]),
    "tensorcnn.nets.families.build_family": dict(name=["vgg"], alpha=[0]),
    "tensorcnn.nets.kr_layers.check_triple": dict(value=[
        Bad(v, names="ranks") for v in ((1, 2), (1, 0, 1), (1.5, 1, 1), 3, "abc", (True, 1, 1))]),
    "tensorcnn.nets.kr_layers.he_init": dict(model=[123]),
    "tensorcnn.mdl.code.SharedWeights": dict(values=[np.ones((1, 1)), "x"],
                                             assignment=[np.array([0, 2, 0]),
                                                         np.array([0.5, 1, 0]), "x"]),
    "tensorcnn.mdl.code.decode_model": dict(code=["0" * 40], n=[0]),
    "tensorcnn.mdl.code.decode_sharing": dict(code=["2", "0" * 40], n=[0]),
    "tensorcnn.sparsity._validation.check_design": dict(
        X=["x", np.ones(3), np.array([[1.0, np.nan]]), np.ones((0, 2))]),
    "tensorcnn.sparsity._validation.check_targets": dict(
        Y=["x", np.ones((5, 2)), np.full((6, 2), np.nan)], n_samples=[0], loss=["hinge"]),
    "tensorcnn.sparsity._validation.check_problem": dict(
        X=[np.ones((5, 3))], Y=[np.ones((5, 2))], loss=["hinge"]),
    "tensorcnn.sparsity.datasets.standardize": dict(
        X=["x", np.ones(3), np.array([[1.0, np.nan]] * 6)], Y=[np.ones((5, 2))],
        loss=["hinge"]),
    "tensorcnn.sparsity.experiments.normalized_loss": dict(
        W=[np.zeros((2, 2)), np.full((3, 2), np.nan)], loss=["hinge"], Y=[np.ones((5, 2))]),
    "tensorcnn.sparsity.switch.switches": dict(model=[123]),
    "tensorcnn.sparsity.switch.shrinknet_penalty": dict(model=[123], lam=[-1.0],
                                                        lam2=[-1.0], p=[0.0]),
    "tensorcnn.training.augment.Compose": dict(transforms=[123, [123], "x"]),
    "tensorcnn.training.augment.Normalize": dict(std=[[0.0, 1.0], [np.nan, 1.0], [1.0], "x"],
                                                 mean=[[np.nan, 0.0], [[0.5, 0.5]]]),
    "tensorcnn.training.augment.standard_augmentation": dict(padding=[-1]),
    "tensorcnn.training.callbacks.nonzeros_per_layer": dict(model=[123], min_dim=[-1]),
    "tensorcnn.training.offline.train_test_split": dict(
        data=[123], test_fraction=[0.0, 1.0], rng=[-1, "x"]),
    "tensorcnn.training.loader.BatchLoader": dict(
        data=[123], batch_size=[0], rank=[-1, 1], world_size=[0], transform=[123]),
    "tensorcnn.optim.penalties.group_view": dict(t=[123, np.ones((3, 2))]),
    "tensorcnn.counting.trace.count_macs": dict(
        model=[123], input_shape=["x", (1, 2.5, 6), (1, 0, 6)], unknown=["x"]),
    "tensorcnn.sparsity.penalties.L1": dict(lam=[-1.0]),
    "tensorcnn.sparsity.solvers.fista": {},
    "tensorcnn.mdl.bounds.occam_bound": dict(train_loss=[NAN], delta=[NAN, 0.0, 1.5]),
    "tensorcnn.simulation.runner.make_tasks": dict(sizes=[{"F1": [20.5, 40]}, {"F1": []}]),
    "tensorcnn.simulation.replication.held_out_indices": dict(sizes=[(), (2.5,)]),
    "tensorcnn.simulation.replication.check_sizes": dict(
        sizes=[(), "20", (2.5,), (0,), (20, 20), 5]),
    "tensorcnn.simulation.replication.cold_check": dict(setting=[123], n=[0, 2.5, "30"]),
    "tensorcnn.simulation.batched.batchable": dict(setting=[123]),
    "tensorcnn.simulation.batched.check_device": dict(device=["tpu9", 3, b"cpu", "meta"]),
    "tensorcnn.simulation.batched.fit_replications": dict(
        reps=[(), (-1,), (0, 0), "01", (1.5,), 3], seed=[-1],
        sizes=[(), (30, 30), "30", (2.5,)], device=["tpu9", 3, "meta"], setting=[123]),
}


def _setting():
    from tensorcnn.data import Setting

    return Setting("F1", (6, 5), (2, 2), (2, 2), 1)


def _tucker_setting():
    from tensorcnn.data import Setting

    return Setting("F1-tucker", (6, 6, 2), (3, 3, 2), (2, 2, 1), 2, model="tucker",
                   ranks=(2, 2, 2, 1))


def _W():
    import numpy as np

    return np.arange(6.0).reshape(3, 2)


def _scalar_base(obj) -> dict:
    call = {}
    for param in inspect.signature(obj).parameters.values():
        if param.default is not param.empty or param.kind in (param.VAR_POSITIONAL,
                                                              param.VAR_KEYWORD):
            continue
        call[param.name] = 2 if str(param.annotation) == "int" else 0.5
    return call


def _bad_values(obj, call: dict) -> dict[str, list]:
    bad: dict[str, list] = {}
    for param in inspect.signature(obj).parameters.values():
        annotation = str(param.annotation)
        values = {"int": [2.5, "x"], "float": [NAN, "x"], "bool": ["yes"],
                  "str": [123]}.get(annotation)
        if values is None or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.name in call or param.default is not param.empty:
            bad[param.name] = list(values)
    return bad


def _entries() -> list[Entry]:
    entries = []
    for name in [*(n for n in AUTO if n not in MANUAL), *MANUAL]:
        obj = resolve(name)
        base_fn = MANUAL.get(name) or (lambda obj=obj: _scalar_base(obj))
        try:
            bad = _bad_values(obj, base_fn())
        except Exception:  # noqa: BLE001 - a base that fails is reported by test_accepts
            bad = {}
        for argument, values in EXTRA_BAD.get(name, {}).items():
            bad.setdefault(argument, []).extend(values)
        marked = {}
        for argument, values in bad.items():
            marked[argument] = [
                Bad(v, xfail=f"owner: {owner(name)}: {XFAIL[(name, argument, i)]}")
                if (name, argument, i) in XFAIL else v for i, v in enumerate(values)]
        reason = XFAIL.get((name, "valid", 0))
        entries.append(Entry(name, base=base_fn, bad=marked,
                             xfail_valid=f"owner: {owner(name)}: {reason}" if reason else None))
    return entries


#: (name, argument, index) -> outcome on today's code; ("valid", 0) for a failing valid call.
XFAIL: dict[tuple[str, str, int], str] = {}

ENTRIES = _entries()

_HARD = [   ('tensorcnn.ablation.tables.CountRow', ''),
    ('tensorcnn.ablation.tables.PaperCell', ''),
    ('tensorcnn.ablation.tables.network_cost', 'tests/ablation/test_kr_resnext_table.py'),
    ('tensorcnn.ablation.config.get_config', 'tests/ablation/test_runner.py'),
    ('tensorcnn.ablation.io.format_table', 'tests/ablation/test_runner.py'),
    ('tensorcnn.ablation.io.plot_curves', ''),
    ('tensorcnn.ablation.io.write_results', 'tests/ablation/test_runner.py'),
    ('tensorcnn.ablation.runner.AblationResult', ''),
    ('tensorcnn.ablation.runner.checkpoint_name', 'tests/ablation/test_runner.py'),
    ('tensorcnn.ablation.runner.config_dict', ''),
    ('tensorcnn.ablation.runner.load_data', 'tests/training/test_builders_cli.py'),
    ('tensorcnn.ablation.runner.run_ablation', 'tests/ablation/test_runner.py'),
    ('tensorcnn.ablation.runner.run_identity', ''),
    ('tensorcnn.ablation.runner.worst_seed_table', 'tests/ablation/test_runner.py'),
    (   'tensorcnn.ablation.tables.activation_macs',
        'tests/ablation/test_kr_resnext_table.py'),
    ('tensorcnn.blocks.modules.channel_shuffle', 'tests/blocks/test_blocks.py'),
    ('tensorcnn.blocks.reduction.reduce_block', 'tests/blocks/test_blocks.py'),
    ('tensorcnn.blocks.stacked.stacked_kernel', 'tests/blocks/test_blocks.py'),
    ('tensorcnn.blocks.costs.conv_cost', ''),
    ('tensorcnn.counting.audit.AuditReport', ''),
    ('tensorcnn.counting.audit.BlockRow', ''),
    ('tensorcnn.counting.trace.LeafCall', ''),
    ('tensorcnn.counting.trace.MacsReport', ''),
    ('tensorcnn.counting.audit.audit', 'tests/counting/test_audit.py'),
    ('tensorcnn.counting.trace.call_macs', 'tests/ablation/test_networks.py'),
    ('tensorcnn.counting.trace.count_macs', 'tests/test_counting_registry.py'),
    ('tensorcnn.counting.registry.macs_handler', 'tests/test_counting_registry.py'),
    ('tensorcnn.counting.external.ptflops_macs', 'tests/ablation/test_kr_resnext_table.py'),
    ('tensorcnn.counting.registry.register_macs', 'tests/test_counting_registry.py'),
    ('tensorcnn.counting.trace.trace_calls', 'tests/ablation/test_networks.py'),
    ('tensorcnn.counting.trace.uncounted_modules', ''),
    ('tensorcnn.counting.registry.MacsHandler', ''),
    ('tensorcnn.counting.registry.check_unknown', ''),
    ('tensorcnn.counting.registry.function_handler', ''),
    (   'tensorcnn.counting.registry.register_function_macs',
        'tests/test_counting_registry.py'),
    ('tensorcnn.estimators.structured.CPRegressor', 'tests/data/test_models.py'),
    (   'tensorcnn.estimators.logistic.LogisticCNNClassifier',
        'tests/estimators/test_logistic.py'),
    ('tensorcnn.estimators.gd.PaperGDRegressor', 'tests/estimators/test_lowrank.py'),
    ('tensorcnn.estimators.lowrank.RankKRegressor', 'tests/data/test_models.py'),
    ('tensorcnn.estimators.structured.TuckerRegressor', 'tests/data/test_models.py'),
    ('tensorcnn.estimators._base.warn_not_converged', ''),
    (   'tensorcnn.estimators._quadratic.QuadraticObjective',
        'tests/estimators/test_lowrank.py'),
    ('tensorcnn.estimators._trace.design_to_trace', 'tests/estimators/test_logistic.py'),
    ('tensorcnn.estimators._trace.theta_to_weight', 'tests/estimators/test_trace.py'),
    ('tensorcnn.estimators._trace.weight_to_theta', 'tests/estimators/test_logistic.py'),
    ('tensorcnn.mdl.code.SharedWeights', ''),
    ('tensorcnn.mdl.bounds.architecture_search_bound', 'tests/mdl/test_mdl.py'),
    ('tensorcnn.mdl.code.decode_model', 'tests/mdl/test_mdl.py'),
    ('tensorcnn.mdl.code.decode_sharing', 'tests/mdl/test_mdl.py'),
    ('tensorcnn.mdl.code.encode_model', 'tests/mdl/test_mdl.py'),
    ('tensorcnn.mdl.code.encode_sharing', 'tests/mdl/test_mdl.py'),
    ('tensorcnn.mdl.bounds.occam_bound', 'tests/mdl/test_mdl.py'),
    ('tensorcnn.mdl.code.share_weights', 'tests/mdl/test_mdl.py'),
    ('tensorcnn.mdl.bounds.sharing_length_bound', 'tests/mdl/test_mdl.py'),
    ('tensorcnn.nets.local.LocallyConnected2d', 'tests/nets/test_families.py'),
    ('tensorcnn.nets.families.alpha_for_budget', 'tests/nets/test_families.py'),
    ('tensorcnn.nets.families.build_family', 'tests/counting/test_audit.py'),
    ('tensorcnn.nets.families.family_macs', 'tests/nets/test_families.py'),
    ('tensorcnn.nets.families.family_n_params', 'tests/counting/test_cli_audit.py'),
    (   'tensorcnn.nets.kr_resnet3d.load_pretrained_backbone',
        'tests/ablation/test_networks.py'),
    ('tensorcnn.nets.families.FeatureLayer', ''),
    ('tensorcnn.nets.families.family_layers', ''),
    ('tensorcnn.nets.families.table_n_params', 'tests/nets/test_families.py'),
    ('tensorcnn.nets.kr_layers.check_num_classes', ''),
    ('tensorcnn.nets.kr_layers.check_t', ''),
    ('tensorcnn.nets.kr_layers.check_triple', ''),
    ('tensorcnn.nets.kr_layers.he_init', ''),
    ('tensorcnn.optim.beta_lasso.BetaLasso', 'tests/optim/test_known_answer.py'),
    ('tensorcnn.optim.splitlbi.SplitLBI', 'tests/optim/test_grouping.py'),
    ('tensorcnn.optim.penalties.group_view', ''),
    ('tensorcnn.optim.masks.apply_masks_', 'tests/optim/test_path_and_nonfinite.py'),
    ('tensorcnn.optim.masks.keep_masks', 'tests/optim/test_state_and_validation.py'),
    ('tensorcnn.optim.grouping.param_groups_by_kind', 'tests/optim/test_grouping.py'),
    ('tensorcnn.simulation.replication.RegressionData', ''),
    ('tensorcnn.simulation.runner.Task', ''),
    ('tensorcnn.simulation.experiments.experiment_settings', ''),
    (   'tensorcnn.simulation.replication.fit_replication',
        'tests/estimators/test_lowrank.py'),
    (   'tensorcnn.simulation.runner.make_tasks',
        'tests/simulation/test_checkpoint_integrity.py'),
    (   'tensorcnn.simulation.sensitivity.r2_by_truth',
        'tests/simulation/test_sensitivity.py'),
    (   'tensorcnn.simulation.experiments.run_experiment',
        'tests/simulation/test_sensitivity.py'),
    (   'tensorcnn.simulation.runner.run_sweep',
        'tests/simulation/test_checkpoint_integrity.py'),
    ('tensorcnn.simulation.runner.run_task', ''),
    (   'tensorcnn.simulation.replication.simulate_regression',
        'tests/simulation/test_runner.py'),
    (   'tensorcnn.simulation.sensitivity.summarize_r2_by_truth',
        'tests/simulation/test_sensitivity.py'),
    ('tensorcnn.simulation.config.dumps_experiment', ''),
    ('tensorcnn.simulation.config.experiment_record', ''),
    ('tensorcnn.simulation.config.load_experiment', ''),
    ('tensorcnn.simulation.config.parse_experiment', ''),
    ('tensorcnn.simulation.experiments.Experiment', ''),
    ('tensorcnn.simulation.experiments.ExperimentResult', ''),
    ('tensorcnn.simulation.experiments.Panel', ''),
    ('tensorcnn.simulation.experiments.SettingRun', ''),
    ('tensorcnn.simulation.experiments.experiment_plan', ''),
    (   'tensorcnn.simulation.io.DirectoryStore',
        'tests/simulation/test_checkpoint_integrity.py'),
    ('tensorcnn.simulation.io.task_identity', ''),
    ('tensorcnn.simulation.io.write_results', 'tests/ablation/test_runner.py'),
    ('tensorcnn.simulation.io.write_summary', ''),
    ('tensorcnn.simulation.plots.plot_error_curves', ''),
    ('tensorcnn.simulation.plots.plot_r2_by_truth', ''),
    ('tensorcnn.simulation.replication.make_estimator', 'tests/data/test_models.py'),
    (   'tensorcnn.simulation.replication.replication_streams',
        'tests/simulation/test_replication_hygiene.py'),
    (   'tensorcnn.simulation.replication.setting_hash',
        'tests/simulation/test_checkpoint_integrity.py'),
    ('tensorcnn.simulation.replication.setting_key', ''),
    (   'tensorcnn.simulation.replication.setting_truth',
        'tests/simulation/test_replication_hygiene.py'),
    (   'tensorcnn.simulation.replication.held_out_indices',
        'tests/simulation/test_replication_hygiene.py'),
    ('tensorcnn.simulation.sensitivity.truth_draws', ''),
    ('tensorcnn.simulation.sensitivity.truth_rows', ''),
    ('tensorcnn.simulation.sensitivity.truth_summary', ''),
    ('tensorcnn.sparsity.garbage.collect_garbage', 'tests/sparsity/test_garbage.py'),
    ('tensorcnn.sparsity.garbage.count_parameters', 'tests/sparsity/test_garbage.py'),
    ('tensorcnn.sparsity.folding.fold_switches', 'tests/sparsity/test_switch.py'),
    ('tensorcnn.sparsity.switch.shrinknet_penalty', 'tests/sparsity/test_switch.py'),
    ('tensorcnn.sparsity.switch.switches', 'tests/compressed/test_compressed.py'),
    ('tensorcnn.sparsity.datafits.Multinomial', 'tests/sparsity/test_validation.py'),
    ('tensorcnn.sparsity.datafits.Quadratic', ''),
    ('tensorcnn.sparsity.shrinknet.balanced_split', 'tests/sparsity/test_shrinknet.py'),
    ('tensorcnn.sparsity.solvers.fista', 'tests/sparsity/test_validation.py'),
    ('tensorcnn.sparsity.group_lasso.group_lasso', 'tests/sparsity/test_experiments.py'),
    (   'tensorcnn.sparsity.group_lasso.group_lasso_kkt',
        'tests/sparsity/test_group_lasso.py'),
    (   'tensorcnn.sparsity.group_lasso.group_lasso_lambda_max',
        'tests/sparsity/test_group_lasso.py'),
    (   'tensorcnn.sparsity.group_lasso.group_lasso_objective',
        'tests/sparsity/test_group_lasso.py'),
    (   'tensorcnn.sparsity.group_lasso.group_lasso_path',
        'tests/sparsity/test_group_lasso.py'),
    ('tensorcnn.sparsity.shrinknet.reduced_penalty', 'tests/sparsity/test_propositions.py'),
    ('tensorcnn.sparsity.shrinknet.ridge_fit', ''),
    ('tensorcnn.sparsity.shrinknet.shrinknet', 'tests/sparsity/test_experiments.py'),
    (   'tensorcnn.sparsity.shrinknet.shrinknet_objective',
        'tests/sparsity/test_propositions.py'),
    ('tensorcnn.sparsity.shrinknet.shrinknet_path', 'tests/sparsity/test_shrinknet.py'),
    (   'tensorcnn.sparsity.shrinknet.shrinknet_stationarity',
        'tests/sparsity/test_shrinknet.py'),
    ('tensorcnn.sparsity._graph.ChannelGraph', ''),
    ('tensorcnn.sparsity._validation.check_p', ''),
    ('tensorcnn.sparsity._validation.check_design', ''),
    ('tensorcnn.sparsity._validation.check_targets', ''),
    ('tensorcnn.sparsity._validation.check_loss', ''),
    ('tensorcnn.sparsity._validation.check_problem', ''),
    ('tensorcnn.sparsity.datafits.make_datafit', 'tests/sparsity/test_shrinknet.py'),
    ('tensorcnn.sparsity.datasets.load_shipped', 'tests/sparsity/test_group_lasso.py'),
    ('tensorcnn.sparsity.datasets.load_paper_dataset', 'tests/sparsity/test_datasets.py'),
    ('tensorcnn.sparsity.datasets.load_arff', 'tests/sparsity/test_datasets.py'),
    ('tensorcnn.sparsity.datasets.standardize', ''),
    (   'tensorcnn.sparsity.experiments.column_sparsity',
        'tests/sparsity/test_experiments.py'),
    (   'tensorcnn.sparsity.experiments.normalized_loss',
        'tests/sparsity/test_experiments.py'),
    (   'tensorcnn.sparsity.experiments.tradeoff_curves',
        'tests/sparsity/test_experiments.py'),
    (   'tensorcnn.sparsity.experiments.matched_comparison',
        'tests/sparsity/test_experiments.py'),
    (   'tensorcnn.sparsity.experiments.train_switch_network',
        'tests/sparsity/test_killing.py'),
    (   'tensorcnn.sparsity.experiments.gamma_experiment',
        'tests/sparsity/test_experiments.py'),
    ('tensorcnn.sparsity.propositions.Check', ''),
    ('tensorcnn.sparsity.propositions.beta_norm', 'tests/sparsity/test_propositions.py'),
    (   'tensorcnn.sparsity.propositions.beta_norm_squared',
        'tests/sparsity/test_propositions.py'),
    (   'tensorcnn.sparsity.propositions.check_prop_a1',
        'tests/sparsity/test_propositions.py'),
    (   'tensorcnn.sparsity.propositions.convexity_gap',
        'tests/sparsity/test_propositions.py'),
    ('tensorcnn.sparsity.propositions.a2_witness', ''),
    (   'tensorcnn.sparsity.propositions.check_prop_a2',
        'tests/sparsity/test_propositions.py'),
    (   'tensorcnn.sparsity.propositions.check_prop_a3',
        'tests/sparsity/test_propositions.py'),
    (   'tensorcnn.sparsity.propositions.check_prop_a3_exception',
        'tests/sparsity/test_propositions.py'),
    (   'tensorcnn.sparsity.propositions.check_prop_a4_flips',
        'tests/sparsity/test_propositions.py'),
    (   'tensorcnn.sparsity.propositions.check_prop_a4_existence',
        'tests/sparsity/test_propositions.py'),
    (   'tensorcnn.sparsity.propositions.check_prop_a4_network_existence',
        'tests/sparsity/test_propositions.py'),
    (   'tensorcnn.sparsity.propositions.check_prop_a4_absent_class',
        'tests/sparsity/test_propositions.py'),
    (   'tensorcnn.sparsity.propositions.network_objective',
        'tests/sparsity/test_propositions.py'),
    (   'tensorcnn.sparsity.propositions.check_reduced_penalty',
        'tests/sparsity/test_propositions.py'),
    ('tensorcnn.sparsity.solvers.FistaResult', ''),
    ('tensorcnn.training.augment.Compose', 'tests/training/test_augment_loader.py'),
    ('tensorcnn.training.augment.Normalize', 'tests/training/test_augment_loader.py'),
    (   'tensorcnn.training.augment.standard_augmentation',
        'tests/training/test_augment_loader.py'),
    ('tensorcnn.training.callbacks.nonzeros_per_layer', ''),
    ('tensorcnn.training.checkpoint.config_diff', ''),
    ('tensorcnn.training.checkpoint.format_diff', ''),
    (   'tensorcnn.training.checkpoint.load_checkpoint',
        'tests/training/test_checkpoint_integrity.py'),
    ('tensorcnn.training.checkpoint.load_states', 'tests/training/test_inputs_refused.py'),
    (   'tensorcnn.training.checkpoint.save_checkpoint',
        'tests/training/test_checkpoint_integrity.py'),
    ('tensorcnn.training.checkpoint.set_rng_states', ''),
    ('tensorcnn.training.datasets.ImageData', 'tests/training/test_augment_loader.py'),
    ('tensorcnn.training.datasets.load_cifar10', 'tests/training/test_datasets.py'),
    ('tensorcnn.training.datasets.load_cifar100', 'tests/training/test_datasets.py'),
    ('tensorcnn.training.datasets.load_image_dataset', 'tests/training/test_datasets.py'),
    ('tensorcnn.training.datasets.load_mnist', 'tests/training/test_datasets.py'),
    ('tensorcnn.training.datasets.load_svhn', 'tests/training/test_datasets.py'),
    ('tensorcnn.training.datasets.read_idx', 'tests/training/test_datasets.py'),
    ('tensorcnn.training.distributed.DistInfo', ''),
    ('tensorcnn.training.distributed.all_reduce_sum', ''),
    ('tensorcnn.training.distributed.unwrap', ''),
    ('tensorcnn.training.distributed.wrap_ddp', ''),
    ('tensorcnn.training.loader.BatchLoader', 'tests/training/test_augment_loader.py'),
    ('tensorcnn.training.loop.evaluate', 'tests/benchmarks/test_paper_protocol.py'),
    ('tensorcnn.training.loop.fit', 'tests/estimators/test_logistic.py'),
    ('tensorcnn.training.loop.harness_settings', 'tests/training/test_inputs_refused.py'),
    ('tensorcnn.training.loop.train_epoch', 'tests/training/test_checkpoint_integrity.py'),
    ('tensorcnn.training.path.load_path', 'tests/training/test_inputs_refused.py'),
    ('tensorcnn.training.path.path_arrays', 'tests/training/test_inputs_refused.py'),
    ('tensorcnn.training.path.plot_path', 'tests/training/test_inputs_refused.py'),
    ('tensorcnn.training.path.save_path', ''),
    ('tensorcnn.training.offline.train_test_split', 'tests/training/test_datasets.py'),
    ('tensorcnn.training.records.long_format', 'tests/training/test_augment_loader.py'),
    ('tensorcnn.training.records.write_records', 'tests/training/test_augment_loader.py'),
    (   'tensorcnn.training.schedules.make_scheduler',
        'tests/training/test_augment_loader.py'),
    ('tensorcnn.training.builders.build_model', 'tests/training/test_builders_cli.py'),
    ('tensorcnn.training.builders.build_optimizer', 'tests/training/test_builders_cli.py'),
    ('tensorcnn.training.builders.load_data', 'tests/training/test_builders_cli.py'),
    ('tensorcnn.training.checkpoint.jsonable', ''),
    ('tensorcnn.training.loop.Callback', ''),
    ('tensorcnn.training.records.check_output_file', ''),
    ('tensorcnn.training.schedules.check_milestones', ''),
    ('tensorcnn.training.video.ClipLoader', 'tests/ablation/test_video.py'),
    ('tensorcnn.training.video.VideoClips', 'tests/ablation/test_video.py'),
    ('tensorcnn.training.video.read_frame', 'tests/ablation/test_video.py')]

EXEMPT = [
    Exempt("tensorcnn.simulation.runner.Store", PROTOCOL),
    Exempt("tensorcnn.simulation._pool.PoolTerminated", EXCEPTION),
    Exempt("tensorcnn._figures.save_figure", "needs a matplotlib figure; every plot test "
           "writes through it (tests/simulation, tests/training, tests/ablation)",
           "tests/simulation/test_report.py"),
    Exempt("tensorcnn.simulation._pool.WATCH_INTERVAL", CONSTANT),
    *[Exempt(n, "process and signal plumbing of the worker pools (no data input); tested "
                "by killing real sweeps in tests/simulation/test_pool.py",
             "tests/simulation/test_pool.py")
      for n in ("tensorcnn.simulation._pool.pool_kwargs",
                "tensorcnn.simulation._pool.terminate_on_sigterm",
                "tensorcnn.simulation._pool.watch_parent")],
    *[Exempt(n, "needs finished run folders or a truths table as input; tested in "
                "tests/simulation/test_report.py and test_truths.py",
             "tests/simulation/test_report.py")
      for n in ("tensorcnn.simulation.plots.plot_truth_curves",
                "tensorcnn.simulation.report.RunRecord",
                "tensorcnn.simulation.report.check_run",
                "tensorcnn.simulation.report.load_run",
                "tensorcnn.simulation.report.write_report")],
    *[Exempt(f"tensorcnn.cli._flags.{n}",
             "argparse plumbing of the shared flags (an Action, add_* helpers, help strings): "
             "what users give is checked by the parsers it builds",
             "tests/cli/test_flag_conventions.py")
      for n in ("DeprecatedAlias", "SEEDS_HELP", "SEED_HELP", "STDOUT", "add_deprecated",
                "add_json", "add_quiet", "deprecation_note", "write_json")],
    Exempt("tensorcnn.simulation.replication.fit_row",
           "the row builder of fit_replication / fit_replications, called with their "
           "validated arguments and a fitted estimator (no user input of its own)",
           "tests/simulation/test_batched.py"),
    # added by helper D while this suite was written: its owner gives them entries
    Exempt("tensorcnn.estimators._base.check_finite_fit", "new (helper D): entry pending"),
    Exempt("tensorcnn.estimators._base.data_scale", "new (helper D): entry pending"),
    *[Exempt(n, CONSTANT) for n in ['tensorcnn.ablation.PAPER',
         'tensorcnn.ablation.config.CONFIGS',
         'tensorcnn.ablation.tables.CONVENTIONS',
         'tensorcnn.ablation.tables.NETWORKS',
         'tensorcnn.ablation.tables.PAPER',
         'tensorcnn.counting.REFERENCE_MODELS',
         'tensorcnn.counting.reference_models.REFERENCE_MODELS',
         'tensorcnn.counting.registry.UNKNOWN_POLICIES',
         'tensorcnn.data.inputs.BURN_IN',
         'tensorcnn.data.models.MODEL_KINDS',
         'tensorcnn.data.presets.CP_STUDY_KERNELS',
         'tensorcnn.data.presets.PAPER_SETTINGS',
         'tensorcnn.mdl.MAX_KRAFT_N',
         'tensorcnn.mdl.kraft.MAX_KRAFT_N',
         'tensorcnn.nets.FAMILIES',
         'tensorcnn.nets.families.FAMILIES',
         'tensorcnn.nets.kr_resnet.T_VALUES',
         'tensorcnn.nets.kr_resnet3d.T_VALUES',
         'tensorcnn.nets.kr_resnet3d.PRETRAINED_FILE',
         'tensorcnn.nets.kr_resnext.SHUFFLE_WIDTHS',
         'tensorcnn.nets.kr_resnext.T_VALUES',
         'tensorcnn.nets.kr_shufflenet.T_VALUES',
         'tensorcnn.optim.PENALTIES',
         'tensorcnn.optim.penalties.PENALTIES',
         'tensorcnn.simulation.EXPERIMENTS',
         'tensorcnn.simulation.N_TEST',
         'tensorcnn.simulation.experiments.CP_STUDY_SIZES',
         'tensorcnn.simulation.experiments.CP_STUDY_SMALL',
         'tensorcnn.simulation.experiments.DEFAULT_GRID',
         'tensorcnn.simulation.experiments.EXPERIMENTS',
         'tensorcnn.simulation.experiments.X_AXES',
         'tensorcnn.simulation.replication.COLD_CHECK_RATIO',
         'tensorcnn.simulation.replication.FIRST_STARTS',
         'tensorcnn.simulation.replication.N_TEST',
         'tensorcnn.simulation.replication.SOLVERS',
         'tensorcnn.simulation.runner.SCHEDULER_TIMEOUT',
         'tensorcnn.sparsity.datasets.PAPER_DATASETS',
         'tensorcnn.sparsity.killing.SIGN_VARIANCE_RULES',
         'tensorcnn.training.DATASETS',
         'tensorcnn.training.SCHEDULES',
         'tensorcnn.training.builders.MODELS',
         'tensorcnn.training.builders.OPTIMIZERS',
         'tensorcnn.training.builders.DATA',
         'tensorcnn.training.checkpoint.MAGIC',
         'tensorcnn.training.checkpoint.FORMAT_VERSION',
         'tensorcnn.training.datasets.DATASETS',
         'tensorcnn.training.records.RECORD_SUFFIXES',
         'tensorcnn.training.schedules.SCHEDULES',
         'tensorcnn.training.video.FRAME_SUFFIXES']],
    *[Exempt(n, EXCEPTION) for n in ['tensorcnn.counting.registry.UncountedModuleError',
         'tensorcnn.counting.registry.UncountedModuleWarning',
         'tensorcnn.simulation.config.ConfigError',
         'tensorcnn.simulation.io.CheckpointError',
         'tensorcnn.simulation.io.CheckpointWarning',
         'tensorcnn.training.checkpoint.CheckpointError',
         'tensorcnn.training.checkpoint.CheckpointMismatchError']],
    *[Exempt(n, "needs a model, optimizer, data set, file or result object as input (no "
                "scalar fuzz strategy yet); its checks are tested in " + (test or "its "
                "module's tests (none names it directly)"), test)
      for n, test in _HARD if n not in MANUAL],
]
