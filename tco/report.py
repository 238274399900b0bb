"""Words and pages from a Result: the plain-language verdict, the one-page HTML report and its PDF.

The report (:func:`html_report`, :func:`pdf_report`) holds the verdict, the KPIs, three static SVG
charts (:mod:`tco.svgcharts`), the people and one-off costs, the cost of every component, the
hybrid plan and every assumption with its source; every amount is money to the cent in the
chosen :class:`~tco.currency.Currency`, whose rate and date the page states.

>>> fmt_usd(1234567)
'$1.23M'
>>> fmt_volume(2.5e9)
'2.5B'
>>> fmt_months(13.2)
'month 14'
"""
from __future__ import annotations

import datetime as dt
import html
import math
import re

from tco.breakeven import months_text
from tco import svgcharts
from tco.components import COMPONENT_LABELS, ONE_OFF_COMPONENTS
from tco.currency import USD, Currency, fmt_money, fmt_short
from tco.result import Result


def fmt_usd(x: float | None) -> str:
    """Money for people: $950, $12.3k, $1.23M, $4.5B (:func:`tco.currency.fmt_short` in US dollars)."""
    return fmt_short(x, USD)


def fmt_volume(x: float | None) -> str:
    """Volumes for people: 500M, 2.5B, 12k."""
    if x is None or not math.isfinite(x):
        return "n/a"
    for div, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


def fmt_months(t: float | None) -> str:
    """A break-even time in months from the start, as the month it falls in (1-based)."""
    if t is None or not math.isfinite(t):
        return "never"
    return f"month {int(math.floor(t)) + 1}"


def verdict(result: Result, cur: Currency = USD) -> str:
    """One sentence a CFO can read: which option is cheaper, from when, and by how much (in ``cur``)."""
    s = result.summary
    vol = result.resolved.volumes
    unit = "images" if vol.kind == "images" else "tokens"
    v0 = vol.images_month0 if vol.kind == "images" else vol.tokens_month0
    H = s["horizon_months"]
    where = f"At {fmt_volume(v0)} {unit} a month"
    if vol.seats_month0 and vol.kind == "tokens":
        where = f"For {vol.seats_month0:,.0f} seats ({fmt_volume(v0)} tokens a month)"
    open_label = s["open_label"]
    saving = s["savings_usd"]
    be_m = s["breakeven_month"]
    be_v = s["breakeven_volume_per_month"]
    # the break-even volume in its own unit (summary "breakeven_volume_unit"; seats for a per-seat price)
    be_unit, be_v0 = f"{unit} a month", v0
    if s.get("breakeven_volume_unit") == "seats":
        be_unit, be_v0 = "seats", vol.seats_month0
    if saving > 0:          # then the cumulative lines cross inside the horizon: be_m is a number
        tail = (f" It pays off as the volume grows past about {fmt_volume(be_v)} {be_unit}."
                if be_v is not None and be_v > be_v0 else "")
        when = f"from {months_text(be_m)}" if be_m is not None else "over the horizon"
        return (f"{where}, self-hosting {open_label} is cheaper {when} and saves "
                f"{fmt_short(saving, cur)} over {H} months against {s['closed_label']}.{tail}")
    tail = ""
    if be_m is not None:    # ahead for a while, behind again by the end
        tail = (f" Its cumulative cost falls to the closed option's in {months_text(be_m)} but ends above it.")
    if be_v is not None:
        tail += (f" Self-hosting would pay off from about {fmt_volume(be_v)} {be_unit}."
                 if be_v > be_v0 else
                 f" It is cheaper month by month at this volume but does not recover its one-off costs in {H} months.")
    return (f"{where}, {s['closed_label']} stays cheaper: self-hosting {open_label} would cost "
            f"{fmt_short(-saving, cur)} more over {H} months.{tail}")


def hybrid_verdict(result: Result, cur: Currency = USD) -> str | None:
    """One sentence on the hybrid plan, when the result has one (amounts in ``cur``)."""
    s, plan = result.summary, result.hybrid
    if plan is None or "hybrid_total_usd" not in s:
        return None
    H = s["horizon_months"]
    if plan.switch_month is None:
        return f"The cheapest plan keeps everything on {s['closed_label']} for all {H} months."
    n = int(plan.replicas.max())
    share = float(plan.api_share[-1])
    vs_closed, vs_open = s["hybrid_savings_vs_closed_usd"], s["hybrid_savings_vs_self_hosted_usd"]
    vs = min(vs_closed, vs_open)
    what = "images" if s["unit"] == "image" else "tokens"
    peak_txt = (f"the API takes the peaks ({share:.0%} of the {what} by the last month)" if share > 0.005
                else "the API is no longer needed once they run")
    cheaper_pure = "self-hosting alone" if vs_open <= vs_closed else f"{s['closed_label']} alone"
    gain = (f"{fmt_short(vs, cur)} below {cheaper_pure}" if vs >= 0.5 else f"no cheaper than {cheaper_pure}")
    return (f"Mix: from month {plan.switch_month + 1}, run up to {n} own replica{'s' if n != 1 else ''} for the base load "
            f"and {peak_txt}: {fmt_short(s['hybrid_total_usd'], cur)} over {H} months, {gain}.")



