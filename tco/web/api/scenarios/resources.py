"""POST /api/v1/tco, /api/v1/breakeven, /api/v1/throughput and the heavy ones: thin over the engine.

The heavy endpoints (charts with extras, report, plan, sensitivity, Monte Carlo) compute in a slot
of :mod:`tco.web.heavy`: each is a view that checks the budget of the request and a module-level
``*_answer(catalog, ...)`` task that returns the answer's bytes.
"""
from __future__ import annotations

import math

import marshmallow as ma
from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import abort

from tco.web.api.blueprint import Blueprint

from tco.breakeven import breakeven_curve, breakevens
from tco.currency import USD, currency
from tco.defaults import default_row, supported_precision
from tco.engine import evaluate
from tco.resolve import resolve
from tco.result import records
from tco.serving import benchmark_row, latency_targets, modelled_throughput, platform_of
from tco.throughput import default_kv_precision
from tco.scenario import OpenOption, ScenarioError
from tco.web.api.guide.resources import guide_inputs
from tco.web.api.guide.schemas import GuideRequestSchema
from tco.web.api.scenarios.schemas import (EXAMPLE, BreakevenRequestSchema, BreakevenResponseSchema,
                                           ChartsResponseSchema, MonteCarloRequestSchema, MonteCarloResponseSchema,
                                           PlanRequestSchema, PlanResponseSchema, ScenarioSchema,
                                           SensitivityRequestSchema, SensitivityResponseSchema, TcoResponseSchema,
                                           ThroughputRequestSchema, ThroughputResponseSchema)
from tco.web.errors import ApiError
from tco.web.guard import dump_json
from tco.web.heavy import heavy_pool
from tco.web.text import csv_text

blp = Blueprint("scenarios", __name__, url_prefix="/api/v1",
                description="Price a scenario: closed vs self-hosted, month by month, with break-even.")


def _catalog():
    return current_app.config["TCO_CATALOG"]


