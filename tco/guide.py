"""The guide's head-to-head table for the user's own options, in numbers and sourced facts.

The guide "Closed-Source vs Open-Source AI Models" compares the two on six rows: transparency,
customization, setup effort, cost structure, performance and control.  :func:`build_guide` fills
them for the options of one scenario:

``closed``       the scenario's closed model, bought by the unit;
``self_hosted``  the scenario's open model on the scenario's GPUs;
``hosted``       (optional) a hosted deployment of open weights bought by the token;
``hybrid``       own replicas for the base load and the closed API for the overflow, when that plan
                 uses both (:func:`tco.hybrid.plan`).

Every cell is ``{value, unit, text, source_url, effective_date, estimate}``: a number from the
engine or the scenario's people inputs, or a fact from ``model_control`` / ``model_quality``.

Setup effort [engineer-months, calendar weeks, USD]
---------------------------------------------------
closed / hosted: integration, ``Effort.closed_integration_engineer_months`` (default 1), built by one
engineer; priced at ``open.fte_usd_per_year / 12`` per engineer-month plus ``closed.setup_usd``.
self-hosted: ``open.setup_engineer_months`` split into infrastructure, serving, evals, security
review and migration by ``Effort.open_shares``; priced the same way plus ``open.migration_usd`` (the
engine's one-off, fine-tuning aside).  Calendar weeks = engineer-months / engineers x 52/12, the
engineers being the ML platform team (question ``ml_team_size``; unanswered: ``open.staff_fte_base``
rounded up, at least 1).  With no ML team (``ml_team_size = 0``) self-hosting first hires the
engine's peak staff (``staff_fte_base + peak replicas / replicas_per_fte``, rounded up, at least 1):
``Effort.hiring_usd_share`` of a year's salary per hire and ``Effort.hiring_weeks`` more.  hybrid:
both builds, side by side (weeks = the longer).  The split, the integration months and the hiring
figures are tco's defaults, not published figures: every cell built on them says so.

Questions and their rules
-------------------------
``on_premises``      removes every option whose prompts go to a vendor's API (closed, hosted, hybrid).
``data_region``      removes API options whose ``api_prices.region`` is not that region ("global" is
                     not in-region); self-hosting stays (you pick where your GPUs are).
``ml_team_size``     0 adds the hiring cost and weeks above to self-hosting; N >= 1 builds with N.
``fine_tune``        removes options without a fine-tuning route in ``model_control`` (hybrid: both parts).
``live_in_weeks``    removes options whose calendar weeks to production exceed it.
``quality_floor``    removes options below the floor on its metric, or without a score on it
                     (hybrid: its weaker part).

The recommendation is the option left with the lowest cost over the horizon: the engine's total plus
the setup costs the engine does not price (closed integration engineering, hiring).  "A mix" when
that is the hybrid plan.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field

from tco.catalog import Catalog
from tco.defaults import scenario_defaults
from tco.engine import evaluate
from tco.hybrid import hybrid_applies
from tco.quality import (DEFAULT_METRIC, METRIC_LABELS, Score, cost_per_point, quality_id, score_on, scores,
                         trail_sentence, user_records)
from tco.scenario import Scenario, ScenarioError

__all__ = ["Questions", "Effort", "build_guide", "guide_rows", "hosted_choices", "setup_effort", "ROWS", "WEEKS_PER_MONTH"]

#: The guide's rows, in its order: key -> label.
ROWS = {"transparency": "Transparency", "customization": "Customization", "setup_effort": "Setup effort",
        "cost_structure": "Cost structure", "performance": "Performance", "control": "Control"}
#: Calendar weeks per month [weeks/month].
WEEKS_PER_MONTH = 52.0 / 12.0
REGIONS = ("us", "eu", "apac")
_ROUTE_TEXT = {"vendor_api": "the vendor's fine-tuning API", "lora_own_gpus": "LoRA adapters on own GPUs",
               "full_own_gpus": "full fine-tuning on own GPUs"}
_SOURCE = re.compile(r"\((\d{4}-\d{2}-\d{2})\) (https?://\S+)")
_ESTIMATE = "tco default, not a published figure: give your own in `effort`"


@dataclass
class Questions:
    """The user's answers; None / False = not asked."""

    #: Data may not leave our premises.
    on_premises: bool = False
    #: Data must be processed in this region (us, eu, apac).
    data_region: str | None = None
    #: Engineers in the ML platform team [people]; 0 = none (hiring needed).
    ml_team_size: int | None = None
    #: We need to fine-tune.
    fine_tune: bool = False
    #: We need this live within this many weeks [weeks].
    live_in_weeks: float | None = None
    #: Metric of the quality floor and the floor [points on its scale].
    quality_floor_metric: str | None = None
    quality_floor_score: float | None = None
    #: Metric the performance row shows and prices per point.
    metric: str = DEFAULT_METRIC

    def check(self) -> None:
        """Raise :class:`ScenarioError` naming the field for an invalid answer."""
        if self.data_region is not None and self.data_region not in REGIONS:
            raise ScenarioError("questions.data_region", f"must be one of {', '.join(REGIONS)}, "
                                                         f"got {self.data_region!r}")
        if self.ml_team_size is not None and (self.ml_team_size < 0 or self.ml_team_size != int(self.ml_team_size)):
            raise ScenarioError("questions.ml_team_size", f"must be a whole number >= 0, got {self.ml_team_size!r}")
        if self.live_in_weeks is not None and not (0 < self.live_in_weeks < math.inf):
            raise ScenarioError("questions.live_in_weeks", f"must be a number > 0, got {self.live_in_weeks!r}")
        if (self.quality_floor_metric is None) != (self.quality_floor_score is None):
            raise ScenarioError("questions.quality_floor_score", "give quality_floor_metric and "
                                                                 "quality_floor_score together")


