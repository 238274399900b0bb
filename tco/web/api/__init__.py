"""The REST API v1 (flask-smorest): one folder per resource, customisations in :class:`TcoApi`."""
from __future__ import annotations

import logging
import re
from urllib.parse import parse_qsl, urlencode

from flask import Flask, request
from flask_smorest import Api
from werkzeug.exceptions import HTTPException

from tco.scenario import ScenarioError
from tco.store import StoreBusy
from tco.web.errors import (ApiError, ErrorSchema, error_body, error_response, scenario_error, summarise,
                            webargs_errors)
from tco.web.guard import API_PREFIX

log = logging.getLogger(__name__)

class TcoApi(Api):
    """flask-smorest's Api with the project's error shape.

    - every HTTP error becomes :class:`~tco.web.errors.ErrorSchema`;
    - headers an exception carries (``Allow`` on 405) are kept: flask-smorest's own handler
      only forwards headers passed through ``abort(headers=...)``;
    - a :class:`~tco.scenario.ScenarioError` from the engine is a 422 naming its field;
    - an :class:`~tco.web.errors.ApiError` raised anywhere is answered as it says;
    - anything unexpected is logged and answered with a 500 in the same shape.
    """

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self):
        super()._register_error_handlers()
        self._app.register_error_handler(ScenarioError, self.handle_scenario_error)
        self._app.register_error_handler(ApiError, self.handle_api_error)
        self._app.register_error_handler(Exception, self.handle_unexpected)

    def handle_http_exception(self, error: HTTPException, headers: dict | None = None):
        data = getattr(error, "data", None) or {}
        merged = {**dict(error.get_headers()), **(data.get("headers") or {}), **(headers or {})}
        merged.pop("Content-Type", None)
        errors = data.get("errors") or []
        if "messages" in data:
            errors = webargs_errors(data["messages"])
        message = data.get("message")
        if not message:
            if error.code == 400 and any(e["message"] == "Invalid JSON body." for e in errors):
                message, errors = "malformed JSON body", [{"path": "$", "message": "Invalid JSON body."}]
            elif errors:
                message = summarise(errors)
            else:
                message = error.description or error.name
        return error_body(error.code, message, errors), error.code, merged

    def handle_api_error(self, error: ApiError):
        return error_response(error.status, error.message, error.errors, error.headers, error.error_count)

    def handle_scenario_error(self, error: ScenarioError):
        return self.handle_api_error(scenario_error(error))

    def handle_unexpected(self, error: Exception):
        if isinstance(error, HTTPException):
            return self.handle_http_exception(error)
        if isinstance(error, StoreBusy):         # other writers held the lock past the timeout
            return error_response(503, "the saved-scenario database is busy: try again in a second", [],
                                  {"Retry-After": "1"})
        log.exception("unexpected error on %s %s", request.method, request.path)
        return error_response(500, "internal error: the request could not be completed", [])


_CSV_LEGACY = re.compile(API_PREFIX + r"/(tco|catalog/[^/]+)")


class LegacyCsvUrls:
    """WSGI middleware: ``?format=csv`` (the API before its ``.csv`` operations) still answers CSV.

    ``POST /api/v1/tco?format=csv`` is served as ``POST /api/v1/tco.csv`` and
    ``GET /api/v1/catalog/gpus?format=csv`` as ``GET /api/v1/catalog/gpus.csv``; ``format=json`` is
    dropped.  The documented operations never answer CSV to a client that asked for JSON.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        path, query = environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", "")
        if "format=" in query and _CSV_LEGACY.fullmatch(path):
            pairs = parse_qsl(query, keep_blank_values=True)
            formats = [v for k, v in pairs if k == "format"]
            if formats and set(formats) <= {"json", "csv"}:
                environ["QUERY_STRING"] = urlencode([(k, v) for k, v in pairs if k != "format"])
                if formats[-1] == "csv":
                    environ["PATH_INFO"] = path + ".csv"
        return self.app(environ, start_response)


def register_api(app: Flask) -> TcoApi:
    """Configure and attach the API (spec at /openapi.json, docs at /api/docs) to ``app``."""
    from tco import __version__
    from tco.web.api.catalog.resources import blp as catalog_blp
    from tco.web.api.guide.resources import blp as guide_blp
    from tco.web.api.exports.resources import blp as exports_blp
    from tco.web.api.compare.resources import blp as compare_blp
    from tco.web.api.saved.resources import blp as saved_blp
    from tco.web.api.scenarios.resources import blp as scenarios_blp
    from tco.web.api.spec import SpecPlugin, union_types, register_docs, register_error_responses
    from tco.web.api.system import blp as system_blp
    from tco.web.api.system import root_blp
    from tco.web.api.usage.resources import blp as usage_blp
    from tco.web.api.usage.schemas import UsageJsonSchema

    app.config.update(
        API_TITLE="tco API",
        API_VERSION=__version__,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": (
                "Total cost of ownership of AI: a closed model bought by the unit against an open model on GPUs "
                "you rent or buy, month by month, with break-even. Money in USD, volumes per calendar month "
                "(730 h).\n\nEvery error has the same JSON shape (`Error`): `status`, `error`, `message`, a list "
                "`errors` of `{path, message}` naming each field at fault (the first 100) and `error_count`. "
                "Heavy operations (Monte Carlo, sensitivity, hybrid plan, usage logs, charts with extras, report) "
                "may answer 503 with `Retry-After` when the service is busy.")},
            "servers": [{"url": "/"}],
        },
    )
    api = TcoApi(app, spec_kwargs={"extra_plugins": [SpecPlugin()]})
    api.ma_plugin.converter.add_attribute_function(union_types)
    register_error_responses(api.spec)
    register_docs(app)
    api.register_blueprint(root_blp)
    api.register_blueprint(system_blp)
    api.register_blueprint(catalog_blp)
    api.register_blueprint(scenarios_blp)
    api.register_blueprint(guide_blp)
    api.register_blueprint(exports_blp)
    api.register_blueprint(compare_blp)
    api.register_blueprint(usage_blp)
    api.spec.components.schema("UsageJson", schema=UsageJsonSchema)
    api.register_blueprint(saved_blp)
    app.wsgi_app = LegacyCsvUrls(app.wsgi_app)

    return api
