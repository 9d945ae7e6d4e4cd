"""tensorcnn: statistics of compressed convolutional networks.

Subpackages by concept (import them directly, e.g. ``from tensorcnn.optim import SplitLBI``):

* :mod:`tensorcnn.cnn` — the positioning-matrix ("Tucker-like") CNN operator (003 §2);
  :mod:`tensorcnn.tenalg` — Kronecker conventions;
* :mod:`tensorcnn.compressed` — CP/Tucker stacked kernels, d_M counts, Corollary 1;
  :mod:`tensorcnn.blocks` — compressed block designs; :mod:`tensorcnn.counting` — params,
  MACs and the K/R audit;
* :mod:`tensorcnn.data`, :mod:`tensorcnn.estimators`, :mod:`tensorcnn.bounds`,
  :mod:`tensorcnn.simulation` — generators, estimators, Theorem 1–2 bounds, sweeps;
* :mod:`tensorcnn.sparsity` — group lasso, ShrinkNets, Switch layers (002);
* :mod:`tensorcnn.optim` — β-lasso (001) and SplitLBI (004); :mod:`tensorcnn.training` — the
  training harness;
* :mod:`tensorcnn.nets` — the 001 families and the K/R ablation networks;
  :mod:`tensorcnn.ablation` — the ablation runner and tables;
* :mod:`tensorcnn.mdl` — description lengths and MDL bounds (001 §3).

See ``docs/`` for the math-to-code map.
"""

from .cnn import CNNSpec, ConvPoolStage, DeepCNNSpec

__version__ = "0.1.0"

__all__ = ["CNNSpec", "ConvPoolStage", "DeepCNNSpec", "__version__"]