@dataclass
class Effort:
    """Setup-effort inputs of the guide (tco's defaults; replace them with your own estimates)."""

    #: Integrating a closed (or hosted) API [engineer-months].
    closed_integration_engineer_months: float = 1.0
    #: Shares of ``open.setup_engineer_months`` per part of a self-hosted build [fraction, sum 1].
    open_shares: dict = field(default_factory=lambda: {"infrastructure": 0.3, "serving": 0.2, "evals": 0.2,
                                                       "security_review": 0.15, "migration": 0.15})
    #: Time to hire when there is no ML team [weeks].
    hiring_weeks: float = 12.0
    #: Cost of one hire as a share of a year's loaded salary [fraction].
    hiring_usd_share: float = 0.2

    def check(self) -> None:
        if abs(sum(self.open_shares.values()) - 1.0) > 1e-6 or any(v < 0 for v in self.open_shares.values()):
            raise ScenarioError("effort.open_shares", f"shares must be >= 0 and sum to 1, got {self.open_shares}")


def _usd(x: float) -> str:
    """USD for a table cell: whole dollars with thousands separators.

    >>> _usd(50000.4), _usd(1234567.8)
    ('USD 50,000', 'USD 1,234,568')
    """
    return f"USD {x:,.0f}"


def _cell(value, unit, text, source_url=None, effective_date=None, estimate=False) -> dict:
    return {"value": value, "unit": unit, "text": text, "source_url": source_url, "effective_date": effective_date,
            "estimate": estimate}


def setup_effort(kind: str, scenario: Scenario, effort: Effort, ml_team_size: int | None,
                 peak_replicas: int = 1) -> dict:
    """Engineer-months, calendar weeks and USD to production for one option kind.

    Returns ``{"engineer_months", "calendar_weeks", "usd", "parts", "engineers", "hires",
    "hiring_usd"}`` with ``parts`` a dict name -> engineer-months (module docstring for the rules).

    ``scenario`` has its staff fields filled (:func:`tco.defaults.scenario_defaults`).

    >>> from tco.scenario import OpenOption
    >>> s = Scenario(open=OpenOption(setup_engineer_months=3, fte_usd_per_year=200_000, staff_fte_base=0.5))
    >>> e = setup_effort("self_hosted", s, Effort(), None)      # 3 x 200,000 / 12 = 50,000 USD
    >>> round(e["usd"]), round(e["calendar_weeks"], 2), e["engineers"]
    (50000, 13.0, 1)
    >>> e = setup_effort("self_hosted", s, Effort(), 0, peak_replicas=10)   # 0.5 + 10/20 = 1 hire
    >>> e["hires"], round(e["hiring_usd"]), round(e["calendar_weeks"], 2)
    (1, 40000, 25.0)
    """
    o, c = scenario.open, scenario.closed
    per_month = o.fte_usd_per_year / 12.0
    if kind in ("closed", "hosted"):
        em = effort.closed_integration_engineer_months
        return {"engineer_months": em, "calendar_weeks": em * WEEKS_PER_MONTH, "usd": em * per_month + c.setup_usd,
                "parts": {"integration": em}, "engineers": 1, "hires": 0, "hiring_usd": 0.0}
    if kind == "hybrid":
        own = setup_effort("self_hosted", scenario, effort, ml_team_size, peak_replicas)
        api = setup_effort("closed", scenario, effort, ml_team_size)
        return {"engineer_months": own["engineer_months"] + api["engineer_months"],
                "calendar_weeks": max(own["calendar_weeks"], api["calendar_weeks"]),
                "usd": own["usd"] + api["usd"], "parts": {**own["parts"], **api["parts"]},
                "engineers": own["engineers"] + 1, "hires": own["hires"], "hiring_usd": own["hiring_usd"]}
    parts = {k: share * o.setup_engineer_months for k, share in effort.open_shares.items()}
    em = o.setup_engineer_months
    hires, hiring_usd, extra_weeks = 0, 0.0, 0.0
    if ml_team_size == 0:
        hires = max(1, math.ceil(o.staff_fte_base + peak_replicas / o.replicas_per_fte - 1e-9))
        hiring_usd = hires * effort.hiring_usd_share * o.fte_usd_per_year
        extra_weeks = effort.hiring_weeks
        engineers = hires
    elif ml_team_size:
        engineers = int(ml_team_size)
    else:
        engineers = max(1, math.ceil(o.staff_fte_base - 1e-9))
    return {"engineer_months": em, "calendar_weeks": em / engineers * WEEKS_PER_MONTH + extra_weeks,
            "usd": em * per_month + o.migration_usd + hiring_usd, "parts": parts, "engineers": engineers,
            "hires": hires, "hiring_usd": hiring_usd}


