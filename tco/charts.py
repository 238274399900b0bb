"""Plotly figures of a :class:`~tco.result.Result`, shared by the dashboard and notebooks.

Every function takes a ``Result`` and returns a :class:`plotly.graph_objects.Figure`; no
I/O, no web framework.  The look is the same everywhere: one colour for the closed
option (:data:`CLOSED_COLOR`), one for self-hosting (:data:`OPEN_COLOR`), the
``plotly_white`` template, a horizontal legend on top, currency in hover labels.

Figures and traces carry ``meta`` so that code (the dashboard, the tests) can find them
without parsing labels: ``fig.layout.meta["chart"]`` names the chart and holds the
marked values (break-evens, current volume); each trace's ``meta`` holds its ``option``
(``"closed"`` | ``"self_hosted"``) and its ``kind`` (``"cost"``, ``"component"``,
``"total"``, ``"current"``, ``"breakeven"``, ``"levelised"``).

Glossary
--------
volume      tokens (input + output) or images per month [tokens/month, images/month]
unit        what a unit cost is per: ``"1M tokens"`` or ``"image"`` (``summary["unit"]``)
month       month index ``m = 0..H-1``; cumulative costs are drawn at the months' ends
            ``t = m + 1`` from ``t = 0`` so the break-even month falls on the crossing
"""
from __future__ import annotations

import functools
import html
import json
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from tco.breakeven import breakeven_curve, months_text, steady_costs
from tco.components import CLOSED_COMPONENTS, OPEN_COMPONENTS
from tco.currency import USD, Currency
from tco.result import Result

__all__ = ["CLOSED_COLOR", "OPEN_COLOR", "HYBRID_COLOR", "TEMPLATE", "cost_vs_volume", "cumulative_cost",
           "monthly_breakdown", "unit_cost", "fleet_chart", "all_figures", "component_colors", "tornado", "fan"]

CLOSED_COLOR = "#d1495b"
"""Colour of the closed (pay-per-use) option in every chart."""

OPEN_COLOR = "#00798c"
"""Colour of the self-hosted option in every chart."""

HYBRID_COLOR = "#e09f3e"
"""Colour of the hybrid plan (own replicas for the base load, the API for the peaks)."""

MARKER_COLOR = "#3d405b"
"""Colour of the break-even and current-volume markers."""

RESIDUAL_COLOR = "#8d99ae"
"""Colour of the (negative) residual value of owned hardware."""

TEMPLATE = "plotly_white"

OPTIONS = ("closed", "self_hosted")
_COLORS = {"closed": CLOSED_COLOR, "self_hosted": OPEN_COLOR}


def _prefix(cur: Currency) -> str:
    """The currency's symbol before an amount: "$", "€", "CHF\u00a0" (a letter symbol takes a space)."""
    return cur.symbol + ("\u00a0" if cur.symbol[-1:].isalpha() else "")


def _hover(cur: Currency, fmt: str = ",.0f", field: str = "y") -> str:
    """A hover template's amount in ``cur``: ``$%{y:,.0f}``, ``€%{y:,.0f}``."""
    return f"{_prefix(cur)}%{{{field}:{fmt}}}"


# --------------------------------------------------------------------------- helpers

def _names(result: Result) -> dict[str, str]:
    """Legend names of the two options, from the summary's labels; self-hosting's says what is
    billed: ``Self-hosted: Llama 3.1 70B, 2 replicas x 4 H100 = 8 GPUs``."""
    s = result.summary
    model = s["open_label"].partition(" on ")[0]
    fleet = s.get("fleet_label")
    return {"closed": f"Closed: {s['closed_label']}",
            "self_hosted": f"Self-hosted: {model}, {fleet}" if fleet else f"Self-hosted: {model}"}


def _volume_ticks(lo: float, hi: float) -> dict:
    """Decade ticks of a log volume axis, labelled the way finance writes them (1M, 10B, 1T)."""
    from tco.report import fmt_volume
    decades = 10.0 ** np.arange(np.floor(np.log10(lo)), np.ceil(np.log10(hi)) + 1)
    return {"tickvals": decades.tolist(), "ticktext": [fmt_volume(v) for v in decades]}


def _is_images(result: Result) -> bool:
    return result.summary.get("unit") == "image" or result.resolved.volumes.kind == "images"


def _volume_unit(result: Result) -> str:
    """``"tokens"`` or ``"images"``: what a monthly volume counts."""
    return "images" if _is_images(result) else "tokens"


def _unit(result: Result) -> tuple[str, float]:
    """What a unit cost is per, and the volume multiplier: ("1M tokens", 1e6) or ("image", 1)."""
    return ("image", 1.0) if _is_images(result) else ("1M tokens", 1e6)


def _volume_month0(result: Result) -> float:
    """The workload's month-0 volume [tokens/month or images/month]."""
    vol = result.resolved.volumes
    return float(vol.images_month0 if _is_images(result) else vol.tokens_month0)


def _volumes(result: Result) -> np.ndarray:
    """The workload's volume of each month [tokens/month or images/month]."""
    vol = result.resolved.volumes
    base = vol.images_month0 if _is_images(result) else vol.tokens_month0
    return np.asarray(base * vol.growth, dtype=float)


def _totals(result: Result, k: float = 1.0) -> pd.DataFrame:
    """Each option's cost of every month and its running sum [USD, times ``k``]: columns closed,
    self_hosted, closed_cumulative, self_hosted_cumulative; an option that has no cost is zeros."""
    H = int(result.summary["horizon_months"])
    cols = result.columns
    month = np.asarray(cols["month"], dtype=np.int64)
    option = np.asarray(cols["option"])
    usd = np.asarray(cols["usd"], dtype=float) * k
    out = {}
    for c in OPTIONS:
        mask = option == c
        out[c] = np.bincount(month[mask], weights=usd[mask], minlength=H)[:H]
        out[f"{c}_cumulative"] = np.cumsum(out[c])
    return pd.DataFrame(out, index=pd.RangeIndex(H, name="month"))


