"""Charts drawn on the server with matplotlib's Agg renderer (no display, no browser, no CDN).

Shared by campaign reports and the monthly briefing. Figures are built with `Figure` directly (not
pyplot), so nothing global changes and charts can be drawn from any thread. SVG output is made
reproducible (fixed id salt, no date), so the same data gives the same file.
"""

from __future__ import annotations

import base64
import io
import warnings
from collections.abc import Sequence
from typing import Any

from matplotlib import rcParams
from matplotlib.dates import DateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .errors import TrustwatchError

FORMATS = ("png", "svg")
INK = "#1f2933"
MUTED = "#7b8794"
GRID = "#e4e7eb"
ACCENT = "#d9480f"  # the one colour a reader's eye should go to
PALETTE = ("#1c7ed6", "#f59f00", "#37b24d", "#ae3ec9", "#f03e3e", "#1098ad", "#74b816", "#7048e8")

rcParams["svg.hashsalt"] = "trustwatch"
__all__ = ["HUMAN", "DateFormatter", "MaxNLocator", "data_uri", "hbars", "human", "new_figure", "render", "style", "title"]


def human(n: float) -> str:
    """12,345 → 12.3K; 2,500,000 → 2.5M: short labels a person reads at a glance."""
    a = abs(n)
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= div:
            v = n / div
            text = f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}".removesuffix(".0")
            return text + suffix
    return f"{n:,.0f}"


HUMAN = FuncFormatter(lambda v, _pos: human(v))


def new_figure(width: float = 9.0, height: float = 4.8, rows: int = 1, **kw: Any) -> tuple[Figure, Any]:
    fig = Figure(figsize=(width, height), dpi=110, layout="constrained", facecolor="white")
    axes = fig.subplots(rows, 1, squeeze=True, **kw)
    for ax in axes if rows > 1 else [axes]:
        style(ax)
    return fig, axes


def style(ax: Any) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(MUTED)
    ax.tick_params(colors=INK, labelsize=9)
    ax.grid(axis="y", color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)


def title(fig: Figure, headline: str, subtitle: str | None = None, ax: Any = None) -> None:
    """A headline that states the finding, and a smaller line under it that says what is measured."""
    fig.suptitle(headline, x=0.01, ha="left", fontsize=13, fontweight="bold", color=INK)
    if subtitle and ax is not None:
        ax.set_title(subtitle, loc="left", fontsize=8.5, color=MUTED, pad=10)


def hbars(
    ax: Any, labels: Sequence[str], values: Sequence[float], notes: Sequence[str] | None = None,
    highlight_first: bool = True, color: str = PALETTE[0], room: float = 1.32, label_chars: int = 34,
    show_value: bool = True,
) -> None:
    """Horizontal bars, largest on top, each labelled with its value (and a note) at its end."""
    y = list(range(len(labels)))[::-1]
    colors = [ACCENT if (i == 0 and highlight_first) else color for i in range(len(labels))]
    ax.barh(y, values, color=colors, height=0.66)
    ax.set_yticks(y, [shorten(s, label_chars) for s in labels])
    ax.grid(axis="y", visible=False)
    ax.grid(axis="x", color=GRID, linewidth=0.8)
    ax.xaxis.set_major_formatter(HUMAN)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    top = max(values, default=0) or 1
    ax.set_xlim(0, top * room)
    for yi, v, i in zip(y, values, range(len(values)), strict=True):
        parts = ([human(v)] if show_value else []) + ([notes[i]] if notes else [])
        text = "  ·  ".join(parts)
        ax.text(v + top * 0.01, yi, text, va="center", fontsize=8.5, color=INK)


def shorten(s: str, n: int) -> str:
    return s if len(s) <= n else s[: n - 1] + "…"


def render(fig: Figure, fmt: str = "png") -> bytes:
    """The figure as PNG or SVG bytes."""
    if fmt not in FORMATS:
        raise TrustwatchError(f"The chart format {fmt!r} is not supported.", f"Use one of {', '.join(FORMATS)}.")
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # glyphs missing from the font (emoji in names) are skipped
        fig.savefig(buf, format=fmt, metadata={"Date": None} if fmt == "svg" else {"Software": None})
    return buf.getvalue()


def data_uri(fig: Figure, fmt: str = "svg") -> str:
    """The figure as a data: URI, for embedding in a self-contained HTML page."""
    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    return f"data:{mime};base64," + base64.b64encode(render(fig, fmt)).decode()