@dataclass
class _Option:
    key: str
    label: str
    model_ids: list            # catalog ids: [closed] / [open] / [hosted] / [open, closed]
    total_usd: float
    levelised_usd_per_mtok: float | None
    structure: str
    cost_source: tuple         # (source_url, effective_date) of the main price
    setup: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"key": self.key, "label": self.label, "model_ids": self.model_ids, "total_usd": self.total_usd,
                "levelised_usd_per_mtok": self.levelised_usd_per_mtok}


def _source(assumptions: dict, prefix: str, first: str) -> tuple:
    """(source_url, effective_date) of the option's main price: the assumption ``first``, else the
    first one under ``prefix`` read from the catalog (``catalog: table key (date) url``)."""
    keys = [first] + [k for k in assumptions if k.startswith(prefix)]
    for k in keys:
        m = _SOURCE.search(str((assumptions.get(k) or {}).get("source", "")))
        if m:
            return m.group(2).rstrip(":;,.)"), m.group(1)
    return None, None


def _per_token(assumptions: dict) -> str:
    """The closed option's per-token prices in force at the start, in words."""
    def v(k):
        return (assumptions.get(k) or {}).get("value")
    return f"pay per token: USD {v('closed.input_usd_per_mtok'):g} / 1M input, " \
           f"USD {v('closed.output_usd_per_mtok'):g} / 1M output"


def _per_unit(assumptions: dict, closed) -> str:
    """The closed option's price in words when it is not bought by the token: per seat or per image.

    >>> from tco.scenario import ClosedOption as Closed
    >>> _per_unit({"closed.usd_per_seat_month": {"value": 19.0}}, Closed(billing_term="monthly"))
    'pay per seat: USD 19 a seat a month (monthly billing)'
    >>> _per_unit({"closed.usd_per_image": {"value": 0.0317}}, Closed(image_quality="medium"))
    'pay per image: USD 0.0317 an image (1024x1024, medium quality)'
    >>> _per_unit({"closed.usd_per_image": {"value": 0.065}}, Closed(image_size="any"))
    'pay per image: USD 0.065 an image'
    """
    seat = (assumptions.get("closed.usd_per_seat_month") or {}).get("value")
    if seat is not None:
        return f"pay per seat: USD {seat:g} a seat a month ({closed.billing_term} billing)"
    image = (assumptions.get("closed.usd_per_image") or {}).get("value")
    if image is not None:
        what = ", ".join(x for x in (closed.image_size, f"{closed.image_quality} quality") if not x.startswith("any"))
        return f"pay per image: USD {image:g} an image" + (f" ({what})" if what else "")
    return "pay per unit"


def _catalog_id(catalog: Catalog, name: str | None) -> str | None:
    """The catalog id a scenario's name stands for (aliases resolved); the name when none."""
    if name is None:
        return None
    try:
        return catalog.resolve_model_id(name)
    except KeyError:
        return name


