"""GET /api/v1/catalog, /api/v1/catalog/{table}, /api/v1/catalog/{table}/{id}."""
from __future__ import annotations

import dataclasses

import marshmallow as ma
import pandas as pd
from flask import Response, current_app
from flask.views import MethodView
from flask_smorest import abort

from tco.web.api.blueprint import Blueprint

from tco.catalog import MODEL_TABLES, Catalog, _row_dict, closest, table_frame
from tco.tables import TABLE_NAMES, TABLES
from tco.freshness import check_catalog
from tco.web.errors import ApiError
from tco.web.text import control_character, csv_text
from tco.web.api.catalog.schemas import (FILTERS, CatalogCsvQuerySchema, CatalogHealthSchema, CatalogItemSchema,
                                         CatalogPageSchema, CatalogQuerySchema, HealthQuerySchema, TableListSchema)

blp = Blueprint("catalog", __name__, url_prefix="/api/v1/catalog",
                description="The pricing tables: every row dated and sourced.")

#: The column an item id refers to, per table.
ID_COLUMN = {"api_prices": "model_id", "seat_prices": "product_id", "image_prices": "model_id", "gpus": "gpu_id",
             "gpu_rates": "gpu_id", "open_models": "model_id", "throughput_benchmarks": "model_id",
             "model_lifecycle": "model_id", "model_aliases": "alias"}

CSV_DOC = {"operationId": "list_catalog_rows_csv", "responses": {200: {"content": {"text/csv": {"schema": {
    "type": "string", "description": "Every matching row with the table's columns (header row first)."}}}}}}


def _catalog(as_of=None) -> Catalog:
    cat = current_app.config["TCO_CATALOG"]
    return cat.at(as_of) if as_of is not None else cat


def _table_or_404(table: str) -> None:
    if table not in TABLES:
        near = closest(table, TABLE_NAMES)
        abort(404, message=f"unknown table {table!r}; valid tables: {', '.join(TABLE_NAMES)}",
              errors=[{"path": "path.table", "message": f"closest: {', '.join(near) or 'none'}"}])


def _json_rows(df: pd.DataFrame) -> list[dict]:
    return [_row_dict(r) for _, r in df.iterrows()]


def _csv(df: pd.DataFrame, name: str) -> Response:
    return Response(csv_text(table_frame(df, name)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@blp.route("")
class Tables(MethodView):
    @blp.response(200, TableListSchema)
    @blp.doc(operationId="list_catalog_tables")
    def get(self):
        """The pricing tables, their row counts and column schemas."""
        cat = _catalog()
        return {"as_of": cat.as_of.isoformat(), "tables": [
            {"name": t.name, "description": t.description, "rows": len(cat[t.name]), "key": list(t.key),
             "columns": [{k: (list(v) if isinstance(v, tuple) else v) for k, v in dataclasses.asdict(c).items()
                          if v not in (None, ())} for c in t.columns]}
            for t in TABLES.values()]}


@blp.route("/health")
class Health(MethodView):
    @blp.arguments(HealthQuerySchema(), location="query", unknown=ma.RAISE)
    @blp.response(200, CatalogHealthSchema)
    @blp.doc(operationId="check_catalog_health")
    def get(self, args):
        """How current the tables are: stale rows, promotions and shutdowns ahead, models in force past
        their shutdown, gaps (`ok` is false when a problem is found)."""
        cat = _catalog()
        return check_catalog(cat, as_of=args["as_of"], horizon_months=args["horizon_months"],
                             max_age_days=args["max_age_days"]).to_dict()


def _rows(table: str, args: dict) -> tuple[Catalog, pd.DataFrame]:
    """The rows of ``table`` the query asks for (filters, date, history), before paging."""
    _table_or_404(table)
    cat = _catalog(args["as_of"])
    df = cat.history[table] if args["history"] else cat[table]
    errors = []
    for name, col in FILTERS.items():
        value = args.get(name)
        if value is None:
            continue
        if col not in df.columns:
            errors.append({"path": f"query.{name}", "message": f"table {table} has no column {col}"})
            continue
        df = df[df[col].astype(str) == value]
    if errors:
        abort(422, errors=errors)
    return cat, df


@blp.route("/<string:table>.csv")
class TableRowsCsv(MethodView):
    @blp.arguments(CatalogCsvQuerySchema(), location="query", unknown=ma.RAISE)
    @blp.response(200, description="Every matching row as CSV.", content_type="text/csv")
    @blp.doc(**CSV_DOC)
    def get(self, args, table):
        """Every row of one table that the filters match, as a CSV download (no paging).

        Text cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`,
        tab or carriage return), whichever table or overlay they come from, get a leading `'`.
        """
        return _csv(_rows(table, args)[1], table)


@blp.route("/<string:table>")
class TableRows(MethodView):
    @blp.arguments(CatalogQuerySchema(), location="query", unknown=ma.RAISE)
    @blp.response(200, CatalogPageSchema)
    @blp.doc(operationId="list_catalog_rows")
    def get(self, args, table):
        """Rows of one table, filtered and paged (every matching row as CSV: `GET /api/v1/catalog/{table}.csv`)."""
        cat, df = _rows(table, args)
        total = len(df)
        start = (args["page"] - 1) * args["page_size"]
        page = df.iloc[start:start + args["page_size"]]
        return {"table": table, "as_of": cat.as_of.isoformat(), "total": total, "page": args["page"],
                "page_size": args["page_size"], "rows": _json_rows(page)}


@blp.route("/<string:table>/<path:item_id>")
class TableItem(MethodView):
    @blp.response(200, CatalogItemSchema)
    @blp.doc(operationId="get_catalog_item")
    def get(self, table, item_id):
        """Rows in force with one id (model_id, gpu_id or product_id); a model may be named as users write it
        (`openai/gpt-4o`, a Bedrock id, a dated snapshot: `model_id` and `via` say how it was matched);
        404 names the closest ids."""
        _table_or_404(table)
        bad = control_character(item_id)
        if bad is not None:
            raise ApiError(422, f"path.item_id: an id is one line of text without control characters (found {bad})",
                           [{"path": "path.item_id", "message": f"control character {bad}"}])
        cat = _catalog()
        col = ID_COLUMN[table]
        df = cat[table]
        rows = df[df[col] == item_id]
        found = {"model_id": item_id, "via": "exact"}
        if len(rows) == 0 and table in MODEL_TABLES:
            try:
                res = cat.resolve_model(item_id, table)
            except KeyError:
                pass
            else:
                rows, found = df[df[col] == res.model_id], {"model_id": res.model_id, "via": res.via}
        if len(rows) == 0:
            near = cat.closest_model_names(item_id, table) if table in MODEL_TABLES else closest(item_id, df[col])
            abort(404, message=f"unknown {col} {item_id!r} in {table}"
                               + (f"; closest: {', '.join(near)}" if near else ""),
                  errors=[{"path": "path.item_id", "message": f"closest: {', '.join(near) or 'none'}"}])
        return {"table": table, "id": item_id, "id_column": col, "rows": _json_rows(rows), **found}
