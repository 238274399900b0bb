"""Static SVG charts for the printable report: lines over months or volumes, and horizontal bars.

No JavaScript and no browser: a few kilobytes of SVG text per chart that any HTML page, print
preview or PDF renderer (weasyprint) draws as it is.  Every function is pure: numbers and labels
in, an ``<svg>`` string out; the y axis is labelled by ``fmt`` (money in the report's currency).

>>> svg = line_chart({"a": ([0, 1, 2], [0.0, 5.0, 10.0])}, "t", "month", fmt=str)
>>> svg.startswith("<svg") and "polyline" in svg and svg.count("<text") >= 3
True
>>> nice_ticks(0, 987)
[0.0, 200.0, 400.0, 600.0, 800.0, 1000.0]
"""
from __future__ import annotations

import html
import io
import math

import numpy as np

#: Series colours: closed (blue), self-hosted (orange), hybrid (green), then more.
COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")
W, H = 720, 300                  # [px] drawing size
L, R, T, B = 78, 16, 34, 42      # [px] margins: left (y labels), right, top (title), bottom (x labels)


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values covering [lo, hi] (steps of 1, 2 or 5 x 10^k).

    >>> nice_ticks(0, 0)
    [0.0, 1.0]
    >>> nice_ticks(-30, 70)
    [-40.0, -20.0, 0.0, 20.0, 40.0, 60.0, 80.0]
    """
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [float(lo), float(lo) + 1.0] if math.isfinite(lo) else [0.0, 1.0]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw)
    first, last = math.floor(lo / step), math.ceil(hi / step)
    return [float(k * step) for k in range(first, last + 1)]


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _points(px: np.ndarray, py: np.ndarray) -> str:
    """ "x,y x,y ..." for a polyline, written in one numpy call."""
    buf = io.StringIO()
    np.savetxt(buf, np.column_stack([px, py]), fmt="%.1f,%.1f", newline=" ")
    return buf.getvalue().strip()


def _frame(title: str, x_label: str, yticks: list[float], ypos, fmt) -> list[str]:
    """The svg head, title, y grid with its labels and the x axis label."""
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" '
           f'font-family="sans-serif" font-size="11" role="img" aria-label="{_esc(title)}">',
           f'<text x="{L}" y="18" font-size="13" font-weight="bold">{_esc(title)}</text>']
    for v in yticks:
        y = ypos(v)
        out.append(f'<line x1="{L}" x2="{W - R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e4e7eb"/>'
                   f'<text x="{L - 6}" y="{y + 4:.1f}" text-anchor="end">{_esc(fmt(v))}</text>')
    out.append(f'<text x="{(L + W - R) / 2:.0f}" y="{H - 6}" text-anchor="middle" fill="#52606d">'
               f'{_esc(x_label)}</text>')
    return out


def _legend(names: list[str]) -> str:
    parts, x = [], L
    for i, name in enumerate(names):
        parts.append(f'<rect x="{x}" y="{T - 8}" width="10" height="10" fill="{COLORS[i % len(COLORS)]}"/>'
                     f'<text x="{x + 14}" y="{T + 1}">{_esc(name)}</text>')
        x += 24 + 6.5 * len(name)
    return "".join(parts)


def line_chart(series: dict[str, tuple], title: str, x_label: str, fmt=str, log_x: bool = False,
               x_fmt=None) -> str:
    """Lines of ``series`` (name -> (x values, y values)) on shared axes, as an SVG string.

    ``fmt`` writes a y tick, ``x_fmt`` an x tick (default: the number); ``log_x`` puts x on a log
    scale (every x must then be > 0).  Non-finite points are left out.
    """
    xs = [np.asarray(x, dtype=float) for x, _ in series.values()]
    ys = [np.asarray(y, dtype=float) for _, y in series.values()]
    allx, ally = np.concatenate(xs), np.concatenate(ys)
    okx = np.isfinite(allx) & (allx > 0 if log_x else True)
    ok = okx & np.isfinite(ally)
    if not ok.any():
        allx, ally, ok = np.array([1.0, 2.0]), np.array([0.0, 1.0]), np.array([True, True])
    tx = np.log10 if log_x else (lambda v: v)
    x0, x1 = float(tx(allx[ok].min())), float(tx(allx[ok].max()))
    x1 = x1 if x1 > x0 else x0 + 1
    yticks = nice_ticks(min(0.0, float(ally[ok].min())), float(ally[ok].max()))
    y0, y1 = yticks[0], yticks[-1]

    def xpos(v):
        return L + (tx(v) - x0) / (x1 - x0) * (W - L - R)

    def ypos(v):
        return H - B - (v - y0) / (y1 - y0) * (H - T - B - 10)

    out = _frame(title, x_label, yticks, ypos, fmt)
    xt = (10.0 ** np.arange(math.floor(x0), math.ceil(x1) + 1)) if log_x else np.array(nice_ticks(x0, x1, 6))
    xt = xt[(tx(xt) >= x0 - 1e-9) & (tx(xt) <= x1 + 1e-9)]
    for v in xt:
        label = x_fmt(v) if x_fmt else f"{v:g}"
        out.append(f'<text x="{xpos(v):.1f}" y="{H - B + 14}" text-anchor="middle">{_esc(label)}</text>')
    for i, (x, y) in enumerate(zip(xs, ys)):
        keep = np.isfinite(x) & np.isfinite(y) & (x > 0 if log_x else True)
        if keep.any():
            out.append(f'<polyline fill="none" stroke="{COLORS[i % len(COLORS)]}" stroke-width="2" '
                       f'points="{_points(xpos(x[keep]), ypos(y[keep]))}"/>')
    out.append(_legend(list(series)))
    out.append("</svg>")
    return "".join(out)


def bar_chart(labels: list[str], values, title: str, fmt=str, groups: list[int] | None = None) -> str:
    """Horizontal bars, one per label, with its value written by ``fmt`` at the bar's end.

    ``groups`` gives each bar a colour index (e.g. 0 = closed, 1 = self-hosted).
    """
    v = np.asarray(values, dtype=float)
    v = np.where(np.isfinite(v), v, 0.0)
    n = len(labels)
    row, left, right = 18, 250, 110
    height = T + 8 + n * row + 10
    lo, hi = min(0.0, float(v.min(initial=0.0))), max(0.0, float(v.max(initial=0.0)))
    span = (hi - lo) or 1.0
    scale = (W - left - right) / span
    zero = left + (0 - lo) * scale
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="{W}" height="{height}" '
           f'font-family="sans-serif" font-size="11" role="img" aria-label="{_esc(title)}">',
           f'<text x="{L}" y="18" font-size="13" font-weight="bold">{_esc(title)}</text>']
    g = groups or [0] * n
    for i, (label, val) in enumerate(zip(labels, v)):
        y = T + 8 + i * row
        x, w = (zero, val * scale) if val >= 0 else (zero + val * scale, -val * scale)
        out.append(f'<text x="{left - 6}" y="{y + 12}" text-anchor="end">{_esc(label)}</text>'
                   f'<rect x="{x:.1f}" y="{y + 2}" width="{max(w, 0.5):.1f}" height="{row - 5}" '
                   f'fill="{COLORS[g[i] % len(COLORS)]}"/>'
                   f'<text x="{max(x + w, zero) + 4:.1f}" y="{y + 12}">{_esc(fmt(val))}</text>')
    out.append("</svg>")
    return "".join(out)
