"""The finance dashboard at ``/``: a page and its assets; every number comes from the v1 API.

The form's fields are listed once here (path in the scenario JSON, label, unit, help,
default); the template renders them and ``static/js/form.js`` turns them into the
scenario the API takes.
"""
from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import plotly
from flask import Blueprint, current_app, render_template, send_file

from tco.currency import CODES, currency
from tco.defaults import DEFAULTED, published_below_8_bits, shipped_values, table_precision
from tco.freshness import PRICE_TABLES
from tco.resolve import PROVIDER_NAMES
from tco.scenario import ClosedOption, Finance, OpenOption, Workload
from tco.serving import USES
from tco.tables import PRECISIONS
from tco.throughput import ENGINES, PLATFORMS
from tco.workload import PRESETS as LOAD_PRESETS
from tco.workload import load_profile

bp = Blueprint("dashboard", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def plotly_js_version() -> str:
    """plotly.js's version, read from the bundled file's banner (``* plotly.js v4.1.1``)."""
    with open(PLOTLY_JS, encoding="utf-8") as fh:
        head = fh.read(200)
    for token in head.split():
        if token.startswith("v") and token[1:2].isdigit():
            return token[1:]
    return plotly.__version__


@dataclass(frozen=True)
class Field:
    path: str            # dotted path in the scenario JSON (or ui.* for page-only state)
    label: str
    unit: str = ""
    help: str = ""
    kind: str = "number"  # number | volume | percent | ms | select | date
    default: object = None
    min: float | None = None
    max: float | None = None
    step: str = "any"
    options: tuple = ()   # (value, label) pairs for selects
    mode: str = ""        # workload mode the field belongs to ("" = always)
    note: bool = False    # shows the catalog's (or the default's) value, date and source under it


_W, _C, _O, _F = (({f.name: f.default for f in dataclasses.fields(k)}) for k in (Workload, ClosedOption, OpenOption,
                                                                              Finance))
_O.update(shipped_values())     # the fields the defaults table fills show its values


def _pct(x):
    return round(x * 100, 6)


def _load_shape_label(name: str) -> str:
    """A preset's name and its busiest hour over its average: ``business hours (peak 2.3× average)``."""
    peak = float(load_profile(name).max())
    text = name.replace("_", " ")
    return f"{text} (no peak)" if peak <= 1 + 1e-9 else f"{text} (peak {peak:.2g}× average)"


#: (value, label) pairs of the load-shape select; "" = no ``load_profile``: a smooth day whose
#: peak is the peak-to-average assumption.
LOAD_SHAPES = (("", "smooth day (peak set in Assumptions)"),) + tuple(
    (name, _load_shape_label(name)) for name in LOAD_PRESETS)


WORKLOAD_FIELDS = (
    Field("workload.tokens_per_month", "Tokens per month", "tokens/month",
          "Input + output tokens. Accepts 500M, 2.5B, 1.2e9.", "volume", 2.5e9, 0, mode="tokens"),
    Field("workload.requests_per_day", "Requests per day", "requests/day", "Calls to the model each day.",
          "volume", 50_000, 0, mode="requests"),
    Field("workload.output_tokens_per_request", "Output tokens per request", "tokens",
          "Tokens generated per call.", "number", 250, 1, mode="requests"),
    Field("workload.seats", "Seats", "users", "People with a seat (Copilot-style products).", "volume", 500, 0,
          mode="seats"),
    Field("workload.tokens_per_seat_month", "Tokens per seat per month", "tokens/seat/month",
          "What one user sends and receives in a month.", "volume", 2e6, 0, mode="seats"),
    Field("workload.images_per_month", "Images per month", "images/month", "Images generated each month.",
          "volume", 1_000_000, 0, mode="images"),
    Field("workload.input_share", "Input share", "%", "Share of tokens that are prompt (input) tokens.",
          "percent", _pct(_W["input_share"]), 0, 100, mode="tokens seats"),
    Field("workload.input_tokens_per_request", "Prompt tokens per request", "tokens",
          "Average prompt length: sets the long-context tier and the throughput model.", "number",
          _W["input_tokens_per_request"], 1, mode="tokens requests seats"),
    Field("workload.monthly_growth", "Growth per month", "%/month", "Compound growth of the volume.", "percent",
          3.0, -99, 1000),
    Field("workload.load_profile", "Load shape", "", "Traffic over a day: sizes the fleet and the hybrid plan. "
          "A named shape sets the peak-to-average ratio itself.", "select", "", options=LOAD_SHAPES),
    Field("horizon_months", "Horizon", "months", "How far to plan (1 to 240 months).", "number", 36, 1, 240, "1"),
)

ASSUMPTION_FIELDS = (
    ("Load and caching", (
        Field("workload.peak_to_average", "Peak to average load", "×", "Busiest hour over the average; sizes the fleet.",
              "number", _W["peak_to_average"], 1, 24),
        Field("workload.cached_input_share", "Cached input", "%", "Input tokens served from the prompt cache.",
              "percent", 0.0, 0, 100, mode="tokens requests seats"),
        Field("workload.batch_share", "Batch API share", "%", "Traffic sent through the (cheaper, slower) batch API.",
              "percent", 0.0, 0, 100, mode="tokens requests seats"),
    )),
    ("Closed API", (
        Field("closed.setup_usd", "Integration (one-off)", "USD", "Engineering to wire the API in.", "number", 0.0, 0),
    )),
    ("Serving", (
        Field("open.min_replicas", "Minimum replicas", "replicas", "Kept running however low the load.", "number",
              _O["min_replicas"], 0, 10000, "1"),
        Field("open.serving_efficiency", "Serving efficiency", "×",
              "Multiplier on the modelled throughput (1 = the engine as published runs tune it).", "number",
              _O["serving_efficiency"], 0.01, 10),
        Field("open.kv_precision", "KV-cache precision", "", "fp8 holds twice the sequences of bf16 "
              "(vLLM's --kv-cache-dtype).", "select", "",
              options=(("", "the weights' default"),) + tuple((p, p) for p in PRECISIONS if p != "fp32"),
              mode="tokens requests seats"),
        Field("open.attention_parallel", "Attention across GPUs", "", "Data-parallel attention (SGLang's "
              "--enable-dp-attention) keeps no cache twice but holds the attention weights on every GPU.", "select", "",
              options=(("", "not set (KV heads replicated)"), ("tp", "tp: tensor-parallel"),
                       ("dp", "dp: data-parallel")), mode="tokens requests seats"),
    )),
    ("People and one-offs", (
        Field("open.replicas_per_fte", "Replicas per extra FTE", "replicas/FTE",
              "One more person per this many replicas.", "number", _O["replicas_per_fte"], 0.01),
        Field("open.migration_usd", "Migration (one-off)", "USD", "", "number", _O["migration_usd"], 0),
        Field("open.fine_tuning_usd", "Fine-tuning (one-off)", "USD", "", "number", _O["fine_tuning_usd"], 0),
        Field("open.evaluation_usd_per_month", "Evaluation & guardrails", "USD/month", "", "number",
              _O["evaluation_usd_per_month"], 0),
        Field("open.overhead_share", "Monitoring, storage, network", "% of infra", "", "percent",
              _pct(_O["overhead_share"]), 0, 500),
    )),
    ("Owned hardware", (
        Field("open.capex_mode", "Hardware shown as", "", "An annuity over its life, or cash when bought.", "select",
              _O["capex_mode"], options=(("amortised", "amortised (annuity)"), ("cash", "cash when bought"))),
        Field("open.useful_life_months", "Useful life", "months", "", "number", _O["useful_life_months"], 1, 600),
        Field("open.cost_of_capital_annual", "Cost of capital", "%/year", "", "percent",
              _pct(_O["cost_of_capital_annual"]), 0, 100),
        Field("open.residual_value_share", "Residual value", "% of price", "Resale value at end of life.", "percent",
              _pct(_O["residual_value_share"]), 0, 100),
        Field("open.power_usd_per_kwh", "Electricity", "USD/kWh", "", "number", _O["power_usd_per_kwh"], 0, 10),
        Field("open.pue", "PUE", "×", "Data-centre power over IT power.", "number", _O["pue"], 1, 5),
        Field("open.load_factor", "Average power draw", "% of TDP", "", "percent", _pct(_O["load_factor"]), 0, 100),
        Field("open.colocation_usd_per_kw_month", "Colocation", "USD/kW/month", "", "number",
              _O["colocation_usd_per_kw_month"], 0),
        Field("open.support_share_annual", "Support contract", "% of capex/year", "", "percent",
              _pct(_O["support_share_annual"]), 0, 100),
    )),
    ("Finance", (
        Field("as_of", "Prices as of", "date", "Use the prices in force on this date (blank = today).", "date"),
    )),
)


def _ms(s):
    return None if s is None else round(s * 1000, 6)


#: (value, label) pairs of the serving-use select: the use and its latency targets.
SERVING_USES = tuple((u, f"{u}: " + ("no latency target" if tp is None else
                                      f"{_ms(tp):g} ms per token, {_ms(tf):g} ms to the first"))
                     for u, (tp, tf) in USES.items())

#: The levers finance asks about, on the page (not folded away): each shows the catalog's value, or
#: the default's, with its date and source under the field.
LEVER_FIELDS = (
    ("Serving", (
        Field("open.serving_use", "Serving use", "", "Sets the latency targets below.", "select",
              _O["serving_use"], options=SERVING_USES, mode="tokens requests seats", note=True),
        Field("open.max_time_per_output_token_s", "Time per output token, at most", "ms",
              "Blank: the use's target.", "ms", None, 0.001, 600_000, mode="tokens requests seats", note=True),
        Field("open.max_time_to_first_token_s", "Time to first token, at most", "ms",
              "Blank: the use's target.", "ms", None, 0.001, 600_000, mode="tokens requests seats", note=True),
        Field("open.serving_engine", "Serving engine", "", "", "select", _O["serving_engine"],
              options=tuple((e, e) for e in ENGINES), mode="tokens requests seats", note=True),
        Field("open.platform", "Platform", "", "", "select", "",
              options=(("", "the GPU's own"),) + tuple((x, x) for x in PLATFORMS), mode="tokens requests seats"),
        Field("open.images_per_second_per_replica", "Images per second per replica", "images/s",
              "Blank: the catalog's measured row.", "number", None, 0.000001, 1e6, mode="images", note=True),
        Field("open.redundancy_replicas", "Spare replicas", "replicas", "On top of the load, for failover.", "number",
              _O["redundancy_replicas"], 0, 10000, "1", note=True),
        Field("open.target_utilisation", "Target utilisation at peak", "%",
              "Share of a replica's throughput you plan to use at the busiest hour.", "percent",
              _pct(_O["target_utilisation"]), 1, 100, note=True),
    )),
    ("People", (
        Field("open.staff_fte_base", "MLOps staff (base)", "FTE", "People needed however small the fleet.", "number",
              _O["staff_fte_base"], 0, 1000, note=True),
        Field("open.fte_usd_per_year", "Loaded cost per FTE", "USD/year", "Salary, benefits, overheads.", "number",
              _O["fte_usd_per_year"], 0, note=True),
        Field("open.setup_engineer_months", "Setup engineering", "engineer-months", "Paid in month 1.", "number",
              _O["setup_engineer_months"], 0, note=True),
    )),
    ("Money", (
        Field("finance.discount_rate_annual", "Discount rate", "%/year", "For NPV and levelised cost.", "percent",
              _pct(_F["discount_rate_annual"]), -50, 100, note=True),
        Field("closed.discount", "Negotiated discount", "%", "Off list prices.", "percent", 0.0, 0, 100, note=True),
        Field("closed.price_change_annual", "API price change per year", "%/year",
              "API prices have fallen fast; -30 means 30% cheaper each year.", "percent", 0.0, -99, 1000, note=True),
    )),
)

#: The GPU price and the server price: with the GPU pick, in the hosting groups.
GPU_PRICE_FIELD = Field("open.usd_per_gpu_hour", "GPU price", "USD/GPU-hour",
                        "Blank: the catalog's rate for the provider and term.", "number", None, 0, 1000, note=True)
SERVER_PRICE_FIELD = Field("open.server_usd", "Server price", "USD/server",
                           "Blank: the catalog's GPUs per server x purchase price.", "number", None, 0, 1e9, note=True)


def _num(x):
    return None if x is None or x != x else float(x)


def _dated(row) -> dict:
    """A catalog row's effective date (ISO) and source URL, for the note under a lever."""
    d = row.get("effective_date")
    url = row.get("source_url")
    return {"date": None if d is None or d != d else str(d)[:10], "source_url": url if isinstance(url, str) else None}


def _catalog_options(catalog) -> dict:
    api = catalog.api_prices.sort_values(["provider", "display_name"])
    groups: dict[str, list] = {}
    for _, r in api.iterrows():
        price = f"${r['usd_per_mtok_input']:.2f} / ${r['usd_per_mtok_output']:.2f} per 1M"
        groups.setdefault(r["provider"], []).append(
            {"id": r["model_id"], "label": f"{r['display_name']} — {price}",
             "input": r["usd_per_mtok_input"], "output": r["usd_per_mtok_output"]})
    seats = [{"id": r["product_id"], "term": r["billing_term"],
              "label": f"{r['display_name']} — ${r['usd_per_seat_month']:.0f}/seat/month ({r['billing_term']})"}
             for _, r in catalog.seat_prices.iterrows()]
    # the precision select starts where the API's default would (tco.defaults.fill_defaults): a model's
    # weights published below 8 bits as published (`kept_precision`), else the GPU's `default_precision`
    models = [{"id": r["model_id"], "label": r["display_name"],
               "kept_precision": published_below_8_bits(catalog, r["model_id"])}
              for _, r in catalog.open_models.iterrows() if r["modality"] == "text"]
    gpus = [{"id": r["gpu_id"], "label": f"{r['display_name']} ({r['memory_gb']:g} GB)",
             "purchase_usd": _num(r["purchase_usd"]), "gpus_per_server": _num(r["gpus_per_server"]),
             "estimate": bool(r["purchase_usd_is_estimate"]),
             "default_precision": table_precision(catalog, catalog.gpu(r["gpu_id"])), **_dated(r)}
            for _, r in catalog.gpus.iterrows()]
    rates = [{"provider": r["provider"], "gpu": r["gpu_id"], "term": r["term"], "usd": r["usd_per_gpu_hour"],
              "name": PROVIDER_NAMES.get(r["provider"], r["provider"]), **_dated(r)}
             for _, r in catalog.gpu_rates.iterrows()]
    images = [{"id": f"{r['model_id']}|{r['size']}|{r['quality']}",
               "label": f"{r['display_name']}" + ("" if r["size"] == "any" else f" {r['size']}")
                        + ("" if r["quality"] == "any" else f" {r['quality']}") + f" — ${r['usd_per_image']:.4g}/image"}
              for _, r in catalog.image_prices.sort_values(["display_name", "size", "quality"]).iterrows()]
    image_models = [{"id": r["model_id"], "label": r["display_name"],
                     "kept_precision": published_below_8_bits(catalog, r["model_id"])}
                    for _, r in catalog.open_models.iterrows() if r["modality"] == "image"]
    return {"api": groups, "seats": seats, "models": models, "gpus": gpus, "rates": rates, "images": images,
            "image_models": image_models, "uses": {u: {"tpot_s": a, "ttft_s": b} for u, (a, b) in USES.items()},
            "precisions": [p for p in PRECISIONS if p not in ("fp32",)],
            "load_peaks": {name: float(load_profile(name).max()) for name in LOAD_PRESETS}}


def price_age(catalog) -> dict:
    """How old the prices in force are: the newest and oldest ``effective_date`` over the price
    tables (:data:`tco.freshness.PRICE_TABLES`) on the catalog's date, and their ages [days].

    Returns ``{"as_of", "newest", "oldest", "newest_age_days", "oldest_age_days", "text"}`` (ISO
    dates; None and a plain text when no table has a row); ``text`` is the page header's line.
    """
    dates = [catalog.tables[t]["effective_date"] for t in PRICE_TABLES
             if t in catalog.tables and len(catalog.tables[t])]
    as_of = catalog.as_of.isoformat()
    if not dates:
        return {"as_of": as_of, "newest": None, "oldest": None, "newest_age_days": None, "oldest_age_days": None,
                "text": f"prices as of {as_of}: none in force"}
    newest, oldest = max(d.max() for d in dates).date(), min(d.min() for d in dates).date()
    new_age, old_age = (catalog.as_of - newest).days, (catalog.as_of - oldest).days
    text = (f"prices as of {as_of} · newest row {newest.isoformat()} ({new_age} days old), "
            f"oldest in force {oldest.isoformat()} ({old_age} days old)")
    return {"as_of": as_of, "newest": newest.isoformat(), "oldest": oldest.isoformat(),
            "newest_age_days": new_age, "oldest_age_days": old_age, "text": text}


def currency_options(catalog) -> list[dict]:
    """The header's currency picker: USD and every code of fx_rates.csv with its rate, date and source."""
    return [currency(catalog, code).info() for code in CODES]


@bp.get("/")
def index():
    catalog = current_app.config["TCO_CATALOG"]
    opts = {**_catalog_options(catalog), "price_age": price_age(catalog), "currencies": currency_options(catalog)}
    return render_template("dashboard.html", workload_fields=WORKLOAD_FIELDS, assumption_fields=ASSUMPTION_FIELDS,
                           lever_fields=LEVER_FIELDS, gpu_price_field=GPU_PRICE_FIELD, table_defaults=DEFAULTED,
                           server_price_field=SERVER_PRICE_FIELD,
                           options=opts, options_json=json.dumps(opts).replace("</", "<\\/"), as_of=catalog.as_of.isoformat(),
                           plotly_version=plotly_js_version(), defaults=_page_defaults(catalog))


def _page_defaults(catalog) -> dict:
    """The picks the page opens with, its precision the API's default for them (``static/js/form.js``
    keeps it so when the model or GPU changes)."""
    picks = {"closed.model": "gpt-6.1-sol", "open.model": "llama-3.1-70b", "open.gpu": "h100-sxm"}
    try:
        gpu = catalog.gpu(picks["open.gpu"])
    except KeyError:                    # a catalog without it: the page still opens
        gpu = None
    picks["open.precision"] = published_below_8_bits(catalog, picks["open.model"]) or table_precision(catalog, gpu)
    return picks


@bp.get("/static/vendor/plotly-<version>.min.js")
def plotly_js(version):
    """plotly.js from the plotly package, under a versioned name (no CDN)."""
    return send_file(PLOTLY_JS, mimetype="text/javascript", max_age=31_536_000)