def _options(scenario: Scenario, catalog: Catalog, hosted_model: str | None) -> tuple[list[_Option], int, int]:
    """The options priced by the engine, the horizon and the self-hosted peak replicas."""
    result = evaluate(scenario, catalog, hybrid=True)
    s, a, R = result.summary, result.assumptions, result.resolved
    H = s["horizon_months"]
    per_mtok = s["unit"] == "1M tokens"
    closed_id = _catalog_id(catalog, scenario.closed.model or scenario.closed.seat_product
                            or scenario.closed.image_model)
    open_id = _catalog_id(catalog, scenario.open.model)
    closed_price = _source(a, "closed.", "closed.input_usd_per_mtok")
    closed_text = _per_token(a) if R.closed.priced_tokens else _per_unit(a, scenario.closed)
    rent = _source(a, "open.", "open.usd_per_gpu_hour")
    gpus = s["peak_gpus"]
    open_text = (f"{R.open.hosting} GPUs: up to {gpus} GPU{'' if gpus == 1 else 's'} ({s['billing_label']}) "
                 f"+ staff + one-off setup")
    opts = [
        _Option("closed", s["closed_label"], [closed_id], s["closed_total_usd"],
                s["closed_levelised_usd_per_unit"] if per_mtok else None, closed_text, closed_price),
        _Option("self_hosted", s["open_label"], [open_id], s["open_total_usd"],
                s["open_levelised_usd_per_unit"] if per_mtok else None, open_text, rent),
    ]
    if hosted_model:
        try:
            hosted = evaluate(scenario.replace(closed={"model": hosted_model}), catalog)
        except ScenarioError as e:
            raise ScenarioError("hosted_model" if e.field.startswith("closed") else e.field, e.message) from None
        hs, ha = hosted.summary, hosted.assumptions
        opts.append(_Option("hosted", hs["closed_label"], [catalog.resolve_model_id(hosted_model)],
                            hs["closed_total_usd"], hs["closed_levelised_usd_per_unit"] if per_mtok else None,
                            _per_token(ha),
                            _source(ha, "closed.", "closed.input_usd_per_mtok")))
    plan = result.hybrid
    if plan is not None and hybrid_applies(R) and plan.replicas.max() > 0 and plan.api_share.max() > 0:
        opts.append(_Option("hybrid", f"{s['open_label']} for the base load, {s['closed_label']} for the "
                                      f"overflow", [open_id, closed_id], s["hybrid_total_usd"],
                            s["hybrid_levelised_usd_per_unit"] if per_mtok else None,
                            f"own replicas (up to {s['hybrid_peak_replicas']}) + API for the peaks "
                            f"({s['hybrid_api_share_final']:.0%} of the volume in the last month)", rent))
    return opts, H, s["peak_replicas"]


def _control(catalog: Catalog, model_id: str | None) -> dict | None:
    if model_id is None:
        return None
    return next((r for r in catalog.records("model_control") if r["model_id"] == model_id), None)


def _routes(row: dict | None) -> list[str]:
    if row is None:
        return []
    return [r for r in str(row["fine_tuning"]).split("+") if r != "none"]


def _is_seat_product(catalog: Catalog, model_id: str | None) -> bool:
    return any(r["product_id"] == model_id for r in catalog.records("seat_prices"))


def _no_control_reason(catalog: Catalog, model_id: str | None) -> str:
    """Why an option has no ``model_control`` facts, in words."""
    if _is_seat_product(catalog, model_id):
        return (f"{model_id} is a seat product (the vendor's app on models it picks, not one model); "
                f"model_control.csv holds models, so see the plan page linked for its terms")
    return f"no model_control row for {model_id}: its licence and data terms are not in the catalog yet"


def _no_score_reason(catalog: Catalog, model_id: str | None, label: str) -> str:
    """Why a model has no score on a metric: the join row's reason, or that a seat product has none."""
    if model_id is None:
        return "no model"
    if _is_seat_product(catalog, model_id):
        return f"{model_id}: a seat product, not one model; scores are published per model"
    qid, why = quality_id(catalog, model_id)
    return f"{model_id}: no {label} score published for {qid}" if qid else f"{model_id}: {why.removeprefix('no score: ')}"


