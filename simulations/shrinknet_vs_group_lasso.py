"""ShrinkNet vs group lasso: 002 Fig. 1 (loss against sparsity) and Fig. 2 (effect of gamma).

The experiment lives in the package (``tensorcnn shrinknet`` runs the same code, also from
an installed wheel); this script is its thin caller from a clone:

    python simulations/shrinknet_vs_group_lasso.py [--out DIR] [--data-root DIR] ...
"""

from tensorcnn.cli._shrinknet_experiment import main

if __name__ == "__main__":
    raise SystemExit(main(prog="shrinknet_vs_group_lasso.py"))
