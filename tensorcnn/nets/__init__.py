"""Networks: the 001 convolution-from-scratch families and the K/R ablation networks.

Import the modules of this package directly (``tensorcnn.nets.families`` …); the
public constructors are re-exported here as they land.
"""