def _facts(catalog: Catalog, opt: _Option, migration_usd: float, migration_em: float) -> dict:
    """Transparency, customization and control cells of one option from ``model_control``."""
    rows = [_control(catalog, m) for m in opt.model_ids]
    names = ("own replicas: ", "API overflow: ") if opt.key == "hybrid" else ("",)
    missing = [m for m, r in zip(opt.model_ids, rows) if r is None]
    if missing:
        plan = opt.cost_source if all(_is_seat_product(catalog, m) for m in missing) else (None, None)
        none = _cell(None, None, "n/a: " + "; ".join(_no_control_reason(catalog, m) for m in missing), *plan)
        return {"transparency": none, "customization": none, "control": none}
    first = rows[0]
    weights = [bool(r["weights_available"]) for r in rows]
    transparency = "; ".join(
        f"{n}{'weights published' if w else 'weights not published'}, licence {r['licence']}"
        for n, w, r in zip(names, weights, rows))
    routes = [_routes(r) for r in rows]
    custom = "; ".join(f"{n}" + (", ".join(_ROUTE_TEXT[x] for x in rt) if rt else "no fine-tuning route published")
                       for n, rt in zip(names, routes))
    switch = migration_usd
    ctl = "; ".join(f"{n}data processed: {r['data_processing']}; retention: {r['data_retention']}"
                    for n, r in zip(names, rows))
    move = ("the same weights can move to another host or your own GPUs" if all(weights)
            else "moving off a proprietary model means another model and new evals")
    return {
        "transparency": _cell("published" if all(weights) else "not published", "weights", transparency,
                              first["licence_url"] or first["source_url"], first["effective_date"]),
        "customization": _cell("+".join(sorted({x for rt in routes for x in rt})) or "none", "fine-tuning routes",
                               custom, first["fine_tuning_source_url"] or first["licence_url"] or first["source_url"],
                               first["effective_date"]),
        "control": _cell(switch, "USD to switch", f"{ctl}. Lock-in: switching costs {_usd(switch)} of migration "
                                                  f"engineering ({migration_em:.2f} engineer-months, {_ESTIMATE}); "
                                                  f"{move}.",
                         first["data_terms_url"] or first["source_url"], first["effective_date"], estimate=True),
    }


def _option_score(catalog: Catalog, opt: _Option, metric: str, user_scores) -> tuple[list, Score | None]:
    """Scores of the option's models on ``metric`` and the option's score: the only one, or for
    the hybrid plan the weaker part (None when a part has no score)."""
    got = [score_on(catalog, m, metric, user_scores) if m else None for m in opt.model_ids]
    if any(g is None for g in got):
        return got, None
    return got, min(got, key=lambda g: g.score if g.higher_is_better else -g.score)


def _performance(catalog: Catalog, opt: _Option, metric: str, user_scores, months: int) -> tuple[dict, Score | None]:
    """The performance cell (score, cost per point) and the option's score (hybrid: its weaker part)."""
    got, worst = _option_score(catalog, opt, metric, user_scores)
    label = METRIC_LABELS.get(metric, metric)
    if worst is None:
        lacking = [m for m, g in zip(opt.model_ids, got) if g is None]
        return _cell(None, None, f"not scored on {label}: "
                                 + "; ".join(_no_score_reason(catalog, m, label) for m in lacking)), None
    cpp = cost_per_point(opt.total_usd / months, opt.levelised_usd_per_mtok, worst)
    where = "your score" if worst.origin == "user" else f"{worst.quality_model_id}, {worst.effective_date}"
    text = f"{worst.score:g} on {label} ({where})"
    if opt.key == "hybrid":
        text += f"; the weaker of its parts ({', '.join(f'{g.score:g}' for g in got)})"
    if cpp["usd_per_month_per_point"] is not None:
        text += f"; {_usd(cpp['usd_per_month_per_point'])} a month per point"
        if cpp["usd_per_mtok_per_point"] is not None:
            text += f", USD {cpp['usd_per_mtok_per_point']:.4f} per 1M tokens per point"
    else:
        text += f"; {cpp['reason']}"
    cell = _cell(worst.score, worst.scale, text, worst.source_url, worst.effective_date)
    cell.update(cpp, origin=worst.origin)
    return cell, worst


def _ranking_usd(opt: _Option) -> float:
    """Cost compared for the recommendation: the engine's total plus the setup it does not price."""
    return opt.total_usd + opt.setup["hiring_usd"] + opt.setup["integration_usd"]


def _metrics_scored(catalog: Catalog, opts: list[_Option], user_scores) -> list[dict]:
    """The metrics on which at least one option shown has a score, with how many options have one:
    ``[{"metric", "label", "options_scored", "origin"}]`` ("your score" when a user task), the most
    scored first, then by label."""
    count: dict[str, int] = {}
    origin: dict[str, str] = {}
    for o in opts:
        per_model = [scores(catalog, m, user_scores) if m else {} for m in o.model_ids]
        common = set.intersection(*(set(p) for p in per_model)) if per_model else set()
        for metric in common:
            count[metric] = count.get(metric, 0) + 1
            if any(p[metric].origin == "user" for p in per_model):
                origin[metric] = "your score"
    return [{"metric": m, "label": METRIC_LABELS.get(m, m), "options_scored": n, "origin": origin.get(m, "published")}
            for m, n in sorted(count.items(), key=lambda kv: (-kv[1], METRIC_LABELS.get(kv[0], kv[0])))]


