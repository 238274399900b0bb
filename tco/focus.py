"""FOCUS 1.2 in and out: priced usage and forecasts as FOCUS rows, a FOCUS export as a baseline.

The FinOps Foundation's FOCUS (FinOps Open Cost and Usage Specification) is the format
finance teams exchange cost data in.  tco writes

- **priced usage** (a streamed :class:`tco.usage_stream.UsageSummary` or an in-memory
  :class:`tco.usage.UsageResult`): one row per month, model, grouping value and token kind
  (``SkuMeter`` Input / Cached Input / Cache Write / Output Tokens), the tokens in
  ``ConsumedQuantity`` (``ConsumedUnit`` ``Tokens``) and ``PricingQuantity`` in millions
  (``PricingUnit`` ``1M Tokens``);
- **a forecast** (``tco.evaluate(...).monthly``, or ``.totals_by_month()``): one row per
  month, option and cost component of the projection;

as CSV or Parquet with every Mandatory column of FOCUS 1.2, the Conditional ones that
apply to API usage, and tco's own fields as ``x_`` columns (the spec's prefix for custom
columns).  Costs are at list prices (no negotiated discount is known), so ``BilledCost`` =
``EffectiveCost`` = ``ListCost`` = ``ContractedCost`` [USD].  The periods are calendar
months in UTC (``ChargePeriodStart`` inclusive, ``ChargePeriodEnd`` exclusive).

:func:`read_focus_baseline` reads a FOCUS export (CSV or Parquet) back as a monthly USD
series: the current spend a projection of the closed option starts from.

:data:`COLUMNS` is the spec's column table (FOCUS 1.2, ``specification/columns/*.md`` of
the FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec repository at tag ``v1.2``; published at
https://focus.finops.org/focus-specification/v1-2/): column id, feature level, whether
nulls are allowed, data type and the version that introduced it.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from tco.scenario import MAX_HORIZON_MONTHS
from tco.usage_readers import monthly_usd, read_cost_baseline

SPEC_VERSION = "1.2"
SPEC_URL = "https://focus.finops.org/focus-specification/v1-2/"


@dataclass(frozen=True)
class FocusColumn:
    """One column of the FOCUS spec's column table."""

    id: str
    feature_level: str       # Mandatory | Conditional | Recommended
    allows_nulls: bool
    data_type: str           # String | Decimal | Date/Time | JSON
    introduced: str          # the spec version that introduced it


def _c(id, level, nulls, dtype, introduced):
    return FocusColumn(id, level, nulls, dtype, introduced)


