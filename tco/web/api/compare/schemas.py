"""Request and response schemas of ``POST /api/v1/compare``.

The request is the ``/tco`` scenario's workload, finance, horizon and price date, plus a list of
options; each option's ``closed`` and ``open`` sides take the fields ``/tco`` takes for them
(the same :class:`~tco.web.api.scenarios.schemas.ClosedSchema` and ``OpenSchema``).
"""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tco.compare import KINDS, MAX_OPTIONS, Option
from tco.scenario import ClosedOption, OpenOption
from tco.web.api.scenarios.schemas import (EXAMPLE, ClosedSchema, CurveOptionsSchema, OpenSchema, ScenarioSchema,
                                           _clean, _n, _Strict, scenario_from_body)
from tco.web.text import ONE_LINE_PATTERN, one_line


def _option_count(options: list) -> None:
    if not 1 <= len(options) <= MAX_OPTIONS:
        raise ma.ValidationError(f"give 1 to {MAX_OPTIONS} options, got {len(options)}")


class OptionSchema(_Strict):
    """One option: its kind and the side(s) of a scenario it sets."""

    kind = fields.String(required=True, validate=validate.OneOf(KINDS), metadata={
        "description": "closed (a model billed per token: `closed`), seats (a per-seat product: `closed`), "
                       "image (an image API: `closed`), self_hosted (an open model on rented GPUs, one term, or "
                       "owned: `open`) or hybrid (own replicas for the base load, the API for the rest: "
                       f"`closed` and `open`). One of: {', '.join(KINDS)}."})
    name = fields.String(allow_none=True, validate=[validate.Length(min=1, max=120), one_line], metadata={
        "description": "A short name for charts and tables; default the option's label.", "pattern": ONE_LINE_PATTERN})
    closed = fields.Nested(ClosedSchema, allow_none=True, metadata={
        "description": "The closed side, as in `/tco` (kinds closed, seats, image, hybrid)."})
    open = fields.Nested(OpenSchema, allow_none=True, metadata={
        "description": "The self-hosted side, as in `/tco` (kinds self_hosted, hybrid)."})
    committed = fields.Boolean(allow_none=True, metadata={
        "description": "Hybrid only: own replicas never fall once added. Default: true for reserved terms and "
                       "owned hardware."})

    @ma.post_load
    def make(self, data, **kwargs):
        closed, open_ = data.get("closed"), data.get("open")
        return Option(kind=data["kind"], name=data.get("name"), committed=data.get("committed"),
                      closed=None if closed is None else ClosedOption(**_clean(closed)),
                      open=None if open_ is None else OpenOption(**_clean(open_)))


class CompareRequestSchema(ScenarioSchema):
    """The workload, finance, horizon and price date of a scenario, and the options to compare."""

    class Meta:
        exclude = ("closed", "open")

    options = fields.List(fields.Nested(OptionSchema), required=True, validate=_option_count, metadata={
        "description": f"The options, 1 to {MAX_OPTIONS}, each priced on the workload."})
    curve = fields.Nested(CurveOptionsSchema, load_default=dict, metadata={
        "description": "The steady cost-vs-volume grid of the bands and the volume break-evens."})

    @ma.post_load
    def make(self, data, **kwargs):
        return {"scenario": scenario_from_body(data), "options": data["options"], "curve": _clean(data.get("curve"))}


_OPEN = {k: v for k, v in EXAMPLE["open"].items()}
COMPARE_EXAMPLE = {
    "horizon_months": 36,
    "workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8, "monthly_growth": 0.05},
    "finance": {"discount_rate_annual": 0.08},
    "options": [
        {"kind": "closed", "closed": {"model": "gpt-6.1-sol"}},
        {"kind": "closed", "closed": {"model": "claude-sonnet-4-6"}},
        {"kind": "self_hosted", "open": _OPEN},
        {"kind": "self_hosted", "open": {**_OPEN, "hosting": "owned"}},
        {"kind": "hybrid", "closed": {"model": "gpt-6.1-sol"}, "open": _OPEN},
    ],
}


