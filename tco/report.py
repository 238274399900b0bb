"""Words and pages from a Result: the plain-language verdict and the one-page HTML report.

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

from tco.result import Result


def fmt_usd(x: float | None) -> str:
    """Money for people: $950, $12.3k, $1.23M, $4.5B."""
    if x is None or not math.isfinite(x):
        return "n/a"
    sign = "-" if x < 0 else ""
    a = abs(x)
    for div, suffix, digits in ((1e9, "B", 2), (1e6, "M", 2), (1e3, "k", 1)):
        if a >= div:
            return f"{sign}${a / div:.{digits}f}{suffix}".replace(".0k", "k")
    return f"{sign}${a:,.0f}" if a >= 100 else f"{sign}${a:,.2f}"


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


def verdict(result: Result) -> str:
    """One sentence a CFO can read: which option is cheaper, from when, and by how much."""
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
    if be_v is not None and s.get("breakeven_volume_unit") == "seats":
        be_v = be_v * v0 / vol.seats_month0          # seats -> tokens a month, as v0
    if saving > 0 and be_m is not None:
        when = "from the start" if be_m < 1 else f"from {fmt_months(be_m)}"
        return (f"{where}, self-hosting {open_label} is cheaper {when} and saves {fmt_usd(saving)} over {H} months "
                f"against {s['closed_label']}.")
    tail = ""
    if be_v is not None:
        tail = (f" Self-hosting would pay off from about {fmt_volume(be_v)} {unit} a month."
                if be_v > v0 else " It is cheaper month by month but does not recover its setup cost in time.")
    return (f"{where}, {s['closed_label']} stays cheaper: self-hosting {open_label} would cost "
            f"{fmt_usd(-saving)} more over {H} months.{tail}")


def hybrid_verdict(result: Result) -> str | None:
    """One sentence on the hybrid plan, when the result has one."""
    s, plan = result.summary, result.hybrid
    if plan is None or "hybrid_total_usd" not in s:
        return None
    H = s["horizon_months"]
    if plan.switch_month is None:
        return f"The cheapest plan keeps everything on {s['closed_label']} for all {H} months."
    n = int(plan.replicas.max())
    share = float(plan.api_share[-1])
    vs = min(s["hybrid_savings_vs_closed_usd"], s["hybrid_savings_vs_self_hosted_usd"])
    peak_txt = (f"the API takes the peaks ({share:.0%} of the tokens by the last month)" if share > 0.005
                else "the API is no longer needed once they run")
    return (f"Mix: from month {plan.switch_month + 1}, run up to {n} own replica{'s' if n != 1 else ''} for the base load "
            f"and {peak_txt}: {fmt_usd(s['hybrid_total_usd'])} over {H} months, "
            f"{fmt_usd(vs)} below the cheaper pure option.")


def html_report(result: Result, figures: dict, title: str = "tco report") -> str:
    """A self-contained one-page HTML report (plotly.js inlined once, so it opens offline)."""
    s = result.summary
    kpis = [
        ("Break-even volume", "never" if s["breakeven_volume_per_month"] is None else
         f"{fmt_volume(s['breakeven_volume_per_month'])} "
         f"{s.get('breakeven_volume_unit') or ('images' if s['unit'] == 'image' else 'tokens') + '/month'}"),
        ("Break-even", fmt_months(s["breakeven_month"])),
        (f"Closed, {s['horizon_months']} months", fmt_usd(s["closed_total_usd"])),
        (f"Self-hosted, {s['horizon_months']} months", fmt_usd(s["open_total_usd"])),
        ("Savings from self-hosting", fmt_usd(s["savings_usd"])),
        (f"Closed per {s['unit']}", fmt_usd(s["closed_levelised_usd_per_unit"])),
        (f"Self-hosted per {s['unit']}", fmt_usd(s["open_levelised_usd_per_unit"])),
    ]
    charts = []
    for i, (name, fig) in enumerate(figures.items()):
        charts.append(fig.to_html(full_html=False, include_plotlyjs=(i == 0), div_id=f"chart-{name}",
                                  config={"displaylogo": False}))
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(str(v['value']))}</td>"
                   f"<td>{html.escape(v['unit'])}</td><td>{html.escape(v['source'])}</td></tr>"
                   for k, v in result.assumptions.items())
    cards = "".join(f"<div class='kpi'><div class='k'>{html.escape(k)}</div><div class='v'>{html.escape(v)}</div></div>"
                    for k, v in kpis)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; color: #1f2933; }}
.kpis {{ display: grid; grid-template-columns: repeat(4, 1fr); gap: .75rem; margin: 1rem 0; }}
.kpi {{ border: 1px solid #e4e7eb; border-radius: 8px; padding: .6rem .8rem; }}
.kpi .k {{ font-size: .8rem; color: #52606d; }} .kpi .v {{ font-size: 1.3rem; font-weight: 600; }}
table {{ border-collapse: collapse; font-size: .8rem; }} td, th {{ border-bottom: 1px solid #e4e7eb; padding: .2rem .5rem;
text-align: left; vertical-align: top; }}
</style></head><body>
<h1>{html.escape(title)}</h1>
<p>Generated {dt.date.today().isoformat()} by tco; prices in force on {html.escape(str(result.assumptions.get(
        'catalog.as_of', {}).get('value', '')))}.</p>
<p class="verdict"><strong>{html.escape(verdict(result))}</strong></p>
<div class="kpis">{cards}</div>
{''.join(charts)}
<h2>Assumptions and their sources</h2>
<table><thead><tr><th>input</th><th>value</th><th>unit</th><th>source</th></tr></thead><tbody>{rows}</tbody></table>
</body></html>"""
