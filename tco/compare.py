"""Many options on one workload: priced in one call, ranked by NPV, the cheapest per volume band.

``compare(scenario, options, catalog) -> Comparison``.  An option is one of :data:`KINDS`:

=============  =====================================================  =========================
kind           what it is                                             its fields
=============  =====================================================  =========================
closed         a closed model billed per token                        ``closed`` (model or prices)
seats          a per-seat product                                     ``closed`` (seat_product)
image          an image API billed per image                          ``closed`` (image_model)
self_hosted    an open model on rented (one term) or owned GPUs       ``open``
hybrid         own replicas for the base load, the API for the rest   ``closed`` and ``open``
=============  =====================================================  =========================

Each option is resolved by :func:`tco.resolve.resolve` (every check and source of the
two-option scenario) with its side of the scenario set and the other side a zero-priced
stand-in that is never priced, then costed by the modules the two-option engine uses
(:func:`tco.bills.closed_costs`, :func:`tco.selfhosted.open_costs`, :func:`tco.hybrid.plan`), so
``compare`` of a closed option and a self-hosted one gives each the totals ``evaluate`` gives
the pair.  The monthly costs are stacked as an (options, months) array; totals, NPV, levelised
costs, the cumulative series and the break-even month against the cheapest are array operations
over it.  The steady costs over a volume grid (:func:`tco.breakeven.steady_costs`,
:func:`tco.hybrid.steady_costs`) give the cheapest option per volume band and the volume where
each option crosses the cheapest.

Units must agree: a seat product prices seats, so it compares with token options only when the
workload is given in seats with the tokens each seat uses (``workload.seats`` and
``workload.tokens_per_seat_month``); an image API compares only on an image workload, a token
API only on a token workload.  Options that cannot be priced on the workload are refused with a
:class:`~tco.scenario.ScenarioError` naming ``options.<i>``.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import numpy as np

from tco import hybrid
from tco.bills import closed_costs
from tco.breakeven import breakeven_month, is_cash_capex, months_text, steady_costs, upfront_usd
from tco.catalog import Catalog
from tco.components import total
from tco.finance import discount_factors
from tco.fleet import fleet
from tco.folded import blended_usd_per_token
from tco.people import one_off_usd
from tco.resolve import Resolved, resolve
from tco.scenario import ClosedOption, OpenOption, Scenario, ScenarioError, Workload
from tco.selfhosted import open_costs

KINDS = ("closed", "seats", "image", "self_hosted", "hybrid")
#: Most options one comparison holds.
MAX_OPTIONS = 12
#: Volumes in the default cost-vs-volume grid (1/1000 to 1000 x the workload's month-0 volume).
CURVE_POINTS = 121

#: Stand-ins for the side of the scenario an option does not use: zero prices, a capacity no
#: workload reaches (one replica).  :func:`resolve` checks a whole scenario; the stand-in is never priced.
_NO_CLOSED = ClosedOption(input_usd_per_mtok=0.0, output_usd_per_mtok=0.0, batch_input_usd_per_mtok=0.0,
                          batch_output_usd_per_mtok=0.0, usd_per_image=0.0)
_NO_OPEN = OpenOption(output_tokens_per_second_per_replica=1e15, images_per_second_per_replica=1e15,
                      usd_per_gpu_hour=0.0)

_SIDES = {"closed": ("closed",), "seats": ("closed",), "image": ("closed",), "self_hosted": ("open",),
          "hybrid": ("closed", "open")}


@dataclass
class Option:
    """One option of a comparison: its kind, the scenario side(s) it sets, an optional name.

    ``committed`` (hybrid only): own replicas never fall (default: reserved terms and owned hardware).
    """

    kind: str
    closed: ClosedOption | None = None
    open: OpenOption | None = None
    name: str | None = None
    committed: bool | None = None


def as_option(value: Option | Mapping[str, Any], i: int = 0) -> Option:
    """An :class:`Option` from itself or a dict ``{"kind", "name", "closed": {...}, "open": {...}, "committed"}``.

    >>> as_option({"kind": "closed", "closed": {"model": "gpt-4o"}}).closed.model
    'gpt-4o'
    >>> as_option({"kind": "api"}, 3)
    Traceback (most recent call last):
    ...
    tco.scenario.ScenarioError: options.3.kind: must be one of: closed, seats, image, self_hosted, hybrid; got 'api'
    """
    if isinstance(value, Option):
        opt = value
    else:
        if not isinstance(value, Mapping):
            raise ScenarioError(f"options.{i}", f"must be an object with a kind, got {value!r}")
        unknown = set(value) - {f.name for f in dataclasses.fields(Option)}
        if unknown:
            raise ScenarioError(f"options.{i}.{sorted(unknown)[0]}", "unknown field")
        sides = {}
        for side, kind in (("closed", ClosedOption), ("open", OpenOption)):
            v = value.get(side)
            if isinstance(v, Mapping):
                try:
                    v = getattr(Scenario.from_dict({side: dict(v)}), side)
                except ScenarioError as exc:
                    raise ScenarioError(f"options.{i}.{exc.field}", exc.message) from None
            elif v is not None and not isinstance(v, kind):
                raise ScenarioError(f"options.{i}.{side}", f"must be an object, got {v!r}")
            sides[side] = v
        opt = Option(kind=value.get("kind"), name=value.get("name"), committed=value.get("committed"), **sides)
    if opt.kind not in KINDS:
        raise ScenarioError(f"options.{i}.kind", f"must be one of: {', '.join(KINDS)}; got {opt.kind!r}")
    for side in _SIDES[opt.kind]:
        if getattr(opt, side) is None:
            raise ScenarioError(f"options.{i}.{side}", f"required for a {opt.kind} option")
    for side in {"closed", "open"} - set(_SIDES[opt.kind]):
        if getattr(opt, side) is not None:
            raise ScenarioError(f"options.{i}.{side}", f"a {opt.kind} option has no {side} side: leave it out")
    return opt


def _check_units(opt: Option, R: Resolved, i: int) -> None:
    """Refuse an option the workload's units cannot price (seats without seats, images against tokens)."""
    c, vol = opt.closed, R.volumes
    per_seat = c is not None and (c.seat_product is not None or c.usd_per_seat_month is not None)
    per_image = c is not None and (c.image_model is not None or c.usd_per_image is not None)
    where = f"options.{i}"
    if opt.kind == "seats":
        if not per_seat:
            raise ScenarioError(f"{where}.closed.seat_product", "required for a seats option (or give "
                                                               "usd_per_seat_month)")
        if vol.seats_month0 <= 0:
            raise ScenarioError(where, "a seat product is priced per seat and the workload has no seats: give "
                                       "workload.seats with workload.tokens_per_seat_month, so that seats and "
                                       "tokens describe one workload")
    elif per_seat:
        raise ScenarioError(f"{where}.closed.seat_product", f"a seat product is a seats option, not {opt.kind}")
    if opt.kind == "image" and not per_image:
        raise ScenarioError(f"{where}.closed.image_model", "required for an image option (or give usd_per_image)")
    if opt.kind != "image" and per_image:
        raise ScenarioError(f"{where}.closed.image_model", f"an image API is an image option, not {opt.kind}")
    if vol.kind == "images" and opt.kind in ("closed", "seats"):
        raise ScenarioError(where, f"a {opt.kind} option bills tokens or seats and the workload is in images: "
                                   "compare image APIs and image models on it")
    if vol.kind == "tokens" and opt.kind == "image":
        raise ScenarioError(where, "an image API bills images and the workload is in tokens: give "
                                   "workload.images_per_month to compare image options")
    if opt.kind == "hybrid" and not hybrid.hybrid_applies(R):
        raise ScenarioError(f"{where}.closed.seat_product", "a per-seat product cannot take only the peaks: "
                                                            "there is no hybrid plan with it")


