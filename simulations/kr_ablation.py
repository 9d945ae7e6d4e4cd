"""The K/R ablation of 003 §4.2 / App. A.5.2: ``tensorcnn ablation`` as a script.

    python simulations/kr_ablation.py --config smoke --out results/ablation_smoke
    python simulations/kr_ablation.py --config paper --data-root data --device cuda
"""

import sys

from tensorcnn.cli import main

if __name__ == "__main__":
    sys.exit(main(["ablation", *sys.argv[1:]]))