M, C, R = "Mandatory", "Conditional", "Recommended"
S, D, T, J = "String", "Decimal", "Date/Time", "JSON"
#: The FOCUS 1.2 column table (see the module docstring for the source).
COLUMNS: tuple[FocusColumn, ...] = (
    _c("AvailabilityZone", R, True, S, "0.5"),
    _c("BilledCost", M, False, D, "0.5"),
    _c("BillingAccountId", M, False, S, "0.5"),
    _c("BillingAccountName", M, True, S, "0.5"),
    _c("BillingAccountType", C, False, S, "1.2"),
    _c("BillingCurrency", M, False, S, "0.5"),
    _c("BillingPeriodEnd", M, False, T, "0.5"),
    _c("BillingPeriodStart", M, False, T, "0.5"),
    _c("CapacityReservationId", C, True, S, "1.1"),
    _c("CapacityReservationStatus", C, True, S, "1.1"),
    _c("ChargeCategory", M, False, S, "0.5"),
    _c("ChargeClass", M, True, S, "1.0"),
    _c("ChargeDescription", M, True, S, "1.0-preview"),
    _c("ChargeFrequency", R, False, S, "1.0-preview"),
    _c("ChargePeriodEnd", M, False, T, "0.5"),
    _c("ChargePeriodStart", M, False, T, "0.5"),
    _c("CommitmentDiscountCategory", C, True, S, "1.0-preview"),
    _c("CommitmentDiscountId", C, True, S, "1.0-preview"),
    _c("CommitmentDiscountName", C, True, S, "1.0-preview"),
    _c("CommitmentDiscountQuantity", C, True, D, "1.1"),
    _c("CommitmentDiscountStatus", C, True, S, "1.0"),
    _c("CommitmentDiscountType", C, True, S, "1.0-preview"),
    _c("CommitmentDiscountUnit", C, True, S, "1.1"),
    _c("ConsumedQuantity", C, True, D, "1.0"),
    _c("ConsumedUnit", C, True, S, "1.0"),
    _c("ContractedCost", M, False, D, "1.0"),
    _c("ContractedUnitPrice", C, True, D, "1.0"),
    _c("EffectiveCost", M, False, D, "0.5"),
    _c("InvoiceId", R, True, S, "1.2"),
    _c("InvoiceIssuerName", M, False, S, "0.5"),
    _c("ListCost", M, False, D, "1.0-preview"),
    _c("ListUnitPrice", C, True, D, "1.0-preview"),
    _c("PricingCategory", C, True, S, "1.0-preview"),
    _c("PricingCurrency", C, True, S, "1.2"),
    _c("PricingCurrencyContractedUnitPrice", C, True, D, "1.2"),
    _c("PricingCurrencyEffectiveCost", C, True, D, "1.2"),
    _c("PricingCurrencyListUnitPrice", C, True, D, "1.2"),
    _c("PricingQuantity", M, True, D, "1.0-preview"),
    _c("PricingUnit", M, True, S, "1.0-preview"),
    _c("ProviderName", M, False, S, "0.5"),
    _c("PublisherName", M, False, S, "0.5"),
    _c("RegionId", C, True, S, "1.0"),
    _c("RegionName", C, True, S, "1.0"),
    _c("ResourceId", C, True, S, "0.5"),
    _c("ResourceName", C, True, S, "0.5"),
    _c("ResourceType", C, True, S, "1.0-preview"),
    _c("ServiceCategory", M, False, S, "0.5"),
    _c("ServiceName", M, False, S, "0.5"),
    _c("ServiceSubcategory", R, False, S, "1.1"),
    _c("SkuId", C, True, S, "1.0-preview"),
    _c("SkuMeter", C, True, S, "1.1"),
    _c("SkuPriceDetails", C, True, J, "1.1"),
    _c("SkuPriceId", C, True, S, "1.0-preview"),
    _c("SubAccountId", C, True, S, "0.5"),
    _c("SubAccountName", C, True, S, "0.5"),
    _c("SubAccountType", C, True, S, "1.2"),
    _c("Tags", C, True, J, "1.0-preview"),
)
BY_ID = {c.id: c for c in COLUMNS}
#: The spec's allowed ServiceSubcategory values under "AI and Machine Learning" (servicesubcategory.md).
AI_SUBCATEGORIES = ("AI Platforms", "Bots", "Generative AI", "Machine Learning", "Natural Language Processing",
                    "Other (AI and Machine Learning)")
#: Columns a FOCUS 1.0 dataset does not have (introduced in 1.1 or 1.2).
BEYOND_1_0 = tuple(c.id for c in COLUMNS if c.introduced in ("1.1", "1.2"))

#: Names the FinOps Foundation's focus-validator 1.0.0 checks under its "1.0" rule set for
#: four columns that FOCUS 1.0 itself renamed (the validator's rules predate the rename).
VALIDATOR_1_0_NAMES = {"ProviderName": "Provider", "PublisherName": "Publisher",
                       "InvoiceIssuerName": "InvoiceIssuer", "ResourceId": "ResourceID"}