def _check_metrics(catalog: Catalog, q: Questions, user_scores) -> None:
    """The metrics asked for exist: a ``model_quality`` metric or a task of the user's scores."""
    known = {r["metric"] for r in catalog.records("model_quality")} | {r["task"] for r in user_records(user_scores)}
    for name, metric in (("questions.metric", q.metric), ("questions.quality_floor_metric", q.quality_floor_metric)):
        if metric is not None and metric not in known:
            raise ScenarioError(name, f"unknown metric {metric!r}; one of: {', '.join(sorted(known))}")


def build_guide(scenario: Scenario, catalog: Catalog, questions: Questions | None = None,
                effort: Effort | None = None, user_scores=None, hosted_model: str | None = None) -> dict:
    """The guide's six rows for the scenario's options, the options the answers remove, and the
    recommendation.

    Returns ``{"rows": [{"key", "label", "cells": {option: cell}}], "options": [...],
    "removed": [{"option", "question", "reason"}], "adjusted": [...], "recommendation",
    "recommended", "drivers", "notes", "metric", "horizon_months", "questions", "effort",
    "hosted_choices", "metrics"}``: ``hosted_choices`` the hosted deployments of the self-hosted
    option's weights (:func:`hosted_choices`), ``metrics`` the metrics with a score for at least one
    option shown (the user's tasks included).

    Long because it is the table's recipe read top to bottom: price, six rows, then every rule.
    """
    q, eff = questions or Questions(), effort or Effort()
    q.check()
    eff.check()
    scenario = scenario_defaults(scenario, catalog)[0]   # the staff and setup fields it leaves out, as the engine
    _check_metrics(catalog, q, user_scores)
    opts, H, peak = _options(scenario, catalog, hosted_model)
    per_month = scenario.open.fte_usd_per_year / 12.0
    migration_em = eff.open_shares.get("migration", 0.0) * scenario.open.setup_engineer_months
    migration_usd = migration_em * per_month + scenario.open.migration_usd
    cells: dict[str, dict] = {k: {} for k in ROWS}
    scores: dict[str, Score | None] = {}
    for o in opts:
        o.setup = setup_effort(o.key, scenario, eff, q.ml_team_size, peak)
        o.setup["integration_usd"] = o.setup["parts"].get("integration", 0.0) * per_month
        cells.update({k: {**cells[k], o.key: v} for k, v in _facts(catalog, o, migration_usd, migration_em).items()})
        st = o.setup
        parts = ", ".join(f"{k.replace('_', ' ')} {v:.2f}" for k, v in st["parts"].items())
        hire = (f"; no ML team: {st['hires']} hire(s), {_usd(st['hiring_usd'])} and "
                f"{eff.hiring_weeks:g} weeks" if st["hires"] else "")
        cells["setup_effort"][o.key] = _cell(
            round(st["engineer_months"], 4), "engineer-months",
            f"{st['engineer_months']:.2f} engineer-months ({parts}), {st['calendar_weeks']:.1f} calendar weeks "
            f"with {st['engineers']} engineer(s), {_usd(st['usd'])} at {_usd(per_month)} per engineer-month"
            f"{hire} ({_ESTIMATE})", None, None, estimate=True)
        cells["setup_effort"][o.key].update(calendar_weeks=st["calendar_weeks"], usd=st["usd"])
        cells["cost_structure"][o.key] = _cell(
            o.total_usd, f"USD over {H} months",
            f"{o.structure}: {_usd(o.total_usd)} over {H} months ({_usd(o.total_usd / H)} a month"
            + (f", USD {o.levelised_usd_per_mtok:.3f} per 1M tokens" if o.levelised_usd_per_mtok else "") + ")",
            *o.cost_source)
        cells["performance"][o.key], scores[o.key] = _performance(catalog, o, q.metric, user_scores, H)
    floor = {o.key: _option_score(catalog, o, q.quality_floor_metric, user_scores)[1] for o in opts} \
        if q.quality_floor_metric else {}
    removed, adjusted = _apply_rules(q, catalog, opts, cells, floor)
    left = [o for o in opts if o.key not in {r["option"] for r in removed}]
    notes = _trail_notes(opts, scores)
    rec, winner, drivers = _recommend(q, opts, left, removed, adjusted, scores, H)
    return {
        "rows": [{"key": k, "label": label, "cells": cells[k]} for k, label in ROWS.items()],
        "options": [{**o.as_dict(), "ranking_usd": _ranking_usd(o), "removed": o.key not in {x.key for x in left}}
                    for o in opts],
        "removed": removed, "adjusted": adjusted, "recommendation": rec, "recommended": winner,
        "drivers": drivers, "notes": notes, "metric": q.metric, "horizon_months": H,
        "questions": asdict(q), "effort": asdict(eff),
        "hosted_choices": hosted_choices(catalog, opts[1].model_ids[0]),
        "metrics": _metrics_scored(catalog, opts, user_scores),
    }