#: Components paid for people's time (the self-hosted option's staff and evaluation work).
PEOPLE_COMPONENTS = ("staff", "evaluation")
OPTION_LABELS = {"closed": "Closed API", "self_hosted": "Self-hosted", "hybrid": "Hybrid plan"}


def fmt_number(v) -> str:
    """An assumption's value for reading: six significant digits with separators, text as it is.

    >>> fmt_number(249.99999999999991), fmt_number(2e9), fmt_number(0.08), fmt_number("2026-12-02")
    ('250', '2,000,000,000', '0.08', '2026-12-02')
    """
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if not math.isfinite(v):
        return "n/a"
    r = float(f"{v:.6g}")
    return f"{r:,.0f}" if r == int(r) and abs(r) < 1e15 else f"{r:,.6g}"


def component_totals(result: Result) -> list[dict]:
    """Each option's components with their total over the horizon [USD], in the monthly table's order,
    and whether each is a people cost or a one-off."""
    m = result.monthly
    tot = m.groupby(["option", "component"], sort=False)["usd"].sum()
    return [{"option": o, "component": c, "label": COMPONENT_LABELS.get(c, c).removeprefix("Hybrid: "),
             "usd": float(v),
             "people": c in PEOPLE_COMPONENTS, "one_off": c in ONE_OFF_COMPONENTS}
            for (o, c), v in tot.items()]


def kpis(result: Result, cur: Currency = USD) -> list[tuple[str, str]]:
    """The report's key figures as (label, text) pairs, money to the cent in ``cur``."""
    s = result.summary
    H = s["horizon_months"]
    unit_word = s.get("breakeven_volume_unit") or ("images/month" if s["unit"] == "image" else "tokens/month")
    be_v = s["breakeven_volume_per_month"]
    out = [
        ("Break-even volume", ("never" if s["savings_usd"] <= 0 else "n/a") if be_v is None
         else f"{fmt_volume(be_v)} {unit_word}"),
        ("Break-even", "never" if s["breakeven_month"] is None else months_text(s["breakeven_month"])),
        (f"Closed, {H} months", fmt_money(s["closed_total_usd"], cur)),
        (f"Self-hosted, {H} months", fmt_money(s["open_total_usd"], cur)),
        ("Savings from self-hosting", fmt_money(s["savings_usd"], cur)),
        ("Savings, NPV", fmt_money(s["savings_npv_usd"], cur)),
        (f"Closed per {s['unit']}", fmt_money(s["closed_levelised_usd_per_unit"], cur)),
        (f"Self-hosted per {s['unit']}", fmt_money(s["open_levelised_usd_per_unit"], cur)),
        ("Fleet at peak", f"{s['peak_replicas']} replica{'' if s['peak_replicas'] == 1 else 's'}, "
                          f"{s['peak_gpus']} GPU{'' if s['peak_gpus'] == 1 else 's'}"),
    ]
    if "hybrid_total_usd" in s:
        out.append((f"Hybrid plan, {H} months", fmt_money(s["hybrid_total_usd"], cur)))
    return out


def _axis(cur: Currency):
    """Tick labels of an axis whose values are already in ``cur``: short money without trailing
    zeros (1.2M, 350k, 50M).

    >>> [_axis(USD)(v) for v in (5e7, 1.5e6, 1.23e6, 5e5, 1e9, 0, 20)]
    ['$50M', '$1.5M', '$1.23M', '$500k', '$1B', '$0', '$20.00']
    """
    def tick(v: float) -> str:
        if v == 0:
            return f"{cur.symbol}0"
        text = fmt_short(v / cur.units_per_usd, cur)
        return re.sub(r"\.0+([kMB])$", r"\1", re.sub(r"(\.\d*?[1-9])0+([kMB])$", r"\1\2", text))
    return tick


