"""Break-even: the volume from which self-hosting stays cheaper, and the month it catches up.

(1) *Volume*: the steady monthly volume where self-hosting's monthly cost falls to the closed
option's.  Self-hosting is a step function of volume (one more replica at each threshold),
so the answer is the first volume from which it *stays* cheaper, solved exactly between
replica thresholds.  (2) *Time*: the first month where cumulative self-hosted cost is at or
below the closed option's, interpolated within the month.  The steady views price month-0
volume without growth or one-offs, capex amortised, at the closed price in force for the most
months of the horizon (:func:`tco.lifecycle.steady_price`: a model shutting down early is priced
at its successor's price, and the reason sentence says so).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from tco.bills import closed_costs
from tco.components import ONE_OFF_COMPONENTS, total
from tco.fleet import fleet
from tco.folded import cloud_token_totals
from tco.resolve import Resolved
from tco.scenario import ScenarioError
from tco.selfhosted import open_costs

_ONE = np.ones(1)
_LOCATING_GRID = np.geomspace(1e3, 1e16, 261)   # 12% steps: it only locates the break-even crossing


def steady_costs(R: Resolved, volumes) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Steady monthly cost of each option at each volume, and the replicas [USD/month, -].

    ``volumes`` are monthly volumes (tokens, or images for image workloads) of any shape;
    the closed price in force for the most months (``R.closed.steady()``), no growth, no
    one-off costs, capex amortised.
    """
    vol = R.volumes
    base = vol.images_month0 if vol.kind == "images" else vol.tokens_month0
    if base <= 0:
        raise ScenarioError("workload", "a break-even curve needs a volume > 0")
    v = np.asarray(volumes, dtype=float)
    scale = (v / base)[..., None]
    if R.open.hosting == "cloud" and vol.kind == "tokens":      # the folded path (tco.folded), as in sweep()
        steady = R if len(vol.growth) == 1 and vol.growth[0] == 1.0 else replace(R, volumes=replace(vol, growth=_ONE))
        closed, opened, replicas = cloud_token_totals(steady, scale, None, steady=True)
        return closed[..., 0], opened[..., 0], replicas[..., 0]
    closed = total(closed_costs(R, scale, steady=True))[..., 0]
    fl = fleet(R, scale, steady=True)
    opened = total(open_costs(R, scale, steady=True, fl=fl))[..., 0]
    return closed, opened, fl["replicas"][..., 0]


def breakeven_curve(R: Resolved, volumes=None, n: int = 200, lo: float | None = None,
                    hi: float | None = None) -> pd.DataFrame:
    """Steady monthly cost of both options over log-spaced volumes [USD/month].

    Columns: volume (tokens or images per month), closed_usd, open_usd, replicas and, for
    token workloads, closed_usd_per_mtok and open_usd_per_mtok.  By default ``n`` volumes
    from 1/1000 to 1000 x the workload's month-0 volume.
    """
    vol = R.volumes
    base = vol.images_month0 if vol.kind == "images" else vol.tokens_month0
    if volumes is None:
        ref = base if base > 0 else 1e9
        volumes = np.geomspace(lo or ref / 1000.0, hi or ref * 1000.0, n)
    v = np.asarray(volumes, dtype=float)
    closed, opened, replicas = steady_costs(R, v)
    df = pd.DataFrame({"volume": v, "closed_usd": closed, "open_usd": opened, "replicas": replicas})
    if vol.kind == "tokens":
        df["closed_usd_per_mtok"] = closed / v * 1e6
        df["open_usd_per_mtok"] = opened / v * 1e6
    return df


def months_text(t: float) -> str:
    """A break-even time [months from the start] as every sentence and KPI says it: the month it
    falls in (1-based) and, in the first three months, how far into it.

    >>> months_text(0.3333)
    'month 1 (0.33 months in)'
    >>> months_text(13.2)
    'month 14'
    """
    m = f"month {int(math.floor(t)) + 1}"
    return f"{m} ({t:.2f} months in)" if t < 3 else m


@dataclass
class BreakEven:
    value: float | None
    reason: str
    #: Unit of ``value``: "tokens/month", "images/month" or "seats".
    unit: str = "tokens/month"


