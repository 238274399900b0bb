"""Exports a finance team opens: the monthly schedule in two CSV layouts and an XLSX workbook.

Two layouts of the monthly schedule (:func:`monthly_long`, :func:`monthly_wide`):

* **long**: one row per month, option and cost component with its ``usd``, and one row per month
  (option ``workload``, component ``volume``) carrying the month's ``tokens`` and ``images``.
  Cost rows leave the volume blank, so a spreadsheet's ``SUM`` of the ``tokens`` column counts the
  workload once, and the ``SUM`` of ``usd`` is the cost.  ``replicas``, ``gpus`` and ``utilisation``
  are the fleet of that month on the self-hosted (and hybrid) rows: states, not amounts to add.
* **wide**: one row per month; one column per option x component, then each option's total, then
  the month's volume and the self-hosted fleet.

Amounts are in the chosen :class:`~tco.currency.Currency`: the long layout keeps ``usd`` in US
dollars and adds ``amount`` in the currency with the rate and its date; the wide layout's money
columns are in the currency (named ``... [EUR]``).  :func:`workbook` writes the wide sheet with a
summary and the assumptions as an XLSX file (XlsxWriter): numbers as numbers with a money format,
text as text, and text that a spreadsheet would run as a formula marked quote-prefixed.
"""
from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from tco.currency import USD, Currency
from tco.report import OPTION_LABELS, hybrid_verdict, kpis, verdict
from tco.result import Result

#: What a spreadsheet reads as the start of a formula (or hides one behind): = + - @ tab CR.
FORMULA_START = r"^[=+\-@\t\r]"
_FORMULA = re.compile(FORMULA_START)
_DATE = re.compile(r"\((\d{4}-\d{2}-\d{2})\)")
_URL = re.compile(r"https?://\S+")


def formula_like(text) -> bool:
    """True when ``text`` is text a spreadsheet would take as a formula.

    >>> formula_like("=HYPERLINK(1)"), formula_like("-2+3"), formula_like("a=b"), formula_like(-2.0)
    (True, True, False, False)
    """
    return isinstance(text, str) and _FORMULA.match(text) is not None


def _volumes(result: Result) -> tuple[np.ndarray, np.ndarray]:
    """The month's workload [tokens/month] and [images/month]: the first component's rows of the
    monthly columns (every component's rows carry the same volumes, month 0 to H-1); zeros when
    no component costs anything."""
    m = result.columns
    H = result.summary["horizon_months"]
    if len(m["month"]) < H:
        return np.zeros(H), np.zeros(H)
    return np.asarray(m["tokens"][:H], dtype=float), np.asarray(m["images"][:H], dtype=float)


def _rate_columns(df: pd.DataFrame, cur: Currency) -> pd.DataFrame:
    if cur.code != "USD":
        df["currency"] = cur.code
        df["units_per_usd"] = cur.units_per_usd
        df["rate_effective_date"] = cur.effective_date
    return df


def monthly_long(result: Result, cur: Currency = USD) -> pd.DataFrame:
    """The long layout: cost rows without volumes, plus one ``workload``/``volume`` row per month.

    Columns: month, option, component, label, usd, [amount, currency, units_per_usd,
    rate_effective_date when ``cur`` is not USD], tokens, images, replicas, gpus, utilisation.
    """
    cost = result.monthly.copy()
    H = result.summary["horizon_months"]
    tokens, images = _volumes(result)
    cost["tokens"] = np.nan
    cost["images"] = np.nan
    vol = pd.DataFrame({"month": np.arange(H), "option": "workload", "component": "volume",
                        "label": "Workload volume (once per month)", "usd": np.nan, "tokens": tokens,
                        "images": images, "replicas": np.nan, "gpus": np.nan, "utilisation": np.nan})
    out = pd.concat([vol, cost], ignore_index=True)
    out = out.iloc[np.lexsort((np.arange(len(out)), out["month"].to_numpy()))].reset_index(drop=True)
    if cur.code != "USD":
        out.insert(out.columns.get_loc("usd") + 1, "amount", cur.convert(out["usd"]))
        _rate_columns(out, cur)
    return out


def monthly_wide(result: Result, cur: Currency = USD) -> pd.DataFrame:
    """The wide layout: a row per month; ``<Option>: <component> [CODE]`` columns, ``<Option> total
    [CODE]``, then tokens, images and the self-hosted fleet (replicas, gpus, utilisation)."""
    m = result.monthly
    H = result.summary["horizon_months"]
    code = cur.code
    order = list(dict.fromkeys(zip(m["option"], m["component"])))
    wide = m.pivot_table(index="month", columns=["option", "component"], values="usd", aggfunc="sum")
    wide = wide.reindex(index=range(H), columns=pd.MultiIndex.from_tuples(order) if order else None).fillna(0.0)
    label = dict(zip(zip(m["option"], m["component"]), m["label"]))
    out = pd.DataFrame({"month": np.arange(H)})
    for o, c in order:
        out[f"{OPTION_LABELS[o]}: {label[(o, c)].removeprefix('Hybrid: ')} [{code}]"] = cur.convert(wide[(o, c)].to_numpy())
    for o in dict.fromkeys(o for o, _ in order):
        cols = [k for k in order if k[0] == o]
        out[f"{OPTION_LABELS[o]} total [{code}]"] = cur.convert(wide[cols].to_numpy().sum(axis=1))
    out["tokens"], out["images"] = _volumes(result)
    sh = m[m["option"] == "self_hosted"].drop_duplicates("month").set_index("month")
    for col in ("replicas", "gpus", "utilisation"):
        out[f"Self-hosted {col}"] = sh[col].reindex(range(H)).to_numpy(dtype=float)
    return _rate_columns(out, cur)


