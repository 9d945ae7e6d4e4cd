r"""Model kinds of a simulation setting: what the truth is, how it is counted and fitted.

A :class:`~tensorcnn.data.Setting` names its kind by a string (``"rank"``, ``"tucker"``,
``"cp"``: what results files and experiment files carry); everything that depends on the
kind is a method of one small object in :data:`MODEL_KINDS`, so a new kind is a new class
registered there, not a new branch at every use:

=========  ==============================  ===========================  ==================
kind       true model, fitted model        d_M (x-axis)                 estimator
=========  ==============================  ===========================  ==================
rank       K plain kernels (Theorem 1)     K(P + L + 1)                 rank-K LS
tucker     Tucker A_stack, ranks R_i       d_M^TU (Theorem 2)           Tucker LS
cp         CP A_stack, rank R (R_fit)      d_M^CP (Theorem 2's count)   CP LS, R_fit terms
=========  ==============================  ===========================  ==================
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .._validation import check_int
from ..compressed import check_tucker_ranks, cp_n_free_params, cp_n_params, tucker_n_params
from .weights import TrueWeights, cp_weights, plain_weights, tucker_weights

if TYPE_CHECKING:
    from .presets import Setting

__all__ = ["MODEL_KINDS", "CPModel", "ModelKind", "RankModel", "TuckerModel", "model_kind"]


class ModelKind:
    """What a setting's model kind decides; subclasses fill in each method.

    Attributes
    ----------
    name : str
        The key in :data:`MODEL_KINDS` and the ``model`` column of results.
    compressed : bool
        Whether A_stack is compressed (the bound constants of Theorem 2 apply).
    classification : bool
        Whether logistic settings (003 App. A.4) may use this kind.
    warm_chain : bool
        Whether the fits of one replication run as a warm-start chain (largest n first).
    """

    name: str = ""
    compressed: bool = False
    classification: bool = False
    warm_chain: bool = False

    @staticmethod
    def _check_setting(setting: Any) -> None:
        """Refuse, by name, what is not a :class:`~tensorcnn.data.Setting` (every method
        reads its ``spec`` and ranks; without this an ``AttributeError`` names no one)."""
        # imported here: presets imports this module
        from .presets import Setting

        if not isinstance(setting, Setting):
            raise TypeError(f"setting must be a Setting (tensorcnn.data.preset(name) or "
                            f"tensorcnn.data.Setting(...)), got {type(setting).__name__} "
                            f"{setting!r:.60}")

    @classmethod
    def _check_estimator_args(cls, setting: Any, first_starts: Any) -> None:
        """The arguments of :meth:`make_estimator` (``rng`` is checked at fit time)."""
        cls._check_setting(setting)
        check_int(first_starts, "first_starts")

    def check(self, setting: Setting) -> None:
        """Raise ``ValueError`` if the setting's ranks do not fit this kind."""
        self._check_setting(setting)

    def fitted_rank(self, setting: Setting) -> int:
        """Number of (equivalent) kernels of the fitted model."""
        self._check_setting(setting)
        raise NotImplementedError

    def n_params(self, setting: Setting) -> int:
        """d_M of the fitted model, as the paper counts it."""
        self._check_setting(setting)
        raise NotImplementedError

    def n_free_params(self, setting: Setting) -> int:
        """Parameters the fitted model actually has (the identifiability floor of n)."""
        self._check_setting(setting)
        return self.n_params(setting)

    def draw_weights(self, setting: Setting, rng: np.random.Generator | int) -> TrueWeights:
        """A draw of the true weights."""
        self._check_setting(setting)
        raise NotImplementedError

    def make_estimator(self, setting: Setting, first_starts: int,
                       rng: np.random.Generator | int = 0) -> Any:
        """The least-squares estimator of this kind (``first_starts``: starts screened at
        the first fit of a warm-start chain; ``rng``: the source of its random starts)."""
        self._check_estimator_args(setting, first_starts)
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RankModel(ModelKind):
    """Plain kernels A_k, fitted by rank-K least squares (003 Theorem 1)."""

    name = "rank"
    classification = True

    def check(self, setting: Setting) -> None:
        self._check_setting(setting)
        for field_name in ("ranks", "fit_rank"):
            if getattr(setting, field_name) is not None:
                raise ValueError(f"{field_name} is for 'tucker'/'cp' settings; a 'rank' setting "
                                 f"takes none, got {field_name}={getattr(setting, field_name)!r}")

    def fitted_rank(self, setting: Setting) -> int:
        self._check_setting(setting)
        return setting.n_kernels

    def n_params(self, setting: Setting) -> int:
        self._check_setting(setting)
        return setting.spec.n_params

    def draw_weights(self, setting: Setting, rng: np.random.Generator | int) -> TrueWeights:
        self._check_setting(setting)
        return plain_weights(setting.spec, rng)

    def make_estimator(self, setting: Setting, first_starts: int,
                       rng: np.random.Generator | int = 0) -> Any:
        self._check_estimator_args(setting, first_starts)
        from ..estimators import RankKRegressor

        return RankKRegressor(setting.spec, rng=rng)


