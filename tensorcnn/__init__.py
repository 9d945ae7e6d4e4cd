"""tensorcnn: statistics of compressed convolutional networks.

Subpackages by concept: :mod:`tensorcnn.cnn` (the positioning-matrix CNN operator),
:mod:`tensorcnn.tenalg` (Kronecker conventions). See ``docs/`` for the math-to-code map.
"""

from .cnn import CNNSpec, ConvPoolStage, DeepCNNSpec

__version__ = "0.1.0"

__all__ = ["CNNSpec", "ConvPoolStage", "DeepCNNSpec", "__version__"]
