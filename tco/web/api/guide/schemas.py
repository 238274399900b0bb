"""Request and response schemas of POST /api/v1/guide: the /tco scenario plus the guide's questions."""
from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from tco.guide import REGIONS, ROWS, Effort
from tco.quality import DEFAULT_METRIC
from tco.web.api.scenarios.schemas import (EXAMPLE, NumberOrText, ScenarioSchema, _Strict, choice, ident, num,
                                           scenario_from_body, share)

#: Longest user-scores CSV accepted [characters].
MAX_SCORES_CSV_CHARS = 1_000_000
_E = Effort()


class QuestionsSchema(_Strict):
    """The user's answers; leave one out to not ask it."""

    on_premises = fields.Boolean(load_default=False, metadata={
        "description": "Data may not leave our premises: removes every option whose prompts go to a vendor's API."})
    data_region = choice("Data must be processed in this region: removes APIs whose `api_prices.region` is "
                         "another (or global).", REGIONS)
    ml_team_size = num("Engineers in the ML platform team; 0 adds hiring cost and weeks to self-hosting", "people",
                       0, 10_000, integer=True)
    fine_tune = fields.Boolean(load_default=False, metadata={
        "description": "We need to fine-tune: removes options without a fine-tuning route in `model_control`."})
    live_in_weeks = num("We need this live within this many weeks: removes options whose setup takes longer",
                        "weeks", 0, 520, lo_open=True)
    quality_floor_metric = ident("Metric of the quality floor (a `model_quality` metric or a task of "
                                 "`user_scores_csv`).", example="gpqa_diamond")
    quality_floor_score = num("The floor: removes options scoring below it on `quality_floor_metric`", "points",
                              -1e6, 1e6)
    metric = fields.String(load_default=DEFAULT_METRIC, validate=validate.Length(min=1, max=200), metadata={
        "description": f"Metric the performance row shows and prices per point. Default: {DEFAULT_METRIC}."})


class OpenSharesSchema(_Strict):
    infrastructure = share("Share of open.setup_engineer_months", _E.open_shares["infrastructure"])
    serving = share("Share of open.setup_engineer_months", _E.open_shares["serving"])
    evals = share("Share of open.setup_engineer_months", _E.open_shares["evals"])
    security_review = share("Share of open.setup_engineer_months", _E.open_shares["security_review"])
    migration = share("Share of open.setup_engineer_months", _E.open_shares["migration"])


class EffortSchema(_Strict):
    """Setup-effort inputs (tco's defaults; give your own estimates)."""

    closed_integration_engineer_months = num("Integrating a closed or hosted API", "engineer-months", 0, 1000,
                                             default=_E.closed_integration_engineer_months)
    open_shares = fields.Nested(OpenSharesSchema, allow_none=True, metadata={
        "description": "Split of open.setup_engineer_months; the five shares must sum to 1."})
    hiring_weeks = num("Time to hire when there is no ML team", "weeks", 0, 520, default=_E.hiring_weeks)
    hiring_usd_share = num("Cost of one hire as a share of a year's loaded salary", "fraction", 0, 10,
                           default=_E.hiring_usd_share)


class GuideRequestSchema(ScenarioSchema):
    questions = fields.Nested(QuestionsSchema, load_default=dict)
    effort = fields.Nested(EffortSchema, load_default=dict)
    user_scores_csv = fields.String(allow_none=True, validate=validate.Length(max=MAX_SCORES_CSV_CHARS), metadata={
        "description": "Your own eval scores as CSV text with the header `model,task,score` (higher is better); "
                       "they take precedence over the published score of the same metric."})
    hosted_model = ident("A hosted deployment of open weights to compare as a fourth option (an `api_prices` id "
                         "such as `bedrock/llama-3.3-70b-instruct`).")

    @ma.post_load
    def make(self, data, **kwargs):
        q = {k: v for k, v in data.get("questions", {}).items() if v is not None}
        e = {k: v for k, v in data.get("effort", {}).items() if v is not None}
        if "open_shares" in e:
            e["open_shares"] = {**_E.open_shares, **{k: v for k, v in e["open_shares"].items() if v is not None}}
        return {"scenario": scenario_from_body(data), "questions": q, "effort": e,
                "user_scores_csv": data.get("user_scores_csv"), "hosted_model": data.get("hosted_model")}


EXAMPLE_GUIDE = {**EXAMPLE, "closed": {"model": "gpt-6.1-sol"},
                 "questions": {"ml_team_size": 2, "live_in_weeks": 12, "quality_floor_metric": "hle",
                               "quality_floor_score": 5}}


def _opt(text):
    return fields.Float(allow_none=True, metadata={"description": text})


