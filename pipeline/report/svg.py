"""The report's four charts, written as SVG directly.

They are a few dozen rectangles, lines and labels each, on fixed grids (the 5×5 matrices) or simple
axes, so a plotting library brings nothing they need but costs every run that draws one: importing
and laying out matplotlib took 2–3 s of a fresh publish whatever the corpus size (`make bench`'s
profile), against milliseconds here. The output is deterministic by construction (no ids, dates or
hash salts) and needs no fonts embedded: text is drawn by the browser in its sans-serif.
"""

from __future__ import annotations

import html
import math
import textwrap
from dataclasses import dataclass, field

FONT = 12  # px, the labels; titles a little larger
TITLE = 14
GREY = "#555555"
LIGHT = "#BBBBBB"
BLUES = ("#F7FBFF", "#08306B")  # the heatmap's scale, from no entries to the most in any cell
MAX_TICKS = 6  # on a value axis


@dataclass
class Canvas:
    width: float
    height: float
    parts: list[str] = field(default_factory=list)
    defs: list[str] = field(default_factory=list)

    def rect(self, x: float, y: float, w: float, h: float, fill: str, stroke: str = "none", **extra: str) -> None:
        self.parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" fill="{fill}" stroke="{stroke}"'
            f"{_attributes(extra)}/>"
        )

    def text(
        self, x: float, y: float, s: str, size: int = FONT, anchor: str = "middle", fill: str = "#000000", **extra: str
    ) -> None:
        self.parts.append(
            f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{fill}"'
            f"{_attributes(extra)}>{html.escape(s)}</text>"
        )

    def line(self, x1: float, y1: float, x2: float, y2: float, stroke: str = GREY, width: float = 1) -> None:
        self.parts.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" stroke-width="{width}"/>'
        )

    def path(self, d: str, stroke: str, width: float, **extra: str) -> None:
        self.parts.append(
            f'<path d="{d}" fill="none" stroke="{stroke}" stroke-width="{width:.2f}"{_attributes(extra)}/>'
        )

    def svg(self) -> str:
        defs = f"<defs>{''.join(self.defs)}</defs>" if self.defs else ""
        return (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width:.0f}" height="{self.height:.0f}" '
            f'viewBox="0 0 {self.width:.0f} {self.height:.0f}" font-family="sans-serif">'
            f'<rect width="100%" height="100%" fill="#FFFFFF"/>{defs}{"".join(self.parts)}</svg>'
        )


def _attributes(extra: dict[str, str]) -> str:
    return "".join(f' {name.replace("_", "-")}="{value}"' for name, value in extra.items())


def blend(share: float, low: str = BLUES[0], high: str = BLUES[1]) -> str:
    """The colour `share` (0–1) of the way from `low` to `high`."""
    a, b = (tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in (low, high))
    return "#" + "".join(f"{round(x + (y - x) * share):02X}" for x, y in zip(a, b))


def ticks(top: float) -> list[int]:
    """Round values from 0 to at least `top`, at most MAX_TICKS + 1 of them (steps of 1, 2 or 5 × 10ⁿ)."""
    top = max(top, 1)
    for power in range(0, 12):
        for step in (1, 2, 5):
            size = step * 10**power
            if math.ceil(top / size) <= MAX_TICKS:
                return list(range(0, size * math.ceil(top / size) + 1, size))
    return [0, math.ceil(top)]


