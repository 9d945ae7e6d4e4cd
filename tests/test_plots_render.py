"""Every figure of the package rendered at a small size from small synthetic inputs, checked
for structure (not pixels): no twin axes where one quantity is drawn against another
quantity 10⁴× larger, log scale where the bound is, a legend entry only for an artist that
is drawn, titles that name what is plotted, integer epoch ticks, labels inside the figure.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.collections  # noqa: E402
import matplotlib.container  # noqa: E402
import matplotlib.lines  # noqa: E402
import matplotlib.offsetbox  # noqa: E402
import matplotlib.patches  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402

from tensorcnn import _figures  # noqa: E402
from tensorcnn.ablation.config import AblationConfig  # noqa: E402
from tensorcnn.ablation.io import plot_curves, write_results  # noqa: E402
from tensorcnn.ablation.runner import AblationResult  # noqa: E402
from tensorcnn.cli._shrinknet_experiment import plot_gamma, plot_tradeoff  # noqa: E402
from tensorcnn.simulation.experiments import experiment_settings  # noqa: E402
from tensorcnn.simulation.plots import (  # noqa: E402
    plot_error_curves,
    plot_r2_by_truth,
    plot_truth_curves,
)
from tensorcnn.training.path import plot_path  # noqa: E402

MODULES = ("tensorcnn.simulation.plots", "tensorcnn.ablation.io",
           "tensorcnn.cli._shrinknet_experiment", "tensorcnn.training.path")


@pytest.fixture
def figures(monkeypatch):
    """The figures the plot functions save, in order (written at 30 dpi: small and fast)."""
    saved = []
    real = _figures.save_figure

    def spy(fig, path, dpi=120):
        saved.append(fig)
        return real(fig, path, dpi=30)

    for module in MODULES:
        monkeypatch.setattr(f"{module}.save_figure", spy)
    return saved


# --- structure checks -----------------------------------------------------------------


def _has_data(artist) -> bool:
    """Whether ``artist`` (a line, an errorbar, a band, points, a span) is drawn non-empty."""
    if isinstance(artist, matplotlib.container.ErrorbarContainer):
        artist = artist.lines[0]
    if isinstance(artist, matplotlib.lines.Line2D):
        return artist.get_visible() and len(artist.get_xdata()) > 0
    if isinstance(artist, matplotlib.collections.PathCollection):
        return len(artist.get_offsets()) > 0
    if isinstance(artist, matplotlib.collections.Collection):
        return any(len(p.vertices) > 0 for p in artist.get_paths())
    if isinstance(artist, matplotlib.patches.Patch):
        extent = artist.get_extents()
        return extent.width > 0 and extent.height > 0
    raise AssertionError(f"unexpected legend artist {artist!r}")


def _check_legends(fig) -> None:
    """Every legend entry of every axes names an artist of that axes that is drawn."""
    for ax in fig.axes:
        legend = ax.get_legend()
        if legend is None:
            continue
        handles, labels = ax.get_legend_handles_labels()
        drawn = {label for handle, label in zip(handles, labels, strict=True)
                 if _has_data(handle)}
        entries = [text.get_text() for text in legend.get_texts()]
        assert entries, "an empty legend"
        missing = [e for e in entries if e not in drawn]
        assert not missing, f"legend entries without a drawn artist: {missing}"


def _check_inside(fig) -> None:
    """Everything drawn (titles, labels, legends, notes) lies inside the figure."""
    canvas = FigureCanvasAgg(fig)        # plt.close left the figure without one
    box = fig.get_tightbbox(canvas.get_renderer())             # inches
    width, height = fig.get_size_inches()
    eps = 0.02
    assert (box.x0 >= -eps and box.y0 >= -eps and box.x1 <= width + eps
            and box.y1 <= height + eps), f"cut off: {box} outside {width} x {height} in"


def _titles(fig) -> str:
    """Every title of the figure, joined."""
    return " | ".join([fig.get_suptitle()]
                      + [ax.get_title() for ax in fig.axes if ax.get_visible()])


def _check(fig) -> None:
    _check_legends(fig)
    _check_inside(fig)
    assert _titles(fig).strip(" |"), "a figure without any title"
    for ax in fig.axes:
        if ax.get_visible() and ax.has_data():   # a twin axis shares its sibling's label
            assert any(a.get_xlabel() for a in ax.get_shared_x_axes().get_siblings(ax)), (
                f"axes {ax.get_title()!r} has no x label")


def _no_twins(fig) -> None:
    for ax in fig.axes:
        assert ax.get_shared_x_axes().get_siblings(ax) == [ax], "a twin axis"


# --- the simulation figures -----------------------------------------------------------


def _entry(scale, bound_factor=None, undefined=False, points=4):
    x = np.linspace(0.15, 0.6, points)
    mean = scale * x + 0.1
    slope, intercept = np.polyfit(x, mean, 1) if points > 1 else (None, None)
    entry = dict(x=list(x), mean=list(mean), sd=list(0.1 * mean), slope=slope,
                 intercept=intercept, r2=1.0 if points > 1 else None,
                 n=list(range(10, 10 + points)))
    if bound_factor is not None:
        entry["bound"] = dict(defined=True, values=list(bound_factor * mean))
    if undefined:
        entry["bound"] = dict(defined=False, reason="c_u = 0: U_G is rank deficient")
    return entry


def test_error_curves_draw_the_bound_on_its_own_log_panel(tmp_path, figures):
    summary = {"S1": _entry(2.0, bound_factor=3e4), "S2": _entry(1.0, bound_factor=1e4),
               "_run": {"wall_seconds": 1.0}}
    plot_error_curves(summary, tmp_path / "f.png", "Fig. 3 (1): Theorem 1, iid inputs")
    (fig,) = figures
    _check(fig)
    _no_twins(fig)
    data_ax, bound_ax = fig.axes
    assert data_ax.get_yscale() == "linear" and bound_ax.get_yscale() == "log"
    dashed = [line for line in bound_ax.lines if line.get_linestyle() == "--"]
    assert [line.get_label() for line in dashed] == ["S1: bound", "S2: bound"]
    np.testing.assert_allclose(dashed[0].get_ydata(), 3e4 * np.asarray(summary["S1"]["mean"]))
    # the gap is said, and computed from the numbers: bound ÷ mean is 1e4 to 3e4
    assert "vacuous" in bound_ax.get_title()
    assert r"1.0\times10^{4}" in bound_ax.get_title()
    assert r"3.0\times10^{4}" in bound_ax.get_title()
    # the dotted lines are explained: least-squares line, with slope and R²
    labels = [t.get_text() for t in data_ax.get_legend().get_texts()]
    fits = [label for label in labels if "least-squares line" in label]
    assert len(fits) == 2 and f"slope {summary['S1']['slope']:.3g}" in fits[0]
    assert "R² 1.000" in fits[0]


def test_error_curves_call_a_bound_vacuous_only_where_it_is(tmp_path, figures):
    plot_error_curves({"A": _entry(1.0, bound_factor=5.0)}, tmp_path / "a.png", "t")
    plot_error_curves({"A": _entry(1.0, bound_factor=5.0), "B": _entry(1.0, bound_factor=50.0)},
                      tmp_path / "b.png", "t")
    one, two = (fig.axes[1].get_title() for fig in figures)
    assert "5 to 5 times" in one and "vacuous" not in one
    assert "vacuous for B" in two and "vacuous for A" not in two


def test_error_curves_note_an_undefined_bound_without_a_legend_entry(tmp_path, figures):
    summary = {f"T{k}": _entry(k, undefined=True) for k in (1, 2)}
    plot_error_curves(summary, tmp_path / "f.png", "Fig. 3 (3): Theorem 2, Tucker CNN",
                      r"$\sqrt{d_M^{TU} / n}$")
    (fig,) = figures
    _check(fig)       # on the code before this test: a legend entry of an empty line
    _no_twins(fig)
    (ax,) = fig.axes
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert not [label for label in labels if "bound" in label]
    notes = [child for child in ax.get_children()
             if isinstance(child, matplotlib.offsetbox.AnchoredText)]
    assert len(notes) == 1
    text = notes[0].txt.get_children()[0].get_text()
    assert "T1, T2" in text and "c_u = 0" in text


def test_error_curves_without_bounds_or_with_one_sample_size(tmp_path, figures):
    summary = {"S1": _entry(1.0, bound_factor=1e3), "S2": _entry(1.0, points=1)}
    plot_error_curves(summary, tmp_path / "f.png", show_bound=False)
    (fig,) = figures
    _check(fig)
    assert len(fig.axes) == 1 and "against" in fig.axes[0].get_title()
    labels = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    assert sum("least-squares" in label for label in labels) == 1   # none for one n
    with pytest.raises(ValueError, match="summary"):
        plot_error_curves({"_run": {}}, tmp_path / "g.png")


def test_every_experiment_title_names_its_x_axis(tmp_path, figures):
    for name in ("theorem1", "theorem2", "cp-kernels", "classification"):
        for panel in experiment_settings(name)[1]:
            assert panel.title and panel.xlabel
    (panel,) = experiment_settings("cp-kernels")[1]
    # Fig. 7 (2): error against 1/√n, one curve per K (the title said "against K")
    assert panel.xlabel == r"$1/\sqrt{n}$"
    assert "1/√n" in panel.title and "against K" not in panel.title
    plot_error_curves({"CP-K2": _entry(1.0)}, tmp_path / "f.png", panel.title, panel.xlabel)
    assert "1/√n" in _titles(figures[0]) and figures[0].axes[0].get_xlabel() == panel.xlabel


def _truth_summary():
    x = list(np.linspace(0.15, 0.6, 4))
    draws = [dict(seed=s, r2=r2, mean=list(np.asarray(x) * (1 + s))) for s, r2 in
             ((0, 0.99), (1, 0.97), (2, 0.9))]
    return {"S1": dict(_entry(1.0), truths=dict(x=x, seeds=[0, 1, 2], draws=draws,
                                                threshold=0.95, share_at_least=2 / 3,
                                                n_truths=3))}


def test_truth_plots_explain_their_colours(tmp_path, figures):
    plot_truth_curves(_truth_summary(), tmp_path / "c.png", "theorem1")
    rows = [dict(setting=s, r2=r2) for s, r2 in (("S1", 0.99), ("S1", 0.9), ("S2", 0.97))]
    plot_r2_by_truth(rows, tmp_path / "r.png", 0.95)
    plot_r2_by_truth([dict(setting="S1", r2=0.99)], tmp_path / "r1.png", 0.95)
    curves, r2, only_high = figures
    for fig in figures:
        _check(fig)
    labels = [t.get_text() for t in curves.axes[0].get_legend().get_texts()]
    assert labels == ["the run's truth (seed 0)", "other draws of W*",
                      "other draws of W*, R² < 0.95"]
    assert "theorem1" in _titles(curves)
    assert [t.get_text() for t in r2.axes[0].get_legend().get_texts()] == [
        "R² ≥ 0.95", "R² < 0.95", "threshold R² = 0.95"]
    # no red point drawn: no legend entry for one
    assert "R² < 0.95" not in [t.get_text() for t in only_high.axes[0].get_legend().get_texts()]


# --- ablation curves ------------------------------------------------------------------


def _records(ts=(1, 4), seeds=(1, 2), epochs=3):
    return [dict(t=t, seed=s, epoch=e, lr=0.1, train_loss=2.0 / (1 + e + t + s),
                 train_accuracy=0.5, test_loss=1.0, test_accuracy=0.1 * (1 + e) + 0.01 * s)
            for t in ts for s in seeds for e in range(epochs)]


def test_ablation_curves_title_seeds_and_integer_epochs(tmp_path, figures):
    config = AblationConfig(network="kr_resnext", dataset="digits", t_values=(1, 4),
                            seeds=(1, 2), epochs=3, image_size=8, max_train=64)
    records = _records()
    table = [dict(t=t, digits=10.0, gmacs=0.001, params_m=0.1, mean=10.0, best=10.0,
                  n_seeds=2) for t in (1, 4)]
    write_results(AblationResult(config, records, table, 1.0), tmp_path)
    (fig,) = figures
    _check(fig)
    title = _titles(fig)
    assert "kr_resnext" in title and "digits" in title
    for ax in fig.axes:
        low, high = ax.get_xlim()
        ticks = [v for v in ax.get_xticks() if low <= v <= high]
        assert ticks and all(float(v).is_integer() for v in ticks), ticks
        assert "0-based" in ax.get_xlabel()
        # the x values are the records' epochs (as in records.csv), not shifted
        for line in ax.lines:
            assert list(line.get_xdata()) == [0, 1, 2]
        styles = {(line.get_color(), line.get_linestyle(), line.get_marker())
                  for line in ax.lines}
        assert len(styles) == len(ax.lines) == 4             # each (t, seed) its own
        by_t = {}
        by_seed = {}
        for line in ax.lines:
            t, seed = line.get_label().replace("t = ", "").split(", seed ")
            by_t.setdefault(t, set()).add(str(line.get_color()))
            by_seed.setdefault(seed, set()).add((line.get_linestyle(), line.get_marker()))
        assert all(len(v) == 1 for v in by_t.values()) and len(by_t) == 2
        assert all(len(v) == 1 for v in by_seed.values()) and len(by_seed) == 2
    labels = [t.get_text() for t in fig.axes[1].get_legend().get_texts()]
    assert labels == ["t = 1, seed 1", "t = 1, seed 2", "t = 4, seed 1", "t = 4, seed 2"]


def test_ablation_curves_refuse_no_records(tmp_path):
    with pytest.raises(ValueError, match="records"):
        plot_curves([], tmp_path / "c.png")


# --- ShrinkNet and the SplitLBI path --------------------------------------------------


def _gamma_rows(reps=3, baseline_spread=0.0):
    rows = []
    for rep in range(reps):
        rows.append(dict(dataset="d", gamma=None, repetition=rep, loss_increase=0.0,
                         cost=100.0 + baseline_spread * rep))
        for g in (0.5, 0.9):
            rows.append(dict(dataset="d", gamma=g, repetition=rep,
                             loss_increase=0.01 * (rep + 1) * g, cost=80.0 + 5 * rep + g))
    return rows


def test_shrinknet_figures(tmp_path, figures):
    rows = [dict(dataset=name, method=m, sparsity=s, loss=1 - s / 2 + (m == "shrinknet") / 9)
            for name in ("a", "b") for m in ("group_lasso", "shrinknet")
            for s in (0.0, 0.5, 1.0)]
    plot_tradeoff(rows, tmp_path / "t.png")
    plot_gamma(_gamma_rows(), tmp_path / "g.png")
    plot_gamma(_gamma_rows(reps=1), tmp_path / "g1.png")
    plot_gamma(_gamma_rows(baseline_spread=2.0), tmp_path / "g2.png")
    tradeoff, gamma, single, spread = figures
    for fig in figures:
        _check(fig)
    assert [ax.get_title() for ax in tradeoff.axes] == ["a", "b"]
    labels = [t.get_text() for t in gamma.axes[0].get_legend().get_texts()]
    # the band is explained; the baseline's band (zero width here: the baseline of the
    # loss increase is 0 by construction) is not drawn and so not in the legend
    assert "± 1 sd over 3 repetitions" in labels
    assert not [label for label in labels if label.startswith("baseline ±")]
    assert not [t.get_text() for t in single.axes[0].get_legend().get_texts()
                if "sd" in t.get_text()]                  # one repetition: no band
    # a baseline band drawn only on the cost panel is explained there
    assert gamma.axes[1].get_legend() is None
    assert "baseline ± 1 sd over repetitions" in [
        t.get_text() for t in spread.axes[1].get_legend().get_texts()]


def test_splitlbi_path_figure(tmp_path, figures):
    epochs = np.arange(4.0)
    norms = np.outer(epochs, np.array([0.0, 0.5, 1.0]))
    arrays = {"w/epochs": epochs, "w/group_norms": norms,
              "w/entry_epoch_group": np.array([-1, 1, 1])}
    plot_path(arrays, tmp_path / "p.png")
    (fig,) = figures
    _check(fig)
    assert "w" in _titles(fig) and fig.axes[0].get_xlabel() == "epoch"