def _finite(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _json_response(body: dict | bytes) -> Response:
    """A body already shaped like the documented schema, encoded once (skips marshmallow's per-field dump)."""
    return Response(body if isinstance(body, bytes) else dump_json(body), mimetype="application/json")


def check_sample_budget(samples: int, months: int, path: str) -> None:
    """422 naming ``path`` when ``samples`` x ``months`` is over ``TCO_MAX_SAMPLE_MONTHS``."""
    budget = current_app.config["TCO_SETTINGS"].max_sample_months
    if samples * months > budget:
        most = budget // months
        message = (f"{samples:,} samples x {months} months = {samples * months:,} sample-months is over the budget "
                   f"of {budget:,} (TCO_MAX_SAMPLE_MONTHS): at {months} months, at most {most:,} samples")
        raise ApiError(422, f"{path}: {message}", [{"path": path, "message": message}])


@blp.route("/tco")
class Tco(MethodView):
    @blp.arguments(ScenarioSchema(), example=EXAMPLE)
    @blp.response(200, TcoResponseSchema)
    @blp.doc(operationId="price_scenario")
    def post(self, scenario):
        """Monthly cost of both options, totals, NPV, unit costs, both break-evens and every assumption.

        The monthly schedule alone, as CSV: `POST /api/v1/tco.csv`; as an XLSX workbook:
        `POST /api/v1/tco.xlsx`. With `currency` (EUR, GBP, ...) the answer's `currency` object
        gives the reference rate to show the amounts in; the amounts themselves stay in USD.
        """
        cur = currency(_catalog(), scenario.currency)
        result = evaluate(scenario, _catalog())
        return _json_response({"summary": _summary(result), "monthly": result.monthly_records(),
                               "assumptions": result.assumptions, "currency": cur.info()})


class CsvQuerySchema(ma.Schema):
    layout = ma.fields.String(load_default="long", validate=ma.validate.OneOf(("long", "wide")), metadata={
        "description": "`long`: a row per month, option and component, and a `workload`/`volume` row per month "
                       "with the volume; `wide`: a row per month, a column per option and component."})


@blp.route("/tco.csv")
class TcoCsv(MethodView):
    @blp.arguments(CsvQuerySchema(), location="query", unknown=ma.RAISE)
    @blp.arguments(ScenarioSchema(), example=EXAMPLE)
    @blp.response(200, description="The monthly schedule as CSV, in the layout asked for.", content_type="text/csv")
    @blp.doc(operationId="price_scenario_csv", responses={200: {"content": {"text/csv": {"schema": {
        "type": "string", "description": "Long: month, option, component, label, usd, [amount, currency, "
                                         "units_per_usd, rate_effective_date], tokens, images, replicas, gpus, "
                                         "utilisation. Wide: month, one column per option and component, "
                                         "option totals, tokens, images, the self-hosted fleet."}}}}})
    def post(self, query, scenario):
        """The monthly schedule of `POST /api/v1/tco` as a CSV download.

        **long** (default): a row per month, option and cost component with its `usd`, and one row
        per month (option `workload`, component `volume`) with the month's `tokens` and `images`; the
        cost rows leave the volume blank, so a spreadsheet's SUM of `tokens` counts the workload
        once and the SUM of `usd` is the cost. `replicas`, `gpus` and `utilisation` are the month's
        fleet on the self-hosted rows (states, not amounts to add up).
        **wide** (`?layout=wide`): a row per month, a column per option and component, each
        option's total, the volume and the fleet.

        With `currency` in the body, the long layout adds `amount` in that currency with the rate
        and its date (`usd` stays USD); the wide layout's money columns are in the currency, named
        `... [EUR]`. Text cells that a spreadsheet would run as a formula (starting with `=`, `+`,
        `-`, `@`, tab or carriage return) are written with a leading `'`.
        """
        from tco.workbook import monthly_long, monthly_wide
        cur = currency(_catalog(), scenario.currency)
        result = evaluate(scenario, _catalog())
        table = monthly_wide(result, cur) if query["layout"] == "wide" else monthly_long(result, cur)
        name = f"tco_monthly{'_wide' if query['layout'] == 'wide' else ''}.csv"
        return Response(csv_text(table), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _summary(result) -> dict:
    return {k: (_finite(v) if isinstance(v, float) else v) for k, v in result.summary.items()}


class ChartsQuerySchema(ma.Schema):
    hybrid = ma.fields.Boolean(load_default=False, metadata={
        "description": "Add the hybrid plan (a line in the cumulative chart and a sentence)."})
    uncertainty = ma.fields.Boolean(load_default=False, metadata={
        "description": "Add the tornado and the Monte Carlo fan chart."})
    samples = ma.fields.Integer(load_default=5000, validate=ma.validate.Range(min=100, max=20_000),
                                metadata={"description": "Monte Carlo samples when uncertainty=true."})
    seed = ma.fields.Integer(load_default=0, validate=ma.validate.Range(min=0, max=2**32 - 1))


def charts_answer(catalog, scenario, hybrid: bool, uncertainty: bool, samples: int, seed: int) -> bytes:
    """Task of POST /charts: the figures (and the extras asked for) as JSON bytes."""
    from tco import charts
    from tco.report import hybrid_verdict, verdict
    cur = currency(catalog, scenario.currency)
    result = evaluate(scenario, catalog, hybrid=hybrid)
    figs = charts.all_figures(result, cur)
    extra = {}
    if uncertainty:
        from tco.sensitivity import defaults_tornado, monte_carlo, tornado
        rows = tornado(result.resolved)
        mc = monte_carlo(result.resolved, samples, seed)
        figs["tornado"] = charts.tornado(rows, cur=cur)
        figs["fan"] = charts.fan(mc.cumulative_bands, result, cur)
        extra["montecarlo"] = mc.summary()
        extra["defaults_tornado"] = [{k: None if isinstance(v, float) and not math.isfinite(v) else v
                                      for k, v in r.items()}
                                     for r in defaults_tornado(result.resolved, catalog).to_dict("records")]
    figures = {name: fig.to_plotly_json() for name, fig in figs.items()}
    body = {"summary": _summary(result), "verdict": verdict(result, cur), "assumptions": result.assumptions,
            "figures": figures, "currency": cur.info(), **extra}
    if hybrid:
        body["hybrid_verdict"] = hybrid_verdict(result, cur)
    return dump_json(body)


@blp.route("/charts")
class Charts(MethodView):
    @blp.arguments(ChartsQuerySchema(), location="query", unknown=ma.RAISE)
    @blp.arguments(ScenarioSchema(), example=EXAMPLE)
    @blp.response(200, ChartsResponseSchema)
    @blp.doc(operationId="scenario_charts")
    def post(self, query, scenario):
        """The summary, a one-sentence verdict and the plotly figures (the dashboard's charts) as JSON.

        `?hybrid=true` adds the hybrid plan; `?uncertainty=true` adds the tornado and fan
        figures and the Monte Carlo summary (seeded). With either, the request is heavy (503 with
        `Retry-After` when every heavy slot is busy); `samples` x `horizon_months` is bounded by
        the service's Monte Carlo budget.
        """
        currency(_catalog(), scenario.currency)          # an unknown currency: 422 before any work
        args = (scenario, query["hybrid"], query["uncertainty"], query["samples"], query["seed"])
        if not (query["hybrid"] or query["uncertainty"]):
            return _json_response(charts_answer(_catalog(), *args))
        if query["uncertainty"]:
            check_sample_budget(query["samples"], scenario.horizon_months, "query.samples")
        return _json_response(heavy_pool().run(charts_answer, *args))


def report_answer(catalog, scenario, cur, guide: dict | None = None) -> bytes:
    """Task of POST /report: the HTML page; ``guide``: the guide's inputs
    (:func:`tco.web.api.guide.resources.guide_inputs`)."""
    from tco.report import html_report, report_guide
    result = evaluate(scenario, catalog, hybrid=True)
    return html_report(result, cur, guide=report_guide(result, catalog, **(guide or {}))).encode()


@blp.route("/report")
class Report(MethodView):
    @blp.arguments(GuideRequestSchema(), example=EXAMPLE)
    @blp.response(200, description="A self-contained one-page HTML report (opens offline).", content_type="text/html")
    @blp.doc(operationId="scenario_report",
             responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}})
    def post(self, body):
        """A one-page HTML report: verdict, KPIs, three static charts, the people and one-off costs, the
        hybrid plan, the guide's head-to-head and every assumption with its source; amounts to the cent.
        No script: it opens offline.

        The body is that of `POST /api/v1/guide`: the scenario, and optionally the guide's `questions`,
        `effort`, `user_scores_csv` and `hosted_model`, so the report's guide table and recommendation
        are the ones the guide gives for the same answers (a bad answer is a 422 naming its field)."""
        scenario = body["scenario"]
        page = heavy_pool().run(report_answer, scenario, currency(_catalog(), scenario.currency),
                                guide_inputs(body, _catalog()))
        return Response(page, mimetype="text/html",
                        headers={"Content-Disposition": 'attachment; filename="tco_report.html"'})