def _si(v: float) -> str:
    """A volume in short form: 2.5e9 -> '2.5B' (k, M, B, T)."""
    a = abs(v)
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= div:
            return f"{v / div:.3g}{suffix}"
    return f"{v:.3g}"



#: Keys whose values are free data, not plotly properties: their own keys keep their underscores.
_FREE_KEYS = frozenset({"meta", "customdata"})


def _expand(props: dict) -> dict:
    """Plotly's "magic underscores" spelled out: ``{"title_text": "a"}`` -> ``{"title": {"text": "a"}}``,
    merged with a sibling ``title`` dict; nested dicts too (not inside ``meta``).

    >>> _expand({"line": {"width": 2}, "line_shape": "hv", "meta": {"a_b": 1}})
    {'line': {'width': 2, 'shape': 'hv'}, 'meta': {'a_b': 1}}
    """
    out: dict = {}
    for key, value in props.items():
        if isinstance(value, dict) and key not in _FREE_KEYS:
            value = _expand(value)
        path = key.split("_")
        node = out
        for part in path[:-1]:
            node = node.setdefault(part, {})
        last = path[-1]
        if isinstance(value, dict) and isinstance(node.get(last), dict) and key not in _FREE_KEYS:
            _merge(node[last], value)
        else:
            node[last] = value
    return out


def _merge(base: dict, more: dict) -> dict:
    """``more`` merged into ``base`` in place, dicts key by key (as plotly's ``update``); returns ``base``."""
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict) and key not in _FREE_KEYS:
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def _data(value):
    """A trace's data as plotly keeps it: a float array for a Series or an integer array (plotly.js
    cannot decode int64 typed arrays), a tuple for a list."""
    if isinstance(value, pd.Series):
        value = value.to_numpy()
    if isinstance(value, np.ndarray) and value.dtype.kind in "iub":
        return value.astype(float)
    if isinstance(value, list):
        return tuple(value)
    return value


def _trace(kind: str, **props) -> dict:
    """A trace as a plain dict (``type`` = ``kind``), its data arrays as :func:`_data` keeps them."""
    return {"type": kind, **{k: _data(v) for k, v in _expand(props).items()}}


class _Fig:
    """A plotly figure built as plain dicts, with the few ``go.Figure`` methods the charts use.

    ``go.Figure`` checks every property against plotly's schema as it is set (about 100 ms per chart
    here, most of a dashboard update); these charts set known properties, so they are built as
    dicts and handed to plotly once, unchecked (:meth:`figure`).
    """

    def __init__(self, rows: int = 1, vertical_spacing: float = 0.0):
        self.data: list[dict] = []
        self.layout: dict = {"template": _template()}
        if rows > 1:            # one column of ``rows`` plots sharing the bottom one's x axis
            height = (1.0 - vertical_spacing * (rows - 1)) / rows
            for r in range(1, rows + 1):
                top = 1.0 - (r - 1) * (height + vertical_spacing)
                s = "" if r == 1 else str(r)
                self.layout[f"xaxis{s}"] = {"anchor": f"y{s}", "domain": [0.0, 1.0]}
                if r < rows:
                    self.layout[f"xaxis{s}"].update(matches=f"x{rows}", showticklabels=False)
                self.layout[f"yaxis{s}"] = {"anchor": f"x{s}", "domain": [round(max(top - height, 0.0), 12),
                                                                           round(top, 12)]}

    def add_trace(self, trace: dict, row: int | None = None, col: int | None = None) -> None:
        if row is not None:
            s = "" if row == 1 else str(row)
            trace = {**trace, "xaxis": f"x{s}", "yaxis": f"y{s}"}
        self.data.append(trace)

    def update_layout(self, **props) -> None:
        _merge(self.layout, _expand(props))

    def _update_axes(self, letter: str, row: int | None, props: dict) -> None:
        if row is not None:
            names = [f"{letter}axis{'' if row == 1 else row}"]
        else:
            names = [k for k in self.layout if k.startswith(f"{letter}axis")] or [f"{letter}axis"]
        for name in names:
            _merge(self.layout.setdefault(name, {}), _expand(props))

    def update_xaxes(self, row: int | None = None, col: int | None = None, **props) -> None:
        self._update_axes("x", row, props)

    def update_yaxes(self, row: int | None = None, col: int | None = None, **props) -> None:
        self._update_axes("y", row, props)

    def add_shape(self, **props) -> None:
        self.layout.setdefault("shapes", []).append(_expand(props))

    def add_annotation(self, **props) -> None:
        self.layout.setdefault("annotations", []).append(_expand(props))

    def figure(self) -> go.Figure:
        """The plotly figure (its properties are not checked again)."""
        return go.Figure({"data": self.data, "layout": self.layout}, _validate=False)


@functools.lru_cache(maxsize=None)
def _template_json() -> str:
    import plotly.io as pio
    return json.dumps(pio.templates[TEMPLATE].to_plotly_json())


def _template() -> dict:
    """The shared template's properties (a fresh copy: a figure may change its own)."""
    return json.loads(_template_json())


def _figure() -> _Fig:
    """An empty figure in the shared template."""
    return _Fig()


