"""Fuzz entries of the core math: tensorcnn (top level), _backend, _validation, cnn, tenalg,
compressed, data, bounds, simulation.summary and simulation.grid."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from tensorcnn import CNNSpec, ConvPoolStage, DeepCNNSpec

from .registry import CONSTANT, EXCEPTION, Bad, Entry, Exempt, instance, shape

NAN, INF = float("nan"), float("inf")
RNG = np.random.default_rng


def spec() -> CNNSpec:
    return CNNSpec((6, 5), (2, 2), (2, 2), 2)


def deep() -> DeepCNNSpec:
    return DeepCNNSpec((9, 8), [ConvPoolStage((2, 2), (2, 2), 2), ConvPoolStage((2, 2), (1, 1), 1)])


def weights(s: CNNSpec, n: int = 3, dtype=np.float64) -> dict:
    rng = RNG(0)
    return dict(X=rng.standard_normal((n, *s.input_shape)).astype(dtype),
                A=rng.standard_normal((s.n_kernels, *s.kernel_shape)).astype(dtype),
                B=rng.standard_normal((s.n_kernels, *s.pooled_shape)).astype(dtype))


def deep_weights(s: DeepCNNSpec, n: int = 3) -> dict:
    rng = RNG(1)
    return dict(X=rng.standard_normal((n, *s.input_shape)),
                kernels=[rng.standard_normal(k) for k in s.kernel_shapes],
                B=rng.standard_normal(s.fc_shape))


@st.composite
def specs(draw) -> CNNSpec:
    n_modes = draw(st.integers(1, 3))
    kernel = tuple(draw(st.integers(1, 3)) for _ in range(n_modes))
    pool = tuple(draw(st.integers(1, 3)) for _ in range(n_modes))
    extra = tuple(draw(st.integers(0, 3)) for _ in range(n_modes))
    inputs = tuple(k + p - 1 + e for k, p, e in zip(kernel, pool, extra))
    return CNNSpec(inputs, kernel, pool, draw(st.integers(1, 3)))


@st.composite
def forward_calls(draw) -> dict:
    s = draw(specs())
    n = draw(st.integers(0, 4))                       # n = 0: an empty batch is valid
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    return dict(spec=s, **weights(s, n, dtype))


def _forward_dtype(result, call):
    assert result.shape == (call["X"].shape[0],), result.shape
    assert result.dtype == call["X"].dtype, f"{result.dtype} != X's {call['X'].dtype}"


def _transition(dim=4, rho=0.5):
    from tensorcnn.data import random_transition

    return random_transition(dim, rho, 0)


def _rotation(angle=0.3):
    return np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])


def _constants():
    from tensorcnn.bounds import bound_constants

    return bound_constants(spec())


def _tucker():
    from tensorcnn.compressed import random_tucker_stack

    return random_tucker_stack((2, 2), 2, (2, 1, 2), 0)


def _cp():
    from tensorcnn.compressed import random_cp_stack

    return random_cp_stack((2, 2), 2, 2, 0)


def _setting(**kw):
    base = dict(name="F1", input_shape=(6, 5), kernel_shape=(2, 2), pool_shape=(2, 2),
                n_kernels=1)
    return {**base, **kw}


WRONG_SPEC = [Bad("spec", names="spec"), Bad(None, names="spec")]
BAD_INT = [0, -1, 2.5, "3", True, None]
BAD_COUNT = [-1, 2.5, "3", None]
BAD_SHAPE = [(), (0, 2), (2.5, 2), "ab", None, (-1, 3)]
BAD_RNG = [-1, "seed", 1.5]
BAD_ARRAY = [np.full((3, 6, 5), np.nan), "x", np.ones((3, 6, 5), complex), np.ones((3, 5, 6))]
NOT_STATIONARY = [_rotation(), np.eye(2), 1.0001 * _rotation(), np.ones((2, 2), complex) * 0.1,
                  np.array([[0.5, np.nan], [0, 0.5]]), np.ones((2, 3)) * 0.1, "phi",
                  np.zeros((0, 0))]

ENTRIES = [
    # -- cnn ---------------------------------------------------------------------
    Entry("tensorcnn.cnn.spec.CNNSpec",
          base=lambda: dict(input_shape=(6, 5), kernel_shape=(2, 2), pool_shape=(2, 2),
                            n_kernels=2),
          bad=dict(input_shape=BAD_SHAPE + [(1, 1)], kernel_shape=BAD_SHAPE + [(7, 2)],
                   pool_shape=BAD_SHAPE + [(6, 2)], n_kernels=BAD_INT,
                   stride=[0, -1, 1.5, (1, 1, 1)], padding=[-1, 0.5, (1, 1, 1)],
                   pool_stride=[0, -2, 1.5]),
          valid=specs().map(lambda s: dict(input_shape=s.input_shape,
                                           kernel_shape=s.kernel_shape,
                                           pool_shape=s.pool_shape, n_kernels=s.n_kernels)),
          check=instance(CNNSpec)),
    Entry("tensorcnn.cnn.spec.CNNSpec.forward",
          call=lambda spec, X, A, B: spec.forward(X, A, B),
          base=lambda: dict(spec=spec(), **weights(spec())),
          bad=dict(X=BAD_ARRAY + [np.ones((3, 6, 5), np.float16), np.ones((6, 5))],
                   A=[np.ones((2, 2, 2), np.float32), np.ones((2, 2, 3)), np.full((2, 2, 2), INF),
                      "A", [[1, 2]]],
                   B=[np.ones((2, 2, 2), np.float32), np.ones((1, 2, 2)), np.full((2, 2, 2), NAN)]),
          valid=forward_calls(), check=_forward_dtype),
    Entry("tensorcnn.cnn.spec.CNNSpec.forward[torch]",
          call=lambda spec, X, A, B: spec.forward(*_torch(X, A, B)),
          base=lambda: dict(spec=spec(), **weights(spec())),
          bad=dict(A=[np.ones((2, 2, 2), np.float32)], B=[np.ones((2, 2, 2), np.float32)])),
    Entry("tensorcnn.cnn.spec.CNNSpec.design",
          call=lambda spec, X: spec.design(X),
          base=lambda: dict(spec=spec(), X=weights(spec())["X"]),
          bad=dict(X=BAD_ARRAY),
          check=shape(lambda c: (c["X"].shape[0], *c["spec"].weight_shape))),
    Entry("tensorcnn.cnn.spec.CNNSpec.composite_weight",
          call=lambda spec, A, B: spec.composite_weight(A, B),
          base=lambda: {k: v for k, v in dict(spec=spec(), **weights(spec())).items() if k != "X"},
          bad=dict(A=[np.ones((2, 3, 2)), "A", np.full((2, 2, 2), NAN)],
                   B=[np.ones((2, 2, 2), np.float32), np.ones((2, 1, 2))]),
          check=shape((6, 5))),
    Entry("tensorcnn.cnn.spec.CNNSpec.design_matrix",
          call=lambda spec, max_entries: spec.design_matrix(max_entries),
          base=lambda: dict(spec=spec(), max_entries=10_000),
          bad=dict(max_entries=[0, -1, 1.5, 10]),
          check=shape(lambda c: (30, math.prod(c["spec"].weight_shape)))),
    Entry("tensorcnn.cnn.deep.DeepCNNSpec",
          base=lambda: dict(input_shape=(9, 8),
                            stages=[ConvPoolStage((2, 2), (2, 2), 2)]),
          bad=dict(input_shape=BAD_SHAPE, stages=[[], "stage", [1], None,
                                                  [ConvPoolStage((9, 9), (2, 2))]]),
          check=instance(DeepCNNSpec)),
    Entry("tensorcnn.cnn.deep.DeepCNNSpec.forward",
          call=lambda spec, X, kernels, B: spec.forward(X, kernels, B),
          base=lambda: dict(spec=deep(), **deep_weights(deep())),
          bad=dict(X=[np.ones((2, 8, 9)), np.full((2, 9, 8), NAN), "X"],
                   kernels=[[], "k", [np.ones((2, 1, 2, 2))], None],
                   B=[np.ones((2, 2)), np.ones((1, 3, 3), np.float32)]),
          check=shape(lambda c: (c["X"].shape[0],))),
    Entry("tensorcnn.cnn.deep.ConvPoolStage",
          base=lambda: dict(kernel_shape=(2, 2), pool_shape=(2, 2), n_kernels=2),
          bad=dict(kernel_shape=BAD_SHAPE, pool_shape=BAD_SHAPE, n_kernels=BAD_INT,
                   stride=[0, 1.5], padding=[-1], pool_stride=[0]),
          check=instance(ConvPoolStage)),
    Entry("tensorcnn.cnn.geometry.StageGeometry",
          base=lambda: dict(input_shape=(6,), kernel_shape=(2,), stride=(1,), padding=(0,),
                            pool_shape=(2,), pool_stride=(2,), conv_shape=(5,), pooled_shape=(2,)),
          bad=dict(input_shape=[(0,), "a"], conv_shape=[(4,)], pooled_shape=[(3,)]),
          xfail_valid=None),
    Entry("tensorcnn.cnn.geometry.conv_output_size",
          base=lambda: dict(size=6, kernel=2, stride=1, padding=0),
          bad=dict(size=BAD_INT, kernel=BAD_INT + [8], stride=BAD_INT, padding=BAD_COUNT),
          valid=st.builds(lambda s, k, st_, p: dict(size=s, kernel=k, stride=st_, padding=p),
                          st.integers(3, 20), st.integers(1, 3), st.integers(1, 3),
                          st.integers(0, 2)),
          check=lambda r, c: (isinstance(r, int) and r ==
                              (c["size"] + 2 * c["padding"] - c["kernel"]) // c["stride"] + 1)
          or (_ for _ in ()).throw(AssertionError(f"{r} for {c}"))),
    Entry("tensorcnn.cnn.geometry.conv_positioning_matrices",
          base=lambda: dict(size=6, kernel=2, stride=1, padding=0),
          bad=dict(size=BAD_INT, kernel=BAD_INT + [7], stride=BAD_INT, padding=BAD_COUNT),
          check=shape((5, 6, 2))),
    Entry("tensorcnn.cnn.geometry.pool_output_size",
          base=lambda: dict(size=6, window=2, stride=2),
          bad=dict(size=BAD_INT, window=BAD_INT + [7], stride=BAD_INT)),
    Entry("tensorcnn.cnn.geometry.pooled_positioning_factor",
          base=lambda: dict(size=6, kernel=2, stride=1, padding=0, pool=2, pool_stride=2),
          bad=dict(size=BAD_INT, kernel=BAD_INT, stride=BAD_INT, padding=BAD_COUNT,
                   pool=BAD_INT + [6], pool_stride=BAD_INT),
          check=shape((6, 4))),
    Entry("tensorcnn.cnn.geometry.normalize_shape",
          base=lambda: dict(value=(2, 3), name="shape"),
          bad=dict(value=[Bad(v, names="shape") for v in BAD_SHAPE],
                   n_modes=[Bad(3, names="shape"), Bad(-1, names="n_modes")],
                   minimum=[Bad(5, names="shape")])),
    Entry("tensorcnn.cnn.geometry.normalize_per_mode",
          base=lambda: dict(value=1, name="stride", n_modes=2, minimum=1),
          bad=dict(value=[Bad(v, names="stride") for v in (0, 1.5, (1, 1, 1), "a")],
                   n_modes=[Bad(0, names="n_modes"), Bad(1.5, names="n_modes")])),
    Entry("tensorcnn.cnn.torch_network.network_forward",
          base=lambda: dict(spec=spec(), X=weights(spec())["X"], kernels=weights(spec())["A"],
                            B=weights(spec())["B"]),
          bad=dict(spec=WRONG_SPEC, X=[np.ones((3, 5, 6)), np.full((3, 6, 5), NAN), "X"],
                   kernels=[Bad(np.ones((2, 3, 2)), names="A"), Bad("k", names="A")],
                   B=[np.ones((2, 3, 3)), np.ones((2, 2, 2), np.float32)]),
          check=shape((3,))),
    Entry("tensorcnn.cnn._checks.check_batch",
          base=lambda: dict(X=np.ones((2, 6, 5)), input_shape=(6, 5)),
          bad=dict(X=BAD_ARRAY[:3] + [np.ones((6, 5))])),
    Entry("tensorcnn.cnn._checks.check_stack",
          base=lambda: dict(value=np.ones((2, 2)), name="A", expected=(2, 2), what="(K, l)"),
          bad=dict(value=[Bad(np.ones((2, 3)), names="A"), Bad("a", names="A"),
                          Bad(np.full((2, 2), NAN), names="A")])),
    # -- tenalg ------------------------------------------------------------------
    # The Kronecker primitives run inside the estimators' inner loops: they check types,
    # shapes and counts (cheap), not values (NaN propagates as arithmetic says: no entry).
    Entry("tensorcnn.tenalg.kron",
          base=lambda: dict(B=np.ones((2, 3)), A=np.ones((3, 2))),
          bad=dict(B=["b", np.ones((2, 3, 4))], A=["a", np.ones(3)]),
          check=shape((6, 6))),
    Entry("tensorcnn.tenalg.kron_sum",
          base=lambda: dict(B=np.ones((2, 2, 3)), A=np.ones((2, 3, 2))),
          bad=dict(B=["b", np.ones((3, 2, 3))], A=["a", np.ones((2, 3))]),
          check=shape((6, 6))),
    Entry("tensorcnn.tenalg.interleave_kron",
          base=lambda: dict(tensor=np.ones((2, 3, 4, 5)), slow_shape=(2, 3), fast_shape=(4, 5)),
          bad=dict(tensor=["t", np.ones((2, 3, 4))], slow_shape=[(2,), (3, 2), "ab"],
                   fast_shape=[(4,), (5, 4)], n_lead=[-1, 1.5, 1]),
          check=shape((8, 15))),
    Entry("tensorcnn.tenalg.deinterleave_kron",
          base=lambda: dict(tensor=np.ones((8, 15)), slow_shape=(2, 3), fast_shape=(4, 5)),
          bad=dict(tensor=["t", np.ones((8, 14))], slow_shape=[(2,), (3, 3)],
                   fast_shape=[(5, 4)], n_lead=[-1, 1.5, 1]),
          check=shape((2, 3, 4, 5))),
    Entry("tensorcnn.tenalg.kron_to_matrix",
          base=lambda: dict(W=np.ones((8, 15)), slow_shape=(2, 3), fast_shape=(4, 5)),
          bad=dict(W=["w", np.ones((8, 14))], slow_shape=[(2,), (3, 3)], fast_shape=[(5, 4)]),
          check=shape((6, 20))),
    Entry("tensorcnn.tenalg.mode_products",
          base=lambda: dict(tensor=np.ones((2, 3, 4)), matrices=[np.ones((5, 3)), np.ones((2, 4))]),
          bad=dict(tensor=["t", np.ones((2, 4, 3))],
                   matrices=[[np.ones((5, 3))], "m", [np.ones((5, 2)), np.ones((2, 4))]],
                   n_lead=[-1, 1.5, 5]),
          check=shape((2, 5, 2))),
    # -- _backend / _validation -----------------------------------------------------
    Entry("tensorcnn._backend.as_array",
          base=lambda: dict(value=[1.0, 2.0], name="v"),
          bad=dict(value=[Bad("s", names="v"), Bad([1, NAN], names="v"),
                          Bad(np.ones(2, complex), names="v"), Bad([[1], [1, 2]], names="v")]),
          check=shape((2,))),
    Entry("tensorcnn._backend.backend_of", base=lambda: dict(array=np.ones(2))),
    Entry("tensorcnn._backend.is_torch", base=lambda: dict(array=np.ones(2))),
    Entry("tensorcnn._backend.like", base=lambda: dict(values=np.ones(2), reference=np.ones(3)),
          check=shape((2,))),
    Entry("tensorcnn._backend.on_backend_of",
          call=lambda array: _enter(__import__("tensorcnn._backend", fromlist=["x"])
                                    .on_backend_of(array)),
          base=lambda: dict(array=np.ones(2))),
    Entry("tensorcnn._backend.to_numpy", base=lambda: dict(array=[1.0, 2.0]), check=shape((2,))),
    Entry("tensorcnn._validation.check_int", base=lambda: dict(value=3, name="k"),
          bad=dict(value=[Bad(v, names="k") for v in (0, -1, 2.0, "3", True, None, np.nan)])),
    Entry("tensorcnn._validation.check_finite", base=lambda: dict(value=3.5, name="x"),
          bad=dict(value=[Bad(v, names="x") for v in (NAN, INF, -INF, "3", True, None, 1j)])),
    Entry("tensorcnn._validation.check_positive", base=lambda: dict(value=0.5, name="x"),
          bad=dict(value=[Bad(v, names="x") for v in (0, -1.0, NAN, INF, "1", False)])),
    Entry("tensorcnn._validation.check_nonnegative", base=lambda: dict(value=0.0, name="x"),
          bad=dict(value=[Bad(v, names="x") for v in (-1e-300, NAN, INF, "1", True)])),
    Entry("tensorcnn._validation.check_bool", base=lambda: dict(value=True, name="flag"),
          bad=dict(value=[Bad(v, names="flag") for v in ("yes", "", 0, 1, 1.0, None, [True])]),
          check=lambda r, c: None if r is True else (_ for _ in ()).throw(AssertionError(r))),
    Entry("tensorcnn._validation.as_generator", base=lambda: dict(rng=3),
          bad=dict(rng=[-1, 1.5, "seed", True]),
          check=instance(np.random.Generator)),
    # -- compressed ----------------------------------------------------------------
    Entry("tensorcnn.compressed.counts.check_tucker_ranks",
          base=lambda: dict(ranks=(2, 1, 2), kernel_shape=(2, 2), n_kernels=2),
          bad=dict(ranks=[(3, 1, 2), (2, 1), (0, 1, 1), (2, 1, 3), (1.5, 1, 1), "abc"],
                   kernel_shape=BAD_SHAPE[:4], n_kernels=[0, 1.5, -1])),
    Entry("tensorcnn.compressed.counts.check_cp_rank", base=lambda: dict(rank=2),
          bad=dict(rank=BAD_INT)),
    Entry("tensorcnn.compressed.counts.tucker_n_params",
          base=lambda: dict(kernel_shape=(2, 2), pooled_shape=(2, 2), ranks=(2, 1, 2)),
          bad=dict(kernel_shape=BAD_SHAPE[:4], pooled_shape=BAD_SHAPE[:4] + [(2,)],
                   ranks=[(3, 1, 2), (1, 1), "r"],
                   n_kernels=[0, Bad(1, names="number of kernels")]),
          check=lambda r, c: None if isinstance(r, int) and r > 0 else (_ for _ in ()).throw(
              AssertionError(r))),
    Entry("tensorcnn.compressed.counts.cp_n_params",
          base=lambda: dict(kernel_shape=(2, 2), pooled_shape=(2, 2), rank=2),
          bad=dict(kernel_shape=BAD_SHAPE[:4], pooled_shape=BAD_SHAPE[:4] + [(2,)], rank=BAD_INT)),
    Entry("tensorcnn.compressed.counts.cp_n_free_params",
          base=lambda: dict(kernel_shape=(2, 2), pooled_shape=(2, 2), rank=2),
          bad=dict(kernel_shape=BAD_SHAPE[:4], pooled_shape=BAD_SHAPE[:4] + [(2,)], rank=BAD_INT)),
    Entry("tensorcnn.compressed.kernels.orthonormal_columns",
          base=lambda: dict(n_rows=4, n_columns=2, rng=0),
          bad=dict(n_rows=BAD_INT, n_columns=BAD_INT + [5], rng=BAD_RNG + [None]),
          check=lambda r, c: np.testing.assert_allclose(r.T @ r, np.eye(c["n_columns"]),
                                                        atol=1e-12)),
    Entry("tensorcnn.compressed.kernels.random_tucker_stack",
          base=lambda: dict(kernel_shape=(2, 2), n_kernels=2, ranks=(2, 1, 2), rng=0),
          bad=dict(kernel_shape=BAD_SHAPE[:4], n_kernels=BAD_INT, ranks=[(3, 1, 2), (2, 1)],
                   rng=BAD_RNG)),
    Entry("tensorcnn.compressed.kernels.random_cp_stack",
          base=lambda: dict(kernel_shape=(2, 2), n_kernels=2, rank=2, rng=0),
          bad=dict(kernel_shape=BAD_SHAPE[:4], n_kernels=BAD_INT, rank=BAD_INT, rng=BAD_RNG,
                   orthonormal=["yes", None])),
    Entry("tensorcnn.compressed.kernels.check_stacked", base=lambda: dict(stacked=_tucker()),
          bad=dict(stacked=["s", None, np.ones((2, 2)), (np.ones((2, 2)), [np.ones((2, 2))])])),
    Entry("tensorcnn.compressed.kernels.stacked_rank", base=lambda: dict(stacked=_cp()),
          bad=dict(stacked=["s", None, np.ones(3)])),
    Entry("tensorcnn.compressed.kernels.kr_ratio", base=lambda: dict(stacked=_tucker()),
          bad=dict(stacked=["s", None])),
    Entry("tensorcnn.compressed.kernels.unstack_kernels", base=lambda: dict(stacked=_tucker()),
          bad=dict(stacked=["s", None]), check=shape((2, 2, 2))),
    Entry("tensorcnn.compressed.kernels.compressed_composite_weight",
          base=lambda: dict(spec=spec(), stacked=_tucker(), B=np.ones((2, 2, 2))),
          bad=dict(spec=WRONG_SPEC, stacked=["s", None], B=[np.ones((3, 3, 3)), "B",
                                                           np.full((2, 2, 2), NAN)]),
          check=shape((6, 5))),
    Entry("tensorcnn.compressed.equivalent.equivalent_kernels",
          base=lambda: dict(stacked=_tucker(), B=np.ones((2, 2, 2))),
          bad=dict(stacked=["s", None], B=[np.ones((3, 2, 2)), "B", np.full((2, 2, 2), INF)])),
    # -- data ----------------------------------------------------------------------
    Entry("tensorcnn.data.inputs.iid_inputs",
          base=lambda: dict(n_samples=3, input_shape=(2, 3), rng=0),
          bad=dict(n_samples=BAD_INT, input_shape=BAD_SHAPE, rng=BAD_RNG + [None]),
          check=shape((3, 2, 3), np.float64)),
    Entry("tensorcnn.data.inputs.check_transition", base=lambda: dict(transition=_transition()),
          bad=dict(transition=NOT_STATIONARY, dim=[Bad(3, names="transition")])),
    Entry("tensorcnn.data.inputs.random_transition",
          base=lambda: dict(dim=4, spectral_norm=0.5, rng=0),
          bad=dict(dim=BAD_INT, spectral_norm=[1.0, -0.1, NAN, "0.5", INF], rng=BAD_RNG),
          valid=st.builds(lambda d, r, s: dict(dim=d, spectral_norm=r, rng=s),
                          st.integers(1, 6), st.floats(0, 0.99), st.integers(0, 99)),
          check=lambda r, c: np.testing.assert_allclose(np.linalg.norm(r, 2),
                                                        c["spectral_norm"], atol=1e-12)),
    Entry("tensorcnn.data.inputs.var1_inputs",
          base=lambda: dict(n_samples=5, input_shape=(2, 2), transition=_transition(), rng=0),
          bad=dict(n_samples=BAD_INT, input_shape=BAD_SHAPE, rng=BAD_RNG + [None],
                   burn_in=BAD_COUNT,
                   transition=NOT_STATIONARY[:5] + [Bad(_transition(3), names="transition")]),
          check=shape((5, 2, 2), np.float64)),
    Entry("tensorcnn.data.inputs.var1_autocovariance",
          base=lambda: dict(transition=_transition(), lag=1),
          bad=dict(transition=NOT_STATIONARY, lag=BAD_COUNT),
          check=shape((4, 4))),
    Entry("tensorcnn.data.models.model_kind", base=lambda: dict(name="cp"),
          bad=dict(name=[Bad(v, names="model") for v in ("CP ", "", None, 3, "svd")])),
    Entry("tensorcnn.data.models.RankModel", base=lambda: {}),
    Entry("tensorcnn.data.models.TuckerModel", base=lambda: {}),
    Entry("tensorcnn.data.models.CPModel", base=lambda: {}),
    Entry("tensorcnn.data.presets.Setting", base=_setting,
          bad=dict(name=["", "a/b", "a\\b", " ", 3, None], noise_sd=[INF, -1.0, NAN, "1"],
                   spectral_norm=[1.0, NAN, -0.5], inputs=["IID", None], task=["regress"],
                   model=["svd", None], n_kernels=BAD_INT, input_shape=BAD_SHAPE,
                   unit_norm=["yes"])),
    Entry("tensorcnn.data.presets.Setting[tucker]",
          call=lambda **kw: __import__("tensorcnn.data", fromlist=["x"]).Setting(**kw),
          base=lambda: _setting(model="tucker", ranks=(2, 1, 1)),
          bad=dict(ranks=[Bad(v, names="ranks") for v in ((3, 1, 1), (2, 1), None, "r")])),
    Entry("tensorcnn.data.presets.preset", base=lambda: dict(name="S1-var1"),
          bad=dict(name=["S9", "", None, 1, "S1-var2"])),
    Entry("tensorcnn.data.presets.theorem1_settings", base=lambda: dict(inputs="var1"),
          bad=dict(inputs=["both", None, 1])),
    Entry("tensorcnn.data.presets.theorem2_settings", base=lambda: {}),
    Entry("tensorcnn.data.presets.cp_study_settings",
          base=lambda: dict(kernels=(2, 3), rank=2, input_shape=(8, 8), kernel_shape=(3, 3),
                            pool_shape=(2, 2)),
          bad=dict(kernels=[(), (0,), (2.5,), "ab", None], rank=BAD_INT,
                   input_shape=BAD_SHAPE[:4], kernel_shape=[(9, 9)], pool_shape=[(0, 1)])),
    Entry("tensorcnn.data.weights.plain_weights", base=lambda: dict(spec=spec(), rng=0),
          bad=dict(spec=WRONG_SPEC, rng=BAD_RNG + [None])),
    Entry("tensorcnn.data.weights.tucker_weights",
          base=lambda: dict(spec=spec(), ranks=(2, 1, 2), rng=0),
          bad=dict(spec=WRONG_SPEC, ranks=[(3, 1, 2), (1, 1), "r"], rng=BAD_RNG)),
    Entry("tensorcnn.data.weights.cp_weights", base=lambda: dict(spec=spec(), rank=2, rng=0),
          bad=dict(spec=WRONG_SPEC, rank=BAD_INT, rng=BAD_RNG, unit_norm=["no"])),
    Entry("tensorcnn.data.weights.TrueWeights",
          base=lambda: dict(A=np.ones((1, 2)), B=np.ones((1, 2)), W=np.ones((4,)))),
    # -- bounds --------------------------------------------------------------------
    Entry("tensorcnn.bounds.theorems.input_bounds", base=lambda: dict(transition=_transition()),
          bad=dict(transition=NOT_STATIONARY, n_freq=[1, 0, 2.5, "33", None]),
          valid=st.builds(lambda r, n: dict(transition=_rotation() * r, n_freq=n),
                          st.floats(0, 0.999), st.integers(2, 40)),
          check=lambda r, c: None if 0 < r[0] <= r[1] < INF else (_ for _ in ()).throw(
              AssertionError(f"c_x, C_x = {r}"))),
    Entry("tensorcnn.bounds.theorems.design_bounds", base=lambda: dict(spec=spec()),
          bad=dict(spec=WRONG_SPEC + [Bad(deep(), names="spec")])),
    Entry("tensorcnn.bounds.theorems.tucker_constant", base=lambda: dict(n_modes=3),
          bad=dict(n_modes=[0, -1, 2.5, "3", True, None]),
          check=lambda r, c: np.testing.assert_allclose(r, 2 ** 4 * math.log(5))),
    Entry("tensorcnn.bounds.theorems.bound_constants",
          base=lambda: dict(spec=spec(), transition=np.eye(30) * 0.5),
          bad=dict(spec=WRONG_SPEC, transition=[Bad(_transition(4), names="transition"),
                                                *NOT_STATIONARY[:4]],
                   compressed=["yes", 1], n_freq=[1, 2.5])),
    Entry("tensorcnn.bounds.theorems.error_bound",
          base=lambda: dict(constants=_constants(), n_params=10, n_samples=np.array([20, 40])),
          bad=dict(constants=[None, "c", {}], n_params=[0, -3, 2.5, None],
                   n_samples=[0, -5, NAN, np.array([10, 0]), np.array([INF]), "100",
                              np.array([NAN, 4.0])],
                   noise_sd=[-1, NAN, INF, "1"], delta=[-1, NAN, INF]),
          valid=st.builds(lambda n, s: dict(constants=_constants(), n_params=10,
                                            n_samples=np.array(n), noise_sd=s),
                          st.lists(st.integers(1, 10**6), min_size=0, max_size=4),
                          st.floats(0, 10)),
          check=lambda r, c: None if r.shape == c["n_samples"].shape and (r >= 0).all() else
          (_ for _ in ()).throw(AssertionError(r))),
    Entry("tensorcnn.bounds.theorems.BoundConstants",
          call=lambda: _constants(), base=lambda: {}),
    # -- simulation.summary / grid -----------------------------------------------------
    Entry("tensorcnn.simulation.grid.sample_sizes",
          base=lambda: dict(n_params=50, n_points=4),
          bad=dict(n_params=BAD_INT, n_points=[1, 0, 2.5, "4"], low=[0, -0.1, 0.7, NAN, "a"],
                   high=[1.0, 0.1, INF, NAN])),
    Entry("tensorcnn.simulation.summary.linear_fit",
          base=lambda: dict(x=[0.1, 0.2, 0.3], y=[1.0, 2.0, 2.9]),
          bad=dict(x=[[0.1], [NAN, 0.2, 0.3], [0.2, 0.2, 0.2], [0.1, 0.2], "abc", [[0.1, 0.2]]],
                   y=[[1.0], [1.0, INF, 2.0], [1.0, 2.0], ["a", "b", "c"]]),
          valid=st.integers(2, 8).flatmap(lambda m: st.builds(
              lambda y: dict(x=np.arange(m) / m, y=y),
              st.lists(st.floats(-1e3, 1e3), min_size=m, max_size=m)))),
    Entry("tensorcnn.simulation.summary.summarize",
          base=lambda: dict(rows=_rows(), settings=[_setting_obj()], seed=0, with_bounds=True),
          bad=dict(rows=[[], [{"setting": "other"}]], settings=[[], ["S1"]])),
]


def _torch(*arrays):
    import torch

    return [torch.from_numpy(np.asarray(a)) for a in arrays]


def _enter(context):
    with context:
        return None


def _setting_obj():
    from tensorcnn.data import Setting

    return Setting(**_setting())


def _rows():
    rows = []
    for n, err in ((40, 1.0), (80, 0.7)):
        for rep in range(2):
            rows.append(dict(setting="F1", n=n, x=(10 / n) ** 0.5, error=err + 0.01 * rep,
                             solver="als", error_identified=err, prediction_error=err,
                             fit_seconds=0.1, cpu_seconds=0.1, converged=True))
    return rows


EXEMPT = [
    Exempt("tensorcnn.__version__", CONSTANT),
    Exempt("tensorcnn._validation.ConvergenceWarning", EXCEPTION),
    Exempt("tensorcnn.data.BURN_IN", CONSTANT),
    Exempt("tensorcnn.data.CP_STUDY_KERNELS", CONSTANT),
    Exempt("tensorcnn.data.PAPER_SETTINGS", CONSTANT + " (its Settings are built, and "
           "so validated, at import)"),
    Exempt("tensorcnn.data.MODEL_KINDS", CONSTANT),
    Exempt("tensorcnn.data.models.ModelKind", "abstract base of the model kinds; the concrete "
           "kinds are fuzzed",
           "tests/fuzz/test_fuzz.py::test_accepts[tensorcnn.data.models.CPModel]"),
]


def _cli(argv):
    """``tensorcnn.cli.main`` on an argument list: the exit code, or the CLIError's message
    re-raised as ValueError (a refusal: one line on stderr, exit code 2)."""
    import contextlib
    import io

    from tensorcnn.cli import main

    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            return main(list(argv))
    except SystemExit as exit_:
        lines = err.getvalue().strip().splitlines()
        if exit_.code == 2 and len(lines) == 1 and "Traceback" not in err.getvalue():
            raise ValueError(lines[0]) from None
        raise RuntimeError(f"exit {exit_.code}, stderr: {err.getvalue()!r}") from None


ENTRIES += [
    Entry("tensorcnn.cli.main", call=lambda argv: _cli(argv),
          base=lambda: dict(argv=["count", "bottleneck", "--in-channels", "8", "--rank", "4",
                                  "--out-channels", "8", "--input-size", "4"]),
          bad=dict(argv=[Bad(["count", "bottleneck", "--rank", "0"], names="error"),
                         Bad(["count", "bottleneck", "--rank", "x"], names="--rank"),
                         Bad(["audit", "vgg1000"], names="unknown model"),
                         Bad(["nosuchcommand"], names="invalid choice"),
                         Bad(["demo", "--n", "0"], names="--n")])),
]