def report_charts(result: Result, cur: Currency = USD) -> list[str]:
    """The report's three SVG charts: cumulative cost, steady monthly cost vs volume, cost by component."""
    tot = result.totals_by_month()
    months = tot.index.to_numpy() + 1
    options = [c for c in ("closed", "self_hosted", "hybrid") if c in tot.columns]
    cum = svgcharts.line_chart({OPTION_LABELS[o]: (months, cur.convert(tot[f"{o}_cumulative"])) for o in options},
                               f"Cumulative cost [{cur.code}]", "month", fmt=_axis(cur))
    charts = [cum]
    try:
        curve = result.curve(60)
    except ValueError:          # a volume of zero has no curve
        curve = None
    if curve is not None and len(curve):
        unit = "images/month" if result.resolved.volumes.kind == "images" else "tokens/month"
        charts.append(svgcharts.line_chart(
            {"Closed API": (curve["volume"], cur.convert(curve["closed_usd"])),
             "Self-hosted": (curve["volume"], cur.convert(curve["open_usd"]))},
            f"Steady monthly cost vs volume [{cur.code}/month]", unit, fmt=_axis(cur), log_x=True,
            x_fmt=fmt_volume))
    parts = component_totals(result)
    charts.append(svgcharts.bar_chart([f"{OPTION_LABELS[p['option']]}: {p['label']}" for p in parts],
                                      cur.convert([p["usd"] for p in parts]),
                                      f"Cost by component over {result.summary['horizon_months']} months "
                                      f"[{cur.code}]", fmt=lambda v: fmt_money(v / cur.units_per_usd, cur),
                                      groups=[("closed", "self_hosted", "hybrid").index(p["option"]) for p in parts]))
    return charts


def _table(head: list[str], rows: list[list[str]], numeric: set[int] = frozenset(),
           widths: tuple[int, ...] = ()) -> str:
    """An HTML table; ``numeric`` columns right-aligned, ``widths`` in percent (fixed layout)."""
    th = "".join(f"<th{f' style=width:{widths[i]}%' if widths else ''}>{html.escape(h)}</th>"
                 for i, h in enumerate(head))
    body = "".join("<tr>" + "".join(f"<td{' class=num' if i in numeric else ''}>{html.escape(str(c))}</td>"
                                    for i, c in enumerate(r)) + "</tr>" for r in rows)
    fixed = " class=fixed" if widths else ""
    return f"<table{fixed}><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _hybrid_section(result: Result, cur: Currency) -> str:
    s, plan = result.summary, result.hybrid
    if plan is None or "hybrid_total_usd" not in s:
        return ""
    sw = s["hybrid_switch_month"]
    rows = [["Switch to own replicas", "never" if sw is None else f"month {sw + 1}"],
            ["Own replicas at peak", str(s["hybrid_peak_replicas"])],
            ["API share of the volume in the last month", f"{s['hybrid_api_share_final']:.0%}"],
            [f"Total over {s['horizon_months']} months", fmt_money(s["hybrid_total_usd"], cur)],
            ["NPV", fmt_money(s["hybrid_npv_usd"], cur)],
            ["Below the closed option", fmt_money(s["hybrid_savings_vs_closed_usd"], cur)],
            ["Below the self-hosted option", fmt_money(s["hybrid_savings_vs_self_hosted_usd"], cur)]]
    return (f"<h2>Hybrid plan</h2><p>{html.escape(hybrid_verdict(result, cur) or '')}</p>"
            + _table(["", "value"], rows, {1}))


CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "DejaVu Sans", system-ui, sans-serif; margin: 0 auto; max-width: 190mm; color: #1f2933;
       font-size: 10pt; }
