"""POST /api/v1/tco, /api/v1/breakeven, /api/v1/throughput: thin over the engine."""
from __future__ import annotations

import math

import orjson

import marshmallow as ma
from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import abort

from tco.web.api.blueprint import Blueprint

from tco.engine import (benchmark_row, breakeven_curve, breakevens, evaluate, modelled_throughput, records,
                        resolve)
from tco.scenario import OpenOption, ScenarioError
from tco.web.api.scenarios.schemas import (EXAMPLE, BreakevenRequestSchema, BreakevenResponseSchema,
                                           ChartsResponseSchema, MonteCarloRequestSchema, MonteCarloResponseSchema,
                                           PlanRequestSchema, PlanResponseSchema, ScenarioSchema,
                                           SensitivityRequestSchema, SensitivityResponseSchema, TcoResponseSchema,
                                           ThroughputRequestSchema, ThroughputResponseSchema)

blp = Blueprint("scenarios", __name__, url_prefix="/api/v1",
                description="Price a scenario: closed vs self-hosted, month by month, with break-even.")


class FormatQuerySchema(ma.Schema):
    format = ma.fields.String(load_default="json", validate=ma.validate.OneOf(["json", "csv"]),
                              metadata={"description": "json, or csv for the monthly schedule alone."})


def _catalog():
    return current_app.config["TCO_CATALOG"]


def _finite(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _json_response(body: dict) -> Response:
    """A body already shaped like the documented schema, encoded once (skips marshmallow's per-field dump)."""
    return Response(orjson.dumps(body), mimetype="application/json")


@blp.route("/tco")
class Tco(MethodView):
    @blp.arguments(FormatQuerySchema(), location="query", unknown=ma.RAISE)
    @blp.arguments(ScenarioSchema(), example=EXAMPLE)
    @blp.response(200, TcoResponseSchema)
    @blp.doc(responses={"200": {"description": "OK", "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/TcoResponse"}},
        "text/csv": {"schema": {"type": "string", "description": "The monthly schedule (format=csv)."}}}}})
    def post(self, query, scenario):
        """Monthly cost of both options, totals, NPV, unit costs, both break-evens and every assumption.

        ``?format=csv`` returns the monthly schedule (month, option, component, usd, ...) as CSV.
        """
        result = evaluate(scenario, _catalog())
        if query["format"] == "csv":
            return Response(result.monthly.to_csv(index=False, na_rep=""), mimetype="text/csv",
                            headers={"Content-Disposition": 'attachment; filename="tco_monthly.csv"'})
        return _json_response({"summary": _summary(result), "monthly": result.monthly_records(),
                               "assumptions": result.assumptions})


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


@blp.route("/charts")
class Charts(MethodView):
    @blp.arguments(ChartsQuerySchema(), location="query", unknown=ma.RAISE)
    @blp.arguments(ScenarioSchema(), example=EXAMPLE)
    @blp.response(200, ChartsResponseSchema)
    def post(self, query, scenario):
        """The summary, a one-sentence verdict and the plotly figures (the dashboard's charts) as JSON.

        ``?hybrid=true`` adds the hybrid plan; ``?uncertainty=true`` adds the tornado and fan
        figures and the Monte Carlo summary (seeded).
        """
        from tco import charts
        from tco.report import hybrid_verdict, verdict
        result = evaluate(scenario, _catalog(), hybrid=query["hybrid"])
        figs = charts.all_figures(result)
        extra = {}
        if query["uncertainty"]:
            from tco.sensitivity import monte_carlo, tornado
            rows = tornado(result.resolved)
            mc = monte_carlo(result.resolved, query["samples"], query["seed"])
            figs["tornado"] = charts.tornado(rows)
            figs["fan"] = charts.fan(mc.cumulative_bands, result)
            extra["montecarlo"] = mc.summary()
        figures = {name: fig.to_plotly_json() for name, fig in figs.items()}
        body = {"summary": _summary(result), "verdict": verdict(result), "assumptions": result.assumptions,
                "figures": figures, **extra}
        if query["hybrid"]:
            body["hybrid_verdict"] = hybrid_verdict(result)
        return _json_response(body)


@blp.route("/report")
class Report(MethodView):
    @blp.arguments(ScenarioSchema(), example=EXAMPLE)
    @blp.response(200, description="A self-contained one-page HTML report (opens offline).")
    @blp.doc(responses={"200": {"description": "OK", "content": {"text/html": {"schema": {"type": "string"}}}}})
    def post(self, scenario):
        """A one-page HTML report: verdict, KPIs, the four charts and every assumption with its source."""
        from tco import charts
        from tco.report import html_report
        result = evaluate(scenario, _catalog())
        page = html_report(result, charts.all_figures(result))
        return Response(page, mimetype="text/html",
                        headers={"Content-Disposition": 'attachment; filename="tco_report.html"'})