def breakeven_volume(R: Resolved) -> BreakEven:
    """The break-even in the closed option's own unit: seats for a per-seat product (the number
    of seats from which self-hosting is cheaper, at the workload's tokens per seat), else the
    steady monthly volume (:func:`breakeven_tokens_or_images`).

    A seat workload's tokens scale with its seats, so the seat break-even is the token
    break-even over the tokens each seat uses a month.
    """
    vol, p = R.volumes, R.closed
    seat_product = vol.kind == "tokens" and vol.seats_month0 > 0 and p.per_seat_month > 0
    if vol.kind == "tokens" and not (p.priced_tokens or seat_product or p.baseline is not None):
        return BreakEven(None, "the closed option is not priced per token or per seat")
    be = breakeven_tokens_or_images(R)
    if not seat_product:
        return be
    per_seat = vol.tokens_month0 / vol.seats_month0                   # tokens per seat a month
    if be.value is None:
        text = be.reason.replace("at every volume", "at every number of seats")
        return BreakEven(None, f"{text} (at {per_seat:,.4g} tokens per seat a month)", "seats")
    seats = be.value / per_seat
    return BreakEven(seats, f"self-hosting is cheaper from {math.ceil(seats - 1e-9):,} seats on "
                            f"(at {per_seat:,.4g} tokens per seat a month, {be.value:,.4g} tokens/month)", "seats")


def breakeven_tokens_or_images(R: Resolved) -> BreakEven:
    """The steady monthly volume from which self-hosting is, and stays, cheaper.

    Between two replica thresholds (volumes where one more replica is needed) every
    self-hosted cost is constant or linear in volume (autoscaled rental), and so is the
    closed cost: their difference is linear on each interval and can only turn dearer at a
    threshold, where self-hosting steps up.  A log grid over 10^3..10^16 locates the last
    dearer volume; the thresholds around it are then checked one by one (as arrays) and
    the crossing is solved exactly on the last interval where self-hosting is dearer.
    """
    vol = R.volumes
    unit = "images" if vol.kind == "images" else "tokens"
    per_month = f"{unit}/month"
    base = vol.images_month0 if vol.kind == "images" else vol.tokens_month0
    if base <= 0:
        return BreakEven(None, "the workload has no volume", per_month)
    grid = _LOCATING_GRID
    if len(vol.growth) != 1 or vol.growth[0] != 1.0:        # one steady view for the three passes below
        R = replace(R, volumes=replace(vol, growth=_ONE))
        vol = R.volumes
    closed, opened, _ = steady_costs(R, grid)
    d = opened - closed
    dearer = d > 1e-9 * closed
    if not dearer.any():
        return BreakEven(0.0, f"self-hosting is cheaper at every volume from {grid[0]:.0f} {unit}/month up", per_month)
    last = int(np.flatnonzero(dearer)[-1])
    if last == len(grid) - 1:
        per = 1e6 if unit == "tokens" else 1.0
        return BreakEven(None, f"self-hosting stays dearer at every volume: at scale it costs "
                               f"{opened[-1] / grid[-1] * per:.4g} USD per {'1M tokens' if unit == 'tokens' else 'image'}"
                               f" against the closed option's {closed[-1] / grid[-1] * per:.4g}", per_month)
    # Replica thresholds: volume V needs ceil(V x peak_per_volume / per_replica) replicas.
    fl = fleet(R, 1.0, steady=True)
    peak_per_volume = float(fl["peak_load"][0]) / base
    per_replica = R.open.capacity_per_replica * R.scenario.open.target_utilisation
    step_volume = per_replica / peak_per_volume                       # volume served per extra replica
    # How much one replica step can add: compare the cost just above and at a threshold.
    n_here = max(1.0, math.floor(grid[last] / step_volume))
    probe = np.array([n_here * step_volume, n_here * step_volume * (1 + 1e-9)])
    _, o_probe, _ = steady_costs(R, probe)
    step_cost = max(float(o_probe[1] - o_probe[0]), 0.0)
    # Beyond the first grid volume where self-hosting is cheaper by more than two steps, it stays cheaper.
    ahead = np.flatnonzero((np.arange(len(grid)) > last) & (-d > 2 * step_cost + 1e-9 * closed))
    v_safe = grid[ahead[0]] if len(ahead) else grid[-1]
    n_lo = max(0, math.floor(grid[max(last - 1, 0)] / step_volume) - 1)
    n_hi = math.ceil(v_safe / step_volume) + 1
    if n_hi - n_lo > 200_000:   # too many thresholds to list: keep the grid's answer
        return BreakEven(float(grid[last + 1]), f"self-hosting is cheaper from about {grid[last + 1]:,.4g} "
                                                f"{unit}/month on", per_month)
    n = np.arange(n_lo, n_hi + 1, dtype=float)
    left = np.maximum(n * step_volume * (1 + 1e-9), grid[0])          # just above a threshold
    right = (n + 1) * step_volume                                     # the next threshold
    c_lr, o_lr, _ = steady_costs(R, np.concatenate([left, right]))      # both ends in one pass
    d_l, d_r = (o_lr - c_lr)[: len(n)], (o_lr - c_lr)[len(n):]
    c_l, c_r = c_lr[: len(n)], c_lr[len(n):]
    bad = (d_l > 1e-9 * c_l) | (d_r > 1e-9 * c_r)
    if not bad.any():
        value = float(left[0])
    else:
        i = int(np.flatnonzero(bad)[-1])
        if d_r[i] > 0:          # dearer up to the threshold itself (cannot happen with a cost step up)
            value = float(right[i])
        else:                   # linear on the interval: solve d = 0
            value = float(left[i] + d_l[i] * (right[i] - left[i]) / (d_l[i] - d_r[i]))
    return BreakEven(value, f"self-hosting is cheaper from {value:,.4g} {unit}/month on", per_month)