def _resolve_option(base: Scenario, opt: Option, catalog: Catalog, i: int) -> Resolved:
    """:func:`resolve` with the option's side(s) set; a field error is named ``options.<i>...``."""
    s = dataclasses.replace(base, closed=opt.closed or _NO_CLOSED, open=opt.open or _NO_OPEN)
    try:
        return resolve(s, catalog)
    except ScenarioError as exc:
        if exc.field.startswith(("closed", "open")):
            raise ScenarioError(f"options.{i}.{exc.field}", exc.message) from None
        raise ScenarioError(f"options.{i}", f"{exc.field}: {exc.message}") from None


@dataclass
class _Priced:
    monthly: np.ndarray            # (H,) [USD/month]
    upfront: np.ndarray            # (H,) the one-off part of each month [USD/month]
    components: dict               # component -> total over the horizon [USD]
    name: str
    billed: str


def _fmt(x: float) -> str:
    """A count for a label: 2, 1.5k, 2.5M, 3B.

    >>> _fmt(2), _fmt(2.5e9), _fmt(1500)
    ('2', '2.5B', '1.5k')
    """
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


def fleet_label(replicas: np.ndarray, gpus_per_replica: int, gpu: str) -> str:
    """What a self-hosted bill counts: replicas x GPUs per replica = GPUs (a range when it grows).

    >>> fleet_label(np.array([2.0, 2.0]), 4, "H100")
    '2 replicas x 4 H100 = 8 GPUs'
    >>> fleet_label(np.array([1.0, 3.0]), 2, "H100")
    '1 to 3 replicas x 2 H100 = 2 to 6 GPUs'
    """
    lo, hi = int(np.min(replicas)), int(np.max(replicas))
    reps = f"{lo} replica{'s' if lo != 1 else ''}" if lo == hi else f"{lo} to {hi} replicas"
    gpus = f"{lo * gpus_per_replica}" if lo == hi else f"{lo * gpus_per_replica} to {hi * gpus_per_replica}"
    return f"{reps} x {gpus_per_replica} {gpu} = {gpus} GPU{'s' if hi * gpus_per_replica != 1 else ''}"


