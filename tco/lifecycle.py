"""Prices over time: the price row in force in each month of a horizon, and the named switches.

A closed option is priced month by month.  Over a horizon of several years its price changes:
a launch promotion ends, a scheduled increase starts, the vendor shuts the model down and points
to a successor.  :func:`price_schedule` turns the catalog's dated rows (``effective_date``,
``effective_until``, ``promotion``) and its ``model_lifecycle`` table into one price per month
and per price column, and a list of :class:`PriceEvent` naming every switch
("months 2-36 priced at gpt-6-luna: gpt-4o shuts down 2027-01-14").

Months
    Month ``m`` covers ``[start + m months, start + m + 1 months)`` (a start on the 31st moves
    to the last day of shorter months).  A month is priced with the row in force on its *last*
    day (``price_day="last"``, the default): a change dated anywhere inside month ``m`` -- a
    promotion ending, an increase, a shutdown -- bills the whole of month ``m`` at the new price.
    ``price_day="first"`` prices a month with the row in force on its first day instead (the
    change then bills from the next month).

Shutdowns
    From the first month whose pricing day is on or after the model's ``shutdown_date`` the
    successor's rows price the months (its own promotions and changes included, and its own
    shutdown followed in turn).  With no successor named, the model's last price before the
    shutdown is kept, those months are ``flagged`` and the event says so: the user has to choose.

:func:`lookup_rows` is the vectorised row lookup underneath (one sorted search for any number of
(id, day) pairs); usage-log pricing can use it to honour ``effective_until`` the same way.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

from tco.catalog import Catalog, _to_date
from tco.tables import TABLES

__all__ = ["PriceEvent", "PriceSchedule", "price_schedule", "steady_price", "lookup_rows", "month_bounds",
           "IN_FORCE", "BEFORE_FIRST", "ENDED", "UNKNOWN"]

#: :func:`lookup_rows` status: the row is in force on the day.
IN_FORCE = 0
#: The id's first row starts after the day; that first row is returned.
BEFORE_FIRST = 1
#: The newest row on or before the day ended (``effective_until`` <= day) and no later row took over;
#: that ended row is returned.
ENDED = 2
#: The id has no row at all (row index -1).
UNKNOWN = 3

#: Tables priced over time: id column and the extra key columns a caller may pin.
SCHEDULE_TABLES = {"api_prices": ("model_id", ()), "image_prices": ("model_id", ("size", "quality")),
                   "seat_prices": ("product_id", ("billing_term",))}

_SHIFT = np.int64(1) << np.int64(40)   # id code x 2^40 + day number: one sortable key per (id, day)
_DAY = np.timedelta64(1, "D")


@dataclass(frozen=True)
class PriceEvent:
    """One named switch of the monthly prices.

    Attributes
    ----------
    month : first month index the event affects [month].
    date : ISO date of the event (the day a price starts, the shutdown day, ...).
    kind : ``promotion_ends``, ``price_change``, ``price_ends``, ``no_price_yet``, ``deprecation``,
        ``shutdown`` or ``shutdown_no_successor``.
    model_id : the model (or seat product) the event is about.
    message : one human-readable line, e.g. ``"months 2-36 priced at gpt-6-luna: gpt-4o shuts
        down 2027-01-14"``: months counted from 1 as the dashboard shows them (``month`` is the
        0-based index, so this event has ``month == 1``).
    """

    month: int
    date: str
    kind: str
    model_id: str
    message: str


@dataclass(frozen=True)
class PriceSchedule:
    """The price row in force in each month of a horizon.

    Attributes
    ----------
    requested : the id as asked for; ``model_id[0]`` is the catalog id it resolved to.
    table : catalog table the rows come from.
    month_start : first day of each month and the day after the last one, shape (months + 1,)
        [datetime64[D]].
    model_id : model priced in each month, shape (months,) [str].
    prices : price column -> value per month, shape (months,) each (NaN where the row leaves
        it blank) [the column's unit, e.g. USD/1M tokens].
    effective_date : ``effective_date`` of the row used per month, shape (months,) [datetime64[D]].
    history_row : label of that row in ``catalog.history[table]`` per month, shape (months,).
    flagged : True for months priced at a price not in force then (kept after a shutdown without
        successor or after a row ended, or a first price used before it started), shape (months,).
    events : the switches, in month order.
    """

    requested: str
    table: str
    month_start: np.ndarray
    model_id: np.ndarray
    prices: dict[str, np.ndarray]
    effective_date: np.ndarray
    history_row: np.ndarray
    flagged: np.ndarray
    events: list[PriceEvent] = field(default_factory=list)

    @property
    def months(self) -> int:
        """Length of the horizon [months]."""
        return len(self.model_id)

    def messages(self) -> list[str]:
        """Every event's message, in month order."""
        return [e.message for e in self.events]


# --------------------------------------------------------------------------- building blocks

def month_bounds(start, months: int) -> np.ndarray:
    """First day of each of ``months`` months from ``start``, plus the day after the last month.

    Parameters
    ----------
    start : date or ISO string; first day of month 0.
    months : number of months (>= 1).

    Returns
    -------
    numpy.ndarray of datetime64[D], shape (months + 1,).  A start day past the end of a shorter
    month moves to that month's last day.

    >>> month_bounds("2026-12-01", 3).astype(str).tolist()
    ['2026-12-01', '2027-01-01', '2027-02-01', '2027-03-01']
    >>> month_bounds("2027-01-31", 3).astype(str).tolist()
    ['2027-01-31', '2027-02-28', '2027-03-31', '2027-04-30']
    """
    day0 = np.datetime64(_to_date(start), "D")
    m0 = day0.astype("datetime64[M]")
    offset = (day0 - m0.astype("datetime64[D]")).astype(np.int64)         # 0-based day of month
    firsts = m0 + np.arange(months + 1)
    days_in = ((firsts + 1).astype("datetime64[D]") - firsts.astype("datetime64[D]")).astype(np.int64)
    return firsts.astype("datetime64[D]") + np.minimum(offset, days_in - 1)


def lookup_rows(history: pd.DataFrame, ids, days, id_column: str = "model_id") -> tuple[np.ndarray, np.ndarray]:
    """For each (id, day) the history row in force, in one sorted search.

    Parameters
    ----------
    history : rows with ``id_column``, ``effective_date`` and optionally ``effective_until``;
        (id, effective_date) must be unique (pre-filter other key columns).
    ids : id per query, shape (n,).
    days : day per query, shape (n,) [datetime64[D] or ISO strings].

    Returns
    -------
    position : positional index into ``history`` per query (-1 for an unknown id), shape (n,).
    status : :data:`IN_FORCE`, :data:`BEFORE_FIRST` (the id's first row, which starts later),
        :data:`ENDED` (the newest row on or before the day, which has ended) or :data:`UNKNOWN`.

    >>> h = pd.DataFrame({"model_id": ["a", "a", "b"],
    ...                   "effective_date": pd.to_datetime(["2026-01-01", "2026-06-01", "2026-01-01"]),
    ...                   "effective_until": pd.to_datetime([None, "2026-09-01", None])})
    >>> pos, st = lookup_rows(h, ["a", "a", "a", "a", "c"],
    ...                       ["2025-12-31", "2026-05-31", "2026-06-01", "2026-09-01", "2026-01-01"])
    >>> pos.tolist(), st.tolist()
    ([0, 0, 1, 1, -1], [1, 0, 0, 2, 3])
    """
    q_ids = np.asarray(ids, dtype=object).astype(str)
    q_day = np.asarray(days, dtype="datetime64[D]").astype(np.int64)
    n = len(history)
    if n == 0:
        return np.full(len(q_ids), -1, np.int64), np.full(len(q_ids), UNKNOWN, np.int8)
    h_ids = history[id_column].astype(str).to_numpy(dtype=object)
    codes, _ = pd.factorize(np.concatenate([h_ids, q_ids]))
    h_code, q_code = codes[:n].astype(np.int64), codes[n:].astype(np.int64)
    h_day = history["effective_date"].to_numpy("datetime64[D]").astype(np.int64)
    order = np.argsort(h_code * _SHIFT + h_day, kind="stable")
    keys, code_sorted = (h_code * _SHIFT + h_day)[order], h_code[order]
    i = np.searchsorted(keys, q_code * _SHIFT + q_day, side="right") - 1
    at = np.clip(i, 0, n - 1)
    on_or_before = (i >= 0) & (code_sorted[at] == q_code)
    nxt = np.clip(i + 1, 0, n - 1)
    later = ~on_or_before & (code_sorted[nxt] == q_code)
    position = np.where(on_or_before, order[at], np.where(later, order[nxt], -1))
    if "effective_until" in history.columns:
        until = history["effective_until"].to_numpy("datetime64[D]")
        ends = np.where(np.isnat(until), np.iinfo(np.int64).max, until.astype(np.int64))
        ended = on_or_before & (ends[np.clip(position, 0, n - 1)] <= q_day)
    else:
        ended = np.zeros(len(q_ids), bool)
    status = np.where(on_or_before, np.where(ended, ENDED, IN_FORCE), np.where(later, BEFORE_FIRST, UNKNOWN))
    return position.astype(np.int64), status.astype(np.int8)


def _month_of(bounds: np.ndarray, day: np.datetime64) -> int:
    """Index of the month holding ``day`` (0 before the start, the last month after the end)."""
    return int(np.clip(np.searchsorted(bounds, day, side="right") - 1, 0, len(bounds) - 2))


def _span(a: int, b: int) -> str:
    """Months ``a..b`` (0-based indices) as the user reads them: counted from 1, as the dashboard's
    KPIs, the verdict and the report do ("month 1" is the first month).

    >>> _span(0, 0), _span(1, 35)
    ('month 1', 'months 2-36')
    """
    return f"month {a + 1}" if a == b else f"months {a + 1}-{b + 1}"


def _iso(day) -> str:
    return str(np.datetime64(day, "D"))


def _key_rows(hist: pd.DataFrame, table: str, model: str, key: Mapping[str, str]) -> pd.DataFrame:
    """Rows of one model for the pinned key columns (image sizes and qualities fall back to ``any``)."""
    id_col, key_cols = SCHEDULE_TABLES[table]
    rows = hist[hist[id_col].astype(str) == model]
    if table == "image_prices":
        size, quality = key.get("size", "1024x1024"), key.get("quality", "any")
        for s, q in ((size, quality), (size, "any"), ("any", quality), ("any", "any")):
            hit = rows[(rows["size"] == s) & (rows["quality"] == q)]
            if len(hit):
                return hit
        return rows.iloc[:0]
    for col in key_cols:
        if col in key:
            rows = rows[rows[col].astype(str) == str(key[col])]
    return rows


def _lifecycle(catalog: Catalog) -> dict[str, dict]:
    """model_id -> its lifecycle row in force at the catalog's ``as_of`` (deprecation, shutdown, successor)."""
    lc = catalog.tables.get("model_lifecycle")
    if lc is None or not len(lc):
        return {}
    out = {}
    for mid, dep, shut, succ in zip(lc["model_id"].astype(str), lc["deprecation_date"].to_numpy("datetime64[D]"),
                                    lc["shutdown_date"].to_numpy("datetime64[D]"), lc["successor_model_id"]):
        out[mid] = {"deprecation": None if np.isnat(dep) else dep, "shutdown": None if np.isnat(shut) else shut,
                    "successor": succ if isinstance(succ, str) else None}
    return out


def _changed_columns(before: pd.Series, after: pd.Series, columns: list[str], unit: Mapping[str, str]) -> str:
    """"input 2.5 -> 3 USD/1M tokens, ..." for the columns whose value differs (three at most)."""
    parts = []
    for c in columns:
        a, b = before[c], after[c]
        if (pd.isna(a) and pd.isna(b)) or a == b:
            continue
        fmt = lambda v: "blank" if pd.isna(v) else f"{float(v):g}"   # noqa: E731
        parts.append(f"{c} {fmt(a)} -> {fmt(b)} {unit[c]}")
    more = f" (+{len(parts) - 3} more)" if len(parts) > 3 else ""
    return ", ".join(parts[:3]) + more if parts else "same prices"


# --------------------------------------------------------------------------- the schedule

def price_schedule(catalog: Catalog, model_id: str, start, months: int, *, table: str = "api_prices",
                   key: Mapping[str, str] | None = None, price_day: str = "last") -> PriceSchedule:
    """The price row in force in each month of a horizon, and the named switches between them.

    Long because the walk along the model's successors (each with its own dated rows) and the
    events it names read best as one commented sequence.

    Parameters
    ----------
    catalog : the pricing catalog; every dated row of ``catalog.history[table]`` is used, and
        the ``model_lifecycle`` rows in force at ``catalog.as_of`` (the latest announcements).
    model_id : the model (any name :meth:`Catalog.resolve_model` knows) or seat product id.
    start : date or ISO string; first day of month 0.
    months : horizon [months], 1 to 1200.
    table : ``api_prices`` (default), ``image_prices`` or ``seat_prices``.
    key : the other key columns of the row: ``{"size": ..., "quality": ...}`` for images (falling
        back to ``any`` like :meth:`Catalog.image_price`), ``{"billing_term": ...}`` for seats.
    price_day : ``"last"`` (default) prices a month at the row in force on its last day, so a
        change inside month m bills all of month m at the new price; ``"first"`` uses the
        month's first day.

    Returns
    -------
    PriceSchedule
        Arrays of shape (months,) per price column (every numeric column of ``table``), the model
        and row used per month, ``flagged`` months and the :class:`PriceEvent` list.

    Raises
    ------
    ValueError
        for a bad ``months``, ``start``, ``table`` or ``price_day``.
    KeyError
        for an unknown model (naming the closest ids) or one with no row for ``key``.
    """
    if table not in SCHEDULE_TABLES:
        raise ValueError(f"table: must be one of {', '.join(SCHEDULE_TABLES)}; got {table!r}")
    if isinstance(months, bool) or not isinstance(months, (int, np.integer)) or not 1 <= months <= 1200:
        raise ValueError(f"months: must be a whole number from 1 to 1200; got {months!r}")
    if price_day not in ("first", "last"):
        raise ValueError(f"price_day: must be 'first' or 'last'; got {price_day!r}")
    key = dict(key or {})
    if table == "seat_prices":
        key.setdefault("billing_term", "annual")
    id_col, _ = SCHEDULE_TABLES[table]
    hist = catalog.history[table]
    first = model_id if table == "seat_prices" else catalog.resolve_model_id(model_id, table)
    if not len(_key_rows(hist, table, first, key)):
        raise KeyError(f"{id_col} {first!r} has no {table} row for "
                       f"{', '.join(f'{k}={v}' for k, v in key.items()) or 'its key'}")
    bounds = month_bounds(start, int(months))
    days = bounds[1:] - _DAY if price_day == "last" else bounds[:-1]
    life = {} if table == "seat_prices" else _lifecycle(catalog)

    # -- which model prices each month: follow shutdowns to successors (a few segments, not months)
    model = np.empty(months, dtype=object)
    query_day = days.copy()
    kept = np.zeros(months, bool)
    events: list[PriceEvent] = []
    segments: list[tuple[int, int, str]] = []     # (first month, end month exclusive, model)
    current, m0, seen = first, 0, set()
    while True:
        seen.add(current)
        info = life.get(current, {})
        shut = info.get("shutdown")
        m_end = months if shut is None else int(np.searchsorted(days, shut, side="left"))
        m_end = max(m_end, m0)
        model[m0:] = current
        segments.append((m0, m_end, current))
        if m_end >= months:
            break
        succ = info.get("successor")
        if succ is not None and succ not in seen and len(_key_rows(hist, table, succ, key)):
            events.append(PriceEvent(m_end, _iso(shut), "shutdown", current,
                                     f"{{span}} priced at {succ}: {current} shuts down {_iso(shut)}"))
            current, m0 = succ, m_end
            continue
        why = ("the catalog names no successor" if succ is None else
               f"its successor {succ} is already in the chain" if succ in seen else
               f"its successor {succ} has no {table} row for this key")
        query_day[m_end:] = np.minimum(days[m_end:], shut - _DAY)      # the last price before the shutdown
        kept[m_end:] = True
        events.append(PriceEvent(m_end, _iso(shut), "shutdown_no_successor", current,
                                 f"{{span}} keep {current}'s last price (flagged): {current} shuts "
                                 f"down {_iso(shut)} and {why}; choose a replacement"))
        break

    # -- the row in force per month (one vectorised search over the rows of every model used)
    sub = pd.concat([_key_rows(hist, table, m, key) for m in dict.fromkeys(s[2] for s in segments)])
    pos, status = lookup_rows(sub, model, query_day, id_column=id_col)
    columns = [c.name for c in TABLES[table].columns if c.type in ("float", "int")]
    unit = {c.name: c.unit for c in TABLES[table].columns}
    prices = {c: sub[c].to_numpy(dtype=float, na_value=np.nan)[pos] for c in columns}
    flagged = kept | (status != IN_FORCE)

    # -- events where the row or its status changes (a few change points, not every month)
    change = [int(m) for m in np.flatnonzero((pos[1:] != pos[:-1]) | (status[1:] != status[:-1])
                                              | (model[1:] != model[:-1])) + 1]
    for m in [0] + change:
        if kept[m]:
            continue
        row = sub.iloc[pos[m]]
        mid, eff = str(model[m]), row["effective_date"]
        new_model = m == 0 or model[m] != model[m - 1]
        if status[m] == BEFORE_FIRST:
            if new_model or status[m - 1] != BEFORE_FIRST:
                events.append(PriceEvent(m, _iso(eff), "no_price_yet", mid,
                                         f"{{span}} priced at {mid}'s first price (flagged): it has no price "
                                         f"before {_iso(eff)}"))
        elif status[m] == ENDED:
            last = row["effective_until"] - pd.Timedelta(days=1)
            events.append(PriceEvent(m, _iso(row["effective_until"]), "price_ends", mid,
                                     f"{{span}} keep {mid}'s last price (flagged): its price ends {_iso(last)} "
                                     f"with no later row"))
        elif new_model or pos[m] == pos[m - 1]:
            continue                    # a new model (named by its shutdown event) or a flagged stretch ending
        else:
            prev = sub.iloc[pos[m - 1]]
            what = _changed_columns(prev, row, columns, unit)
            promo = prev.get("promotion")
            if pd.notna(promo) and bool(promo) and pd.notna(prev["effective_until"]):
                last = prev["effective_until"] - pd.Timedelta(days=1)
                events.append(PriceEvent(m, _iso(eff), "promotion_ends", mid,
                                         f"{{span}} priced at {mid}'s list price from {_iso(eff)}: its promotion "
                                         f"ends {_iso(last)} ({what})"))
            else:
                events.append(PriceEvent(m, _iso(eff), "price_change", mid,
                                         f"{{span}} priced at {mid}'s price from {_iso(eff)}: {what}"))
    # Deprecations (no price change), while the model is the one priced.
    for s0, s_end, mid in segments:
        dep = life.get(mid, {}).get("deprecation")
        if dep is not None and s_end > s0 and dep < bounds[s_end]:
            shut = life[mid].get("shutdown")
            since = "is deprecated since" if dep < bounds[s0] else "is deprecated from"
            tail = f"; it shuts down {_iso(shut)}" if shut is not None else ""
            events.append(PriceEvent(max(_month_of(bounds, dep), s0), _iso(dep), "deprecation", mid,
                                     f"{mid} {since} {_iso(dep)}{tail}"))

    # "{span}": from the event's month to the month before the next change of row (price events)
    # or of model (shutdowns).
    row_switch = np.array(sorted(set(change) | {months}))
    model_switch = np.array(sorted({s[1] for s in segments if s[1] > s[0]} | {months}))

    def spanned(e: PriceEvent) -> PriceEvent:
        stops = model_switch if e.kind.startswith("shutdown") else row_switch
        end = int(stops[np.searchsorted(stops, e.month, side="right")]) - 1
        return PriceEvent(e.month, e.date, e.kind, e.model_id, e.message.replace("{span}", _span(e.month, end)))

    events = sorted((spanned(e) for e in events), key=lambda e: (e.month, e.kind != "deprecation"))
    return PriceSchedule(requested=str(model_id), table=table, month_start=bounds, model_id=model.astype(str),
                         prices=prices, effective_date=sub["effective_date"].to_numpy("datetime64[D]")[pos],
                         history_row=sub.index.to_numpy()[pos], flagged=flagged, events=events)


# --------------------------------------------------------------------------- the steady views' price

def steady_price(schedule: PriceSchedule) -> tuple[int, str]:
    """The month whose prices the steady views use (break-even volume, cost-vs-volume curve), and
    the words saying so.

    Rule: the price *in force for the most months of the horizon* (one price = one dated row of
    one model; a flagged stretch counts apart); on a tie, the later one (where the horizon is
    heading).  So a model shutting down in month index 1 of 36 is priced at its successor's price,
    a promotion ending in month index 3 at the list price, a price change late in the horizon not
    yet.  The steady views price one month without growth, so one price must stand for the
    horizon; the one billed longest errs least on the totals.

    Returns
    -------
    month : first month index (0-based) of that price [month].
    note : e.g. ``"at gpt-6-luna's price, in force from month 2 (35 of 36 months)"`` (months
        counted from 1, as the events say them).

    >>> import pandas as pd
    >>> s = PriceSchedule("a", "api_prices", np.zeros(5), np.array(["a", "b", "b", "b"]), {},
    ...                   np.zeros(4), np.array([7, 9, 9, 9]), np.zeros(4, bool))
    >>> steady_price(s)
    (1, "at b's price, in force from month 2 (3 of 4 months)")
    >>> tie = PriceSchedule("a", "api_prices", np.zeros(3), np.array(["a", "a"]), {}, np.zeros(2),
    ...                     np.array([3, 4]), np.zeros(2, bool))
    >>> steady_price(tie)[0]                   # one month each: the later price
    1
    """
    H = schedule.months
    # one integer per (model, dated row, flagged) -- numpy alone: this runs on every evaluation
    _, model_code = np.unique(np.asarray(schedule.model_id).astype(str), return_inverse=True)
    rows = np.asarray(schedule.history_row, dtype=np.int64)
    rows = rows - rows.min(initial=0)
    key = (model_code.astype(np.int64) * (int(rows.max(initial=0)) + 1) + rows) * 2 \
        + np.asarray(schedule.flagged, dtype=np.int64)
    _, first, counts = np.unique(key, return_index=True, return_counts=True)
    best = np.lexsort((first, counts))[-1]                      # most months, then the later price
    m = int(first[best])
    model = str(schedule.model_id[m])
    kind = "last price (flagged: kept after its shutdown or its price's end)" if schedule.flagged[m] else "price"
    if not schedule.flagged[m] and m > 0 and model == str(schedule.model_id[m - 1]):
        promo = [e for e in schedule.events if e.month == m and e.kind == "promotion_ends"]
        kind = "list price" if promo else kind
    return m, f"at {model}'s {kind}, in force from {_span(m, m)} ({counts[best]} of {H} months)"