#: The columns tco writes, in order: FOCUS 1.2 columns, then tco's own (``x_``).
WRITTEN = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingAccountType", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription",
    "ChargeFrequency", "ChargePeriodEnd", "ChargePeriodStart", "CommitmentDiscountCategory",
    "CommitmentDiscountId", "CommitmentDiscountName", "CommitmentDiscountStatus", "CommitmentDiscountType",
    "ConsumedQuantity", "ConsumedUnit", "ContractedCost", "ContractedUnitPrice", "EffectiveCost", "InvoiceId",
    "InvoiceIssuerName", "ListCost", "ListUnitPrice", "PricingCategory", "PricingCurrency",
    "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice",
    "PricingQuantity", "PricingUnit", "ProviderName", "PublisherName", "RegionId", "RegionName", "ResourceId",
    "ResourceName", "ResourceType", "ServiceCategory", "ServiceName", "ServiceSubcategory", "SkuId", "SkuMeter",
    "SkuPriceId", "SubAccountId", "SubAccountName", "SubAccountType", "Tags",
)
#: Usage meters: SkuMeter, the tokens behind it, the USD column of the priced totals.
METERS = (("Input Tokens", "uncached_input_tokens", "usd_input"),
          ("Cached Input Tokens", "cached_input_tokens", "usd_cached_input"),
          ("Cache Write Tokens", "cache_write_all_tokens", "usd_cache_write"),
          ("Output Tokens", "output_tokens", "usd_output"))


class FocusError(ValueError):
    """A FOCUS file that cannot be read as a baseline (a missing column, a bad value)."""


# --------------------------------------------------------------------------- writing