def hosted_choices(catalog: Catalog, model_id: str | None) -> list[dict]:
    """Hosted deployments (``api_prices`` rows with ``open_weights``) that serve the same weights
    as ``model_id``: the rows whose ``model_quality_join`` quality id is the model's.

    Returns ``[{"model_id", "label", "provider", "region", "usd_per_mtok_input",
    "usd_per_mtok_output", "basis", "effective_date", "source_url"}]`` sorted by provider and id;
    empty when the model has no quality id (its scores, hence its weights, are not mapped).
    """
    if model_id is None:
        return []
    qid, _ = quality_id(catalog, model_id)
    if qid is None:
        return []
    join = {r["model_id"]: r for r in catalog.records("model_quality_join") if r["quality_model_id"] == qid}
    rows = [r for r in catalog.records("api_prices") if r["model_id"] in join and r["open_weights"]]
    return [{"model_id": r["model_id"], "label": r["display_name"], "provider": r["provider"],
             "region": r["region"] or "global", "usd_per_mtok_input": r["usd_per_mtok_input"],
             "usd_per_mtok_output": r["usd_per_mtok_output"], "basis": join[r["model_id"]]["basis"],
             "effective_date": r["effective_date"], "source_url": r["source_url"]}
            for r in sorted(rows, key=lambda r: (r["provider"], r["model_id"]))]


def _in_region(catalog: Catalog, model_id: str, region: str) -> list[str]:
    """API deployments in ``region`` that serve the same weights as ``model_id`` (same quality id)."""
    qid, _ = quality_id(catalog, model_id)
    if qid is None:
        return []
    same = {r["model_id"] for r in catalog.records("model_quality_join") if r["quality_model_id"] == qid}
    return sorted({r["model_id"] for r in catalog.records("api_prices")
                   if r["model_id"] in same and r["region"] == region})


def _apply_rules(q: Questions, catalog: Catalog, opts: list[_Option], cells: dict,
                 floor: dict) -> tuple[list, list]:
    """Each answered question's rule: the options it removes and the adjustments it makes
    (``floor``: option -> its score on the floor's metric).

    Long because it is the list of rules, one block per question, in the module docstring's order.
    """
    removed, adjusted = [], []

    def drop(o, question, reason):
        if all(r["option"] != o.key for r in removed):
            removed.append({"option": o.key, "question": question, "reason": reason})

    api = {"closed", "hosted", "hybrid"}
    for o in opts:
        api_id = o.model_ids[-1] if o.key in api else None
        if q.on_premises and o.key in api:
            drop(o, "on_premises", f"{o.label}: prompts go to a vendor's API "
                                   f"({(_control(catalog, api_id) or {}).get('data_processing') or 'vendor cloud'})")
        if q.data_region and o.key in api:
            try:
                region = catalog.api_price(api_id).get("region") or "global"
            except KeyError:                   # a seat product or an image API: no region in its table
                region = None
            if region is None:
                drop(o, "data_region", f"{o.label}: the catalog states no processing region for it (only "
                                       f"api_prices rows carry one), so it is not shown to stay in "
                                       f"'{q.data_region}'")
            elif region != q.data_region:
                alt = _in_region(catalog, api_id, q.data_region)
                hint = f"; in-region deployment of the same weights: {', '.join(alt)}" if alt else ""
                drop(o, "data_region", f"{o.label}: processed in region '{region}', not '{q.data_region}' "
                                       f"(api_prices.region){hint}")
        if q.fine_tune:
            parts = [_routes(_control(catalog, m)) for m in o.model_ids]
            if not all(parts):
                drop(o, "fine_tune", f"{o.label}: no fine-tuning route in model_control.csv")
        weeks = cells["setup_effort"][o.key]["calendar_weeks"]
        if q.live_in_weeks is not None and weeks > q.live_in_weeks + 1e-9:
            drop(o, "live_in_weeks", f"{o.label}: {weeks:.1f} weeks to production, more than {q.live_in_weeks:g}")
        if q.quality_floor_metric is not None:
            s = floor[o.key]
            label = METRIC_LABELS.get(q.quality_floor_metric, q.quality_floor_metric)
            if s is None:
                drop(o, "quality_floor", f"{o.label}: no score on {label}")
            elif (s.score < q.quality_floor_score) if s.higher_is_better else (s.score > q.quality_floor_score):
                drop(o, "quality_floor", f"{o.label}: {s.score:g} on {label}, below the floor of "
                                         f"{q.quality_floor_score:g}")
        if q.ml_team_size == 0 and o.setup["hires"]:
            adjusted.append({"option": o.key, "question": "ml_team_size",
                             "reason": f"{o.label}: no ML team, so {o.setup['hires']} hire(s) add "
                                       f"{_usd(o.setup['hiring_usd'])} and {o.setup['calendar_weeks']:.1f} weeks "
                                       f"to production"})
    return removed, adjusted


