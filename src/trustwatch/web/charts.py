"""Charts drawn on the server as SVG shapes (no script, no inline style: the CSP allows neither).

The template draws the rectangles and labels this module computes; colours come from CSS classes.
"""

from __future__ import annotations

import math
from typing import Any

W, H, PAD_L, PAD_B, PAD_T = 720, 240, 40, 36, 12


def nice_step(raw: float) -> int:
    magnitude = 10 ** max(0, math.floor(math.log10(max(raw, 1))))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def grouped_bars(groups: list[tuple[str, dict[str, int]]], series: list[str]) -> dict[str, Any]:
    """Bars per group (e.g. a scan run) and series (a category), scaled to the largest value."""
    peak = max([v for _, vals in groups for v in vals.values()] + [1])
    step = nice_step(peak / 4)  # whole, round ticks (1, 2, 5 × 10^k), at most five
    top = step * math.ceil(peak / step)
    plot_w, plot_h = W - PAD_L - 8, H - PAD_B - PAD_T
    slot = plot_w / max(len(groups), 1)
    bar = max(min((slot * 0.8) / max(len(series), 1), 40.0), 2.0)
    bars, labels = [], []
    for gi, (label, vals) in enumerate(groups):
        x0 = PAD_L + gi * slot + (slot - bar * len(series)) / 2
        for si, name in enumerate(series):
            v = int(vals.get(name, 0))
            h = plot_h * v / top
            bars.append({"x": round(x0 + si * bar, 1), "y": round(PAD_T + plot_h - h, 1), "w": round(bar - 1, 1),
                         "h": round(h, 1), "cls": f"s{si % 6}", "title": f"{label} · {name}: {v}"})
        labels.append({"x": round(PAD_L + gi * slot + slot / 2, 1), "y": H - PAD_B + 16, "text": label})
    ticks = [{"y": round(PAD_T + plot_h - plot_h * v / top, 1), "text": str(v)} for v in range(0, top + 1, step)]
    legend = [{"cls": f"s{i % 6}", "text": name} for i, name in enumerate(series)]
    return {"w": W, "h": H, "bars": bars, "labels": labels, "ticks": ticks, "legend": legend, "x0": PAD_L, "x1": W - 8}