@blp.route("/breakeven")
class Breakeven(MethodView):
    @blp.arguments(BreakevenRequestSchema(), example={**EXAMPLE, "curve": {"points": 50}})
    @blp.response(200, BreakevenResponseSchema)
    @blp.doc(operationId="breakeven")
    def post(self, body):
        """The cost-vs-volume curve (steady month, log-spaced volumes) and both break-evens."""
        scenario, opts = body["scenario"], body["curve"]
        R = resolve(scenario, _catalog())
        lo, hi = opts.get("min_volume"), opts.get("max_volume")
        if lo is not None and hi is not None and lo >= hi:
            abort(422, errors=[{"path": "curve.max_volume", "message": "must be greater than curve.min_volume"}])
        base = R.volumes.images_month0 if R.volumes.kind == "images" else R.volumes.tokens_month0
        if base <= 0:
            raise ScenarioError("workload", "the break-even curve needs a volume > 0")
        curve = breakeven_curve(R, n=int(opts.get("points", 200)), lo=lo, hi=hi)
        return {
            **breakevens(R),
            "unit": "1M tokens" if R.volumes.kind == "tokens" else "image",
            "curve": records(curve),
        }


@blp.route("/throughput")
class Throughput(MethodView):
    @blp.arguments(ThroughputRequestSchema(), example={"model": "llama-3.1-70b", "gpu": "h100-sxm",
                                                     "gpus_per_replica": 2, "precision": "fp8",
                                                     "input_tokens": 1000, "output_tokens": 1000})
    @blp.response(200, ThroughputResponseSchema)
    @blp.doc(operationId="replica_throughput")
    def post(self, body):
        """Memory fit and roofline throughput of one replica (and a matching measured row, if any).

        A deployment that cannot fit answers 422 naming `gpus_per_replica` with the memory it needs.
        """
        body = {k: v for k, v in body.items() if v is not None}   # null = the default
        cat = _catalog()
        try:
            model = cat.open_model(body["model"])
        except KeyError as exc:
            raise ScenarioError("model", exc.args[0]) from None
        try:
            gpu = cat.gpu(body["gpu"])
        except KeyError as exc:
            raise ScenarioError("gpu", exc.args[0]) from None
        if model["modality"] != "text":
            raise ScenarioError("model", f"{body['model']} is an image model: its images/s come from the "
                                         "throughput_benchmarks table, not the token roofline model")
        g = int(body.get("gpus_per_replica", 1))
        precision = body.get("precision") or supported_precision(str(default_row(cat, "precision")["value"]), gpu)
        opt = OpenOption(model=body["model"], gpu=body["gpu"], gpus_per_replica=g,
                         precision=precision, serving_use=body.get("serving_use", "interactive"),
                         serving_engine=body.get("serving_engine", "vllm"), platform=body.get("platform"),
                         max_time_per_output_token_s=body.get("max_time_per_output_token_s"),
                         max_time_to_first_token_s=body.get("max_time_to_first_token_s"),
                         kv_precision=body.get("kv_precision"), attention_parallel=body.get("attention_parallel"))
        in_len, out_len = float(body.get("input_tokens", 1000)), float(body.get("output_tokens", 250))
        run = body.get("run", "serving")
        tpot, ttft = latency_targets(opt)
        try:
            d = modelled_throughput(model, gpu, opt, g, in_len, out_len, float(body.get("cached_input_share", 0.0)),
                                    body.get("concurrency"), run=run, num_prompts=body.get("num_prompts"))
        except ScenarioError as exc:
            field = {"open.gpus_per_replica": "gpus_per_replica", "open.precision": "precision"}.get(exc.field,
                                                                                                   exc.field)
            raise ScenarioError(field, exc.message) from None
        bench = benchmark_row(cat, opt, g, in_len, out_len, image=False)
        return {
            "model": body["model"], "gpu": body["gpu"], "gpus_per_replica": g, "precision": opt.precision,
            "fits": bool(d["fits"]), "weight_gb": _finite(d["weight_bytes"] / 1e9),
            "kv_bytes_per_token": _finite(d["kv_bytes_per_token"]), "kv_cache_gb": _finite(d["kv_cache_bytes"] / 1e9),
            "batch_size": _finite(d["batch_size"]), "batch_limit": str(d["batch_limit"]),
            "output_tokens_per_second": _finite(d["output_tokens_per_s"]),
            "total_tokens_per_second": _finite(d["total_tokens_per_s"]),
            "requests_per_second": _finite(d["requests_per_s"]),
            "time_per_output_token_s": _finite(d["time_per_output_token_s"]),
            "prefill_s": _finite(d["prefill_s"]),
            "time_to_first_token_s": _finite(d["time_to_first_token_s"]),
            "latency_target_met": bool(d["latency_target_met"]), "ttft_reachable": bool(d["ttft_reachable"]),
            "serving_use": opt.serving_use, "serving_engine": opt.serving_engine,
            "platform": platform_of(opt, gpu),
            "kv_precision": opt.kv_precision or str(default_kv_precision(opt.precision)),
            "attention_parallel": opt.attention_parallel, "run": run, "num_prompts": body.get("num_prompts"),
            "max_time_per_output_token_s": tpot, "max_time_to_first_token_s": ttft,
            "measured_output_tokens_per_second": None if bench is None else bench["output_tokens_per_second"],
            "measured_source": None if bench is None else
            f"throughput_benchmarks {bench['model_id']}/{bench['gpu_id']}x{bench['gpu_count']}/{bench['precision']}/"
            f"{bench['input_tokens']}:{bench['output_tokens']} ({bench['effective_date']}) {bench['source_url']}",
        }


