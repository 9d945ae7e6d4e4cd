"""``python -m tensorcnn``: the same command line as the ``tensorcnn`` console script."""

import sys

from .cli import main

sys.exit(main())
