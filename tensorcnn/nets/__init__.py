"""Networks: the 001 convolution-from-scratch families and the 003 K/R ablation networks.

* :func:`build_family` and friends — d-conv, s-conv, their -local / -fc counterparts and 3-fc
  (001 §2, Tables 3–4), with :class:`LocallyConnected2d`.
* :func:`kr_resnet41`, :func:`kr_resnet3d18`, :func:`kr_resnext`, :func:`kr_shufflenet` — the
  K/R ablation networks of 003 §4.2 (Table 2, Fig. 4) and App. A.5.2 (Table 3).
* :func:`resnet_cifar` — the CIFAR ResNet-20/32/… used by the optimizer benchmark.
"""

from .families import FAMILIES, alpha_for_budget, build_family, family_macs, family_n_params
from .kr_resnet import kr_resnet41
from .kr_resnet3d import kr_resnet3d18, load_pretrained_backbone
from .kr_resnext import kr_resnext, kr_resnext_shufflewidths
from .kr_shufflenet import kr_shufflenet
from .local import LocallyConnected2d
from .resnet_cifar import ResNetCIFAR, resnet_cifar

__all__ = [
    "FAMILIES",
    "LocallyConnected2d",
    "ResNetCIFAR",
    "alpha_for_budget",
    "build_family",
    "family_macs",
    "family_n_params",
    "kr_resnet3d18",
    "kr_resnet41",
    "kr_resnext",
    "kr_resnext_shufflewidths",
    "kr_shufflenet",
    "load_pretrained_backbone",
    "resnet_cifar",
]