@blp.route("/plan")
class Plan(MethodView):
    @blp.arguments(PlanRequestSchema(), example={**EXAMPLE, "workload": {**EXAMPLE["workload"],
                                                                          "load_profile": "business_hours"}})
    @blp.response(200, PlanResponseSchema)
    @blp.doc(operationId="hybrid_plan")
    def post(self, body):
        """The hybrid plan: own replicas for the base load, the API for the overflow, month by month.

        The load-duration curve of the day's profile (`workload.load_profile`) gives the share of
        tokens above the own replicas' capacity; the plan picks the number of replicas each month
        that minimises the total cost over the horizon (setup paid at the switch month; with
        committed capacity the number never falls).  With `currency` the verdict's amounts are in it and
        the answer's `currency` object gives the rate; fields named `usd*` stay in US dollars.
        """
        cur = currency(_catalog(), body["scenario"].currency)       # an unknown currency: 422 before any work
        return _json_response(heavy_pool().run(plan_answer, body["scenario"], body["plan"].get("committed"), cur))


def plan_answer(catalog, scenario, committed, cur=USD) -> bytes:
    """Task of POST /plan (the verdict in ``cur``)."""
    from tco.report import hybrid_verdict
    result = evaluate(scenario, catalog, hybrid=True, hybrid_committed=committed)
    if result.hybrid is None:
        raise ScenarioError("closed.seat_product", "a per-seat product is paid per user, not per token: it "
                                                  "cannot take only the peaks, so there is no hybrid plan")
    p, tot, summary = result.hybrid, result.totals_by_month(), _summary(result)
    months = records({"month": range(len(p.replicas)), "replicas": p.replicas, "api_share": p.api_share,
                      "hybrid_usd": p.monthly_usd, "self_hosted_part_usd": p.self_hosted_usd, "api_part_usd": p.api_usd,
                      "closed_usd": tot["closed"].to_numpy(), "self_hosted_usd": tot["self_hosted"].to_numpy()})
    return dump_json({"summary": {k: v for k, v in summary.items() if not k.startswith("hybrid")},
                      "hybrid": {k: v for k, v in summary.items() if k.startswith("hybrid")},
                      "verdict": hybrid_verdict(result, cur), "profile": p.profile.tolist(), "months": months,
                      "currency": cur.info()})


