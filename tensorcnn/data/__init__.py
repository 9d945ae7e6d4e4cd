"""Simulated data of 003 §4.1 / App. A.5.1: inputs, true weights and the paper's settings.

* :func:`iid_inputs`, :func:`var1_inputs`, :func:`random_transition`,
  :func:`var1_autocovariance` — iid Gaussian and stationary VAR(1) inputs.
* :func:`plain_weights`, :func:`tucker_weights`, :func:`cp_weights` — true weights.
* :class:`Setting`, :func:`preset` (S1–S4, T1–T4, ``-var1``), :func:`cp_study_settings`.
* :data:`MODEL_KINDS`, :func:`model_kind` — the model kinds (rank / Tucker / CP) a setting
  names: their checks, d_M, truth draws and estimators.

The regression data simulator itself (y = ⟨Z, W*⟩ + ξ) is
:func:`tensorcnn.simulation.simulate_regression`.
"""

from .inputs import (
    BURN_IN,
    check_transition,
    iid_inputs,
    random_transition,
    var1_autocovariance,
    var1_inputs,
)
from .models import MODEL_KINDS, CPModel, ModelKind, RankModel, TuckerModel, model_kind
from .presets import (
    CP_STUDY_KERNELS,
    PAPER_SETTINGS,
    Setting,
    cp_study_settings,
    preset,
    theorem1_settings,
    theorem2_settings,
)
from .weights import TrueWeights, cp_weights, plain_weights, tucker_weights

__all__ = [
    "BURN_IN",
    "CP_STUDY_KERNELS",
    "CPModel",
    "MODEL_KINDS",
    "ModelKind",
    "RankModel",
    "TuckerModel",
    "PAPER_SETTINGS",
    "Setting",
    "TrueWeights",
    "check_transition",
    "cp_study_settings",
    "cp_weights",
    "iid_inputs",
    "model_kind",
    "plain_weights",
    "preset",
    "random_transition",
    "theorem1_settings",
    "theorem2_settings",
    "tucker_weights",
    "var1_autocovariance",
    "var1_inputs",
]
