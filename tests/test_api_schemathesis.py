"""schemathesis against the app's own OpenAPI spec: no 5xx, no response that breaks the spec.

A bounded number of examples per operation, derandomised (a fixed seed), run in-process
through WSGI: no network.  The stateful part follows the spec's links through saved scenarios
(create, then read, replace and delete what was created).
"""
from __future__ import annotations

import copy
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from tco.catalog import load_catalog
from tco.settings import Settings
from tco.web import create_app
from tco.web.api.scenarios.schemas import EXAMPLE

_DB = Path(tempfile.mkdtemp(prefix="tco-schemathesis-")) / "saved.sqlite3"   # saved scenarios land here, not in CWD
app = create_app(Settings(database=str(_DB)), catalog=load_catalog(use_env=False))
schema = schemathesis.openapi.from_wsgi("/openapi.json", app)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@schema.parametrize()
@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
def test_api_conforms_to_its_spec(case):
    case.call_and_validate(checks=CHECKS)


#: (method, path, status) of every answer in the stateful run
SEEN: set[tuple[str, str, int]] = set()


saved = schema.include(path_regex="^/api/v1/scenarios")


@saved.hook
def map_body(context, body):
    """Half the saved scenarios get a scenario that prices (random ids rarely do), so the sequences go on."""
    if isinstance(body, dict) and "scenario" in body and len(str(body.get("name", ""))) % 2 == 0:
        return {**body, "scenario": copy.deepcopy(EXAMPLE)}
    return body


class SavedScenarios(saved.as_state_machine()):
    """Sequences of saved-scenario operations chained by the spec's links, with the same checks."""

    def after_call(self, response, case):
        super().after_call(response, case)
        SEEN.add((case.method.upper(), case.path, response.status_code))

    def validate_response(self, response, case, additional_checks=None, **kwargs):
        case.validate_response(response, checks=CHECKS, transport_kwargs=kwargs or None)


class TestSavedScenarioSequences(SavedScenarios.TestCase):
    settings = settings(max_examples=60, stateful_step_count=6, deadline=None, derandomize=True,
                        suppress_health_check=list(HealthCheck))

    def runTest(self):
        super().runTest()
        # The links carried ids of scenarios that were created: each linked operation found one.
        item = "/api/v1/scenarios/{scenario_id}"
        for method, status in (("GET", 200), ("PUT", 200), ("DELETE", 204)):
            assert (method, item, status) in SEEN, "; ".join(map(str, sorted(SEEN)))