def _why_it_pays_off(R: Resolved) -> str:
    """What the steady view (month-0 prices, no one-offs) leaves out that favours self-hosting."""
    c = R.scenario.closed
    if c.price_change_annual > 0 or R.closed.switches or (R.closed.baseline is not None
                                                          and np.ptp(R.closed.baseline) > 0):
        return "the closed option's prices change over the horizon (the steady view prices month 0)"
    if c.setup_usd > 0:
        return f"the closed option's one-off cost ({c.setup_usd:,.0f} USD) is left out of the steady view"
    if is_cash_capex(R):
        return "the servers' resale value at the end is left out of the steady view"
    return "costs change over the horizon (the steady view prices one steady month without one-offs)"


def volume_reason(R: Resolved, vol: BreakEven, savings_usd: float, month: float | None, horizon: int) -> str:
    """The volume break-even's sentence, made consistent with the horizon's verdict.

    The steady view can disagree with the totals: it prices one steady month (month 0's volume at
    the closed price in force longest) without one-offs, the
    totals price every month with growth, price changes and one-offs.  Where they disagree the
    sentence says both, so that it never reads "never" beside savings, nor "cheaper" beside a loss.

    >>> from types import SimpleNamespace as NS
    >>> R = NS(volumes=NS(kind="tokens", tokens_month0=1e9, seats_month0=0.0), scenario=NS(closed=NS(
    ...     price_change_annual=0.0, setup_usd=0.0), open=NS(hosting="cloud", capex_mode="amortised")),
    ...     closed=NS(switches=(), baseline=None), open=NS(hosting="cloud"))
    >>> print(volume_reason(R, BreakEven(2e9, "self-hosting is cheaper from 2e+09 tokens/month on"), 5e3, 20.5, 36))
    self-hosting is cheaper from 2e+09 tokens/month on; at the month-0 volume (1e+09 tokens/month) it is dearer, and it pays off as volume grows: cumulative cost falls below the closed option's in month 21
    """
    v = R.volumes
    base = {"seats": v.seats_month0, "images/month": getattr(v, "images_month0", 0.0)}.get(vol.unit, v.tokens_month0)
    if savings_usd > 0 and vol.value is None:
        when = f"; cumulative cost falls below the closed option's in {months_text(month)}" if month is not None else ""
        return (f"in the steady view {vol.reason}; yet over the {horizon} months self-hosting saves "
                f"{savings_usd:,.0f} USD because {_why_it_pays_off(R)}{when}")
    if savings_usd > 0 and vol.value is not None and base < vol.value:
        when = f": cumulative cost falls below the closed option's in {months_text(month)}" if month is not None else ""
        return (f"{vol.reason}; at the month-0 volume ({base:,.4g} {vol.unit}) it is dearer, and it pays off "
                f"as volume grows{when}")
    if savings_usd < 0 and vol.value is not None and base >= vol.value:
        return (f"{vol.reason}; the month-0 volume ({base:,.4g} {vol.unit}) is above it, yet over the {horizon} "
                f"months self-hosting costs {-savings_usd:,.0f} USD more (one-off costs, volume or price changes)")
    return vol.reason


