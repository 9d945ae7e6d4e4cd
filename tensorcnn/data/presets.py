r"""The paper's simulation settings as named presets (003 Table 1, §4.1, App. A.5.1).

=======  ==============  =============  =============  ===============  ===  ===========
name     input d         kernel l       pooling q      Tucker ranks     K    fitted model
=======  ==============  =============  =============  ===============  ===  ===========
S1       (7, 5, 7)       (2, 2, 2)      (3, 2, 3)      –                1    rank-K LS
S2       (7, 5, 7)       (2, 2, 2)      (3, 2, 3)      –                3    rank-K LS
S3       (8, 8, 3)       (3, 3, 3)      (3, 3, 1)      –                1    rank-K LS
S4       (8, 8, 3)       (3, 3, 3)      (3, 3, 1)      –                3    rank-K LS
T1       (10, 10, 8, 3)  (5, 5, 3, 3)   (3, 3, 3, 1)   (2, 2, 2, 3, 1)  2    Tucker LS
T2       (10, 10, 8, 3)  (5, 5, 3, 3)   (3, 3, 3, 1)   (2, 2, 2, 3, 1)  3    Tucker LS
T3       (12, 12, 6, 3)  (7, 7, 3, 3)   (3, 3, 2, 1)   (2, 3, 2, 3, 1)  2    Tucker LS
T4       (12, 12, 6, 3)  (7, 7, 3, 3)   (3, 3, 2, 1)   (2, 3, 2, 3, 1)  3    Tucker LS
=======  ==============  =============  =============  ===============  ===  ===========

**The 4th input mode of T1–T4.** 003 Table 1 gives 4-mode inputs (…, 3) but 3-mode kernels
and 4 Tucker ranks (R_1, R_2, R_3, R_{N+1}). We read the last input mode as 3 *channels*
that every kernel spans fully, as in an ordinary multi-channel convolution: the kernel gets
a 4th mode of size 3 (no pooling, p_4 = 1), and the stacked kernel A_stack ∈ R^{l_1×l_2×l_3
×3×K} is left uncompressed along it (Tucker rank 3, an orthogonal 3 × 3 factor). The ranks
of the fitted model are therefore (R_1, R_2, R_3, 3, R_{N+1}) and the x-axis uses
d_M^TU of exactly that model (``Setting.n_params``), e.g. 67 for T1 instead of the 42 that
the 3-mode count gives.

Theorem 1 settings come with ``inputs="iid"`` (Fig. 3 (1)) or ``"var1"`` (Fig. 3 (2));
:func:`preset` takes a suffix: ``"S1"`` is iid, ``"S1-var1"`` the VAR(1) version.

The CP K-efficiency study (App. A.5.1, Fig. 7 (2)) is :func:`cp_study_settings`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from .._validation import check_finite, check_int, check_nonnegative
from ..cnn import CNNSpec
from .inputs import check_transition, iid_inputs, random_transition, var1_inputs
from .models import ModelKind, model_kind
from .weights import TrueWeights, plain_weights

__all__ = [
    "CP_STUDY_KERNELS",
    "PAPER_SETTINGS",
    "Setting",
    "cp_study_settings",
    "preset",
    "theorem1_settings",
    "theorem2_settings",
]

_INPUTS = ("iid", "var1")
#: Field metadata of the fields added after the paper's presets: a hash of the setting
#: leaves them out while they are at their default (old checkpoints stay valid).
_LATER = {"omit_from_hash_at_default": True}


@dataclass(frozen=True)
class Setting:
    """One simulation setting: architecture, true model, fitted model and input process.

    Parameters
    ----------
    name : str
    input_shape, kernel_shape, pool_shape : tuples of N ints
        d, l, q of the CNN.
    n_kernels : int
        K of the true network.
    model : {"rank", "tucker", "cp"}
        True model and fitted model: plain kernels with rank-K least squares (Theorem 1),
        Tucker-constrained (Theorem 2) or CP-constrained; the name of a kind in
        :data:`~tensorcnn.data.MODEL_KINDS` (``Setting.kind``).
    ranks : tuple of ints, optional
        Tucker ranks (R_1, …, R_{N+1}) of A_stack, or ``(R,)``, the CP rank of the truth.
    fit_rank : int, optional
        CP model only: the number R_fit of rank-one kernels of the fitted model (defaults to
        the true CP rank).
    inputs : {"iid", "var1"}
    spectral_norm : float, default 0.5
        ‖Φ‖_2 of the random VAR(1) transition.
    unit_norm : bool, default False
        Scale the true W to unit Frobenius norm (the CP study).
    noise_sd : float, default 1.0
        σ of the Gaussian noise ξ_i.
    task : {"regression", "classification"}, default "regression"
        Classification: binary labels y_i ~ Bernoulli(σ(⟨Z_i, W*⟩)) (003 App. A.4, Theorem
        3), fitted by logistic maximum likelihood (plain kernels only); the true weights are
        scaled so that ‖W*_X‖_F = 1 (unit logit variance for iid inputs).
    stride : int or tuple of N ints, default 1
        s_c, the convolution stride (as :class:`~tensorcnn.cnn.CNNSpec`).
    padding : int or tuple of N ints, default 0
        π, zero padding on each side of each mode.
    pool_stride : int or tuple of N ints, optional
        s_p; defaults to the pooling window (non-overlapping pooling).
    transition : tuple of d tuples of d floats, optional
        A fixed VAR(1) transition Φ (d = Π d_j, spectral radius < 1) instead of the random
        one of norm ``spectral_norm``; VAR(1) inputs only.

    The last four fields were added after the paper's presets; at their defaults they are
    left out of :func:`~tensorcnn.simulation.replication.setting_hash` (their ``metadata``
    says so), so the presets' hashes, and the checkpoints that carry them, do not change.
    """

    name: str
    input_shape: tuple[int, ...]
    kernel_shape: tuple[int, ...]
    pool_shape: tuple[int, ...]
    n_kernels: int
    model: str = "rank"
    ranks: tuple[int, ...] | None = None
    fit_rank: int | None = None
    inputs: str = "iid"
    spectral_norm: float = 0.5
    unit_norm: bool = False
    noise_sd: float = 1.0
    task: str = "regression"
    stride: int | tuple[int, ...] = field(default=1, metadata=_LATER)
    padding: int | tuple[int, ...] = field(default=0, metadata=_LATER)
    pool_stride: int | tuple[int, ...] | None = field(default=None, metadata=_LATER)
    transition: tuple[tuple[float, ...], ...] | None = field(default=None, repr=False,
                                                             metadata=_LATER)
    spec: CNNSpec = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a str, got {self.name!r}")
        if not self.name.strip() or any(c in self.name for c in '/\\\0') \
                or self.name != self.name.strip():
            raise ValueError("name must be a non-empty string without slashes, NUL or "
                             f"surrounding spaces (it names files), got {self.name!r}")
        kind = model_kind(self.model)
        if self.inputs not in _INPUTS:
            raise ValueError(f"inputs must be one of {_INPUTS}, got {self.inputs!r}")
        check_finite(self.spectral_norm, "spectral_norm")
        if not 0.0 <= self.spectral_norm < 1.0:
            raise ValueError(f"spectral_norm must be in [0, 1), got {self.spectral_norm!r}")
        if self.task not in ("regression", "classification"):
            raise ValueError(f"task must be 'regression' or 'classification', got {self.task!r}")
        if self.task == "classification" and not kind.classification:
            raise ValueError("classification settings use plain kernels (model='rank')")
        check_nonnegative(self.noise_sd, "noise_sd")
        if not isinstance(self.unit_norm, bool | np.bool_):
            raise TypeError(f"unit_norm must be a bool, got {self.unit_norm!r}")
        spec = CNNSpec(self.input_shape, self.kernel_shape, self.pool_shape, self.n_kernels,
                       stride=self.stride, padding=self.padding, pool_stride=self.pool_stride)
        object.__setattr__(self, "spec", spec)
        if self.transition is not None:
            if self.inputs != "var1":
                raise ValueError("transition is the VAR(1) matrix Phi: it needs inputs='var1'")
            check_transition(np.asarray(self.transition, dtype=float), self.input_dim)
        kind.check(self)

    @property
    def kind(self) -> ModelKind:
        """The model kind object of ``model`` (:data:`~tensorcnn.data.MODEL_KINDS`)."""
        return model_kind(self.model)

    @property
    def fitted_rank(self) -> int:
        """Number of (equivalent) kernels of the fitted model: K, R_{N+1} or R_fit."""
        return self.kind.fitted_rank(self)

    @property
    def n_params(self) -> int:
        """d_M of the fitted model: K(P + L + 1), d_M^TU or d_M^CP (003 §2.3, §3)."""
        return self.kind.n_params(self)

    @property
    def n_free_params(self) -> int:
        """Parameters the fitted model actually has (the CP count with a diagonal core)."""
        return self.kind.n_free_params(self)

    @property
    def input_dim(self) -> int:
        """d = Π d_j, the length of the VAR(1) vectors x_t."""
        return math.prod(self.input_shape)

    def with_inputs(self, inputs: str, name: str | None = None) -> Setting:
        """The same setting with another input process."""
        return replace(self, inputs=inputs, name=name or self.name)

    def as_classification(self, name: str | None = None) -> Setting:
        """The same architecture with binary logistic labels (003 App. A.4)."""
        return replace(self, task="classification", name=name or f"{self.name}-logit")

    def draw_weights(self, rng: np.random.Generator | int) -> TrueWeights:
        """True weights of this setting (see :mod:`tensorcnn.data.weights`)."""
        if self.task == "classification":
            # Var⟨X_i, W*_X⟩ = ‖W*_X‖² = 1 for iid inputs: with N(0, 1) weights the logits
            # would be ~10, the labels nearly deterministic and the MLE would not exist
            truth = plain_weights(self.spec, rng)
            scale = float(np.linalg.norm(self.spec.composite_weight(truth.A, truth.B)))
            return TrueWeights(truth.A, truth.B / scale, truth.W / scale)
        return self.kind.draw_weights(self, rng)

    def draw_transition(self, rng: np.random.Generator | int) -> np.ndarray | None:
        """The VAR(1) transition Φ (d × d): ``transition`` if given, else a random one with
        ‖Φ‖_2 = ``spectral_norm``; None for iid inputs."""
        if self.inputs == "iid":
            return None
        if self.transition is not None:
            return np.array(self.transition, dtype=float)
        return random_transition(self.input_dim, self.spectral_norm, rng)

    def draw_inputs(self, n_samples: int, rng: np.random.Generator | int,
                    transition: np.ndarray | None = None) -> np.ndarray:
        """n_samples inputs (n_samples, *input_shape): iid N(0, 1) or one VAR(1) series."""
        if self.inputs == "iid":
            return iid_inputs(n_samples, self.input_shape, rng)
        if transition is None:
            raise ValueError(f"setting {self.name} has VAR(1) inputs: pass its transition")
        return var1_inputs(n_samples, self.input_shape, transition, rng)


def _theorem1(name: str, K: int, small: bool) -> Setting:
    if small:
        return Setting(name, (7, 5, 7), (2, 2, 2), (3, 2, 3), K)
    return Setting(name, (8, 8, 3), (3, 3, 3), (3, 3, 1), K)


def _theorem2(name: str, K: int, first: bool) -> Setting:
    if first:
        return Setting(name, (10, 10, 8, 3), (5, 5, 3, 3), (3, 3, 3, 1), K, model="tucker",
                       ranks=(2, 2, 2, 3, 1))
    return Setting(name, (12, 12, 6, 3), (7, 7, 3, 3), (3, 3, 2, 1), K, model="tucker",
                   ranks=(2, 3, 2, 3, 1))


#: The eight settings of 003 Table 1 (iid inputs).
PAPER_SETTINGS: dict[str, Setting] = {
    "S1": _theorem1("S1", 1, True),
    "S2": _theorem1("S2", 3, True),
    "S3": _theorem1("S3", 1, False),
    "S4": _theorem1("S4", 3, False),
    "T1": _theorem2("T1", 2, True),
    "T2": _theorem2("T2", 3, True),
    "T3": _theorem2("T3", 2, False),
    "T4": _theorem2("T4", 3, False),
}

#: K of the CP K-efficiency study (003 App. A.5.1).
CP_STUDY_KERNELS = (8, 16, 24, 32)


def preset(name: str) -> Setting:
    """A named setting: ``S1``–``S4``, ``T1``–``T4``, or ``S1-var1`` … for VAR(1) inputs.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    """
    if not isinstance(name, str):
        raise TypeError(f"name must be a preset name (a str), got {name!r}")
    base, _, suffix = name.partition("-")
    if base not in PAPER_SETTINGS or suffix not in ("", "iid", "var1"):
        raise ValueError(
            f"unknown setting: name {name!r} is none of "
            f"{', '.join(PAPER_SETTINGS)} (append '-var1' "
            "for VAR(1) inputs)"
        )
    setting = PAPER_SETTINGS[base]
    return setting.with_inputs(suffix or "iid", name) if suffix else setting


def theorem1_settings(inputs: str = "iid") -> list[Setting]:
    """S1–S4 with iid (Fig. 3 (1)) or VAR(1) (Fig. 3 (2)) inputs."""
    if inputs not in _INPUTS:
        raise ValueError(f"inputs must be one of {_INPUTS}, got {inputs!r}")
    names = ["S1", "S2", "S3", "S4"]
    return [preset(n if inputs == "iid" else f"{n}-{inputs}") for n in names]


def theorem2_settings() -> list[Setting]:
    """T1–T4 (Fig. 3 (3))."""
    return [preset(n) for n in ("T1", "T2", "T3", "T4")]


def cp_study_settings(kernels: Sequence[int] = CP_STUDY_KERNELS, rank: int = 8,
                      input_shape: Sequence[int] = (32, 32, 16),
                      kernel_shape: Sequence[int] = (8, 8, 16),
                      pool_shape: Sequence[int] = (5, 5, 1)) -> list[Setting]:
    r"""The CP K-efficiency study (003 App. A.5.1, Fig. 7): one setting per K.

    Truth: A_stack = Σ_{r≤R} h_r^(1) ∘ h_r^(2) ∘ h_r^(3) ∘ h_r^(4) with orthonormal factor
    columns (H^(4) is K × R), B_k N(0, 1), W scaled to ‖W‖_F = 1. The defaults are the
    paper's: 32 × 32 inputs with 16 channels, 8 × 8 kernels spanning the channels, pooling
    (5, 5), R = 8, K ∈ {8, 16, 24, 32}.

    Fitted model: K rank-one kernels (a CP stacked kernel of rank K, ``fit_rank = K``), the
    network a user who does not know R builds with K kernels. By Corollary 1 a CP-rank-R
    stacked kernel with K kernels is equivalent to R rank-one kernels, so the true W lies in
    every fitted model; the fitted model grows with K, and so does the estimation error.
    (Fitting a rank-R model with K kernels would give the same W for every K: W depends on
    B and H^(4) only through B̃ = H^(4)ᵀ B; see ``docs/simulations.md``.)
    """
    if isinstance(kernels, str | bytes) or not isinstance(kernels, Sequence) or not kernels:
        raise TypeError(f"kernels must be a non-empty sequence of ints (K values), got "
                        f"{kernels!r}")
    kernels = [check_int(K, f"kernels[{i}]") for i, K in enumerate(kernels)]
    rank = check_int(rank, "rank")
    return [
        Setting(f"CP-K{K}", tuple(input_shape), tuple(kernel_shape), tuple(pool_shape), K,
                model="cp", ranks=(rank,), fit_rank=K, unit_norm=True)
        for K in kernels
    ]
