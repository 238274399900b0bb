"""Time value of money: annuities, discount factors, NPV, levelised cost.

Small pure functions in the style of PyPSA's ``costs.py``; their edge cases
(zero rate, infinite life) are written out and doctested.

Glossary
--------
rate_monthly     cost of capital or discount rate per month [1/month]
lifetime_months  useful life of an asset [months]
"""
from __future__ import annotations

import numpy as np

HOURS_PER_MONTH = 730.0
"""Hours in an average calendar month [h] (8,760 h / 12)."""

DAYS_PER_MONTH = 365.0 / 12.0
"""Days in an average calendar month [days] (30.42)."""

SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600.0
"""Seconds in an average calendar month [s]."""


def monthly_rate(rate_annual):
    """Monthly rate equivalent to an annual rate, compounded [1/month].

    >>> round(float(monthly_rate(0.12)), 6)
    0.009489
    >>> float(monthly_rate(0.0))
    0.0
    """
    return np.power(1.0 + np.asarray(rate_annual, dtype=float), 1.0 / 12.0) - 1.0


def annuity(rate, lifetime):
    """Payment per period that repays a principal of 1 over ``lifetime`` periods at ``rate``.

    ``rate * (1 + rate)**n / ((1 + rate)**n - 1)``; with ``rate == 0`` it is ``1 / n``;
    with an infinite life it is ``rate`` (interest only).

    >>> float(annuity(0.0, 36)) == 1 / 36
    True
    >>> round(float(annuity(0.01, 36)), 6)
    0.033214
    >>> float(annuity(0.05, np.inf))
    0.05
    """
    rate = np.asarray(rate, dtype=float)
    lifetime = np.asarray(lifetime, dtype=float)
    if np.any(lifetime <= 0):
        raise ValueError("lifetime must be > 0 periods")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        growth = np.power(1.0 + rate, lifetime)
        out = np.where(rate == 0.0, 1.0 / lifetime, rate * growth / (growth - 1.0))
        out = np.where(np.isinf(lifetime), rate, out)
    return out if out.ndim else float(out)


def discount_factors(rate_annual, months: int):
    """Discount factor of each month ``m = 0..months-1``: ``1 / (1 + r_month)**m`` [-].

    Costs of month 0 are not discounted (paid at the start of the plan).

    >>> discount_factors(0.0, 3).tolist()
    [1.0, 1.0, 1.0]
    >>> [round(float(x), 4) for x in discount_factors(0.12, 13)[[0, 12]]]
    [1.0, 0.8929]
    """
    r = np.asarray(monthly_rate(rate_annual), dtype=float)
    m = np.arange(months, dtype=float)
    return np.power(1.0 + r[..., None], -m) if r.ndim else np.power(1.0 + float(r), -m)


def npv(cashflows, rate_annual):
    """Net present value of monthly costs along the last axis [USD].

    >>> float(npv([100.0, 100.0, 100.0], 0.0))
    300.0
    """
    cf = np.asarray(cashflows, dtype=float)
    return (cf * discount_factors(rate_annual, cf.shape[-1])).sum(axis=-1)


def levelised_usd_per_mtok(costs_usd, tokens, rate_annual):
    """Discounted cost per discounted million tokens [USD/1M tokens].

    >>> float(levelised_usd_per_mtok([10.0, 10.0], [1e6, 1e6], 0.0))
    10.0
    """
    tok = np.asarray(tokens, dtype=float)
    denom = npv(tok, rate_annual)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, npv(costs_usd, rate_annual) / denom * 1e6, np.nan)


def usd_per_mtok_from_hourly(usd_per_hour, tokens_per_second, utilisation=1.0):
    """Cost of 1M tokens on hardware billed by the hour [USD/1M tokens].

    ``usd_per_hour / (tokens_per_second * 3600 * utilisation / 1e6)``.
    SemiAnalysis InferenceX (published_cases.md case 4): $1.30/h at 1,000 tok/s -> $0.361/M.

    >>> round(float(usd_per_mtok_from_hourly(1.30, 1000.0)), 3)
    0.361
    """
    return np.asarray(usd_per_hour, dtype=float) / (
        np.asarray(tokens_per_second, dtype=float) * 3600.0 * np.asarray(utilisation, dtype=float) / 1e6)
