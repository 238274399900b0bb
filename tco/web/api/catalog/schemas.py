"""Schemas of the catalog endpoints."""
from __future__ import annotations

import datetime as dt

import marshmallow as ma

from tco.tables import TABLE_NAMES, TABLES
from tco.web.text import one_line

#: Query filter -> table column it matches (exact value).
FILTERS = {
    "provider": "provider", "model": "model_id", "gpu": "gpu_id", "term": "term", "product": "product_id",
    "billing_term": "billing_term", "modality": "modality", "precision": "precision", "engine": "engine",
    "vendor": "vendor", "region": "region", "quality": "quality", "size": "size",
}


class CatalogCsvQuerySchema(ma.Schema):
    """Which rows: the date, history, and filters on columns (exact values)."""

    as_of = ma.fields.Date(load_default=None, metadata={"description": "Prices in force on this date [YYYY-MM-DD]; "
                                                                       "default: the service's date."})
    history = ma.fields.Boolean(load_default=False, metadata={"description": "Every dated row instead of the rows "
                                                                            "in force."})
    for _name, _col in FILTERS.items():
        locals()[_name] = ma.fields.String(
            load_default=None, validate=[ma.validate.Length(min=1, max=200), one_line],
            metadata={"description": f"Only rows whose {_col} equals this value (tables that have that column)."})
    del _name, _col


class CatalogQuerySchema(CatalogCsvQuerySchema):
    """Which rows, and which page of them."""

    page = ma.fields.Integer(load_default=1, validate=ma.validate.Range(min=1, max=1_000_000),
                             metadata={"description": "Page number, from 1."})
    page_size = ma.fields.Integer(load_default=100, validate=ma.validate.Range(min=1, max=1000),
                                  metadata={"description": "Rows per page (1..1000)."})


class ColumnInfoSchema(ma.Schema):
    """One column of a pricing table."""

    name = ma.fields.String(required=True)
    type = ma.fields.String(required=True, metadata={"description": "str, id, float, int, bool, date, url or choice."})
    unit = ma.fields.String(required=True, metadata={"description": "Unit of the values; `-` when none."})
    description = ma.fields.String(required=True)
    required = ma.fields.Boolean(required=True, metadata={"description": "Whether every row must have a value."})
    min = ma.fields.Float(metadata={"description": "Smallest allowed value (numbers)."})
    max = ma.fields.Float(metadata={"description": "Largest allowed value (numbers)."})
    choices = ma.fields.List(ma.fields.String(), metadata={"description": "Allowed values (type choice)."})


class TableInfoSchema(ma.Schema):
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    rows = ma.fields.Integer(required=True, metadata={"description": "Rows in force."})
    key = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "Key columns."})
    columns = ma.fields.List(ma.fields.Nested(ColumnInfoSchema), required=True,
                             metadata={"description": "Each column's name, type, unit, required, description."})


_ROW_FIELD = {"float": ma.fields.Float, "int": ma.fields.Integer, "bool": ma.fields.Boolean}


def _row_fields() -> dict:
    """One typed, optional field per column name of any table (the same name has the same type everywhere)."""
    out, where = {}, {}
    for table in TABLES.values():
        for c in table.columns:
            where.setdefault(c.name, []).append(table.name)
    for table in TABLES.values():
        for c in table.columns:
            if c.name in out:
                continue
            unit = "" if c.unit in ("-", "") else f" [{c.unit}]"
            out[c.name] = _ROW_FIELD.get(c.type, ma.fields.String)(allow_none=True, metadata={
                "description": f"{c.description.rstrip('.')}{unit}. Tables: {', '.join(where[c.name])}."})
    return out


#: A row of any pricing table: the columns present are the table's own (GET /api/v1/catalog lists them).
CatalogRowSchema = ma.Schema.from_dict(_row_fields(), name="CatalogRow")


class TableListSchema(ma.Schema):
    as_of = ma.fields.String(required=True)
    tables = ma.fields.List(ma.fields.Nested(TableInfoSchema), required=True)


class CatalogPageSchema(ma.Schema):
    table = ma.fields.String(required=True, metadata={"description": f"One of: {', '.join(TABLE_NAMES)}."})
    as_of = ma.fields.String(required=True, metadata={"description": "Date whose rows are in force."})
    total = ma.fields.Integer(required=True, metadata={"description": "Matching rows over all pages."})
    page = ma.fields.Integer(required=True)
    page_size = ma.fields.Integer(required=True)
    rows = ma.fields.List(ma.fields.Nested(CatalogRowSchema), required=True,
                          metadata={"description": "Rows with the table's columns (see GET /api/v1/catalog)."})


class CatalogItemSchema(ma.Schema):
    table = ma.fields.String(required=True)
    id = ma.fields.String(required=True)
    id_column = ma.fields.String(required=True)
    rows = ma.fields.List(ma.fields.Nested(CatalogRowSchema), required=True,
                          metadata={"description": "Rows in force with that id."})
    model_id = ma.fields.String(required=True, metadata={"description": "The id the rows have (a model name as "
                                                                        "users write it resolves to its catalog id)."})
    via = ma.fields.String(required=True, metadata={"description": "How the id was matched: exact, alias (...), "
                                                                   "provider prefix dropped, ..."})


class HealthQuerySchema(ma.Schema):
    as_of = ma.fields.Date(load_default=None,
                           validate=ma.validate.Range(min=dt.date(1900, 1, 1), max=dt.date(2999, 12, 31)),
                           metadata={"description": "Judge the tables on this date [YYYY-MM-DD], 1900-01-01 to "
                                                    "2999-12-31; default: the service's date."})
    horizon_months = ma.fields.Integer(load_default=12, validate=ma.validate.Range(min=1, max=1200),
                                       metadata={"description": "List promotions, scheduled changes and shutdowns "
                                                                "up to this many months ahead (1..1200) [months]."})
    max_age_days = ma.fields.Integer(load_default=365, validate=ma.validate.Range(min=1, max=36500),
                                     metadata={"description": "Rows in force dated more than this many days before "
                                                              "as_of are stale (1..36500) [days]."})


class FindingSchema(ma.Schema):
    severity = ma.fields.String(required=True, metadata={"description": "problem, warning or info."})
    kind = ma.fields.String(required=True, metadata={"description": "stale, promotion_ends, scheduled_change, "
                                                                    "shutdown_ahead, past_shutdown, deprecated, "
                                                                    "gpu_without_rate, ..."})
    table = ma.fields.String(required=True)
    id = ma.fields.String(required=True, metadata={"description": "The row's key without its date."})
    date = ma.fields.String(allow_none=True, required=True, metadata={"description": "Date the finding is about "
                                                                                     "[YYYY-MM-DD]."})
    message = ma.fields.String(required=True)


class CatalogHealthSchema(ma.Schema):
    as_of = ma.fields.String(required=True)
    horizon_months = ma.fields.Integer(required=True)
    horizon_end = ma.fields.String(required=True, metadata={"description": "Last day of the horizon."})
    max_age_days = ma.fields.Integer(required=True)
    newest_price_date = ma.fields.String(allow_none=True, required=True,
                                         metadata={"description": "Newest effective_date of the prices in force."})
    oldest_price_date = ma.fields.String(allow_none=True, required=True,
                                         metadata={"description": "Oldest effective_date of the prices in force."})
    ok = ma.fields.Boolean(required=True, metadata={"description": "True when no finding is a problem."})
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True,
                            metadata={"description": "Findings per severity."})
    findings = ma.fields.List(ma.fields.Nested(FindingSchema), required=True)
