"""One way to write a matplotlib figure: lay it out, create the folder, save, close."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

__all__ = ["save_figure"]


def save_figure(fig: Any, path: str | os.PathLike, dpi: int = 120) -> Path:
    """``tight_layout``, write ``fig`` to ``path`` (its folder created) and close it.

    Returns
    -------
    Path
        ``path``.
    """
    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
