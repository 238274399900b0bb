"""Schemas of POST /api/v1/usage."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tco.web.text import one_line


class UsageQuerySchema(ma.Schema):
    months = fields.Integer(load_default=6, validate=validate.Range(min=1, max=120),
                            metadata={"description": "Full months at the end of the log the projection starts from."})


class UsageRowSchema(ma.Schema):
    """One row of a usage log (JSON form; the CSV form has the same columns)."""

    timestamp = fields.String(required=True, validate=one_line, metadata={"description": "ISO date or date-time."})
    model = fields.String(required=True, validate=one_line, metadata={"description": "Model id as in api_prices."})
    input_tokens = fields.Float(required=True, metadata={"description": "Prompt tokens, cached included [tokens]."})
    output_tokens = fields.Float(required=True, metadata={"description": "Generated tokens [tokens]."})
    cached_input_tokens = fields.Float(metadata={"description": "Part of input_tokens read from cache [tokens]."})
    batch = fields.Boolean(metadata={"description": "Sent through the batch API."})
    requests = fields.Float(metadata={"description": "Requests the row adds up; default 1 [requests]."})


class UsageJsonSchema(ma.Schema):
    rows = fields.List(fields.Nested(UsageRowSchema), required=True)


class AggregateRowSchema(ma.Schema):
    key = fields.String(required=True, metadata={"description": "The month (YYYY-MM) or the model id."})
    requests = fields.Float(required=True)
    input_tokens = fields.Float(required=True)
    cached_input_tokens = fields.Float(required=True)
    output_tokens = fields.Float(required=True)
    usd = fields.Float(required=True, metadata={"description": "[USD]"})
    usd_per_mtok = fields.Float(required=True, allow_none=True, metadata={"description": "[USD/1M tokens]"})


class UnpricedSchema(ma.Schema):
    model = fields.String(required=True)
    rows = fields.Integer(required=True)
    reason = fields.String(required=True)
    closest = fields.String(required=True, metadata={"description": "Closest known model ids."})


class UsageWorkloadSchema(ma.Schema):
    """A workload measured from a log (the fields of a scenario's workload it sets)."""

    input_tokens_per_month = fields.Float(required=True, metadata={"description": "Last month's [tokens/month]."})
    output_tokens_per_month = fields.Float(required=True, metadata={"description": "Last month's [tokens/month]."})
    cached_input_share = fields.Float(required=True, metadata={"description": "[fraction]"})
    batch_share = fields.Float(required=True, metadata={"description": "[fraction]"})
    monthly_growth = fields.Float(required=True, metadata={"description": "Fitted on the months [1/month]."})
    input_tokens_per_request = fields.Float(metadata={
        "description": "Prompt length, when the log has a requests column or one row per request [tokens]."})


class UsageResponseSchema(ma.Schema):
    rows = fields.Integer(required=True, metadata={"description": "Rows in the log."})
    priced_rows = fields.Integer(required=True)
    price_assumed_rows = fields.Integer(required=True, metadata={
        "description": "Rows dated before their model's first known price, priced at that price."})
    total_usd = fields.Float(required=True, metadata={"description": "[USD]"})
    by_month = fields.List(fields.Nested(AggregateRowSchema), required=True)
    by_model = fields.List(fields.Nested(AggregateRowSchema), required=True)
    unpriced = fields.List(fields.Nested(UnpricedSchema), required=True)
    workload = fields.Nested(UsageWorkloadSchema, required=True, allow_none=True, metadata={
        "description": "The last months as a scenario workload (POST it to /api/v1/tco inside a scenario); null "
                       "when no row is priced."})
