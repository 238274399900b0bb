"""POST /api/v1/usage: price a usage log (CSV or JSON) and start a projection from it."""
from __future__ import annotations

import re
from itertools import repeat

import marshmallow as ma
import numpy as np
import pandas as pd
from flask import Response, current_app, request
from flask.views import MethodView

from tco.usage import OPTIONAL, REQUIRED, UsageError, price_usage, read_usage_csv, usage_workload, validate_usage
from tco.web.api.blueprint import Blueprint
from tco.web.api.usage.schemas import UsageQuerySchema, UsageResponseSchema
from tco.web.errors import MAX_ERRORS, ApiError
from tco.web.guard import BadJson, dump_json, parse_json
from tco.web.heavy import heavy_pool
from tco.web.text import control_mask

blp = Blueprint("usage", __name__, url_prefix="/api/v1",
                description="Price real API usage logs and turn them into a workload.")

CSV_EXAMPLE = ("timestamp,model,input_tokens,cached_input_tokens,output_tokens,batch\n"
               "2026-09-01,gpt-4o,1200000,300000,250000,false\n"
               "2026-10-01,gpt-4o,1500000,400000,300000,false\n")

REQUEST_DOC = {"requestBody": {"required": True, "content": {
    "text/csv": {"schema": {"type": "string", "format": "binary",
                            "description": "The log as CSV text, UTF-8, header row first."}, "example": CSV_EXAMPLE},
    "application/json": {"schema": {"$ref": "#/components/schemas/UsageJson"},
                         "example": {"rows": [{"timestamp": "2026-10-01", "model": "gpt-4o",
                                               "input_tokens": 1500000, "output_tokens": 300000}]}}}}}

LINE = re.compile(r"^(?P<src>.*?):(?P<line>\d+): (?P<col>[^:]+): (?P<msg>.*)$")
TEXT_COLUMNS = ("timestamp", "model")


def _errors(exc: UsageError, json_rows: bool) -> list[dict]:
    """The first :data:`MAX_ERRORS` of the log's errors as ``{path, message}``."""
    out = []
    for e in exc.errors[:MAX_ERRORS]:
        m = LINE.match(e)
        if not m:
            out.append({"path": "body", "message": e})
            continue
        line = int(m["line"])
        path = (f"rows.{line - 2}.{m['col']}" if json_rows else f"csv.{line}.{m['col']}")
        out.append({"path": path, "message": m["msg"]})
    return out


def _invalid(mask, column: str | None, message: str, json_rows: bool) -> ApiError:
    """422 for the rows of ``mask`` (index = row 0.., CSV line = row + 2); ``column`` None: the whole row."""
    rows = np.flatnonzero(np.asarray(mask))
    tail = "" if column is None else f".{column}"
    errors = [{"path": f"rows.{i}{tail}" if json_rows else f"csv.{i + 2}{tail}", "message": message}
              for i in rows[:MAX_ERRORS].tolist()]
    return ApiError(422, f"{len(rows)} invalid value(s) in the usage log: {column or 'row'} {message}", errors,
                    error_count=len(rows))


def _json_log(body) -> pd.DataFrame:
    """``{"rows": [{...}, ...]}`` as a DataFrame, its structure checked without a per-row schema.

    The values are checked by :func:`tco.usage.validate_usage` (vectorised); here only what it cannot
    see: rows that are not objects, unknown or missing fields, and text fields that are not text.
    """
    if not isinstance(body, dict) or not isinstance(body.get("rows"), list):
        raise ApiError(422, "rows: a JSON usage log is an object {\"rows\": [...]}",
                       [{"path": "rows", "message": "Missing data for required field."}])
    extra = sorted(set(body) - {"rows"})
    if extra:
        raise ApiError(422, f"{len(extra)} invalid field(s): {', '.join(extra[:5])}",
                       [{"path": k, "message": "Unknown field."} for k in extra[:MAX_ERRORS]], error_count=len(extra))
    rows = body["rows"]
    if not all(map(isinstance, rows, repeat(dict))):
        mask = [not isinstance(r, dict) for r in rows]
        raise _invalid(mask, None, "must be an object", True)
    df = pd.DataFrame.from_records(rows) if rows else pd.DataFrame(columns=list(REQUIRED))
    unknown = [c for c in df.columns if c not in REQUIRED + OPTIONAL]
    if unknown:
        raise _invalid(df[unknown[0]].notna(), str(unknown[0]), "Unknown field.", True)
    for col in REQUIRED:
        if col in df.columns and df[col].isna().any():
            raise _invalid(df[col].isna(), col, "Missing data for required field.", True)
    for col in TEXT_COLUMNS:
        if col in df.columns and pd.api.types.infer_dtype(df[col], skipna=True) not in ("string", "empty"):
            raise _invalid(~df[col].map(lambda v: isinstance(v, str)), col, "Not a valid string.", True)
    return df