def _gpu_name(opt: Option, catalog: Catalog) -> str:
    o = opt.open
    if o.gpu is None:
        return "GPU"
    try:
        return catalog.gpu(o.gpu)["display_name"]
    except KeyError:            # resolve() already accepted it, through an overlay or alias
        return o.gpu


def _closed_billed(R: Resolved) -> str:
    """What a closed bill counts in month 0: tokens x a blended price, seats, images."""
    vol, p, w, c = R.volumes, R.closed.at_month(0), R.scenario.workload, R.scenario.closed
    keep = 1.0 - c.discount
    parts = []
    if p.baseline is not None:
        parts.append(f"a known spend of ${float(p.baseline[0]):,.0f}/month x the workload's growth")
    if p.priced_tokens and vol.tokens_month0 > 0:
        per = blended_usd_per_token(p, vol, w.cached_input_share, w.cache_write_share, w.batch_share) * keep
        parts.append(f"{_fmt(vol.tokens_month0)} tokens/month x ${per * 1e6:.4g}/1M tokens")
    if p.per_seat_month > 0:
        parts.append(f"{vol.seats_month0:,.0f} seats x ${p.per_seat_month * keep:,.2f}/seat-month")
    if p.per_image > 0:
        parts.append(f"{_fmt(vol.images_month0)} images/month x ${p.per_image * keep:.4g}/image")
    if c.fixed_usd_per_month:
        parts.append(f"${c.fixed_usd_per_month:,.0f}/month fixed")
    if not parts:
        return "nothing billed"
    return " + ".join(parts) + (" in month 0" if np.ptp(vol.growth) > 0 else "")


def _price(opt: Option, R: Resolved, catalog: Catalog) -> _Priced:
    """The option's monthly cost, its one-off part, component totals, name and what is billed."""
    o = R.open
    if opt.kind == "self_hosted":
        fl = fleet(R)
        parts = open_costs(R, fl=fl)
        up = upfront_usd(parts, is_cash_capex(R))
        billed = fleet_label(fl["replicas"], o.gpus_per_replica, _gpu_name(opt, catalog))
        hours = ("GPU-hours that follow the average load" if o.billing == "autoscaled"
                 else "each GPU 730 h/month") if o.hosting == "cloud" else "owned servers"
        return _Priced(total(parts), up, _sums(parts), o.label, f"{billed}, {hours}")
    if opt.kind == "hybrid":
        plan = hybrid.plan(R, R.scenario.workload.load_profile, committed=opt.committed)
        closed = closed_costs(R)
        up = np.array(closed["closed_setup"], dtype=float)
        on = plan.replicas[plan.replicas > 0]
        if plan.switch_month is not None:
            ps = R.scenario.open
            up[plan.switch_month] += float(one_off_usd(ps.setup_engineer_months, ps.fte_usd_per_year,
                                                       ps.migration_usd, ps.fine_tuning_usd))
            billed = (f"own {fleet_label(on, o.gpus_per_replica, _gpu_name(opt, catalog))} from month "
                      f"{plan.switch_month}, the API for the overflow "
                      f"({plan.api_share[-1]:.0%} of the volume in the last month)")
        else:
            billed = "no own replicas pay off: everything on the API"
        comps = {"hybrid_self_hosted": float(plan.self_hosted_usd.sum()), "hybrid_api": float(plan.api_usd.sum())}
        return _Priced(plan.monthly_usd, up, comps, f"Hybrid: {o.label} + {R.closed.label}", billed)
    parts = closed_costs(R)
    return _Priced(total(parts), upfront_usd(parts), _sums(parts), R.closed.label, _closed_billed(R))