@blp.route("/breakeven")
class Breakeven(MethodView):
    @blp.arguments(BreakevenRequestSchema(), example={**EXAMPLE, "curve": {"points": 50}})
    @blp.response(200, BreakevenResponseSchema)
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
    def post(self, body):
        """Memory fit and roofline throughput of one replica (and a matching measured row, if any).

        A deployment that cannot fit answers 422 naming ``gpus_per_replica`` with the memory it needs.
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
        opt = OpenOption(model=body["model"], gpu=body["gpu"], gpus_per_replica=g,
                         precision=body.get("precision", "bf16"),
                         max_time_per_output_token_s=body.get("max_time_per_output_token_s"))
        in_len, out_len = float(body.get("input_tokens", 1000)), float(body.get("output_tokens", 250))
        try:
            d = modelled_throughput(model, gpu, opt, g, in_len, out_len)
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
    def post(self, body):
        """The hybrid plan: own replicas for the base load, the API for the overflow, month by month.

        The load-duration curve of the day's profile (``workload.load_profile``) gives the share of
        tokens above the own replicas' capacity; the plan picks the number of replicas each month
        that minimises the total cost over the horizon (setup paid at the switch month; with
        committed capacity the number never falls).
        """
        from tco.report import hybrid_verdict
        scenario, opts = body["scenario"], body["plan"]
        result = evaluate(scenario, _catalog(), hybrid=True, hybrid_committed=opts.get("committed"))
        if result.hybrid is None:
            raise ScenarioError("closed.seat_product", "a per-seat product is paid per user, not per token: it "
                                                      "cannot take only the peaks, so there is no hybrid plan")
        p, tot, summary = result.hybrid, result.totals_by_month(), _summary(result)
        months = [{"month": m, "replicas": float(p.replicas[m]), "api_share": float(p.api_share[m]),
                   "hybrid_usd": float(p.monthly_usd[m]), "self_hosted_part_usd": float(p.self_hosted_usd[m]),
                   "api_part_usd": float(p.api_usd[m]), "closed_usd": float(tot["closed"].iloc[m]),
                   "self_hosted_usd": float(tot["self_hosted"].iloc[m])} for m in range(len(p.replicas))]
        return _json_response({"summary": {k: v for k, v in summary.items() if not k.startswith("hybrid")},
                               "hybrid": {k: v for k, v in summary.items() if k.startswith("hybrid")},
                               "verdict": hybrid_verdict(result), "profile": p.profile.tolist(), "months": months})


@blp.route("/sensitivity")
class Sensitivity(MethodView):
    @blp.arguments(SensitivityRequestSchema(), example={**EXAMPLE, "ranges": {"volume": {"low": 0.5, "high": 2}}})
    @blp.response(200, SensitivityResponseSchema)
    def post(self, body):
        """Tornado: each main input at its low and high, the others held; the swing of the NPV savings
        and of the break-even month per input, largest first."""
        from tco.sensitivity import tornado
        R = resolve(body["scenario"], _catalog())
        try:
            t = tornado(R, body["ranges"])
        except ScenarioError:   # a ValueError already naming its field: keep it as it is
            raise
        except ValueError as exc:
            raise ScenarioError("ranges", str(exc)) from None
        rows = [{k: (_finite(v) if isinstance(v, float) else v) for k, v in r.items()}
                for r in t.drop(columns=["base_savings_npv", "base_breakeven_month"]).to_dict("records")]
        return _json_response({"base_savings_npv_usd": float(t["base_savings_npv"].iloc[0]),
                               "base_breakeven_month": _finite(t["base_breakeven_month"].iloc[0]), "rows": rows})


@blp.route("/montecarlo")
class MonteCarlo(MethodView):
    @blp.arguments(MonteCarloRequestSchema(), example={**EXAMPLE, "samples": 10000, "seed": 1,
                                                       "distributions": {"volume": {"kind": "lognormal", "median": 1,
                                                                                    "sigma": 0.4}}})
    @blp.response(200, MonteCarloResponseSchema)
    def post(self, body):
        """Monte Carlo: every input drawn from its distribution, all samples priced as arrays.

        Returns P10/P50/P90 of the savings, the probability that self-hosting is cheaper over the
        horizon, bands of cumulative cost per option and the distribution of the break-even month.
        Seeded: the same request gives the same answer.
        """
        from tco.sensitivity import Distribution, monte_carlo
        R = resolve(body["scenario"], _catalog())
        dists = {k: Distribution(**v) for k, v in body["distributions"].items()}
        try:
            mc = monte_carlo(R, body["samples"], body["seed"], dists)
        except ValueError as exc:
            raise ScenarioError("distributions", str(exc)) from None
        hist = mc.breakeven_histogram()
        return _json_response({"summary": mc.summary(), "cumulative_bands": mc.cumulative_bands.to_dict("records"),
                               "breakeven_histogram": hist.to_dict("records"),
                               "breakeven_never": hist.attrs["never"]})