def breakeven_month(closed_monthly: np.ndarray, open_monthly: np.ndarray, closed_upfront=0.0,
                    open_upfront=0.0) -> np.ndarray:
    """First time, in months from the start, when cumulative self-hosted cost <= closed [months].

    A month's one-off costs (``*_upfront``: setup, cash purchases; part of the monthly totals)
    are paid at its start; the rest accrues evenly through it.  The cumulative difference is
    then piecewise linear within each month and the crossing is interpolated there.  NaN
    when it never happens within the horizon.  Works on (..., months) arrays.

    >>> float(breakeven_month(np.array([10., 10., 10.]), np.array([25., 0., 0.])))
    2.5

    A 2,000 USD server paid up front against a 6,000 USD/month API bill pays off a third
    of the way into month 0 (2,000 / 6,000):

    >>> round(float(breakeven_month(np.array([6000.]), np.array([2000.]), 0.0, np.array([2000.]))), 4)
    0.3333
    """
    d = np.subtract(open_monthly, closed_monthly)
    lump = np.broadcast_to(np.subtract(open_upfront, closed_upfront), d.shape)
    end = np.cumsum(d, axis=-1)                                         # at the end of month m (t = m+1)
    start = end - d + lump                                              # at its start, one-offs paid
    below = (start < 0) | (end <= 0)                                  # t = 0 itself (nothing spent) is no crossing
    first = np.argmax(below, axis=-1)                                   # first month at or below zero
    found = below.any(axis=-1)
    s0 = np.take_along_axis(start, first[..., None], axis=-1)[..., 0]
    e0 = np.take_along_axis(end, first[..., None], axis=-1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = np.where(s0 > 0, s0 / (s0 - e0), 0.0)
    t = first + frac
    return np.where(found, t, np.nan)


def upfront_usd(parts: dict[str, np.ndarray], cash_capex: bool = False) -> np.ndarray:
    """The one-off part of each month's cost, paid at its start [USD/month]: setup and, with
    cash capex, the purchases (the ``hardware`` component)."""
    names = [k for k in ONE_OFF_COMPONENTS if k in parts] + (["hardware"] if cash_capex and "hardware" in parts else [])
    shape = next(iter(parts.values())).shape
    out = np.zeros(shape)
    for k in names:
        out = out + parts[k]
    return out


def is_cash_capex(R: Resolved) -> bool:
    """Owned hardware shown as cash: its purchases are one-off payments."""
    return R.open.hosting == "owned" and R.scenario.open.capex_mode == "cash"


def breakevens(R: Resolved, closed: dict | None = None, opened: dict | None = None) -> dict:
    """Both break-evens of a resolved scenario, with a sentence saying why (or why not).

    ``closed`` and ``opened`` are the options' components (computed when not given).
    """
    closed = closed_costs(R) if closed is None else closed
    opened = open_costs(R) if opened is None else opened
    closed_total, open_total = total(closed), total(opened)
    vol = breakeven_volume(R)
    if R.closed.steady_note and vol.reason.startswith("self-hosting"):     # which closed price it is
        vol = replace(vol, reason=f"{vol.reason}, {R.closed.steady_note}")
    month = float(breakeven_month(closed_total, open_total, upfront_usd(closed), upfront_usd(opened, is_cash_capex(R))))
    H = len(closed_total)
    savings = float(closed_total.sum() - open_total.sum())
    return {
        "breakeven_volume_per_month": vol.value,
        "breakeven_volume_unit": vol.unit,
        "breakeven_volume_reason": volume_reason(R, vol, savings, None if math.isnan(month) else month, H),
        "breakeven_price_note": R.closed.steady_note,
        "breakeven_month": None if math.isnan(month) else month,
        "breakeven_month_reason": (f"cumulative self-hosted cost falls to the closed option's in "
                                   f"{months_text(month)}"
                                   if not math.isnan(month) else
                                   f"cumulative self-hosted cost stays above the closed option's for all {H} months"),
    }