def _sums(parts: dict) -> dict:
    """Each non-zero component's total over the horizon [USD]."""
    return {k: float(np.sum(v)) for k, v in parts.items() if np.any(v)}


def _steady(opt: Option, R: Resolved, grid: np.ndarray) -> np.ndarray:
    """Steady monthly cost of the option at each grid volume [USD/month]."""
    if opt.kind == "hybrid":
        return hybrid.steady_costs(R, grid)[0]
    closed, opened, _ = steady_costs(R, grid)
    return opened if opt.kind == "self_hosted" else closed


@dataclass
class Comparison:
    """What :func:`compare` returns.  Arrays are in the order the options were given.

    ``monthly_usd`` (options, months) [USD/month]; ``total_usd``, ``npv_usd`` (options,) [USD];
    ``ranking`` the option indices by NPV, cheapest first; ``curve_volumes`` (V,) and
    ``curve_usd`` (options, V) the steady cost over volume; ``bands`` the cheapest option per
    volume band; ``options`` one JSON-ready dict per option, in ranked order.
    """

    horizon_months: int
    unit: str
    volume_unit: str
    workload_volume: float
    discount_rate_annual: float
    monthly_usd: np.ndarray
    total_usd: np.ndarray
    npv_usd: np.ndarray
    ranking: list
    curve_volumes: np.ndarray
    curve_usd: np.ndarray
    bands: list
    options: list = field(default_factory=list)

    @property
    def cumulative_usd(self) -> np.ndarray:
        return np.cumsum(self.monthly_usd, axis=-1)

    @property
    def cheapest(self) -> int:
        return self.ranking[0]

    def as_dict(self) -> dict:
        """The comparison as JSON-ready data (the API's answer)."""
        return {"horizon_months": self.horizon_months, "unit": self.unit, "volume_unit": self.volume_unit,
                "workload_volume_per_month": self.workload_volume,
                "discount_rate_annual": self.discount_rate_annual, "cheapest_index": self.cheapest,
                "ranking": list(self.ranking), "options": self.options,
                "curve_volumes": self.curve_volumes.tolist(), "bands": self.bands}


def _workload_scenario(scenario) -> Scenario:
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, Workload):
        return Scenario(workload=scenario)
    if isinstance(scenario, Mapping):
        return Scenario.from_dict({k: v for k, v in scenario.items() if k != "options"})
    raise ScenarioError("workload", f"give a Scenario, a Workload or a dict, got {type(scenario).__name__}")


def volume_grid(base: float, points: int = CURVE_POINTS, lo: float | None = None,
                hi: float | None = None) -> np.ndarray:
    """Log-spaced monthly volumes, by default 1/1000 to 1000 x ``base`` [tokens or images/month].

    >>> volume_grid(1e6, 3).tolist()
    [1000.0, 1000000.0, 1000000000.0]
    """
    lo = base / 1000.0 if lo is None else lo
    hi = base * 1000.0 if hi is None else hi
    if not (0 < lo < hi and math.isfinite(hi)):
        raise ScenarioError("curve.max_volume", f"must be greater than curve.min_volume ({lo:g}), got {hi:g}")
    return np.geomspace(lo, hi, int(points))