def _answer_text(q: Questions, question: str) -> str:
    """An answered question in words, as the recommendation names it."""
    if question == "on_premises":
        return "data may not leave your premises"
    if question == "data_region":
        return f"data must be processed in {q.data_region}"
    if question == "ml_team_size":
        return "you have no ML platform team" if q.ml_team_size == 0 else \
            f"you have an ML platform team of {q.ml_team_size}"
    if question == "fine_tune":
        return "you need to fine-tune"
    if question == "live_in_weeks":
        return f"you need it live within {q.live_in_weeks:g} weeks"
    metric = METRIC_LABELS.get(q.quality_floor_metric, q.quality_floor_metric)
    return f"a floor of {q.quality_floor_score:g} on {metric}"


def _trail_notes(opts: list[_Option], scores: dict) -> list[str]:
    """A sentence for every option that is cheaper than another yet scores below it."""
    out = []
    ranked = sorted(opts, key=_ranking_usd)
    for i, cheap in enumerate(ranked):
        for dear in ranked[i + 1:]:
            s = trail_sentence(cheap.label, scores.get(cheap.key), dear.label, scores.get(dear.key))
            if s:
                out.append(s)
    return out


def _recommend(q: Questions, opts: list[_Option], left: list[_Option], removed: list, adjusted: list,
               scores: dict, months: int) -> tuple[str, str | None, list]:
    """The recommendation sentence, the winning option key and the answers that drove it."""
    label = {o.key: o.label for o in opts}
    drivers = []
    for question in ("on_premises", "data_region", "ml_team_size", "fine_tune", "live_in_weeks", "quality_floor"):
        gone = [label[r["option"]] for r in removed if r["question"] == question]
        more = [label[a["option"]] for a in adjusted if a["question"] == question]
        if gone or more:
            effect = (f"removes {', '.join(gone)}" if gone else "") + ("; " if gone and more else "") + \
                     (f"adds hiring to {', '.join(more)}" if more else "")
            drivers.append({"question": question, "answer": _answer_text(q, question), "effect": effect})
    because = "; ".join(f"{d['answer']} ({d['effect']})" for d in drivers)
    if not left:
        return (f"No option meets every answer: {because}. Relax one of them to compare the options.", None,
                drivers)
    ranked = sorted(left, key=_ranking_usd)
    win = ranked[0]
    lead = "A mix, the hybrid plan" if win.key == "hybrid" else "Choose"
    text = (f"{lead}: {win.label} costs least of the options left over {months} months, setup effort included "
            f"({_usd(_ranking_usd(win))}")
    if len(ranked) > 1:
        text += f", against {_usd(_ranking_usd(ranked[1]))} for {ranked[1].label}"
    text += "). "
    text += f"Driven by: {because}." if drivers else "No answer removed an option: it is the cheapest of all."
    best = max((o for o in left if scores.get(o.key) is not None), default=None,
               key=lambda o: scores[o.key].score if scores[o.key].higher_is_better else -scores[o.key].score)
    if best is not None and best.key != win.key:
        trail = trail_sentence(win.label, scores.get(win.key), best.label, scores[best.key])
        if trail:
            text += " " + trail
    return text, win.key, drivers


def guide_rows(guide: dict) -> list[dict]:
    """The guide's table as flat rows for a report: one per row x option, in the guide's order.

    Each row: ``{"row", "option", "option_key", "text", "value", "unit", "source_url",
    "effective_date", "estimate"}``.
    """
    labels = {o["key"]: o["label"] for o in guide["options"]}
    return [{"row": r["label"], "option": labels[k], "option_key": k, "text": c["text"], "value": c["value"],
             "unit": c["unit"], "source_url": c["source_url"], "effective_date": c["effective_date"],
             "estimate": c["estimate"]}
            for r in guide["rows"] for k, c in r["cells"].items()]
