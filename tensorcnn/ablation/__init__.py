"""The K/R ablation of 003 §4.2 and App. A.5.2: the paper's count tables and the runner.

* :mod:`.tables` — #Params / #FLOPs of our networks next to 003 Tables 2–3;
* :mod:`.config` — the paper's and the CPU smoke configurations;
* :mod:`.runner` — t values × seeds on the shared training harness → worst-seed table;
* :mod:`.io` — files and plots (the only module that writes).
"""

from .tables import PAPER, CountRow, PaperCell, count_rows, matches_printed, network_cost

__all__ = ["PAPER", "CountRow", "PaperCell", "count_rows", "matches_printed", "network_cost"]