def compare(scenario: Scenario | Workload | Mapping, options: Sequence[Option | Mapping] | None = None,
            catalog: Catalog | None = None, points: int = CURVE_POINTS, min_volume: float | None = None,
            max_volume: float | None = None) -> Comparison:
    """Price every option on one workload, rank them by NPV and find the cheapest per volume band.

    Parameters
    ----------
    scenario : the workload, finance, horizon and price date (a scenario's closed and open sides
        are not used); a dict may carry ``options``.
    options : 1 to :data:`MAX_OPTIONS` :class:`Option` or dicts (see :func:`as_option`).
    catalog : the pricing tables (default :func:`tco.catalog.load_catalog`).
    points, min_volume, max_volume : the steady cost-vs-volume grid [tokens or images/month].

    Raises :class:`~tco.scenario.ScenarioError` naming ``options.<i>...`` for an option that is
    invalid or cannot be priced on the workload.

    Long because it is the pipeline in one place: resolve, price, rank, break-evens, bands, records.
    """
    if options is None and isinstance(scenario, Mapping):
        options = scenario.get("options")
    if options is None or isinstance(options, (str, bytes, Mapping)) or not 1 <= len(options) <= MAX_OPTIONS:
        n = "none" if options is None else (len(options) if hasattr(options, "__len__") else repr(options))
        raise ScenarioError("options", f"give 1 to {MAX_OPTIONS} options, got {n}")
    if catalog is None:
        from tco.catalog import load_catalog
        catalog = load_catalog()
    base = _workload_scenario(scenario)
    base = dataclasses.replace(base, closed=_NO_CLOSED, open=_NO_OPEN)
    R0 = resolve(base, catalog)              # the workload, finance and horizon checked once, with their own paths
    opts = [as_option(o, i) for i, o in enumerate(options)]
    resolved = []
    for i, opt in enumerate(opts):           # one pass per option (not per month): resolve, check units
        _check_units(opt, R0, i)
        resolved.append(_resolve_option(base, opt, catalog, i))
    priced = [_price(opt, R, catalog) for opt, R in zip(opts, resolved)]
    vol = R0.volumes
    H = len(vol.growth)
    rate = float(base.finance.discount_rate_annual)
    monthly = np.stack([p.monthly for p in priced])                   # (N, H)
    upfront = np.stack([p.upfront for p in priced])
    df = discount_factors(rate, H)
    totals, npvs = monthly.sum(axis=-1), monthly @ df
    ranking = [int(k) for k in np.argsort(npvs, kind="stable")]
    c = ranking[0]
    images = vol.kind == "images"
    units = (vol.images_month0 if images else vol.tokens_month0) * vol.growth
    disc_units = float(units @ df)
    per = 1.0 if images else 1e6
    levelised = npvs / disc_units * per if disc_units > 0 else np.full(len(opts), np.nan)
    months = breakeven_month(monthly, monthly[c], upfront, upfront[c])  # the cheapest catches up with each
    cumulative = np.cumsum(monthly, axis=-1)
    base_volume = vol.images_month0 if images else vol.tokens_month0
    names = [opt.name or p.name for opt, p in zip(opts, priced)]
    names = [n if names.count(n) == 1 else f"{n} (option {k})" for k, n in enumerate(names)]
    vunit = "images/month" if images else "tokens/month"
    if base_volume > 0:
        grid = volume_grid(base_volume, points, min_volume, max_volume)
        curve = np.stack([_steady(opt, R, grid) for opt, R in zip(opts, resolved)])     # (N, V)
        bands = _bands(curve, grid, names, [o.kind for o in opts])
        crossings = [_crossing(curve[k], curve[c], grid, base_volume, vunit) for k in range(len(opts))]
    else:
        grid, curve, bands = np.empty(0), np.empty((len(opts), 0)), []
        crossings = [(None, None, "the workload has no volume")] * len(opts)
    out = []
    for rank, k in enumerate(ranking):
        m = float(months[k])
        if k == c:
            m_val, m_reason = None, "the cheapest option"
            v_val, v_dir, v_reason = None, None, "the cheapest option"
        else:
            m_val = None if math.isnan(m) else m
            m_reason = (f"{names[c]}'s cumulative cost is at or below this option's from the start"
                        if m == 0 else f"{names[c]}'s cumulative cost falls to this option's in {months_text(m)}"
                        if not math.isnan(m) else
                        f"{names[c]}'s cumulative cost stays above this option's for all {H} months "
                        "(it ranks first on NPV: its costs come later)")
            v_val, v_dir, v_reason = crossings[k]
            v_reason = v_reason.replace("{cheapest}", names[c])
        out.append({
            "index": k, "rank": rank + 1, "kind": opts[k].kind, "name": names[k], "label": priced[k].name,
            "billed": priced[k].billed, "total_usd": float(totals[k]), "npv_usd": float(npvs[k]),
            "npv_above_cheapest_usd": float(npvs[k] - npvs[c]),
            "levelised_usd_per_unit": None if not math.isfinite(levelised[k]) else float(levelised[k]),
            "components_usd": priced[k].components,
            "monthly_usd": monthly[k].tolist(), "cumulative_usd": cumulative[k].tolist(),
            "curve_usd": curve[k].tolist(),
            "breakeven_month": m_val, "breakeven_month_reason": m_reason,
            "breakeven_volume_per_month": v_val, "breakeven_volume_direction": v_dir,
            "breakeven_volume_reason": v_reason,
        })
    return Comparison(horizon_months=H, unit="image" if images else "1M tokens", volume_unit=vunit,
                      workload_volume=float(base_volume), discount_rate_annual=rate, monthly_usd=monthly,
                      total_usd=totals, npv_usd=npvs, ranking=ranking, curve_volumes=grid, curve_usd=curve,
                      bands=bands, options=out)


