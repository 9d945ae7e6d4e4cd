"""One way to write a matplotlib figure: lay it out, create the folder, save, close."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ._validation import check_path, check_positive

__all__ = ["save_figure"]


def check_figure_path(path: Any, name: str = "path") -> Path:
    """``path`` as a ``Path`` whose suffix is a format matplotlib writes.

    Checked before anything is drawn: without a suffix ``savefig`` would write
    ``path.png`` (not ``path``), and an unknown one fails only after the figure is laid out.

    Raises
    ------
    TypeError
        If ``path`` is not a ``str`` or ``os.PathLike``.
    ValueError
        If it is empty or its suffix is not a format matplotlib writes.
    """
    from matplotlib.backend_bases import FigureCanvasBase

    checked = check_path(path, name)
    formats = FigureCanvasBase.get_supported_filetypes()
    if checked.suffix.lstrip(".").lower() not in formats:
        raise ValueError(f"{name} must end in a figure format matplotlib writes "
                         f"({', '.join('.' + f for f in sorted(formats))}), got {str(path)!r}")
    if checked.is_dir():
        raise ValueError(f"{name} must be a file path, got the folder {str(path)!r}")
    return checked


def save_figure(fig: Any, path: str | os.PathLike, dpi: int = 120) -> Path:
    """``tight_layout``, write ``fig`` to ``path`` (its folder created) and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure written (closed after).
    path : str or os.PathLike
        The file written; its suffix (``.png``, ``.pdf``, ...) picks the format.
    dpi : int, default 120
        Resolution of raster formats (dots per inch, > 0).

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    TypeError, ValueError
        For a ``fig`` that is not a matplotlib Figure, a ``path`` that is not a path with a
        format suffix matplotlib writes, or a ``dpi`` that is not a finite number > 0
        (checked before the figure is touched).
    """
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__} "
                        f"{fig!r:.80}")
    path = check_figure_path(path, "path")
    check_positive(dpi, "dpi")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
