"""schemathesis against the app's own OpenAPI spec: no 5xx, no response that breaks the spec.

A bounded number of examples per operation, derandomised (a fixed seed), run in-process
through WSGI: no network.
"""
from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)
from schemathesis.checks import not_a_server_error

from tco.catalog import load_catalog
from tco.settings import Settings
from tco.web import create_app

import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

_DB = Path(tempfile.mkdtemp(prefix="tco-schemathesis-")) / "saved.sqlite3"   # saved scenarios land here, not in CWD
app = create_app(Settings(database=str(_DB)), catalog=load_catalog(use_env=False))
schema = schemathesis.openapi.from_wsgi("/openapi.json", app)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_api_conforms_to_its_spec(case):
    case.call_and_validate(checks=CHECKS)