#: Stopping tolerance of the simulation's Tucker fits (relative decrease of f per step).
SIMULATION_TUCKER_TOL = 1e-10


class TuckerModel(ModelKind):
    """Tucker-compressed A_stack with ranks (R_1, …, R_{N+1}), Tucker least squares."""

    name = "tucker"
    compressed = True
    warm_chain = True

    def check(self, setting: Setting) -> None:
        self._check_setting(setting)
        if setting.ranks is None:
            raise ValueError("a Tucker setting needs ranks (R_1, ..., R_{N+1})")
        if setting.fit_rank is not None:
            raise ValueError(f"fit_rank is for 'cp' settings; a Tucker setting fits its ranks, "
                             f"got fit_rank={setting.fit_rank!r}")
        check_tucker_ranks(setting.ranks, setting.spec.kernel_shape, setting.spec.n_kernels)

    def fitted_rank(self, setting: Setting) -> int:
        self._check_setting(setting)
        return setting.ranks[-1]

    def n_params(self, setting: Setting) -> int:
        self._check_setting(setting)
        spec = setting.spec
        return tucker_n_params(spec.kernel_shape, spec.pooled_shape, setting.ranks)

    def draw_weights(self, setting: Setting, rng: np.random.Generator | int) -> TrueWeights:
        self._check_setting(setting)
        return tucker_weights(setting.spec, setting.ranks, rng)

    def make_estimator(self, setting: Setting, first_starts: int,
                       rng: np.random.Generator | int = 0) -> Any:
        self._check_estimator_args(setting, first_starts)
        from ..estimators import TuckerRegressor

        # tol 1e-10, not the estimator's 1e-8: at 1e-8, 22 % of the simulation's fits stop
        # more than 1e-9 (relative) above the minimum they are converging to; at 1e-10 none
        # does, for 15-25 % more CPU (benchmarks/results/tucker_tol.json)
        return TuckerRegressor(setting.spec, setting.ranks, tol=SIMULATION_TUCKER_TOL,
                               n_init=first_starts, n_screen=3, rng=rng, warm_start=True)


class CPModel(ModelKind):
    """CP-compressed A_stack of rank R; fitted with R_fit rank-one kernels (003 App. A.5.1)."""

    name = "cp"
    compressed = True

    def check(self, setting: Setting) -> None:
        self._check_setting(setting)
        spec = setting.spec
        if setting.ranks is None or len(setting.ranks) != 1:
            raise ValueError("a CP setting needs ranks=(R,), the true CP rank")
        too_small = [s for s in (*spec.kernel_shape, spec.n_kernels) if s < setting.ranks[0]]
        if too_small:
            raise ValueError(
                f"CP rank {setting.ranks[0]} exceeds a mode of A_stack "
                f"{(*spec.kernel_shape, spec.n_kernels)} (orthonormal factors need R <= "
                "every mode size)"
            )
        if setting.fit_rank is not None and setting.fit_rank < 1:
            raise ValueError(f"fit_rank must be >= 1, got {setting.fit_rank!r}")

    def fitted_rank(self, setting: Setting) -> int:
        self._check_setting(setting)
        return setting.fit_rank if setting.fit_rank is not None else setting.ranks[0]

    def n_params(self, setting: Setting) -> int:
        self._check_setting(setting)
        spec = setting.spec
        return cp_n_params(spec.kernel_shape, spec.pooled_shape, self.fitted_rank(setting))

    def n_free_params(self, setting: Setting) -> int:
        self._check_setting(setting)
        spec = setting.spec
        return cp_n_free_params(spec.kernel_shape, spec.pooled_shape, self.fitted_rank(setting))

    def draw_weights(self, setting: Setting, rng: np.random.Generator | int) -> TrueWeights:
        self._check_setting(setting)
        return cp_weights(setting.spec, setting.ranks[0], rng, unit_norm=setting.unit_norm)

    def make_estimator(self, setting: Setting, first_starts: int,
                       rng: np.random.Generator | int = 0) -> Any:
        self._check_estimator_args(setting, first_starts)
        from ..estimators import CPRegressor

        # the CP study's own stopping rule (003 App. A.5.1: "drops by less than 1e-5"); no
        # warm starts: CP's ALS has more local minima, and the previous solution can lead
        # into one
        return CPRegressor(setting.spec, self.fitted_rank(setting), tol=1e-5, rng=rng)


#: The model kinds by name; a new kind is registered here.
MODEL_KINDS: dict[str, ModelKind] = {kind.name: kind
                                     for kind in (RankModel(), TuckerModel(), CPModel())}


def model_kind(name: str) -> ModelKind:
    """The registered kind called ``name``.

    Raises
    ------
    ValueError
        For an unknown name (the message lists the known ones).
    """
    if not isinstance(name, str) or name not in MODEL_KINDS:
        raise ValueError(f"model must be one of {tuple(MODEL_KINDS)}, got {name!r}")
    return MODEL_KINDS[name]
