"""POST/GET /api/v1/scenarios, GET/PUT/DELETE /api/v1/scenarios/{scenario_id}: saved scenarios."""
from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort

from tco.web.api.blueprint import Blueprint

from tco.engine import evaluate
from tco.scenario import Scenario, ScenarioError
from tco.store import ScenarioStore
from tco.web.api.saved.schemas import (SAVE_EXAMPLE, SaveScenarioSchema, SavedScenarioListSchema,
                                       SavedScenarioSchema)

blp = Blueprint("saved", __name__, url_prefix="/api/v1/scenarios",
                description="Saved scenarios: save a named scenario, list the saved ones, reopen one. "
                            "Kept in the service's database (TCO_DATABASE: a SQLite file, or PostgreSQL "
                            "shared by several replicas); they survive restarts.")

EXTENSION = "tco_scenario_store"
BODY_EXAMPLES = {"saved": {"summary": "A named scenario", "value": SAVE_EXAMPLE}}


def scenario_store() -> ScenarioStore:
    """The app's store, created on first use from ``TCO_SETTINGS.database``."""
    store = current_app.extensions.get(EXTENSION)
    if store is None:
        store = current_app.extensions.setdefault(
            EXTENSION, ScenarioStore(current_app.config["TCO_SETTINGS"].database))
    return store


def _check_evaluates(scenario: Scenario) -> None:
    """A saved scenario must price: the engine's objection becomes a 422 naming ``scenario.<field>``."""
    try:
        evaluate(scenario, current_app.config["TCO_CATALOG"])
    except ScenarioError as exc:
        raise ScenarioError(f"scenario.{exc.field}", exc.message) from None


def _not_found(scenario_id: int):
    abort(404, message=f"no saved scenario with id {scenario_id}",
          errors=[{"path": "path.scenario_id", "message": f"no saved scenario with id {scenario_id}"}])


@blp.route("")
class SavedScenarios(MethodView):
    @blp.response(200, SavedScenarioListSchema)
    @blp.doc(operationId="list_saved_scenarios")
    def get(self):
        """Every saved scenario (id, name, timestamps; no body), newest first."""
        return {"scenarios": scenario_store().list()}

    @blp.arguments(SaveScenarioSchema, examples=BODY_EXAMPLES)
    @blp.response(201, SavedScenarioSchema)
    @blp.doc(operationId="save_scenario")
    def post(self, body):
        """Save a scenario under a name; answers the new record with its id.

        The scenario is validated and evaluated first (422 naming `scenario.<field>` if it
        does not price), then stored exactly as sent.
        """
        _check_evaluates(body["parsed"])
        return scenario_store().save(body["name"], body["scenario"])


@blp.route("/<int:scenario_id>")
class SavedScenarioItem(MethodView):
    @blp.response(200, SavedScenarioSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(operationId="get_saved_scenario")
    def get(self, scenario_id):
        """Reopen a saved scenario: its name, timestamps and the scenario as it was saved."""
        try:
            return scenario_store().get(scenario_id)
        except KeyError:
            _not_found(scenario_id)

    @blp.arguments(SaveScenarioSchema, examples=BODY_EXAMPLES)
    @blp.response(200, SavedScenarioSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(operationId="replace_saved_scenario")
    def put(self, body, scenario_id):
        """Replace a saved scenario's name and body (same body as POST)."""
        _check_evaluates(body["parsed"])
        try:
            return scenario_store().update(scenario_id, name=body["name"], scenario=body["scenario"])
        except KeyError:
            _not_found(scenario_id)

    @blp.response(204)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(operationId="delete_saved_scenario")
    def delete(self, scenario_id):
        """Delete a saved scenario."""
        try:
            scenario_store().delete(scenario_id)
        except KeyError:
            _not_found(scenario_id)
