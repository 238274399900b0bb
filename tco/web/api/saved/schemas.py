"""Request and response schemas of the saved-scenario endpoints (/api/v1/scenarios)."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tco.scenario import ScenarioError
from tco.store import MAX_NAME_LENGTH, check_name
from tco.web.api.scenarios.schemas import EXAMPLE, ScenarioSchema
from tco.web.text import ONE_LINE_PATTERN

#: One line with something besides spaces (JSON Schema ``pattern``, ECMA-262): what :func:`check_name` accepts.
NAME_PATTERN = ONE_LINE_PATTERN[:-1] + "[^\\s\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]" + ONE_LINE_PATTERN[1:]

SAVE_EXAMPLE = {"name": "gpt-4o vs llama-3.1-70b on 2x H100, 36 months", "scenario": EXAMPLE}


class ScenarioJson(fields.Nested):
    """A scenario checked by :class:`ScenarioSchema` but kept as the JSON object received.

    Loads to ``(json_dict, Scenario)``: the JSON is what is stored (so reopening gives back
    exactly what was sent), the :class:`~tco.scenario.Scenario` is there to evaluate. Errors
    keep their nested path, so they read ``scenario.workload.input_tokens_per_month``.
    Dumps the stored JSON as is. In the OpenAPI spec it is the ``Scenario`` schema.
    """

    def __init__(self, **kwargs):
        super().__init__(ScenarioSchema, **kwargs)

    def _deserialize(self, value, attr, data, partial=None, **kwargs):
        try:
            scenario = super()._deserialize(value, attr, data, partial=partial, **kwargs)
        except ScenarioError as exc:
            raise ma.ValidationError({exc.field: [exc.message]}) from None
        return value, scenario

    def _serialize(self, value, attr, obj, **kwargs):
        return value


def _valid_name(name: str) -> None:
    """Not blank, one line (the length is validate.Length's, not to report it twice)."""
    if not 1 <= len(name) <= MAX_NAME_LENGTH:
        return
    try:
        check_name(name)
    except ValueError as exc:
        raise ma.ValidationError(str(exc)) from None


class SaveScenarioSchema(ma.Schema):
    """A scenario to save under a name (POST) or to replace a saved one with (PUT)."""

    class Meta:
        unknown = ma.RAISE

    name = fields.String(required=True, validate=[validate.Length(min=1, max=MAX_NAME_LENGTH), _valid_name],
                         metadata={"description": f"Name shown in the list of saved scenarios; 1 to "
                                                  f"{MAX_NAME_LENGTH} characters (surrounding spaces removed), "
                                                  f"one line (no control characters).",
                                   "example": SAVE_EXAMPLE["name"], "pattern": NAME_PATTERN})
    scenario = ScenarioJson(required=True, metadata={
        "description": "The scenario, exactly as POST /api/v1/tco takes it. It must evaluate (else 422 naming "
                       "scenario.<field>); it is stored as sent."})

    @ma.post_load
    def _split(self, data, **kwargs):
        raw, scenario = data["scenario"]
        return {"name": check_name(data["name"]), "scenario": raw, "parsed": scenario}


class SavedScenarioSummarySchema(ma.Schema):
    """A saved scenario without its body (the list)."""

    id = fields.Integer(required=True, metadata={"description": "Id of the saved scenario (never reused)."})
    name = fields.String(required=True, metadata={"description": "Its name."})
    created_at = fields.String(required=True, metadata={"description": "When it was first saved (ISO 8601, UTC).",
                                                        "format": "date-time"})
    updated_at = fields.String(required=True, metadata={"description": "When it was last saved (ISO 8601, UTC).",
                                                        "format": "date-time"})


class SavedScenarioSchema(SavedScenarioSummarySchema):
    """A saved scenario with its body."""

    scenario = ScenarioJson(required=True, metadata={
        "description": "The scenario as it was saved; POST it to /api/v1/tco to price it."})


class SavedScenarioListSchema(ma.Schema):
    scenarios = fields.List(fields.Nested(SavedScenarioSummarySchema), required=True,
                            metadata={"description": "Every saved scenario, newest (last created) first."})
