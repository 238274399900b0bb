"""The OpenAPI document, made for generated clients, and the Swagger UI page that shows it.

:class:`SpecPlugin` completes every operation as flask-smorest registers it: each error status
it can answer, in the one error shape (400, 404 where the path has parameters, 405, 408, 413,
414, 415 where a body is sent, 422, 500, 503 for heavy operations, with ``Retry-After``), and
links from a saved scenario's creation to reading, replacing and deleting it (so schemathesis can
chain them).  The docs page loads Swagger UI from the app's own files with no inline script.
"""
from __future__ import annotations

from apispec import BasePlugin
from flask import Flask, Response, url_for

#: status -> (component name, description)
ERROR_RESPONSES = {
    400: ("BAD_REQUEST", "Malformed request: JSON that does not parse or nests too deep, a Host not allowed, a body "
                         "cut short."),
    404: ("NOT_FOUND", "Unknown table, id or saved scenario; the message names the closest."),
    405: ("METHOD_NOT_ALLOWED", "The path does not take this method; the `Allow` header lists those it takes."),
    408: ("REQUEST_TIMEOUT", "The request was not received in time (`TCO_REQUEST_TIMEOUT_S`)."),
    413: ("PAYLOAD_TOO_LARGE", "The body is over `TCO_MAX_BODY_BYTES`."),
    414: ("URI_TOO_LONG", "The URL is over `TCO_MAX_URL_BYTES`."),
    415: ("UNSUPPORTED_MEDIA_TYPE", "The body is not of a type the operation takes."),
    422: ("UNPROCESSABLE_ENTITY", "A value out of range or of the wrong type; each error names its field."),
    500: ("INTERNAL_SERVER_ERROR", "A fault of the service (logged); the message says nothing of its internals."),
    503: ("SERVICE_UNAVAILABLE", "Every slot for heavy requests is busy, or the computation ran too long; retry "
                                "after `Retry-After` seconds."),
}

#: Operations computed in a heavy slot (:mod:`tco.web.heavy`): they may answer 503.
HEAVY_OPERATIONS = frozenset({"scenario_charts", "scenario_report", "hybrid_plan", "sensitivity_tornado",
                              "monte_carlo", "price_usage_log", "compare_options"})

_SAVED_ID = {"scenario_id": "$response.body#/id"}
LINKS = {
    "save_scenario": {"201": ("get_saved_scenario", "replace_saved_scenario", "delete_saved_scenario")},
    "replace_saved_scenario": {"200": ("get_saved_scenario", "delete_saved_scenario")},
}


def union_types(self, field, **kwargs) -> dict:
    """apispec attribute function: the fields that take one of two shapes, documented as ``oneOf``.

    :class:`~tco.web.api.scenarios.schemas.NumberOrText` is a number or a string; a
    :class:`~tco.web.api.scenarios.schemas.LoadProfile` a preset name or 24 weights >= 0.
    """
    from tco.workload import PRESETS
    from tco.web.api.scenarios.schemas import LoadProfile, NumberOrText
    if isinstance(field, NumberOrText):
        return {"oneOf": [{"type": "number"}, {"type": "string"}]}
    if isinstance(field, LoadProfile):
        return {"oneOf": [{"type": "string", "enum": list(PRESETS)},
                          {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1e12},
                           "minItems": 24, "maxItems": 24, "not": {"items": {"enum": [0]}}}]}
    return {}


def register_error_responses(spec) -> None:
    """The error responses as components, all with the Error schema (503 also with Retry-After)."""
    for status, (name, description) in ERROR_RESPONSES.items():
        response = {"description": description,
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        if status == 503:
            response["headers"] = {"Retry-After": {"description": "Seconds to wait before retrying.",
                                                   "schema": {"type": "integer"}}}
        if name in spec.components.responses:
            spec.components.responses[name].update(response)
        else:
            spec.components.response(name, response)


class SpecPlugin(BasePlugin):
    """Every status an operation can answer, declared; links between the saved-scenario operations."""

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, op in (operations or {}).items():
            if not isinstance(op, dict):
                continue
            codes = [400, 405, 414, 422, 500]
            if method in ("post", "put", "patch"):
                codes += [408, 413, 415]
            if "{" in (path or ""):
                codes.append(404)
            if op.get("operationId") in HEAVY_OPERATIONS:
                codes.append(503)
            responses = {str(k): v for k, v in op.get("responses", {}).items()}
            op["responses"] = responses
            responses.pop("default", None)
            for code in sorted(codes):
                responses.setdefault(str(code), ERROR_RESPONSES[code][0])
            for status, targets in LINKS.get(op.get("operationId"), {}).items():
                responses[status]["links"] = {
                    "".join(w.capitalize() for w in target.split("_")): {
                        "operationId": target, "parameters": _SAVED_ID,
                        "description": f"The `id` of the answer is `scenario_id` of {target}."}
                    for target in targets}


DOCS_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>tco API</title>
<link rel="stylesheet" href="{assets}swagger-ui.css"></head>
<body><div id="swagger-ui" data-spec-url="{spec}"></div>
<script src="{assets}swagger-ui-bundle.js"></script>
<script src="{assets}swagger-ui-standalone-preset.js"></script>
<script src="{init}"></script>
</body></html>
"""

DOCS_INIT = """window.addEventListener("load", function () {
  var el = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({url: el.dataset.specUrl, domNode: el, deepLinking: true,
                               presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset]});
});
"""


def register_docs(app: Flask) -> None:
    """``/api/docs``: Swagger UI from the app's own copy, its start script a file (no inline script)."""

    @app.get("/api/docs")
    def api_docs():
        page = DOCS_PAGE.format(assets="/api/docs/assets/", spec=url_for("api-docs.openapi_json"),
                                init=url_for("api_docs_init"))
        return Response(page, mimetype="text/html")

    @app.get("/api/docs/init.js")
    def api_docs_init():
        return Response(DOCS_INIT, mimetype="text/javascript")
