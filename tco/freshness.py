"""How current the pricing tables are: stale rows, switches ahead, retired models, gaps.

:func:`check_catalog` reads a :class:`~tco.catalog.Catalog` at a date and returns a
:class:`HealthReport` of :class:`Finding` s, each with a severity:

``problem``  the catalog would price something wrongly: a model in force past its shutdown, a
             promotion with no list-price row after it, a successor with no price when it is needed.
``warning``  worth a look: rows older than ``max_age_days``, promotions ending and shutdowns
             inside the horizon, deprecated models, gaps (a GPU with no rental rate, a hosted open
             model without its architecture in ``open_models``), aliases pointing at retired rows.
``info``     scheduled changes inside the horizon (rows dated after ``as_of``).

``tco catalog check`` prints the report (``--strict`` exits 1 on a problem) and
``GET /api/v1/catalog/health`` returns it as JSON.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from tco.catalog import Catalog, _to_date
from tco.lifecycle import month_bounds
from tco.tables import TABLES

__all__ = ["Finding", "HealthReport", "check_catalog", "SEVERITIES", "PRICE_TABLES"]

SEVERITIES = ("problem", "warning", "info")

#: Tables whose rows are prices that go stale (GPU rows carry a purchase price).
PRICE_TABLES = ("api_prices", "seat_prices", "image_prices", "gpu_rates", "gpus")


@dataclass(frozen=True)
class Finding:
    """One thing the check found.

    ``id`` is the row's key without its date (``gpt-4o``, ``aws/h100-sxm/on_demand``); ``date``
    the date the finding is about (ISO), if any.
    """

    severity: str
    kind: str
    table: str
    id: str
    date: str | None
    message: str


@dataclass
class HealthReport:
    """The findings of :func:`check_catalog` and the dates they were judged against."""

    as_of: str
    horizon_months: int
    horizon_end: str            # last day of the horizon
    max_age_days: int
    newest_price_date: str | None
    oldest_price_date: str | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """Findings per severity."""
        return {s: sum(f.severity == s for f in self.findings) for s in SEVERITIES}

    @property
    def ok(self) -> bool:
        """True when no finding is a problem."""
        return self.counts["problem"] == 0

    def to_dict(self) -> dict:
        out = asdict(self)
        out["counts"] = self.counts
        out["ok"] = self.ok
        return out

    def lines(self) -> list[str]:
        """A summary line, then one line per finding, problems first."""
        c = self.counts
        head = (f"catalog check as of {self.as_of} (horizon to {self.horizon_end}, rows older than "
                f"{self.max_age_days} days are stale): {c['problem']} problem(s), {c['warning']} warning(s), "
                f"{c['info']} note(s); prices in force dated {self.oldest_price_date} to {self.newest_price_date}")
        order = {s: i for i, s in enumerate(SEVERITIES)}
        body = [f"{f.severity:8s} {f.kind:34s} {f.table:16s} {f.message}"
                for f in sorted(self.findings, key=lambda f: (order[f.severity], f.kind, f.table, f.id))]
        return [head, *body]


def _key_label(table: str, df: pd.DataFrame) -> pd.Series:
    """Each row's key without its date, joined by '/'."""
    cols = [k for k in TABLES[table].key if k != "effective_date"]
    return df[cols].astype(str).agg("/".join, axis=1) if len(df) else pd.Series([], dtype=str)


def _iso(ts) -> str:
    return pd.Timestamp(ts).date().isoformat()