def heatmap(title: str, panels: dict[str, str], counts: dict[str, list[list[int]]], captured, rows: list[str]) -> str:
    """One 5×5 grid per tag (`panels`: tag → its title); a cell not captured is hatched grey, "n/c"."""
    cell, gap, left, top = 34, 24, 190, 56
    c = Canvas(left + len(panels) * (5 * cell + gap), top + 5 * cell + 44)
    c.defs.append(
        '<pattern id="nc" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        f'<rect width="6" height="6" fill="#DDDDDD"/><line x1="0" y1="0" x2="0" y2="6" stroke="{LIGHT}" '
        'stroke-width="2"/></pattern>'
    )
    c.text(c.width / 2, 20, title, TITLE)
    peak = max(1, max(v for grid in counts.values() for line in grid for v in line))
    for r, label in enumerate(rows):
        for i, piece in enumerate(textwrap.wrap(label, 28)[:2]):
            c.text(left - 8, top + r * cell + cell / 2 + 4 + (i - 0.5) * FONT, piece, FONT - 1, "end")
    for p, (tag, panel) in enumerate(panels.items()):
        x0 = left + p * (5 * cell + gap)
        c.text(x0 + 2.5 * cell, top - 10, panel)
        for r in range(5):
            for col in range(5):
                x, y, v = x0 + col * cell, top + r * cell, counts[tag][r][col]
                if not captured[r][col]:  # no capture: nothing is known, which is not "0 entries"
                    c.rect(x, y, cell, cell, "url(#nc)", "#FFFFFF")
                    c.text(x + cell / 2, y + cell / 2 + 4, "n/c", FONT - 3, fill=GREY)
                    continue
                c.rect(x, y, cell, cell, blend(v / peak), "#FFFFFF")
                c.text(x + cell / 2, y + cell / 2 + 4, str(v), FONT - 1, fill="#FFFFFF" if v > peak * 0.6 else "#000")
        for col, letter in enumerate("ABCDE"):
            c.text(x0 + col * cell + cell / 2, top + 5 * cell + 16, letter, FONT - 1)
        c.text(x0 + 2.5 * cell, top + 5 * cell + 34, "column (level)", FONT - 1, fill=GREY)
    return c.svg()