class GuideCellSchema(ma.Schema):
    value = NumberOrText(required=True, allow_none=True, metadata={"description": "The number or fact."})
    unit = fields.String(required=True, allow_none=True)
    text = fields.String(required=True, metadata={"description": "The cell in words."})
    source_url = fields.String(required=True, allow_none=True, metadata={
        "description": "Page the fact or price was read from; null for tco's own estimates."})
    effective_date = fields.String(required=True, allow_none=True, metadata={"description": "Date of the fact."})
    estimate = fields.Boolean(required=True, metadata={"description": "True when built on tco's default "
                                                                      "assumptions (setup split, hiring)."})
    calendar_weeks = _opt("Setup effort: calendar weeks to production [weeks].")
    usd = _opt("Setup effort: priced [USD].")
    usd_per_month_per_point = _opt("Performance: mean monthly cost / score [USD/month/point].")
    usd_per_mtok_per_point = _opt("Performance: levelised cost / score [USD/1M tokens/point].")
    reason = fields.String(allow_none=True, metadata={"description": "Why the cost per point is not defined."})
    origin = fields.String(metadata={"description": "Performance: `published` (a `model_quality` row) or `user` "
                                                    "(your score, from `user_scores_csv`)."})


class GuideRowSchema(ma.Schema):
    key = fields.String(required=True, metadata={"description": f"One of: {', '.join(ROWS)}."})
    label = fields.String(required=True)
    cells = fields.Dict(keys=fields.String(), values=fields.Nested(GuideCellSchema), required=True,
                        metadata={"description": "Option key -> cell."})


class GuideOptionSchema(ma.Schema):
    key = fields.String(required=True, metadata={"description": "closed, self_hosted, hosted or hybrid."})
    label = fields.String(required=True)
    model_ids = fields.List(fields.String(allow_none=True), required=True)
    total_usd = fields.Float(required=True, metadata={"description": "The engine's total over the horizon [USD]."})
    levelised_usd_per_mtok = _opt("Levelised cost [USD/1M tokens].")
    ranking_usd = fields.Float(required=True, metadata={
        "description": "Total compared for the recommendation: the engine's total plus the setup it does not "
                       "price (closed integration engineering, hiring) [USD]."})
    removed = fields.Boolean(required=True)


class GuideRuleSchema(ma.Schema):
    option = fields.String(required=True)
    question = fields.String(required=True)
    reason = fields.String(required=True)


class GuideDriverSchema(ma.Schema):
    question = fields.String(required=True)
    answer = fields.String(required=True)
    effect = fields.String(required=True)


class HostedChoiceSchema(ma.Schema):
    model_id = fields.String(required=True, metadata={"description": "`api_prices` id, for `hosted_model`."})
    label = fields.String(required=True)
    provider = fields.String(required=True)
    region = fields.String(required=True, metadata={"description": "`api_prices.region` (global when blank)."})
    usd_per_mtok_input = fields.Float(required=True, metadata={"description": "[USD/1M input tokens]"})
    usd_per_mtok_output = fields.Float(required=True, metadata={"description": "[USD/1M output tokens]"})
    basis = fields.String(required=True, allow_none=True, metadata={
        "description": "Why it serves the same weights (`model_quality_join.basis`)."})
    effective_date = fields.String(required=True)
    source_url = fields.String(required=True)


class MetricChoiceSchema(ma.Schema):
    metric = fields.String(required=True, metadata={"description": "For `questions.metric`."})
    label = fields.String(required=True)
    options_scored = fields.Integer(required=True, metadata={"description": "Options shown with a score on it."})
    origin = fields.String(required=True, metadata={"description": "published, or your score (from "
                                                                   "`user_scores_csv`)."})


class GuideResponseSchema(ma.Schema):
    rows = fields.List(fields.Nested(GuideRowSchema), required=True)
    options = fields.List(fields.Nested(GuideOptionSchema), required=True)
    removed = fields.List(fields.Nested(GuideRuleSchema), required=True)
    adjusted = fields.List(fields.Nested(GuideRuleSchema), required=True)
    recommendation = fields.String(required=True)
    recommended = fields.String(required=True, allow_none=True)
    drivers = fields.List(fields.Nested(GuideDriverSchema), required=True)
    notes = fields.List(fields.String(), required=True, metadata={"description": "Where a cheaper option scores "
                                                                               "below a dearer one."})
    metric = fields.String(required=True)
    horizon_months = fields.Integer(required=True)
    questions = fields.Nested(QuestionsSchema, required=True)
    effort = fields.Nested(EffortSchema, required=True)
    hosted_choices = fields.List(fields.Nested(HostedChoiceSchema), required=True, metadata={
        "description": "Hosted deployments of the self-hosted option's open weights, for `hosted_model`."})
    metrics = fields.List(fields.Nested(MetricChoiceSchema), required=True, metadata={
        "description": "Metrics with a score for at least one option shown, the most scored first."})