def check_catalog(catalog: Catalog, as_of=None, horizon_months: int = 12, max_age_days: int = 365) -> HealthReport:
    """Check how current ``catalog`` is on ``as_of``.

    Long for its list of independent checks, one commented block each.

    Parameters
    ----------
    catalog : the pricing catalog (its whole history is read).
    as_of : date or ISO string [default: the catalog's ``as_of``].
    horizon_months : promotions, scheduled changes and shutdowns up to this many months after
        ``as_of`` are listed [months], 1 to 1200.
    max_age_days : rows in force whose ``effective_date`` and ``checked_date`` (the last day the row
        was confirmed unchanged, when later) are more than this many days before ``as_of`` are
        stale [days], >= 1.

    Returns
    -------
    HealthReport
    """
    if isinstance(horizon_months, bool) or not isinstance(horizon_months, (int, np.integer)) \
            or not 1 <= horizon_months <= 1200:
        raise ValueError(f"horizon_months: must be a whole number from 1 to 1200; got {horizon_months!r}")
    if isinstance(max_age_days, bool) or not isinstance(max_age_days, (int, np.integer)) or max_age_days < 1:
        raise ValueError(f"max_age_days: must be a whole number >= 1; got {max_age_days!r}")
    day = _to_date(as_of) if as_of is not None else catalog.as_of
    if day.year + horizon_months // 12 + 1 > 9999:
        raise ValueError(f"as_of: {day.isoformat()} plus {horizon_months} months runs past the year 9999")
    cat = catalog if day == catalog.as_of else catalog.at(day)
    today = pd.Timestamp(day)
    end = pd.Timestamp(month_bounds(day, int(horizon_months))[-1])     # first day after the horizon
    found: list[Finding] = []
    at_day: dict[pd.Timestamp, Catalog] = {}

    def add(severity, kind, table, ident, date, message):
        found.append(Finding(severity, kind, table, str(ident), None if date is None else _iso(date), message))

    # -- age of the prices in force
    stale_before = today - pd.Timedelta(days=int(max_age_days))
    dates = []
    for table in PRICE_TABLES:
        df = cat[table]
        if not len(df):
            continue
        dates.append(df["effective_date"])
        # a row confirmed unchanged since it took effect is as old as its last check (a check after the
        # day the catalog is read at does not count)
        checked = df["checked_date"].where(df["checked_date"] <= today)
        seen = np.fmax(df["effective_date"].to_numpy("datetime64[ns]"), checked.to_numpy("datetime64[ns]"))
        stale = seen < np.datetime64(stale_before)
        old = df[stale]
        for label, eff, last in zip(_key_label(table, old), old["effective_date"], pd.to_datetime(seen[stale])):
            when = f"row dated {_iso(eff)}" + (f", last checked {_iso(last)}," if last > eff else "")
            add("warning", "stale", table, label, eff, f"{label}: {when} is {(today - last).days} "
                                                      f"days old (threshold {max_age_days}); re-read its source")
    all_dates = pd.concat(dates) if dates else pd.Series([], dtype="datetime64[ns]")
    newest = _iso(all_dates.max()) if len(all_dates) else None
    oldest = _iso(all_dates.min()) if len(all_dates) else None

    # -- promotions, scheduled changes (whole history: rows dated after as_of are not in force yet)
    for table in ("api_prices", "seat_prices", "image_prices", "gpu_rates"):
        hist = catalog.history[table]
        labels = _key_label(table, hist)
        starts = set(zip(labels, hist["effective_date"]))
        if "promotion" in hist.columns:
            promo = hist["promotion"].fillna(False).to_numpy(bool)
            for i in np.flatnonzero(promo):
                label, until = labels.iloc[i], hist["effective_until"].iloc[i]
                last = _iso(until - pd.Timedelta(days=1))
                if (label, until) not in starts:
                    add("problem", "promotion_without_list_price", table, label, until,
                        f"{label}: promotion ends {last} but no row is dated {_iso(until)} to carry the list price")
                elif today < until < end and hist["effective_date"].iloc[i] <= today:
                    add("warning", "promotion_ends", table, label, until,
                        f"{label}: promotional price ends {last}; list price from {_iso(until)}")
        ahead = (hist["effective_date"] > today) & (hist["effective_date"] < end)
        for label, eff in zip(labels[ahead.to_numpy(bool)], hist.loc[ahead, "effective_date"]):
            add("info", "scheduled_change", table, label, eff, f"{label}: new row from {_iso(eff)}")

    # -- lifecycle: deprecations, shutdowns ahead and past, successors
    life = cat["model_lifecycle"]
    for r in life.itertuples(index=False):
        mid, dep, shut, succ = r.model_id, r.deprecation_date, r.shutdown_date, r.successor_model_id
        succ = succ if isinstance(succ, str) else None
        then = f"; successor {succ}" if succ else "; no successor named"
        if pd.notna(shut) and shut <= today:
            for table in ("api_prices", "image_prices"):
                if (cat[table]["model_id"] == mid).any():
                    add("problem", "past_shutdown", table, mid, shut,
                        f"{mid} is in force on {day.isoformat()} but shut down {_iso(shut)}: give its last row "
                        f"effective_until {_iso(shut)}{then}")
        elif pd.notna(shut) and shut < end:
            add("warning", "shutdown_ahead", "model_lifecycle", mid, shut,
                f"{mid} shuts down {_iso(shut)} (in {(shut - today).days} days){then}")
        if pd.notna(dep) and dep <= today and not (pd.notna(shut) and shut <= today):
            add("warning", "deprecated", "model_lifecycle", mid, dep, f"{mid} deprecated since {_iso(dep)}{then}")
        elif pd.notna(dep) and today < dep < end:
            add("info", "deprecation_ahead", "model_lifecycle", mid, dep, f"{mid} deprecated from {_iso(dep)}")
        if succ and pd.notna(shut) and shut < end:
            when = max(shut, today)
            at = at_day.setdefault(when, catalog.at(when.date()))
            if not ((at["api_prices"]["model_id"] == succ).any() or (at["image_prices"]["model_id"] == succ).any()):
                add("problem", "successor_not_priced", "model_lifecycle", mid, shut,
                    f"{mid}'s successor {succ} has no price in force on {_iso(max(shut, today))}")

    # -- gaps
    rated = set(cat["gpu_rates"]["gpu_id"])
    for gpu in cat["gpus"]["gpu_id"]:
        if gpu not in rated:
            add("warning", "gpu_without_rate", "gpus", gpu, None,
                f"{gpu} has no rental rate in force in gpu_rates.csv (it can only be priced as owned hardware)")
    hosted = cat["api_prices"].loc[cat["api_prices"]["open_weights"].fillna(False).to_numpy(bool), "model_id"]
    resolved = cat.resolve_model_ids(hosted, "open_models")
    for mid in hosted:
        if resolved[mid] is None:
            add("warning", "hosted_model_without_architecture", "api_prices", mid, None,
                f"{mid} is a hosted open model with no architecture in open_models.csv (add the model, or an "
                f"alias row mapping {mid} to its open_models id)")
    in_force_ids = set().union(*(set(cat[t]["model_id"]) for t in ("api_prices", "open_models", "image_prices")))
    aliases = cat["model_aliases"]
    for alias, target in zip(aliases["alias"], aliases["model_id"]):
        if target not in in_force_ids:
            add("warning", "alias_to_retired_model", "model_aliases", alias, None,
                f"alias {alias} points to {target}, which has no row in force on {day.isoformat()}")

    return HealthReport(as_of=day.isoformat(), horizon_months=int(horizon_months),
                        horizon_end=_iso(end - pd.Timedelta(days=1)),
                        max_age_days=int(max_age_days), newest_price_date=newest, oldest_price_date=oldest,
                        findings=found)