def _bands(curve: np.ndarray, grid: np.ndarray, names: list, kinds: list | None = None) -> list[dict]:
    """The cheapest option on each run of grid volumes: index, name, from and to volume.

    Options within 1e-9 of the cheapest tie; a tie goes to the simpler kind (a closed API, then a
    deployment, then a hybrid: a hybrid with no own replicas is the API itself), then to the first given.

    >>> bands = _bands(np.array([[1.0, 1.0, 5.0], [2.0, 2.0, 3.0]]), np.array([1.0, 10.0, 100.0]), ["a", "b"])
    >>> [(b["name"], b["from_volume"], b["to_volume"]) for b in bands]
    [('a', 1.0, 10.0), ('b', 100.0, 100.0)]
    >>> [b["name"] for b in _bands(np.array([[2.0, 1.0], [2.0, 3.0]]), np.array([1.0, 2.0]), ["h", "api"],
    ...                            ["hybrid", "closed"])]
    ['api', 'h']
    """
    order = {"closed": 0, "seats": 0, "image": 0, "self_hosted": 1, "hybrid": 2}
    key = np.array([order.get(k, 0) for k in (kinds or ["closed"] * len(names))], dtype=float) * len(names) \
        + np.arange(len(names))
    low = curve.min(axis=0)
    near = curve <= low + 1e-9 * np.abs(low)
    best = np.argmin(np.where(near, key[:, None], np.inf), axis=0)
    starts = np.flatnonzero(np.concatenate([[True], best[1:] != best[:-1]]))
    ends = np.concatenate([starts[1:] - 1, [len(best) - 1]])
    return [{"index": int(best[s]), "name": names[int(best[s])], "from_volume": float(grid[s]),
             "to_volume": float(grid[e])} for s, e in zip(starts, ends)]


def _crossing(cost: np.ndarray, cheapest: np.ndarray, grid: np.ndarray, base: float, unit: str):
    """Where an option's steady cost crosses the cheapest option's on the grid, nearest the workload's
    volume: (volume, "above" | "below" the option is cheaper, sentence); interpolated linearly between
    the two grid volumes around the crossing.

    The difference is -0.5 at volume 2 and +1 at volume 3: zero at 2 + 0.5 / 1.5.

    >>> v, way, _ = _crossing(np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.5, 2.0]), np.array([1.0, 2.0, 3.0]), 3.0, "t")
    >>> round(v, 6), way
    (2.333333, 'below')
    """
    d = cost - cheapest
    cheaper = d < -1e-9 * np.abs(cheapest)
    flips = np.flatnonzero(cheaper[1:] != cheaper[:-1])
    lo, hi = f"{grid[0]:,.4g}", f"{grid[-1]:,.4g}"
    if not len(flips):
        if cheaper.all():
            return None, None, (f"cheaper than {{cheapest}} in a steady month at every volume from {lo} to {hi} "
                                f"{unit}: it ranks below on NPV through growth, one-off costs or price changes")
        if np.all(np.abs(d) <= 1e-9 * np.abs(cheapest)):
            return None, None, (f"costs the same as {{cheapest}} in a steady month at every volume from {lo} to "
                                f"{hi} {unit}")
        return None, None, (f"never cheaper than {{cheapest}} in a steady month at any volume from {lo} to {hi} "
                            f"{unit}")
    j = int(flips[np.argmin(np.abs(np.log(grid[flips]) + np.log(grid[flips + 1]) - 2 * np.log(base)))])
    v = float(grid[j] + d[j] * (grid[j + 1] - grid[j]) / (d[j] - d[j + 1])) if d[j] != d[j + 1] else float(grid[j])
    way = "above" if cheaper[j + 1] else "below"
    return v, way, f"cheaper than {{cheapest}} {way} about {v:,.4g} {unit} (steady month)"