@blp.route("/sensitivity")
class Sensitivity(MethodView):
    @blp.arguments(SensitivityRequestSchema(), example={**EXAMPLE, "ranges": {"volume": {"low": 0.5, "high": 2}}})
    @blp.response(200, SensitivityResponseSchema)
    @blp.doc(operationId="sensitivity_tornado")
    def post(self, body):
        """Tornado: each main input at its low and high, the others held; the swing of the NPV savings
        and of the break-even month per input, largest first.  With `currency` the answer's `currency`
        object gives the rate to show the amounts in; fields named `usd*` and the savings stay in US dollars."""
        cur = currency(_catalog(), body["scenario"].currency)
        return _json_response(heavy_pool().run(sensitivity_answer, body["scenario"], body["ranges"], cur))


def sensitivity_answer(catalog, scenario, ranges, cur=USD) -> bytes:
    """Task of POST /sensitivity."""
    from tco.sensitivity import tornado
    R = resolve(scenario, catalog)
    try:
        t = tornado(R, ranges)
    except ScenarioError:   # a ValueError already naming its field: keep it as it is
        raise
    except ValueError as exc:
        raise ScenarioError("ranges", str(exc)) from None
    rows = [{k: (_finite(v) if isinstance(v, float) else v) for k, v in r.items()}
            for r in t.drop(columns=["base_savings_npv", "base_breakeven_month"]).to_dict("records")]
    return dump_json({"base_savings_npv_usd": float(t["base_savings_npv"].iloc[0]),
                      "base_breakeven_month": _finite(t["base_breakeven_month"].iloc[0]), "rows": rows,
                      "currency": cur.info()})


@blp.route("/montecarlo")
class MonteCarlo(MethodView):
    @blp.arguments(MonteCarloRequestSchema(), example={**EXAMPLE, "samples": 10000, "seed": 1,
                                                       "distributions": {"volume": {"kind": "lognormal", "median": 1,
                                                                                    "sigma": 0.4}}})
    @blp.response(200, MonteCarloResponseSchema)
    @blp.doc(operationId="monte_carlo")
    def post(self, body):
        """Monte Carlo: every input drawn from its distribution, all samples priced as arrays.

        Returns P10/P50/P90 of the savings, the probability that self-hosting is cheaper over the
        horizon, bands of cumulative cost per option and the distribution of the break-even month.
        Seeded: the same request gives the same answer.  With `currency` the answer's `currency` object
        gives the rate to show the amounts in; they stay in US dollars.
        """
        cur = currency(_catalog(), body["scenario"].currency)
        check_sample_budget(body["samples"], body["scenario"].horizon_months, "samples")
        return _json_response(heavy_pool().run(montecarlo_answer, body["scenario"], body["samples"], body["seed"],
                                               body["distributions"], cur))


def montecarlo_answer(catalog, scenario, samples: int, seed: int, distributions: dict, cur=USD) -> bytes:
    """Task of POST /montecarlo."""
    from tco.sensitivity import Distribution, monte_carlo
    R = resolve(scenario, catalog)
    dists = {k: Distribution(**v) for k, v in distributions.items()}
    try:
        mc = monte_carlo(R, samples, seed, dists)
    except ScenarioError:
        raise
    except ValueError as exc:
        raise ScenarioError("distributions", str(exc)) from None
    hist = mc.breakeven_histogram()
    return dump_json({"summary": mc.summary(), "cumulative_bands": records(mc.cumulative_bands),
                      "breakeven_histogram": records(hist), "breakeven_never": hist.attrs["never"],
                      "currency": cur.info()})