def assumption_rows(result: Result) -> pd.DataFrame:
    """Every assumption with its value, unit, source URL and effective date (the assumption's own
    ``source_url`` / ``effective_date`` where it carries them, as the defaults table's do; else read off
    the source text; blank where it has none) and the source as written."""
    items = list(result.assumptions.items())
    src = [str(v.get("source", "")) for _, v in items]
    url = [v.get("source_url") or ((_URL.search(s) or [""])[0] if _URL.search(s) else "")
           for (_, v), s in zip(items, src)]
    date = [v.get("effective_date") or (_DATE.search(s).group(1) if _DATE.search(s) else "")
            for (_, v), s in zip(items, src)]
    return pd.DataFrame({"input": [k for k, _ in items], "value": [v.get("value") for _, v in items],
                         "unit": [v.get("unit", "") for _, v in items], "source_url": url,
                         "effective_date": date, "source": src})


def workbook(result: Result, cur: Currency = USD, title: str = "tco") -> bytes:
    """The XLSX workbook: sheets Summary, Monthly (the wide layout) and Assumptions, as bytes.

    Money cells are numbers with a money format in ``cur``; every text cell is written as text
    (never as a formula), and text starting with = + - @, a tab or a carriage return is also
    quote-prefixed, so editing it in a spreadsheet keeps it text.
    """
    import xlsxwriter   # imported here: only this export needs it

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
                                     "nan_inf_to_errors": True})
    money_fmt = f'"{cur.symbol}"#,##0' + ("" if cur.decimals == 0 else ".00")
    money = book.add_format({"num_format": money_fmt})
    bold = book.add_format({"bold": True})
    quoted = book.add_format({"quote_prefix": True})

    def text(sheet, r, c, value, fmt=None):
        s = "" if value is None else str(value)
        sheet.write_string(r, c, s, quoted if formula_like(s) else fmt)

    def cell(sheet, r, c, value, fmt=None):
        if isinstance(value, (bool, np.bool_)) or value is None or isinstance(value, str):
            text(sheet, r, c, value, fmt)
        elif np.isfinite(value):
            sheet.write_number(r, c, float(value), fmt)

    s = result.summary
    summ = book.add_worksheet("Summary")
    text(summ, 0, 0, title, bold)
    lines = [verdict(result, cur), hybrid_verdict(result, cur) or "", cur.rate_note(),
             f"{s['closed_label']} against {s['open_label']} ({s['billing_label']})."]
    for i, line in enumerate(lines, start=1):
        text(summ, i, 0, line)
    r = len(lines) + 2
    money_rows = [("closed_total_usd", "Closed total"), ("open_total_usd", "Self-hosted total"),
                  ("savings_usd", "Savings from self-hosting"), ("closed_npv_usd", "Closed NPV"),
                  ("open_npv_usd", "Self-hosted NPV"), ("savings_npv_usd", "Savings, NPV"),
                  ("hybrid_total_usd", "Hybrid plan total")]
    text(summ, r, 0, "figure", bold), text(summ, r, 1, f"amount [{cur.code}]", bold), text(summ, r, 2, "USD", bold)
    for key, name in money_rows:
        if s.get(key) is None:
            continue
        r += 1
        text(summ, r, 0, name)
        cell(summ, r, 1, cur.convert(s[key]), money)
        cell(summ, r, 2, s[key])
    r += 2
    for name, value in kpis(result, cur):
        text(summ, r, 0, name), text(summ, r, 1, value)
        r += 1
    summ.set_column(0, 0, 34)
    summ.set_column(1, 2, 20)

    wide = monthly_wide(result, cur)
    mon = book.add_worksheet("Monthly")
    is_money = [c.endswith(f"[{cur.code}]") for c in wide.columns]
    for j, name in enumerate(wide.columns):
        text(mon, 0, j, name, bold)
    for j, name in enumerate(wide.columns):        # a column at a time; blanks for missing numbers
        col = wide[name]
        data = col.astype(object).where(col.notna(), None).tolist()
        mon.write_column(1, j, data, money if is_money[j] else None)
    mon.set_column(0, 0, 7)
    mon.set_column(1, len(wide.columns) - 1, 18)
    mon.freeze_panes(1, 1)

    ass = assumption_rows(result)
    sheet = book.add_worksheet("Assumptions")
    for j, name in enumerate(ass.columns):
        text(sheet, 0, j, name, bold)
    for i, row in enumerate(ass.itertuples(index=False), start=1):
        for j, v in enumerate(row):
            cell(sheet, i, j, v if not isinstance(v, float) or np.isfinite(v) else None)
    sheet.set_column(0, 0, 36)
    sheet.set_column(1, 2, 14)
    sheet.set_column(3, 5, 40)
    book.close()
    return buf.getvalue()


__all__ = ["FORMULA_START", "formula_like", "monthly_long", "monthly_wide", "assumption_rows", "workbook"]
