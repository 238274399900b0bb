"""Query schema of the export endpoints (the body is the scenario of :class:`ScenarioSchema`)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tco.web.text import one_line


class ExportQuerySchema(ma.Schema):
    title = fields.String(load_default="tco report", validate=[validate.Length(min=1, max=200), one_line],
                          metadata={"description": "Title on the report's first line and the workbook's Summary "
                                                   "sheet (one line, at most 200 characters)."})


#: The OpenAPI answer of a binary download.
def binary(mime: str, what: str) -> dict:
    return {200: {"content": {mime: {"schema": {"type": "string", "format": "binary", "description": what}}}}}
