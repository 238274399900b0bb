"""The one JSON error shape of the API.

Every 4xx/5xx response body is::

    {"status": 422, "error": "Unprocessable Entity",
     "message": "1 invalid field: workload.input_tokens_per_month",
     "errors": [{"path": "workload.input_tokens_per_month",
                 "message": "Must be greater than or equal to 0."}]}

``path`` is the dotted JSON path of the offending field in the request body
(``workload.monthly_volumes.3`` for an array item), or ``query.<name>`` /
``path.<name>`` / ``header.<name>`` for the other parts of the request; ``errors`` is empty
when no single field is at fault.  ``errors`` lists at most :data:`MAX_ERRORS` entries;
``error_count`` says how many there were in all.
"""
from __future__ import annotations

from itertools import islice
from typing import Any, Iterable

import marshmallow as ma
from flask import jsonify
from werkzeug.http import HTTP_STATUS_CODES


def scenario_error(exc) -> "ApiError":
    """The 422 answer of a :class:`~tco.scenario.ScenarioError`, naming its field."""
    return ApiError(422, f"{exc.field}: {exc.message}", [{"path": exc.field, "message": exc.message}])


class ErrorItemSchema(ma.Schema):
    path = ma.fields.String(required=True, metadata={"description": "Dotted JSON path of the field at fault."})
    message = ma.fields.String(required=True, metadata={"description": "What is wrong and the allowed range."})


#: The most entries an error answer lists (``error_count`` gives the total).
MAX_ERRORS = 100


class ErrorSchema(ma.Schema):
    """The API's error body (every 4xx and 5xx)."""

    status = ma.fields.Integer(required=True, metadata={"description": "HTTP status code."})
    error = ma.fields.String(required=True, metadata={"description": "HTTP status name."})
    message = ma.fields.String(required=True, metadata={"description": "One-line summary for people."})
    errors = ma.fields.List(ma.fields.Nested(ErrorItemSchema), required=True,
                            metadata={"description": f"One entry per field at fault (may be empty), the first "
                                                     f"{MAX_ERRORS} at most."})
    error_count = ma.fields.Integer(required=True, metadata={
        "description": "How many fields are at fault in all (more than listed when the list is cut)."})


class ApiError(Exception):
    """An error answer in the one shape, raised anywhere (picklable: it crosses process boundaries)."""

    def __init__(self, status: int, message: str, errors: Iterable[dict] = (), headers: dict | None = None,
                 error_count: int | None = None):
        errors = list(errors)
        super().__init__(status, message, errors, headers, error_count)
        self.status, self.message, self.errors, self.headers = status, message, errors, dict(headers or {})
        self.error_count = len(errors) if error_count is None else error_count


LOCATION_PREFIX = {"json": "", "query": "query.", "view_args": "path.", "path": "path.", "headers": "header.",
                   "files": "file.", "form": "form."}


def flatten_messages(messages: Any, prefix: str = "") -> list[dict]:
    """Turn marshmallow's nested ``{"field": {"sub": ["msg"]}}`` into ``[{"path", "message"}]``."""
    out: list[dict] = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            if key == "_schema":            # errors of the object itself
                out += flatten_messages(value, prefix)
                continue
            if key in ("value", "key") and isinstance(value, dict) and prefix:   # a Dict field's entry
                out += flatten_messages(value, prefix) if key == "value" else \
                    flatten_messages(value, prefix.rstrip(".") + "(key).")
                continue
            out += flatten_messages(value, f"{prefix}{key}.")
    elif isinstance(messages, (list, tuple)):
        if all(isinstance(m, str) for m in messages):
            for m in messages:
                out.append({"path": prefix.rstrip(".") or "$", "message": m})
        else:
            for m in messages:
                out += flatten_messages(m, prefix)
    else:
        out.append({"path": prefix.rstrip(".") or "$", "message": str(messages)})
    return out


def webargs_errors(data: dict) -> list[dict]:
    """Errors from webargs' ``{"json": {...}, "query": {...}}`` by location."""
    out = []
    for location, msgs in (data or {}).items():
        out += flatten_messages(msgs, LOCATION_PREFIX.get(location, f"{location}."))
    return out


def error_body(status: int, message: str, errors: Iterable[dict] = (), error_count: int | None = None) -> dict:
    """The error answer: ``errors`` cut to the first :data:`MAX_ERRORS` (``error_count`` keeps the total).

    >>> b = error_body(422, "bad", ({"path": f"rows.{i}", "message": "x"} for i in range(250)))
    >>> len(b["errors"]), b["error_count"]
    (100, 250)
    >>> error_body(422, "bad", [{"path": "a", "message": "x"}], error_count=7)["error_count"]
    7
    """
    it = iter(errors)
    listed = list(islice(it, MAX_ERRORS))
    if error_count is None:
        error_count = len(listed) + sum(1 for _ in it)
    return {"status": status, "error": HTTP_STATUS_CODES.get(status, "Error"), "message": message,
            "errors": listed, "error_count": max(error_count, len(listed))}


def error_response(status: int, message: str, errors: Iterable[dict] = (), headers: dict | None = None,
                   error_count: int | None = None):
    resp = jsonify(error_body(status, message, errors, error_count))
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def summarise(errors: list[dict], error_count: int | None = None) -> str:
    """One line: how many fields are at fault and the first few paths."""
    n = len(errors) if error_count is None else error_count
    if not errors:
        return "invalid request"
    head = ", ".join(e["path"] for e in errors[:5]) + (" ..." if n > 5 else "")
    return f"{n} invalid field{'s' if n != 1 else ''}: {head}"