def _aggregate(df: pd.DataFrame, key: str) -> list[dict]:
    df = df.rename(columns={key: "key"})
    df["key"] = df["key"].astype(str)
    df["usd_per_mtok"] = df["usd_per_mtok"].replace([np.inf, -np.inf], np.nan)
    return df.astype(object).where(df.notna(), None).to_dict("records")


def usage_answer(catalog, raw: bytes, is_json: bool, months: int, max_json_depth: int) -> bytes:
    """Task of POST /usage: the log parsed, checked, priced and summed, as JSON bytes."""
    try:
        if is_json:
            try:
                body = parse_json(raw, max_json_depth)
            except BadJson as exc:
                raise ApiError(400, str(exc), [{"path": exc.path, "message": str(exc)}]) from None
            log = validate_usage(_json_log(body), "rows")
        else:
            text = raw.decode("utf-8", errors="strict")
            log = read_usage_csv(text if "\n" in text else text + "\n", name="csv")
    except UnicodeDecodeError:
        raise ApiError(400, "the CSV body is not UTF-8 text", [{"path": "body", "message": "not UTF-8"}]) from None
    except UsageError as exc:
        raise ApiError(422, f"{len(exc.errors)} invalid value(s) in the usage log", _errors(exc, is_json),
                       error_count=len(exc.errors)) from None
    for col in TEXT_COLUMNS:
        bad = control_mask(log[col]) if col in log.columns else None
        if bad is not None and bad.any():
            raise _invalid(bad, col, "must be one line of text without control characters", is_json)
    result = price_usage(log, catalog)
    try:
        workload = usage_workload(result, months)
    except ValueError:
        workload = None
    return dump_json({
        "rows": int(len(result.rows)),
        "priced_rows": int(result.rows["priced"].sum()),
        "price_assumed_rows": int(result.rows["price_assumed"].sum()),
        "total_usd": result.total_usd,
        "by_month": _aggregate(result.by_month(), "month"),
        "by_model": _aggregate(result.by_model(), "model"),
        "unpriced": result.unpriced.to_dict("records"),
        "workload": workload,
    })


@blp.route("/usage")
class Usage(MethodView):
    @blp.arguments(UsageQuerySchema(), location="query", unknown=ma.RAISE)
    @blp.response(200, UsageResponseSchema)
    @blp.doc(operationId="price_usage_log", **REQUEST_DOC)
    def post(self, query):
        """Price a usage log row by row with the prices in force on each row's date.

        Send the log as `text/csv` (columns: timestamp, model, input_tokens, output_tokens and
        optionally cached_input_tokens, batch, requests) or as JSON `{"rows": [...]}`.  Bad rows
        get 422 with one error per value (the first 100; `error_count` has them all), its path
        `csv.<line>.<column>` (line 1 = header) or `rows.<index>.<column>`.  Unknown models are
        not priced: they are listed under `unpriced` with their row counts and the closest known ids.
        """
        settings = current_app.config["TCO_SETTINGS"]
        return Response(heavy_pool().run(usage_answer, request.get_data(cache=True),
                                         request.mimetype == "application/json", query["months"],
                                         settings.max_json_depth), mimetype="application/json")