def _layout(fig: _Fig, title: str, meta: dict, **after) -> go.Figure:
    """The shared look (title, horizontal legend on top, unified hover, meta), then the layout
    properties ``after`` of this chart; the finished plotly figure."""
    fig.update_layout(
        title=dict(text=title, x=0.0, xanchor="left", y=0.98, yref="container", yanchor="top"),
        legend=dict(orientation="h", x=0.0, xanchor="left", y=1.02, yanchor="bottom"),
        hovermode="x unified",
        margin=dict(t=80, l=70, r=30, b=55),
        meta=meta,
    )
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    if after:
        fig.update_layout(**after)
    return fig.figure()


def _mix(hex_color: str, other: str, share: float) -> str:
    """``hex_color`` moved ``share`` (0..1) of the way towards ``other``."""
    a = [int(hex_color[i:i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i:i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b))


def component_colors() -> dict[str, str]:
    """Colour of every cost component: shades of the option's colour, stable across scenarios.

    Returns
    -------
    dict
        component key (``"api_input"``, ``"gpu_rental"``, ...) -> ``"#rrggbb"``.
        The residual value of owned hardware (a credit) is grey.

    >>> component_colors()["api_input"] == CLOSED_COLOR
    True
    """
    # Hand-picked families: the option's colour first, then clearly different shades of the
    # same hue family (no two near-black), so every component of a stack can be told apart.
    closed = (CLOSED_COLOR, "#f4a3ad", "#8c1c2c", "#e8707e", "#c9a7ab", "#5c0f1a", "#b5838a", "#f7cdd2")
    opened = (OPEN_COLOR, "#7fc8d4", "#0b4f5c", "#3aa7b8", "#a7c7cc", "#5b8e96", "#c9e9ee", "#2e6f7a",
              "#94b5ba", "#004452")
    out = dict(zip(CLOSED_COMPONENTS, closed))
    out.update(zip(OPEN_COMPONENTS, opened))
    out["residual_value"] = RESIDUAL_COLOR
    return out


def _vline(fig: _Fig, x: float, text: str, log_x: bool, dash: str, name: str, y: float = 0.99,
           right_half: bool = False, color: str = MARKER_COLOR, hovertext: str | None = None) -> None:
    """A vertical line over the plot height at data ``x``, labelled at height ``y`` [paper].

    The label goes on the line's left when it is in the ``right_half`` of the plot; ``hovertext``
    (if any) shows on hovering it.  Shapes take data values on a log axis; annotations take log10 of them.
    """
    fig.add_shape(type="line", xref="x", yref="paper", x0=x, x1=x, y0=0, y1=1, name=name,
                  line=dict(color=color, width=1.5, dash=dash))
    fig.add_annotation(x=math.log10(x) if log_x else x, xref="x", y=y, yref="paper", yanchor="top",
                       text=text, showarrow=False, xanchor="right" if right_half else "left", name=name,
                       font=dict(color=color, size=11), bgcolor="rgba(255,255,255,0.8)", hovertext=hovertext)


def _note(fig: _Fig, text: str, name: str) -> None:
    """A note in the top-left corner of the plot area, which rising cost lines leave empty
    (e.g. why there is no break-even); wrapped to stay inside a half-width dashboard chart."""
    import textwrap
    wrapped = "<br>".join(textwrap.wrap(text, 44))
    fig.add_annotation(x=0.01, xref="paper", y=0.98, yref="paper", xanchor="left", yanchor="top", align="left",
                       text=wrapped, showarrow=False, name=name, font=dict(color=MARKER_COLOR, size=11),
                       bgcolor="rgba(255,255,255,0.8)", bordercolor=MARKER_COLOR, borderwidth=1)


# --------------------------------------------------------------------------- figures

def cost_vs_volume(result: Result, n: int = 200, cur: Currency = USD) -> go.Figure:
    """Steady monthly cost of both options against monthly volume, break-even marked.

    Long because every trace and line it draws (which the dashboard and tests read) is
    documented here; the body draws them one after another.

    Both options are priced at a steady state (no growth, no one-off costs, capex amortised;
    the closed price in force for the most months of the horizon, see
    :func:`tco.lifecycle.steady_price`) over log-spaced volumes from 1/1000 to 1000 x the workload's
    month-0 volume, widened when needed so the break-even volume is in view.  The
    self-hosted cost is a step function of volume (whole replicas) and is drawn as one.

    Parameters
    ----------
    result : Result
        What :func:`tco.evaluate` returned.
    n : int
        Number of volumes on the curve [-], at least 2.
    cur : Currency
        The currency of the amounts (default US dollars); the axis titles name it.

    Returns
    -------
    plotly.graph_objects.Figure
        Log-log axes: x monthly volume [tokens/month or images/month], y monthly cost
        [USD/month].  Traces: the two options (``meta.kind == "cost"``; the self-hosted
        one with the replicas [-] as ``customdata``) and their costs at the workload's
        month-0 volume (``"current"``).  A dashed vertical line marks
        ``summary["breakeven_volume_per_month"]``, or a note gives
        ``summary["breakeven_volume_reason"]`` when there is none; a dotted one marks the
        month-0 volume.  ``layout.meta``: chart, volume_unit,
        breakeven_volume_per_month, current_volume_per_month, closed_price (which closed
        price the curve uses, "" for the price of month 0 that holds all along).  When that is
        not month 0's price, the closed trace's name says whose price it is
        ("Closed: GPT-4o, at gpt-6-luna's price, in force from month 2").

    Raises
    ------
    ValueError
        If ``n < 2``.
    """
    if int(n) < 2:
        raise ValueError(f"n: must be at least 2, got {n!r}")
    s = result.summary
    names = _names(result)
    unit = _volume_unit(result)
    v0 = _volume_month0(result)
    be = s.get("breakeven_volume_per_month")
    closed_price = result.resolved.closed.steady_note
    if be is not None and s.get("breakeven_volume_unit") == "seats":   # the axis counts tokens a month
        be = be * v0 / result.resolved.volumes.seats_month0
    meta = {"chart": "cost_vs_volume", "volume_unit": unit, "breakeven_volume_per_month": be,
            "current_volume_per_month": v0, "closed_price": closed_price}
    if result.resolved.closed.steady_month > 0:                 # not the price the first month pays
        names["closed"] = f"{names['closed']}, {closed_price.split(' (')[0]}"
    fig = _figure()
    title = "Monthly cost vs monthly volume (steady state)"
    if v0 <= 0:  # the engine cannot scale a zero workload: say so instead of failing
        _note(fig, "Nothing to plot: the workload has no volume.", "no_volume")
        fig.update_xaxes(type="log", title_text=f"Monthly volume [{unit}]")
        fig.update_yaxes(title_text=f"Monthly cost [{cur.code}]")
        return _layout(fig, title, meta)

    curve = result.curve(int(n))
    lo, hi = float(curve["volume"].min()), float(curve["volume"].max())
    if be is not None and not lo <= be <= hi:  # widen the default range to keep the break-even in view
        curve = breakeven_curve(result.resolved, n=int(n), lo=min(lo, be / 3.0), hi=max(hi, be * 3.0))
        lo, hi = float(curve["volume"].min()), float(curve["volume"].max())

    hover_v = f"%{{x:,.4s}} {unit}/month"
    k, money = cur.units_per_usd, _hover(cur)
    fig.add_trace(_trace("scatter", 
        x=curve["volume"], y=curve["closed_usd"].to_numpy(dtype=float) * k, mode="lines", name=names["closed"],
        line=dict(color=CLOSED_COLOR, width=2.5),
        meta={"option": "closed", "kind": "cost"},
        hovertemplate=f"{money}/month<extra>closed</extra>"))
    fig.add_trace(_trace("scatter", 
        x=curve["volume"], y=curve["open_usd"].to_numpy(dtype=float) * k, mode="lines", line_shape="hv", name=names["self_hosted"],
        line=dict(color=OPEN_COLOR, width=2.5), customdata=curve["replicas"],
        meta={"option": "self_hosted", "kind": "cost"},
        hovertemplate=f"{money}/month, %{{customdata:.0f}} replicas<extra>self-hosted</extra>"))

    # the workload's own (month-0) volume, priced exactly rather than read off the curve
    c0, o0, _ = steady_costs(result.resolved, np.array([v0]))
    for opt, y, color in (("closed", c0, CLOSED_COLOR), ("self_hosted", o0, OPEN_COLOR)):
        fig.add_trace(_trace("scatter", 
            x=[v0], y=[float(y[0]) * k], mode="markers", name=f"{names[opt]} at your volume", showlegend=False,
            marker=dict(color=color, size=10, line=dict(color="white", width=1.5)),
            meta={"option": opt, "kind": "current"},
            hovertemplate=f"your volume {hover_v}: {money}/month<extra></extra>"))
    mid = math.sqrt(lo * hi)
    if be is not None:
        # Two lines: the lower one labelled on its left, the higher one on its right, so the
        # labels point apart and never cross (and they sit at two heights).
        be = float(be)
        _vline(fig, v0, f"your volume: {_si(v0)} {unit}/month", log_x=True, dash="dot", name="current_volume",
               right_half=v0 <= be)
        _vline(fig, be, f"break-even: {_si(be)} {unit}/month", log_x=True, dash="dash",
               name="breakeven", y=0.90, right_half=be < v0)
    else:
        _vline(fig, v0, f"your volume: {_si(v0)} {unit}/month", log_x=True, dash="dot", name="current_volume",
               right_half=v0 > mid)
    if be is None:
        _note(fig, f"No break-even volume: {s.get('breakeven_volume_reason', '')}", "breakeven")

    fig.update_xaxes(type="log", title_text=f"Monthly volume [{unit}]", hoverformat=",.4s", **_volume_ticks(lo, hi))
    # log ticks in plotly's own short form ($10, $1k, $1M) stay readable below $1 too
    fig.update_yaxes(type="log", title_text=f"Monthly cost [{cur.code}]", tickprefix=_prefix(cur))
    return _layout(fig, title, meta)


#: Short chart labels of the closed option's price switches (``summary["price_switches"]`` kinds);
#: deprecations change no price and are not drawn.
SWITCH_LABELS = {"promotion_ends": "promotion ends", "price_change": "price change", "price_ends": "price ends",
                 "no_price_yet": "no price yet", "shutdown": "shuts down",
                 "shutdown_no_successor": "shuts down, no successor"}


def _price_switches(fig: _Fig, switches: list[dict], H: int) -> list[int]:
    """A dotted line in the closed colour at the start ``t = month`` of each price switch, labelled
    "<model> shuts down" (the whole sentence on hover), the labels stepped down the plot so that
    neighbours do not overlap.  Returns the months drawn [months]."""
    drawn = [sw for sw in switches if sw["kind"] in SWITCH_LABELS and 0 <= sw["month"] < H]
    for i, sw in enumerate(drawn):
        m = int(sw["month"])
        _vline(fig, m, f"{sw['model_id']} {SWITCH_LABELS[sw['kind']]}", log_x=False, dash="dot",
               name="price_switch", y=0.88 - 0.08 * (i % 4), right_half=m > H / 2, color=CLOSED_COLOR,
               hovertext=sw["message"])
    return [int(sw["month"]) for sw in drawn]


def cumulative_cost(result: Result, cur: Currency = USD) -> go.Figure:
    """Cumulative cost of both options over the horizon, break-even month and price switches marked.

    Costs of month ``m`` accrue evenly through it (the engine's convention for
    ``summary["breakeven_month"]``), so the curves run through ``(0, 0)`` and the
    cumulative cost at each month's end ``t = m + 1``; the break-even month then lies on
    the crossing of the two lines.

    Parameters
    ----------
    result : Result
        What :func:`tco.evaluate` returned.

    Returns
    -------
    plotly.graph_objects.Figure
        x months from the start [months] (0..H), y cumulative cost [USD]; one trace per
        option (``meta.kind == "cost"``; its last y is the option's total over the
        horizon [USD]), a dashed vertical line and a marker (``"breakeven"``) at
        ``summary["breakeven_month"]`` [months], or a note with
        ``summary["breakeven_month_reason"]`` when there is none; a dotted line
        (``"price_switch"``) at the start of each month where the closed option's price switches
        (``summary["price_switches"]``: a promotion ends, a price changes, the model shuts down).
        ``layout.meta``: chart, breakeven_month, price_switch_months.
    """
    s = result.summary
    names = _names(result)
    k, money = cur.units_per_usd, _hover(cur)
    tot = _totals(result, k)
    H = len(tot)
    t = np.arange(H + 1, dtype=float)
    bm = s.get("breakeven_month")
    fig = _figure()
    cum = {}
    for opt in OPTIONS:
        cum[opt] = np.concatenate([[0.0], tot[f"{opt}_cumulative"].to_numpy(dtype=float)])
        fig.add_trace(_trace("scatter", 
            x=t, y=cum[opt], mode="lines", name=names[opt],
            line=dict(color=_COLORS[opt], width=2.5), meta={"option": opt, "kind": "cost"},
            hovertemplate=f"{money}<extra>{opt.replace('_', '-')}</extra>"))
    if result.hybrid is not None and result.hybrid.switch_month is not None:   # else it is the closed line
        hyb = np.concatenate([[0.0], np.cumsum(result.hybrid.monthly_usd)]) * k
        sw = result.hybrid.switch_month
        fig.add_trace(_trace("scatter", 
            x=t, y=hyb, mode="lines", name=f"Hybrid: own base load + API peaks (from month {sw + 1})",
            line=dict(color=HYBRID_COLOR, width=2.5, dash="dashdot"), meta={"option": "hybrid", "kind": "cost"},
            hovertemplate=f"{money}<extra>hybrid</extra>"))
    if bm is not None:
        bm = float(bm)
        y = float(np.interp(bm, t, cum["closed"]))
        fig.add_trace(_trace("scatter", 
            x=[bm], y=[y], mode="markers", name="Break-even", showlegend=False,
            marker=dict(color=MARKER_COLOR, size=10, symbol="diamond"), meta={"kind": "breakeven"},
            hovertemplate=f"break-even in {months_text(bm)}: {money}<extra></extra>"))
        _vline(fig, bm, f"break-even in {months_text(bm)}", log_x=False, dash="dash", name="breakeven",
               right_half=bm > H / 2)
    else:
        _note(fig, f"No break-even: {s.get('breakeven_month_reason', '')}", "breakeven")
    switched = _price_switches(fig, s.get("price_switches", []), H)
    fig.update_xaxes(title_text="Months from start [months]", range=[0, H], hoverformat=".1f")
    fig.update_yaxes(title_text=f"Cumulative cost [{cur.code}]", tickprefix=_prefix(cur), tickformat=",.0f",
                     rangemode="tozero")
    return _layout(fig, "Cumulative cost", {"chart": "cumulative_cost", "breakeven_month": bm,
                                            "price_switch_months": switched})


def monthly_breakdown(result: Result, cur: Currency = USD) -> go.Figure:
    """Monthly cost of each option by component, as stacked bars in two rows.

    The top row is the closed option, the bottom row self-hosting, on the same month
    axis and the same cost scale; the legend has one group (a column) per option.  Bars stack
    relatively, so a negative component (the residual value of owned hardware credited at
    the end) shows below zero, and a line gives each option's net total.

    Parameters
    ----------
    result : Result
        What :func:`tco.evaluate` returned.

    Returns
    -------
    plotly.graph_objects.Figure
        x month [0..H-1], y monthly cost [USD/month]; one bar trace per option and
        component that is non-zero in some month (``meta`` has option, component,
        ``kind == "component"``; named by ``Result.monthly``'s ``label``) and one
        ``"total"`` line per option.  Per month the bars of an option sum to its total.
        ``layout.meta``: chart.
    """
    colors = component_colors()
    cols = result.columns
    option, component = np.asarray(cols["option"]), np.asarray(cols["component"])
    month, label = np.asarray(cols["month"], dtype=np.int64), np.asarray(cols["label"])
    H = int(result.summary["horizon_months"])
    months = np.arange(H, dtype=float)   # float: plotly.js cannot decode int64 typed arrays
    k, money = cur.units_per_usd, _hover(cur)
    usd_all = np.asarray(cols["usd"], dtype=float) * k
    tot = _totals(result, k)
    fig = _Fig(rows=2, vertical_spacing=0.08)       # two rows on one month axis
    rows_ = (("closed", CLOSED_COMPONENTS, "Closed API"), ("self_hosted", OPEN_COMPONENTS, "Self-hosted"))
    for row, (opt, order, short) in enumerate(rows_, start=1):
        mine = option == opt
        comps = sorted(set(component[mine].tolist()), key=lambda c: order.index(c) if c in order else len(order))
        group = dict(legendgroup=opt, legendgrouptitle=dict(text=f"<b>{short}</b>"))
        for comp in comps:
            rows = np.flatnonzero(mine & (component == comp))
            usd = np.bincount(month[rows], weights=usd_all[rows], minlength=H)[:H]
            name = str(label[rows[0]])
            fig.add_trace(_trace("bar",
                x=months, y=usd, name=name, **group,
                marker=dict(color=colors.get(comp, _COLORS[opt]), line=dict(width=0)),
                meta={"option": opt, "component": comp, "kind": "component"},
                hovertemplate=f"{money}<extra>{name}</extra>"), row=row, col=1)
        fig.add_trace(_trace("scatter",
            x=months, y=tot[opt].to_numpy(dtype=float), mode="lines", name="Total",
            **group, line=dict(color=_COLORS[opt], width=1.5, dash="dot"),
            meta={"option": opt, "kind": "total"},
            hovertemplate=f"<b>{money}</b><extra>total</extra>"), row=row, col=1)
        fig.update_yaxes(title_text=f"{short} [{cur.code}]", row=row, col=1)
    fig.update_layout(barmode="relative", bargap=0.15)
    fig.update_yaxes(tickprefix=_prefix(cur), tickformat=",.0f")
    fig.update_yaxes(matches="y", row=2, col=1)
    fig.update_xaxes(title_text="Month", row=2, col=1)
    # one legend column per option, beside the bars; a click hides one component, not the whole stack
    return _layout(fig, "Monthly cost by component", {"chart": "monthly_breakdown"},
                   legend=dict(traceorder="grouped", groupclick="toggleitem", orientation="v", x=1.02,
                               xanchor="left", y=1.0, yanchor="top", font=dict(size=10)),
                   margin=dict(t=50, r=10))


def unit_cost(result: Result, cur: Currency = USD) -> go.Figure:
    """Cost per unit of each option, month by month.

    Unit cost = monthly cost / monthly volume x 1e6 for tokens [USD per 1M tokens], or
    / monthly images [USD per image].  One-off costs weigh on month 0; a month without
    volume has no unit cost (a gap).  Dotted lines give the levelised cost over the
    horizon (discounted cost / discounted volume, ``summary["*_levelised_usd_per_unit"]``).

    Parameters
    ----------
    result : Result
        What :func:`tco.evaluate` returned.

    Returns
    -------
    plotly.graph_objects.Figure
        x month [0..H-1], y unit cost [USD per 1M tokens or USD per image]; one trace per
        option (``meta.kind == "cost"``) and one ``"levelised"`` line per option that has a
        levelised cost.  ``layout.meta``: chart, unit.
    """
    s = result.summary
    names = _names(result)
    unit, per = _unit(result)
    k = cur.units_per_usd
    tot = _totals(result, k)
    H = len(tot)
    months = np.arange(H, dtype=float)
    vols = _volumes(result)
    fig = _figure()
    for opt in OPTIONS:
        usd = tot[opt].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            uc = np.where(vols > 0, usd / np.where(vols > 0, vols, 1.0) * per, np.nan)
        fig.add_trace(_trace("scatter", 
            x=months, y=uc, mode="lines" if H > 1 else "markers", name=names[opt],
            line=dict(color=_COLORS[opt], width=2.5), meta={"option": opt, "kind": "cost"},
            hovertemplate=f"{_hover(cur, ',.3f')} per {unit}<extra>{opt.replace('_', '-')}</extra>"))
        lev = s.get(f"{'closed' if opt == 'closed' else 'open'}_levelised_usd_per_unit")
        if lev is not None:
            fig.add_trace(_trace("scatter", 
                x=[0, H - 1], y=[lev * k, lev * k], mode="lines", name=f"levelised, {opt.replace('_', '-')}",
                line=dict(color=_COLORS[opt], width=1.5, dash="dot"),
                meta={"option": opt, "kind": "levelised"},
                hovertemplate=f"levelised {_hover(cur, ',.3f')} per {unit}<extra></extra>"))
    fig.update_xaxes(title_text="Month", range=[0, max(H - 1, 1)])
    fig.update_yaxes(title_text=f"Unit cost [{cur.code} per {unit}]", tickprefix=_prefix(cur), rangemode="tozero")
    return _layout(fig, f"Cost per {unit}", {"chart": "unit_cost", "unit": unit})


def fleet_chart(result: Result) -> go.Figure:
    """The self-hosted fleet month by month: replicas, GPUs (and servers when owned) as bars and
    lines on the left axis, the average utilisation on the right.

    Parameters
    ----------
    result : Result
        What :func:`tco.evaluate` returned.

    Returns
    -------
    plotly.graph_objects.Figure
        x month [0..H-1]; traces (``meta.kind``) ``"replicas"``, ``"gpus"``, ``"servers"``
        (owned hardware only) [-] and ``"utilisation"`` [%] on ``y2``.  The title says what is
        billed at the peak (``summary["fleet_label"]``) and the latency reached (time per
        output token and to the first token) when the roofline model gave them, and on a line
        of its own the latency target out of reach (``summary["latency_note"]``, up to its reason).
        ``layout.meta``: chart, peak_replicas, peak_gpus.
    """
    s = result.summary
    cols = result.columns
    H = int(s["horizon_months"])
    months = np.arange(H, dtype=float)
    # the self-hosted rows of one component cover every month (the table is component-major)
    rows = np.flatnonzero(np.asarray(cols["option"]) == "self_hosted")[:H]
    replicas, gpus, util = (np.full(H, np.nan) for _ in range(3))
    if len(rows) == H:
        replicas = np.asarray(cols["replicas"], dtype=float)[rows]
        gpus = np.asarray(cols["gpus"], dtype=float)[rows]
        util = np.asarray(cols["utilisation"], dtype=float)[rows] * 100
    fig = _figure()
    fig.add_trace(_trace("bar", x=months, y=replicas, name="replicas", marker=dict(color=OPEN_COLOR),
                         meta={"option": "self_hosted", "kind": "replicas"},
                         hovertemplate="%{y:,.0f} replicas<extra></extra>"))
    fig.add_trace(_trace("scatter", x=months, y=gpus, mode="lines", name="GPUs", line=dict(color=MARKER_COLOR, width=2),
                             line_shape="hv", meta={"option": "self_hosted", "kind": "gpus"},
                             hovertemplate="%{y:,.0f} GPUs<extra></extra>"))
    if result.resolved.open.hosting == "owned":
        from tco.owned import servers_installed
        servers = servers_installed(replicas, result.resolved.open.gpus_per_replica,
                                    max(result.resolved.open.gpus_per_server, 1))
        fig.add_trace(_trace("scatter", x=months, y=servers, mode="lines", name="servers", line_shape="hv",
                                 line=dict(color=RESIDUAL_COLOR, width=2, dash="dot"),
                                 meta={"option": "self_hosted", "kind": "servers"},
                                 hovertemplate="%{y:,.0f} servers<extra></extra>"))
    fig.add_trace(_trace("scatter", x=months, y=util, mode="lines", name="utilisation [%]", yaxis="y2",
                             line=dict(color=HYBRID_COLOR, width=2), meta={"option": "self_hosted",
                                                                          "kind": "utilisation"},
                             hovertemplate="%{y:.0f}% utilised<extra></extra>"))
    latency = ""
    if s.get("time_per_output_token_s") is not None and s.get("time_to_first_token_s") is not None:
        # three significant digits, as the fleet card writes them (39.5 ms, not a rounded-up 40 ms
        # that reads as the 40 ms target itself)
        latency = (f" · {_sig3(s['time_per_output_token_s'] * 1000)} ms per output token, "
                   f"{_sig3(s['time_to_first_token_s'] * 1000)} ms to the first")
    if s.get("latency_note"):
        # the words the fleet card says, up to their reason: "The 450 ms target to the first token is
        # out of reach on 2 GPU(s)" (the card carries the rest), on a line of its own
        latency += f"<br><sup>{html.escape(s['latency_note'].split(':', 1)[0])}</sup>"
    fig.update_xaxes(title_text="Month", range=[-0.5, max(H - 0.5, 0.5)])
    fig.update_yaxes(title_text="Replicas, GPUs [-]", rangemode="tozero")
    # its own round ticks (0, 20, .. 100): plotly otherwise syncs an overlaying axis's ticks to the
    # replicas axis (0, 15.8, 31.7, ..)
    fig.update_layout(yaxis2=dict(title_text="Utilisation [%]", overlaying="y", side="right", range=[0, 100],
                                  tickmode="linear", tick0=0, dtick=20, showgrid=False), bargap=0.2)
    return _layout(fig, f"Fleet: {s.get('fleet_label', '')}{latency}",
                   {"chart": "fleet", "peak_replicas": s["peak_replicas"], "peak_gpus": s["peak_gpus"]})


def all_figures(result: Result, cur: Currency = USD) -> dict[str, go.Figure]:
    """Every chart of a result, by name, its amounts in ``cur`` (default US dollars).

    Parameters
    ----------
    result : Result
        What :func:`tco.evaluate` returned.
    cur : Currency
        The currency of the amounts (:func:`tco.currency.currency`).

    Returns
    -------
    dict
        ``"cost_vs_volume"``, ``"cumulative_cost"``, ``"monthly_breakdown"``,
        ``"unit_cost"``, ``"fleet"`` -> :class:`plotly.graph_objects.Figure`.

    Examples
    --------
    >>> from tco import Scenario, evaluate, load_catalog
    >>> r = evaluate(Scenario.from_dict({
    ...     "workload": {"input_tokens_per_month": 1e7, "output_tokens_per_month": 2e6},
    ...     "closed": {"input_usd_per_mtok": 3, "output_usd_per_mtok": 15},
    ...     "open": {"usd_per_gpu_hour": 2, "output_tokens_per_second_per_replica": 100}}),
    ...     load_catalog(use_env=False))
    >>> sorted(all_figures(r))
    ['cost_vs_volume', 'cumulative_cost', 'fleet', 'monthly_breakdown', 'unit_cost']
    """
    return {"cost_vs_volume": cost_vs_volume(result, cur=cur), "cumulative_cost": cumulative_cost(result, cur),
            "monthly_breakdown": monthly_breakdown(result, cur), "unit_cost": unit_cost(result, cur),
            "fleet": fleet_chart(result)}


# --------------------------------------------------------------------------- uncertainty

def tornado(rows: pd.DataFrame, unit_label: str | None = None, cur: Currency = USD) -> go.Figure:
    """Tornado chart: the NPV savings with each input at its low and its high, largest swing on top.

    Parameters
    ----------
    rows : DataFrame
        :func:`tco.sensitivity.tornado`'s table (label, low, high, savings_npv_low,
        savings_npv_high, base_savings_npv, unit) [USD].
    unit_label : str, optional
        The x axis title; default "NPV savings of self-hosting [<currency code>]".
    cur : Currency
        The currency the savings are drawn in (default US dollars); ``layout.meta["base"]`` too.

    Returns
    -------
    plotly.graph_objects.Figure
        Two bar traces (``meta.kind`` "low" and "high") from the base savings to each end;
        a vertical line at the base; ``layout.meta``: chart, base.
    """
    df = rows.iloc[::-1]                                     # plotly draws the first category at the bottom
    k = cur.units_per_usd
    base = float(rows["base_savings_npv"].iloc[0]) * k if len(rows) else 0.0
    y = [f"{r.label} ({_fmt_end(r.low, r.unit)} / {_fmt_end(r.high, r.unit)})" for r in df.itertuples()]
    fig = _figure()
    for end, color in (("low", "#577590"), ("high", "#f3722c")):
        vals = df[f"savings_npv_{end}"].to_numpy(dtype=float) * k
        fig.add_trace(_trace("bar", 
            y=y, x=vals - base, base=base, orientation="h", name=f"input at its {end}", marker_color=color,
            meta={"kind": end}, customdata=vals,
            hovertemplate=f"%{{y}}<br>savings {_hover(cur, field='customdata')}<extra>{end}</extra>"))
    fig.add_shape(type="line", x0=base, x1=base, xref="x", y0=0, y1=1, yref="y domain",
                  line=dict(color=MARKER_COLOR, dash="dash", width=1.5))
    fig.update_layout(barmode="overlay")
    fig.update_xaxes(title_text=unit_label or f"NPV savings of self-hosting [{cur.code}]", tickprefix=_prefix(cur),
                     tickformat=",.0f")
    fig.update_yaxes(automargin=True)
    return _layout(fig, "What moves the savings most", {"chart": "tornado", "base": base},
                   hovermode="closest", margin=dict(l=10))


def _sig3(v: float) -> str:
    """A latency to three significant digits, trailing zeros kept, as the dashboard's ``sigFixed(x, 3)``
    writes it: 39.97 ms reads "40.0", not a "40" that looks like the 40 ms target itself; no digits are cut
    from a number of four or more (1,234 ms: "1234").

    >>> _sig3(39.97), _sig3(39.5408), _sig3(111.53), _sig3(1234.0), _sig3(0.0123456), _sig3(0.0)
    ('40.0', '39.5', '112', '1234', '0.0123', '0')
    """
    if not math.isfinite(v) or v == 0:
        return f"{v:g}"
    return f"{v:.{max(0, 2 - math.floor(math.log10(abs(v))))}f}"


def _fmt_end(v: float, unit: str) -> str:
    """One end of a tornado bar's range, as its label shows it.

    >>> _fmt_end(0.7, "x"), _fmt_end(1 / 1.3, "x"), _fmt_end(1.3, "x"), _fmt_end(0.05, "1/month")
    ('x0.7', 'x1/1.3', 'x1.3', '5%')
    """
    if unit == "x":
        inv = 1.0 / v if v > 0 else math.inf
        if v < 1 and math.isfinite(inv) and abs(inv - round(inv, 2)) < 1e-9 and abs(v - round(v, 2)) > 1e-9:
            return f"x1/{round(inv, 2):g}"          # a range symmetric by ratio: x1/1.3 rather than x0.769231
        return f"x{v:.3g}"
    if unit in ("1/month", "1/year", "fraction"):
        return f"{v * 100:.0f}%"
    return f"{v:g}"


def fan(bands: pd.DataFrame, result: Result | None = None, cur: Currency = USD) -> go.Figure:
    """Fan chart: P10-P90 band and P50 line of the cumulative cost of each option, by month.

    Parameters
    ----------
    bands : DataFrame
        ``MonteCarloResult.cumulative_bands`` (month, option, p10, p50, p90) [USD].
    result : Result, optional
        The deterministic result, drawn as a thin line for comparison.
    cur : Currency
        The currency of the amounts (default US dollars).

    Returns
    -------
    plotly.graph_objects.Figure
        Per option a filled band (``meta.kind`` "band") and a P50 line (``"p50"``).
    """
    fig = _figure()
    k, money = cur.units_per_usd, _hover(cur)
    names = {"closed": "Closed API", "self_hosted": "Self-hosted"}
    for opt in OPTIONS:
        b = bands[bands["option"] == opt].sort_values("month")
        t = b["month"].to_numpy(dtype=float) + 1.0
        color = _COLORS[opt]
        fill = "rgba({},{},{},0.18)".format(*(int(color[i:i + 2], 16) for i in (1, 3, 5)))
        fig.add_trace(_trace("scatter", x=t, y=b["p90"].to_numpy(float) * k, mode="lines", line=dict(width=0),
                                 showlegend=False, hoverinfo="skip", meta={"option": opt, "kind": "band_top"}))
        fig.add_trace(_trace("scatter", x=t, y=b["p10"].to_numpy(float) * k, mode="lines", line=dict(width=0), fill="tonexty",
                                 fillcolor=fill, name=f"{names[opt]}: P10-P90", meta={"option": opt, "kind": "band"},
                                 hovertemplate=f"P10 {money}<extra>{names[opt]}</extra>"))
        fig.add_trace(_trace("scatter", x=t, y=b["p50"].to_numpy(float) * k, mode="lines", line=dict(color=color, width=2.5),
                                 name=f"{names[opt]}: median", meta={"option": opt, "kind": "p50"},
                                 hovertemplate=f"P50 {money}<extra>{names[opt]}</extra>"))
    if result is not None:
        tot = _totals(result, k)
        for opt in OPTIONS:
            fig.add_trace(_trace("scatter", x=np.arange(1, len(tot) + 1, dtype=float),
                                     y=tot[f"{opt}_cumulative"].to_numpy(float), mode="lines",
                                     line=dict(color=_COLORS[opt], width=1, dash="dot"),
                                     name=f"{names[opt]}: your inputs", meta={"option": opt, "kind": "deterministic"},
                                     hovertemplate=f"{money}<extra>your inputs</extra>"))
    fig.update_xaxes(title_text="Months from start [months]")
    fig.update_yaxes(title_text=f"Cumulative cost [{cur.code}]", tickprefix=_prefix(cur), tickformat=",.0f",
                     rangemode="tozero")
    return _layout(fig, "Cumulative cost: P10-P90 of the Monte Carlo", {"chart": "fan"})