def _month_bounds(months: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``YYYY-MM`` labels as (first instant, first instant of the next month), ISO 8601 UTC text."""
    start = pd.PeriodIndex(months.astype(str), freq="M")
    fmt = "%Y-%m-%dT%H:%M:%SZ"
    return (pd.Series(start.to_timestamp().strftime(fmt), index=months.index),
            pd.Series((start + 1).to_timestamp().strftime(fmt), index=months.index))


def _frame(n: int, **columns) -> pd.DataFrame:
    """A FOCUS frame of ``n`` rows: the WRITTEN columns (null unless given), then the ``x_`` ones."""
    data = {c: columns.pop(c, None) for c in WRITTEN}
    out = pd.DataFrame({k: (v if v is not None else [None] * n) for k, v in data.items()}, index=range(n))
    for k, v in columns.items():
        out[k] = v
    return out


def _provider_of(models: pd.Series, catalog) -> pd.Series:
    """The vendor of each model (catalog ``provider``; ``unknown`` when the model is not priced)."""
    from tco.usage import resolve_model

    prices = catalog.history["api_prices"]
    provider = dict(zip(prices["model_id"].astype(str), prices["provider"].astype(str)))
    distinct = pd.unique(models.astype(str))
    resolved = {m: resolve_model(m, provider) for m in distinct}
    ids = models.astype(str).map(resolved)
    return ids, ids.map(provider).fillna("unknown")


def usage_focus(result, catalog, billing_account: str = "tco", by: Sequence[str] | None = None) -> pd.DataFrame:
    """Priced usage as FOCUS 1.2 rows: month x model x grouping values x token kind.

    ``result``: a :class:`~tco.usage_stream.UsageSummary` or :class:`~tco.usage.UsageResult`.
    The first grouping column (``by``, default the summary's) is the FOCUS sub-account
    (``SubAccountId``, e.g. a team); all of them go into ``Tags``.
    """
    groups = _usage_groups(result)
    by = list(result.by if by is None and hasattr(result, "by") else (by or []))
    g = groups.assign(
        cache_write_all_tokens=groups.get("cache_write_tokens", 0) + groups.get("cache_write_1h_tokens", 0),
        uncached_input_tokens=groups["input_tokens"] - groups["cached_input_tokens"]
        - groups.get("cache_write_tokens", 0) - groups.get("cache_write_1h_tokens", 0))
    parts = []
    for meter, tokens, usd in METERS:
        part = g[["month", "model", *by]].copy()
        part["meter"], part["tokens"], part["usd"] = meter, g[tokens].to_numpy(float), g[usd].to_numpy(float)
        parts.append(part[(part["tokens"] > 0) | (part["usd"] != 0)])
    long = pd.concat(parts, ignore_index=True)
    n = len(long)
    model_id, provider = _provider_of(long["model"], catalog)
    start, end = _month_bounds(long["month"])
    pricing_qty = long["tokens"] / 1e6                                       # [1M tokens]
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(pricing_qty > 0, long["usd"] / pricing_qty, 0.0)     # [USD / 1M tokens]
    sub = long[by[0]].astype(str) if by else None
    tags = None
    if by:                                                   # {"team": "a", ...} as JSON text, column by column
        pairs = [json.dumps(k) + ": " + long[k].astype(str).map(json.dumps) for k in by]
        tags = "{" + pairs[0]
        for p in pairs[1:]:
            tags = tags + ", " + p
        tags = tags + "}"
    sku = model_id.fillna(long["model"].astype(str))
    return _frame(
        n,
        BilledCost=long["usd"], EffectiveCost=long["usd"], ListCost=long["usd"], ContractedCost=long["usd"],
        BillingAccountId=billing_account, BillingAccountName=billing_account, BillingAccountType="tco usage estimate",
        BillingCurrency="USD", PricingCurrency="USD",
        BillingPeriodStart=start, BillingPeriodEnd=end, ChargePeriodStart=start, ChargePeriodEnd=end,
        ChargeCategory="Usage", ChargeFrequency="Usage-Based",
        ChargeDescription=long["model"].astype(str) + " " + long["meter"].str.lower(),
        ConsumedQuantity=long["tokens"], ConsumedUnit="Tokens",
        PricingQuantity=pricing_qty, PricingUnit="1M Tokens", PricingCategory="Standard",
        ListUnitPrice=unit, ContractedUnitPrice=unit, PricingCurrencyListUnitPrice=unit,
        PricingCurrencyContractedUnitPrice=unit, PricingCurrencyEffectiveCost=long["usd"],
        InvoiceIssuerName=provider, ProviderName=provider, PublisherName=provider,
        ServiceCategory="AI and Machine Learning", ServiceSubcategory="Generative AI",
        ServiceName=provider + " API", SkuId=sku, SkuMeter=long["meter"], SkuPriceId=sku + ":" + long["meter"],
        SubAccountId=sub, SubAccountName=sub, SubAccountType=(by[0] if by else None), Tags=tags,
        x_Source="tco usage", x_Model=long["model"].astype(str), x_ModelId=model_id, x_Month=long["month"].astype(str),
    )


def _usage_groups(result) -> pd.DataFrame:
    """The per-group token and USD totals of a streamed summary, or of an in-memory result."""
    if hasattr(result, "groups"):
        return result.groups
    rows = result.rows[result.rows["priced"]]
    cols = [c for c in ("input_tokens", "cached_input_tokens", "cache_write_tokens", "cache_write_1h_tokens",
                        "output_tokens", "usd_input", "usd_cached_input", "usd_cache_write", "usd_output", "usd")
            if c in rows.columns]
    out = rows.assign(month=rows["month"].astype(str)).groupby(["month", "model"], sort=True)[cols].sum()
    out = out.reset_index()
    if "usd_cache_write" not in out.columns:
        out["usd_cache_write"] = 0.0
    return out


def forecast_focus(monthly: pd.DataFrame, start: str, billing_account: str = "tco",
                   labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """A projection as FOCUS 1.2 rows: each option's monthly schedule, component by component.

    Parameters
    ----------
    monthly : ``tco.evaluate(...).monthly`` (month index, option, component, label, usd,
        tokens), or the wide ``.totals_by_month()`` (month index x option [USD]).
    start : the calendar month of projection month 0 (``YYYY-MM``).
    labels : display names of the options (``{"closed": "gpt-4o API"}``).

    Components that serve tokens (the API, GPU rental) are ``Usage`` rows with the month's
    tokens in ``ConsumedQuantity``; one-off set-up costs are ``Purchase`` / ``One-Time``;
    the rest (staff, overhead) ``Purchase`` / ``Recurring``.  A wide table has no tokens:
    its rows are ``Purchase`` / ``Recurring`` totals per option.
    """
    if "component" not in monthly.columns:
        wide = monthly[[c for c in monthly.columns if not str(c).endswith("_cumulative")]]
        tidy = wide.rename_axis("month").reset_index().melt(id_vars="month", var_name="option", value_name="usd")
        tidy["component"], tidy["label"], tidy["tokens"] = "total", "Total", np.nan
    else:
        tidy = monthly[["month", "option", "component", "label", "usd", "tokens"]].copy()
    tidy = tidy[tidy["usd"].notna()].reset_index(drop=True)
    first = pd.Period(start, freq="M")
    month = (first + tidy["month"].astype(int).to_numpy()).astype(str)
    month = pd.Series(np.asarray(month), index=tidy.index)
    period_start, period_end = _month_bounds(month)
    comp = tidy["component"].astype(str)
    usage = comp.str.startswith("api_") | (comp == "gpu_rental")
    one_off = comp.str.contains("setup")
    tokens = tidy["tokens"].astype(float)
    usage = usage & tokens.gt(0)
    category = np.where(usage, "Usage", "Purchase")
    frequency = np.where(usage, "Usage-Based", np.where(one_off, "One-Time", "Recurring"))
    pricing_qty = np.where(usage, tokens / 1e6, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit = np.where(usage, tidy["usd"] / pricing_qty, np.nan)
    names = {"closed": "Closed API", "self_hosted": "Self-hosted", "hybrid": "Hybrid", **(labels or {})}
    option = tidy["option"].astype(str)
    service = option.map(names).fillna(option)
    n = len(tidy)
    return _frame(
        n,
        BilledCost=tidy["usd"], EffectiveCost=tidy["usd"], ListCost=tidy["usd"], ContractedCost=tidy["usd"],
        BillingAccountId=billing_account, BillingAccountName=billing_account,
        BillingAccountType="tco forecast", BillingCurrency="USD", PricingCurrency="USD",
        BillingPeriodStart=period_start, BillingPeriodEnd=period_end, ChargePeriodStart=period_start,
        ChargePeriodEnd=period_end, ChargeCategory=category, ChargeFrequency=frequency,
        ChargeDescription=service + ": " + tidy["label"].astype(str),
        ConsumedQuantity=np.where(usage, tokens, np.nan), ConsumedUnit=np.where(usage, "Tokens", None),
        PricingQuantity=pricing_qty, PricingUnit=np.where(usage, "1M Tokens", None),
        PricingCategory=np.where(usage, "Standard", None), ListUnitPrice=unit, ContractedUnitPrice=unit,
        PricingCurrencyListUnitPrice=unit, PricingCurrencyContractedUnitPrice=unit,
        PricingCurrencyEffectiveCost=tidy["usd"],
        InvoiceIssuerName="tco forecast", ProviderName="tco forecast", PublisherName="tco forecast",
        ServiceCategory="AI and Machine Learning", ServiceSubcategory="Generative AI", ServiceName=service,
        SkuId=option + "/" + comp, SkuPriceId=option + "/" + comp, SkuMeter=tidy["label"].astype(str),
        x_Source="tco forecast", x_Option=option, x_Component=comp, x_ProjectionMonth=tidy["month"].astype(int),
    )


def write_focus(rows: pd.DataFrame, path: str | os.PathLike) -> Path:
    """Write FOCUS rows as CSV or Parquet (by the suffix); nulls are empty in CSV."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() in (".parquet", ".pq"):
        out = rows.copy()
        for c in ("BillingPeriodStart", "BillingPeriodEnd", "ChargePeriodStart", "ChargePeriodEnd"):
            out[c] = pd.to_datetime(out[c], utc=True)
        out.to_parquet(path, index=False)
    elif path.suffix.lower() == ".csv":
        rows.to_csv(path, index=False)
    else:
        raise ValueError(f"{path}: FOCUS files are written as .csv or .parquet")
    return path


def check_columns(rows: pd.DataFrame, version_columns: Sequence[FocusColumn] = COLUMNS) -> list[str]:
    """What a FOCUS frame breaks of the column table: missing Mandatory columns, nulls where the
    table allows none, non-numbers in Decimal columns, unknown columns without the ``x_`` prefix."""
    problems = []
    table = {c.id: c for c in version_columns}
    for c in version_columns:
        if c.feature_level == "Mandatory" and c.id not in rows.columns:
            problems.append(f"{c.id}: Mandatory column missing")
    for name in rows.columns:
        col = table.get(name)
        if col is None:
            if not str(name).startswith("x_"):
                problems.append(f"{name}: not a FOCUS {SPEC_VERSION} column and not prefixed x_")
            continue
        values = rows[name]
        if not col.allows_nulls and values.isna().any():
            problems.append(f"{name}: {int(values.isna().sum())} null value(s); the column allows none")
        if col.data_type == "Decimal" and values.notna().any() and \
                pd.to_numeric(values.dropna(), errors="coerce").isna().any():
            problems.append(f"{name}: not a decimal number in every row")
    return problems


# --------------------------------------------------------------------------- reading

def read_focus_baseline(path: str | os.PathLike, service_category: str | None = "AI and Machine Learning",
                        providers: Sequence[str] | None = None, cost: str = "BilledCost") -> pd.Series:
    """Monthly spend [USD] of a FOCUS export (CSV or Parquet): the current-spend baseline.

    Rows are summed per calendar month of ``ChargePeriodStart`` (UTC), kept where
    ``ServiceCategory`` is ``service_category`` (``None``: all) and ``ProviderName`` is one
    of ``providers`` (``None``: all).  The result is indexed by ``YYYY-MM``.  Raises
    :class:`FocusError` naming the column when a needed one is missing or holds a bad
    value, and when the file is not billed in USD.
    """
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".pq"):
        df = pd.read_parquet(path)
    else:
        df = pd.read_csv(path, low_memory=False)
    needed = [cost, "ChargePeriodStart", "BillingCurrency"]
    missing = [c for c in needed if c not in df.columns]
    if missing:
        raise FocusError(f"{path}: {', '.join(missing)}: column missing (a FOCUS export has {', '.join(needed)})")
    currencies = set(df["BillingCurrency"].dropna().astype(str))
    if currencies - {"USD"}:
        raise FocusError(f"{path}: BillingCurrency: only USD is supported, found {', '.join(sorted(currencies))}")
    keep = pd.Series(True, index=df.index)
    if service_category is not None and "ServiceCategory" in df.columns:
        keep &= df["ServiceCategory"].astype(str) == service_category
    if providers is not None:
        if "ProviderName" not in df.columns:
            raise FocusError(f"{path}: ProviderName: column missing (needed to filter by provider)")
        keep &= df["ProviderName"].astype(str).isin(list(providers))
    df = df[keep]
    when = pd.to_datetime(df["ChargePeriodStart"], utc=True, errors="coerce", format="ISO8601")
    usd = pd.to_numeric(df[cost], errors="coerce")
    bad = when.isna() | usd.isna()
    if bad.any():
        first = int(np.flatnonzero(bad.to_numpy())[0])
        col = "ChargePeriodStart" if when.isna().iloc[first] else cost
        raise FocusError(f"{path}: row {df.index[first] + 1}: {col}: not a date-time / number "
                         f"({int(bad.sum())} such row(s))")
    return monthly_usd(when, usd)


def read_baseline(path: str | os.PathLike, reader: str = "focus", **focus_options) -> pd.Series:
    """Monthly spend [USD] of a FOCUS export (``reader="focus"``, options as
    :func:`read_focus_baseline`) or of a vendor's cost export (``openai-costs``,
    ``anthropic-costs``: :func:`tco.usage_readers.read_cost_baseline`), indexed ``YYYY-MM``."""
    if reader == "focus":
        return read_focus_baseline(path, **focus_options)
    return read_cost_baseline(path, reader)


def baseline_field(monthly: pd.Series) -> dict:
    """A monthly spend as the scenario field ``closed.baseline_usd_per_month`` [USD/month], months in
    order (a month without rows is 0), to the cent; of a longer series the last
    :data:`~tco.scenario.MAX_HORIZON_MONTHS` months.

    >>> baseline_field(pd.Series([1000.0, 1200.004], index=["2026-01", "2026-02"]))
    {'baseline_usd_per_month': [1000.0, 1200.0]}
    """
    if not len(monthly):
        raise FocusError("no spend to take as a baseline: the file has no rows after filtering")
    values = [round(float(v), 2) for v in monthly.to_numpy(dtype=float)[-MAX_HORIZON_MONTHS:]]
    return {"baseline_usd_per_month": values}