class ComparedOptionSchema(ma.Schema):
    index = fields.Integer(required=True, metadata={"description": "Position of the option in the request, 0-based."})
    rank = fields.Integer(required=True, metadata={"description": "1 = the lowest NPV."})
    kind = fields.String(required=True, metadata={"description": f"One of: {', '.join(KINDS)}."})
    name = fields.String(required=True, metadata={"description": "The request's name, else the label."})
    label = fields.String(required=True, metadata={"description": "The model, deployment and billing."})
    billed = fields.String(required=True, metadata={
        "description": "What is billed, e.g. '2 replicas x 4 NVIDIA H100 = 8 GPUs, each GPU 730 h/month' or "
                       "'2.5B tokens/month x $4/1M tokens'."})
    total_usd = _n("Over the horizon [USD].")
    npv_usd = _n("Net present value of its costs [USD].")
    npv_above_cheapest_usd = _n("NPV over the cheapest option's [USD].")
    levelised_usd_per_unit = _n("Discounted cost / discounted volume [USD per 1M tokens or per image].")
    components_usd = fields.Dict(keys=fields.String(), values=fields.Float(), required=True, metadata={
        "description": "Each non-zero cost component over the horizon [USD]."})
    monthly_usd = fields.List(fields.Float(), required=True, metadata={"description": "Each month [USD/month]."})
    cumulative_usd = fields.List(fields.Float(), required=True, metadata={"description": "Running total [USD]."})
    curve_usd = fields.List(fields.Float(), required=True, metadata={
        "description": "Steady monthly cost at each of `curve_volumes` [USD/month]."})
    breakeven_month = _n("Months from the start until the cheapest option's cumulative cost is at or below this "
                         "one's; null for the cheapest itself or when not within the horizon [months].")
    breakeven_month_reason = fields.String(required=True)
    breakeven_volume_per_month = _n("Steady monthly volume where this option's cost crosses the cheapest's, "
                                    "nearest the workload's volume; null = no crossing on the grid "
                                    "[tokens or images per month].")
    breakeven_volume_direction = fields.String(required=True, allow_none=True, validate=validate.OneOf(
        ["above", "below"]), metadata={"description": "This option is cheaper than the cheapest above or below "
                                                      "that volume."})
    breakeven_volume_reason = fields.String(required=True)


class VolumeBandSchema(ma.Schema):
    index = fields.Integer(required=True, metadata={"description": "The cheapest option (request position)."})
    name = fields.String(required=True)
    from_volume = _n("First grid volume of the band [tokens or images per month].")
    to_volume = _n("Last grid volume of the band [tokens or images per month].")


class CompareResponseSchema(ma.Schema):
    horizon_months = fields.Integer(required=True)
    unit = fields.String(required=True, metadata={"description": "'1M tokens' or 'image': what unit costs are per."})
    volume_unit = fields.String(required=True, metadata={"description": "tokens/month or images/month."})
    workload_volume_per_month = _n("The workload's month-0 volume [tokens or images per month].")
    discount_rate_annual = _n("The NPV's discount rate [fraction/year].")
    cheapest_index = fields.Integer(required=True, metadata={"description": "The option with the lowest NPV."})
    ranking = fields.List(fields.Integer(), required=True, metadata={
        "description": "Request positions of the options by NPV, cheapest first."})
    options = fields.List(fields.Nested(ComparedOptionSchema), required=True, metadata={
        "description": "Every option, in ranked order."})
    curve_volumes = fields.List(fields.Float(), required=True, metadata={
        "description": "The grid of steady monthly volumes, log-spaced [tokens or images per month]."})
    bands = fields.List(fields.Nested(VolumeBandSchema), required=True, metadata={
        "description": "Runs of grid volumes over which one option is the cheapest in a steady month."})
