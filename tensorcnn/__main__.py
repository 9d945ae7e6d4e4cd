"""``python -m tensorcnn``: the same command line as the ``tensorcnn`` console script."""

import sys

from .cli import main

if __name__ == "__main__":  # importing the module (pkgutil walks, docs) runs nothing
    sys.exit(main())
