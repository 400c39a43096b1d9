"""The coverage as a PNG chart (matplotlib, loaded only when a plot is asked for)."""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Mapping
from typing import Any

from bot.reports.coverage import UNDATED, Coverage, period_label

__all__ = ["render_png"]


def render_png(cov: Coverage, *, title: str = "tanfwatch: coverage",
               labels: Mapping[str, str] | None = None) -> bytes:
    """Three panels: reports per period by topic (lines, named by `labels`: topic id ->
    label), by language (stacked bars), and the top outlets (horizontal bars). Returns the
    PNG bytes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 11), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    fig.suptitle(f"{title} ({cov.total} reports, by {cov.by})")
    topic_ax, lang_ax, outlet_ax = fig.subplots(3, 1, height_ratios=(3, 3, 2))
    if cov.total:
        topics = _columns(cov, cov.topics, cov.undated_topics)
        named = {(labels or {}).get(key, key): counts for key, counts in topics.items()}
        _draw_lines(topic_ax, cov, named, "Reports by topic")
        _draw_stacked(lang_ax, cov, _columns(cov, cov.languages, cov.undated_languages),
                      "Reports by language")
        _draw_outlets(outlet_ax, cov)
    else:
        for ax in (topic_ax, lang_ax, outlet_ax):
            ax.text(0.5, 0.5, "no relevant reports in this range", ha="center", va="center")
            ax.set_axis_off()
    out = io.BytesIO()
    with warnings.catch_warnings():
        # an outlet name in a script the bundled font lacks draws as boxes, not an error
        warnings.filterwarnings("ignore", message="Glyph .* missing", category=UserWarning)
        fig.savefig(out, format="png")
    return out.getvalue()


def _period_axis(ax: Any, cov: Coverage, title: str) -> None:
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of reports
    step = max(1, math.ceil(len(cov.periods) / 12))
    ticks = list(range(0, len(cov.periods), step))
    labels = [period_label(cov.periods[i], cov.by) for i in ticks]
    if cov.undated:  # the undated bucket: one more column, after the periods
        ticks, labels = [*ticks, len(cov.periods)], [*labels, UNDATED]
    ax.set_xticks(ticks, labels, rotation=30, ha="right")
    ax.set_title(title)
    ax.set_ylabel("reports")
    ax.grid(axis="y", alpha=0.3)


def _columns(cov: Coverage, series: dict[str, tuple[int, ...]],
             undated: dict[str, int]) -> dict[str, tuple[int, ...]]:
    """Counts per column: the periods, then the undated bucket when there is one."""
    empty = (0,) * len(cov.periods)
    keys = list(dict.fromkeys([*series, *undated]))
    tail = (lambda key: (undated.get(key, 0),)) if cov.undated else (lambda key: ())
    return {key: series.get(key, empty) + tail(key) for key in keys}


def _draw_lines(ax: Any, cov: Coverage, series: dict[str, tuple[int, ...]], title: str) -> None:
    n = len(cov.periods)
    for key, counts in series.items():
        color = ax.plot(range(n), counts[:n], marker="o", label=key)[0].get_color()
        if cov.undated:  # a lone point: no line joins the undated bucket to the last period
            ax.plot([n], counts[n:], marker="o", linestyle="", color=color)
    _period_axis(ax, cov, title)
    ax.set_ylim(bottom=0, top=max(max(c) for c in series.values()) * 1.15 + 0.5)
    ax.legend(loc="best", fontsize="small")


def _draw_stacked(ax: Any, cov: Coverage, series: dict[str, tuple[int, ...]],
                  title: str) -> None:
    xs = range(len(cov.periods) + (1 if cov.undated else 0))
    bottom = [0] * len(xs)
    for key, counts in series.items():
        ax.bar(xs, counts, bottom=bottom, label=key)
        bottom = [b + c for b, c in zip(bottom, counts, strict=True)]
    _period_axis(ax, cov, title)
    ax.set_ylim(top=max(bottom) * 1.15 + 0.5)  # room for the legend
    ax.legend(loc="best", fontsize="small", ncols=min(len(series), 6))


def _draw_outlets(ax: Any, cov: Coverage) -> None:
    from matplotlib.ticker import MaxNLocator

    names = [name for name, _ in cov.outlets][::-1]  # the biggest on top
    bars = ax.barh(names, [n for _, n in cov.outlets][::-1])
    ax.bar_label(bars, padding=3)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"Top {len(names)} outlets")
    ax.set_xlabel("reports")
    ax.grid(axis="x", alpha=0.3)