def stacked_histogram(
    title: str, series: dict[str, list[int]], colours: dict[str, str], width: int, xlabel: str
) -> str:
    """Values counted in bins `width` wide, one colour per series stacked; a legend of the series."""
    every = [v for values in series.values() for v in values]
    left, top, plot_w, plot_h = 56, 40, 620, 200
    c = Canvas(left + plot_w + 130, top + plot_h + 50)
    c.text((left + plot_w / 2), 20, title, TITLE)
    if every:
        first = min(every) // width * width
        edges = list(range(first, max(every) // width * width + width + 1, width))
        counts = {
            name: [sum(1 for v in values if e <= v < e + width) for e in edges[:-1]] for name, values in series.items()
        }
        totals = [sum(col) for col in zip(*counts.values())]
        scale = ticks(max(totals))
        per = plot_h / scale[-1]
        bar = plot_w / (len(edges) - 1)
        for i in range(len(edges) - 1):
            y: float = top + plot_h
            for name, values in counts.items():
                h = values[i] * per
                if h:
                    c.rect(left + i * bar, y - h, bar, h, colours[name], "#FFFFFF")
                y -= h
        label_every = max(1, math.ceil((len(edges) - 1) / 10))
        for i, edge in enumerate(edges):
            if i % label_every == 0 or i == len(edges) - 1:
                c.line(left + i * bar, top + plot_h, left + i * bar, top + plot_h + 4)
                c.text(left + i * bar, top + plot_h + 17, str(edge), FONT - 1)
        _value_axis(c, scale, left, top, plot_h, per)
    c.line(left, top + plot_h, left + plot_w, top + plot_h)
    c.text(left + plot_w / 2, top + plot_h + 40, xlabel, FONT, fill=GREY)
    for i, (name, colour) in enumerate(colours.items()):
        c.rect(left + plot_w + 20, top + 8 + i * 20, 12, 12, colour)
        c.text(left + plot_w + 38, top + 18 + i * 20, name, FONT, "start")
    return c.svg()


def _value_axis(c: Canvas, scale: list[int], left: float, top: float, plot_h: float, per: float) -> None:
    c.line(left, top, left, top + plot_h)
    for value in scale:
        y = top + plot_h - value * per
        c.line(left - 4, y, left, y)
        c.text(left - 7, y + 4, str(value), FONT - 1, "end")


def bars(title: str, items: list[tuple[str, int]], colour: str, xlabel: str) -> str:
    """Horizontal bars, labelled on the left, longest first."""
    row, left, top, plot_w = 22, 330, 40, 420
    c = Canvas(left + plot_w + 30, top + max(len(items), 3) * row + 46)
    c.text(c.width / 2, 20, title, TITLE)
    scale = ticks(max((n for _, n in items), default=1))
    per = plot_w / scale[-1]
    for i, (label, n) in enumerate(items):
        y = top + i * row
        c.rect(left, y + 3, n * per, row - 6, colour)
        c.text(left - 8, y + row / 2 + 4, label, FONT - 1, "end")
    base = top + max(len(items), 3) * row
    c.line(left, top, left, base)
    c.line(left, base, left + plot_w, base)
    for value in scale:
        c.line(left + value * per, base, left + value * per, base + 4)
        c.text(left + value * per, base + 17, str(value), FONT - 1)
    c.text(left + plot_w / 2, base + 36, xlabel, FONT, fill=GREY)
    return c.svg()


def cell_graph(title: str, matrices: dict[str, str], arrows: list[tuple[str, str, int]]) -> str:
    """The two matrices side by side as grids of cells; an arrow per (source cell, target cell, count),
    coloured by the source's matrix (`matrices`: name → colour), wider the more often."""
    cell, gap, left, top = 56, 80, 40, 62
    c = Canvas(left * 2 + len(matrices) * 5 * cell + gap * (len(matrices) - 1), top + 5 * cell + 30)
    c.text(c.width / 2, 20, title, TITLE)
    origin = {m: left + i * (5 * cell + gap) for i, m in enumerate(matrices)}

    def centre(cell_id: str) -> tuple[float, float]:
        m, code = cell_id.split("-")
        return origin[m] + "ABCDE".index(code[0]) * cell + cell / 2, top + (int(code[1]) - 1) * cell + cell / 2

    for m, colour in matrices.items():
        c.defs.append(
            f'<marker id="head-{m}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="5" markerHeight="5" '
            f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>'
        )
        c.text(origin[m] + 2.5 * cell, top - 12, f"{m} matrix", FONT + 1)
        for col in range(5):
            for row in range(5):
                x, y = origin[m] + col * cell, top + row * cell
                c.rect(x + 6, y + 6, cell - 12, cell - 12, "none", LIGHT)
                c.text(x + cell / 2, y + cell / 2 + 4, f"{'ABCDE'[col]}{row + 1}", FONT - 2, fill="#666666")
    most = max([1, *(n for _, _, n in arrows)])
    for source, target, n in arrows:
        (x1, y1), (x2, y2) = centre(source), centre(target)
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy) or 1
        shrink = min(16, length / 3)
        x1, y1, x2, y2 = (
            x1 + dx / length * shrink,
            y1 + dy / length * shrink,
            x2 - dx / length * shrink,
            y2 - dy / length * shrink,
        )
        bend = 0.15 * length  # a gentle arc, so arrows both ways between two cells do not overlap
        mx, my = (x1 + x2) / 2 - dy / length * bend, (y1 + y2) / 2 + dx / length * bend
        m = source.split("-")[0]
        c.path(
            f"M{x1:.1f},{y1:.1f} Q{mx:.1f},{my:.1f} {x2:.1f},{y2:.1f}",
            matrices[m],
            0.8 + 2.2 * n / most,
            stroke_opacity="0.75",
            marker_end=f"url(#head-{m})",
        )
    c.text(
        c.width / 2,
        top + 5 * cell + 22,
        "columns A–E (level) and rows 1–5 (intervention type) of each matrix",
        FONT,
        fill=GREY,
    )
    return c.svg()
