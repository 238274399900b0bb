"""POST /api/v1/usage: price a usage log (CSV or JSON) and start a projection from it."""
from __future__ import annotations

import re

import marshmallow as ma
import numpy as np
import orjson
import pandas as pd
from flask import Response, current_app, request
from flask.views import MethodView
from flask_smorest import abort

from tco.web.api.blueprint import Blueprint

from tco.web.guard import json_body
from tco.usage import UsageError, price_usage, read_usage_csv, usage_workload, validate_usage
from tco.web.api.usage.schemas import UsageJsonSchema, UsageQuerySchema, UsageResponseSchema

blp = Blueprint("usage", __name__, url_prefix="/api/v1",
                description="Price real API usage logs and turn them into a workload.")

CSV_EXAMPLE = ("timestamp,model,input_tokens,cached_input_tokens,output_tokens,batch\n"
               "2026-09-01,gpt-4o,1200000,300000,250000,false\n"
               "2026-10-01,gpt-4o,1500000,400000,300000,false\n")

REQUEST_DOC = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
    "application/json": {"schema": {"$ref": "#/components/schemas/UsageJson"},
                         "example": {"rows": [{"timestamp": "2026-10-01", "model": "gpt-4o",
                                               "input_tokens": 1500000, "output_tokens": 300000}]}}}}}

LINE = re.compile(r"^(?P<src>.*?):(?P<line>\d+): (?P<col>[^:]+): (?P<msg>.*)$")


def _errors(exc: UsageError, json_rows: bool) -> list[dict]:
    out = []
    for e in exc.errors:
        m = LINE.match(e)
        if not m:
            out.append({"path": "body", "message": e})
            continue
        line = int(m["line"])
        path = (f"rows.{line - 2}.{m['col']}" if json_rows else f"csv.{line}.{m['col']}")
        out.append({"path": path, "message": m["msg"]})
    return out


def _aggregate(df: pd.DataFrame, key: str) -> list[dict]:
    df = df.rename(columns={key: "key"})
    df["key"] = df["key"].astype(str)
    df["usd_per_mtok"] = df["usd_per_mtok"].replace([np.inf, -np.inf], np.nan)
    return df.astype(object).where(df.notna(), None).to_dict("records")


@blp.route("/usage")
class Usage(MethodView):
    @blp.arguments(UsageQuerySchema(), location="query", unknown=ma.RAISE)
    @blp.response(200, UsageResponseSchema)
    @blp.doc(**REQUEST_DOC)
    def post(self, query):
        """Price a usage log row by row with the prices in force on each row's date.

        Send the log as ``text/csv`` (columns: timestamp, model, input_tokens, output_tokens and
        optionally cached_input_tokens, batch, requests) or as JSON ``{"rows": [...]}``.  Bad rows
        get 422 with one error per value, its path ``csv.<line>.<column>`` (line 1 = header) or
        ``rows.<index>.<column>``.  Unknown models are not priced: they are listed under
        ``unpriced`` with their row counts and the closest known ids.
        """
        catalog = current_app.config["TCO_CATALOG"]
        is_json = request.mimetype == "application/json"
        try:
            if is_json:
                body = json_body()
                if not isinstance(body, dict):
                    abort(400, message="malformed JSON body", errors=[{"path": "$", "message": "Invalid JSON body."}])
                try:
                    UsageJsonSchema().load(body)
                except ma.ValidationError as exc:
                    from tco.web.errors import flatten_messages
                    abort(422, errors=flatten_messages(exc.messages))
                log = validate_usage(pd.DataFrame.from_records(body["rows"]), "rows")
            else:
                text = request.get_data(cache=False).decode("utf-8", errors="strict")
                log = read_usage_csv(text if "\n" in text else text + "\n", name="csv")
        except UnicodeDecodeError:
            abort(400, message="the CSV body is not UTF-8 text", errors=[{"path": "body", "message": "not UTF-8"}])
        except UsageError as exc:
            errs = _errors(exc, is_json)
            abort(422, message=f"{len(exc.errors)} invalid value(s) in the usage log", errors=errs)
        result = price_usage(log, catalog)
        try:
            workload = usage_workload(result, query["months"])
        except ValueError:
            workload = None
        body = {
            "rows": int(len(result.rows)),
            "priced_rows": int(result.rows["priced"].sum()),
            "price_assumed_rows": int(result.rows["price_assumed"].sum()),
            "total_usd": result.total_usd,
            "by_month": _aggregate(result.by_month(), "month"),
            "by_model": _aggregate(result.by_model(), "model"),
            "unpriced": result.unpriced.to_dict("records"),
            "workload": workload,
        }
        return Response(orjson.dumps(body), mimetype="application/json")