h1 { font-size: 16pt; margin: 0 0 4pt; } h2 { font-size: 12pt; margin: 12pt 0 4pt; }
.kpis { display: flex; flex-wrap: wrap; gap: 6pt; margin: 8pt 0; }
.kpi { border: 1px solid #e4e7eb; border-radius: 4pt; padding: 4pt 6pt; width: 42mm; break-inside: avoid; }
.kpi .k { font-size: 8pt; color: #52606d; } .kpi .v { font-size: 11pt; font-weight: 600; }
.chart { break-inside: avoid; margin: 6pt 0; } .chart svg { width: 100%; height: auto; }
table { border-collapse: collapse; font-size: 8pt; width: 100%; }
td, th { border-bottom: 1px solid #e4e7eb; padding: 2pt 4pt; text-align: left; vertical-align: top; }
td.num { text-align: right; } td { overflow-wrap: anywhere; } table.fixed { table-layout: fixed; }
.note { color: #52606d; font-size: 8pt; }
"""


#: The fields of the guide's inputs: a failure naming one of them is the user's answer at fault.
_GUIDE_INPUTS = ("questions", "effort", "hosted_model", "user_scores_csv")


def report_guide(result: Result, catalog, questions: dict | None = None, effort: dict | None = None,
                 user_scores=None, hosted_model: str | None = None) -> dict | None:
    """The guide's head-to-head (:func:`tco.guide.build_guide`) for the result's scenario, with the
    answers the dashboard's guide panel sends to ``POST /api/v1/guide`` (``questions`` and ``effort``
    as :class:`tco.guide.Questions` / :class:`tco.guide.Effort` fields, ``user_scores`` records of
    :func:`tco.quality.read_user_scores`, ``hosted_model``), so the report recommends what the page
    does.  None when the scenario's options cannot be set side by side; an answer at fault (a
    :class:`~tco.scenario.ScenarioError` naming one of the inputs) is raised, not dropped."""
    from tco.guide import Effort, Questions, build_guide
    from tco.scenario import ScenarioError
    try:
        return build_guide(result.scenario, catalog, Questions(**(questions or {})), Effort(**(effort or {})),
                           user_scores, hosted_model)
    except ScenarioError as e:
        if e.field.split(".")[0] in _GUIDE_INPUTS:
            raise
        return None
    except (ValueError, KeyError):
        return None


def _guide_section(guide: dict | None) -> str:
    """The guide's six rows for the report: one column per option, each cell its text with the
    source's link and date ("estimate" where it is built on tco's defaults)."""
    if not guide:
        return ""
    options = [(o["key"], o["label"]) for o in guide["options"]]

    def cell(c: dict | None) -> str:
        if c is None:
            return "<td></td>"
        src = (f" <a href='{html.escape(c['source_url'], quote=True)}'>source</a>" if c.get("source_url") else "")
        date = f" ({html.escape(str(c['effective_date']))})" if c.get("effective_date") else ""
        est = " <em>estimate</em>" if c.get("estimate") else ""
        return f"<td>{html.escape(c['text'])}<span class='note'>{src}{date}{est}</span></td>"

    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in options)
    body = "".join(f"<tr><th>{html.escape(r['label'])}</th>" + "".join(cell(r["cells"].get(k)) for k, _ in options)
                   + "</tr>" for r in guide["rows"])
    rec = guide.get("recommendation") or ""
    return (f"<h2>The guide's head-to-head</h2><p>{html.escape(rec)}</p>"
            f"<p class='note'>Amounts in this table are in US dollars.</p>"
            f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{body}</tbody></table>")


def html_report(result: Result, cur: Currency = USD, title: str = "tco report", guide: dict | None = None) -> str:
    """A self-contained one-page HTML report: no script, static SVG charts, a few tens of kB.

    Every amount is money to the cent in ``cur`` (the rate and its date are stated at the top);
    the assumptions keep their catalog units (USD prices stay USD).  ``guide`` (from
    :func:`report_guide`) adds the guide's six-row table.
    """
    s = result.summary
    H = s["horizon_months"]
    cards = "".join(f"<div class='kpi'><div class='k'>{html.escape(k)}</div><div class='v'>{html.escape(v)}</div>"
                    f"</div>" for k, v in kpis(result, cur))
    charts = "".join(f"<div class='chart'>{svg}</div>" for svg in report_charts(result, cur))
    parts = component_totals(result)
    people = [p for p in parts if p["people"] or p["one_off"]]
    people_rows = [[OPTION_LABELS[p["option"]], p["label"], "one-off" if p["one_off"] else "people",
                    fmt_money(p["usd"], cur)] for p in people]
    people_html = (_table(["option", "component", "kind", f"total over {H} months"], people_rows, {3}) if people
                   else "<p>No people or one-off costs in this scenario.</p>")
    comp_rows = [[OPTION_LABELS[p["option"]], p["label"], fmt_money(p["usd"], cur)] for p in parts]
    assumptions = [[k, fmt_number(v["value"]), v["unit"], v["source"]] for k, v in result.assumptions.items()]
    as_of = result.assumptions.get("catalog.as_of", {}).get("value", "")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>{CSS}</style></head><body>
<h1>{html.escape(title)}</h1>
<p class="note">Generated {dt.date.today().isoformat()} by tco; prices in force on {html.escape(str(as_of))}.
{html.escape(cur.rate_note())}</p>
<p class="verdict"><strong>{html.escape(verdict(result, cur))}</strong></p>
<p>{html.escape(s['closed_label'])} against {html.escape(s['open_label'])} ({html.escape(s['billing_label'])}).</p>
<div class="kpis">{cards}</div>
{charts}
<h2>People and one-off costs</h2>
{people_html}
<h2>Cost by component over {H} months</h2>
{_table(["option", "component", "total"], comp_rows, {2})}
{_hybrid_section(result, cur)}
{_guide_section(guide)}
<h2>Assumptions and their sources</h2>
<p class="note">In the catalog's own units: prices in US dollars.</p>
{_table(["input", "value", "unit", "source"], assumptions, {1}, (24, 22, 10, 44))}
</body></html>"""


def pdf_report(result: Result, cur: Currency = USD, title: str = "tco report", guide: dict | None = None) -> bytes:
    """The report of :func:`html_report` as an A4 PDF (weasyprint), well under 1 MB."""
    import weasyprint   # imported here: a second or so of start-up the other answers do not need
    return weasyprint.HTML(string=html_report(result, cur, title, guide)).write_pdf()
