"""Currencies to show results in: the reference rate of ``fx_rates.csv`` and money as people write it.

The engine computes in US dollars and every field named ``usd*`` stays in US dollars; a currency is
a way to *show* the numbers.  :func:`currency` looks a code up in the catalog's ``fx_rates`` table
(the row in force at the catalog's ``as_of``), :meth:`Currency.convert` multiplies by the rate and
:func:`fmt_money` writes an amount to the cent.

>>> usd = Currency("USD", "US dollar", "$", 1.0, None, None)
>>> fmt_money(1931.6830615816352, usd)
'$1,931.68'
>>> fmt_money(-1234.5, usd)
'-$1,234.50'
>>> jpy = Currency("JPY", "Japanese yen", "¥", 150.0, "2025-02-28", "https://example.org")
>>> fmt_money(10, jpy)                  # yen have no cents: 10 USD x 150 = 1,500 JPY
'¥1,500'
>>> fmt_money(float("nan"), usd)
'n/a'
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tco.scenario import ScenarioError
from tco.tables import TABLES

#: Every code a result can be shown in: US dollars (the engine's own) and the ``fx_rates`` choices.
CODES: tuple[str, ...] = ("USD", *TABLES["fx_rates"].column("currency").choices)
#: Currencies written without cents (ISO 4217 minor unit 0).
NO_CENTS = frozenset({"JPY"})


@dataclass(frozen=True)
class Currency:
    """A currency and its reference rate [units/USD], with the rate's date and source (None for USD)."""

    code: str
    display_name: str
    symbol: str
    units_per_usd: float
    effective_date: str | None
    source_url: str | None

    @property
    def decimals(self) -> int:
        """Digits after the decimal point of an amount: 0 for the yen, else 2."""
        return 0 if self.code in NO_CENTS else 2

    def convert(self, usd):
        """``usd`` [USD] in this currency [units]: a float for a float, an array for an array-like.

        >>> Currency("EUR", "Euro", "€", 0.5, "2025-02-28", None).convert([2.0, 4.0]).tolist()
        [1.0, 2.0]
        """
        if isinstance(usd, (int, float)):
            return float(usd) * self.units_per_usd
        return np.asarray(usd, dtype=float) * self.units_per_usd

    def info(self) -> dict:
        """The ``currency`` object of an API answer: code, units_per_usd, effective_date, source_url."""
        return {"code": self.code, "units_per_usd": self.units_per_usd, "effective_date": self.effective_date,
                "source_url": self.source_url}

    def rate_note(self) -> str:
        """One line stating the rate, for an export: "Amounts in EUR at 0.9605 EUR per USD (2025-02-28, ...)"."""
        if self.code == "USD":
            return "Amounts in US dollars (USD)."
        return (f"Amounts in {self.display_name} ({self.code}) at {self.units_per_usd:.6g} {self.code} per USD, "
                f"reference rate of {self.effective_date} ({self.source_url}).")


USD = Currency("USD", "US dollar", "$", 1.0, None, None)


def currency(catalog, code: str | None, field: str = "currency") -> Currency:
    """The currency ``code`` (case-insensitive; None or "" = USD) at the catalog's rate in force.

    When no rate is in force yet at the catalog's ``as_of`` (a scenario priced in the past), the
    oldest row of the table is used: its date says which rate it is.  Raises
    :class:`~tco.scenario.ScenarioError` at ``field`` naming the valid codes when the code is unknown.
    """
    c = (code or "USD").strip().upper()
    if c == "USD":
        return USD
    if c not in CODES:
        raise ScenarioError(field, f"unknown currency {code!r}: one of {', '.join(CODES)}")
    rows = catalog["fx_rates"]
    row = rows[rows["currency"] == c]
    if row.empty:
        hist = catalog.history["fx_rates"]
        row = hist[hist["currency"] == c].sort_values("effective_date").iloc[:1]
    if row.empty:
        raise ScenarioError(field, f"no reference rate for {c} in fx_rates.csv; USD and the codes it has work")
    r = row.iloc[-1]
    return Currency(c, str(r["display_name"]), str(r["symbol"]), float(r["units_per_usd"]),
                    str(r["effective_date"])[:10], str(r["source_url"]))


def fmt_short(x: float | None, cur: Currency = USD) -> str:
    """An amount [USD] in ``cur`` for a sentence: 950, 12.3k, 1.23M, 4.5B with the symbol; "n/a" when unknown.

    >>> fmt_short(1234567), fmt_short(12_345), fmt_short(-950), fmt_short(4.5)
    ('$1.23M', '$12.3k', '-$950', '$4.50')
    """
    if x is None or not math.isfinite(x):
        return "n/a"
    v = cur.convert(float(x))
    sign = "-" if v < 0 else ""
    a = abs(v)
    sep = "\u00a0" if cur.symbol.isalpha() else ""
    for div, suffix, digits in ((1e9, "B", 2), (1e6, "M", 2), (1e3, "k", 1)):
        if a >= div:
            return f"{sign}{cur.symbol}{sep}{a / div:.{digits}f}{suffix}".replace(".0k", "k")
    return f"{sign}{cur.symbol}{sep}{a:,.0f}" if a >= 100 else f"{sign}{cur.symbol}{sep}{a:,.{cur.decimals}f}"


def fmt_money(x: float | None, cur: Currency = USD) -> str:
    """An amount [USD] converted into ``cur`` and written to the cent (no cents for the yen), with
    thousands separators and the currency's symbol: ``$1,931.68``, ``-€12.50``; "n/a" when unknown.

    >>> fmt_money(None)
    'n/a'
    >>> fmt_money(0.004)
    '$0.00'
    """
    if x is None or not math.isfinite(x):
        return "n/a"
    v = cur.convert(float(x))
    sign = "-" if v < 0 and round(abs(v), cur.decimals) > 0 else ""
    sep = "\u00a0" if cur.symbol.isalpha() else ""         # "CHF 12.00", but "$12.00"
    return f"{sign}{cur.symbol}{sep}{abs(v):,.{cur.decimals}f}"
