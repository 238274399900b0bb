"""POST /api/v1/guide: the guide's head-to-head table for a scenario's options, the questions' rules
and the recommendation (:func:`tco.guide.build_guide`).

Computed in the request, not in the heavy pool: one priced scenario with its hybrid plan (whose
candidates are capped, :data:`tco.hybrid.MAX_PLAN_CANDIDATES`) takes about 15 ms at 36 months and
at most about 0.2 s at 240 months with a hosted option, while the dashboard asks for it after every
update: through the pool's one slot it would queue behind the charts, the Monte Carlo panel and the
report, and answer 503.
"""
from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView

from tco.guide import Effort, Questions, build_guide
from tco.quality import UserScoresError, read_user_scores
from tco.web.api.blueprint import Blueprint
from tco.web.api.guide.schemas import EXAMPLE_GUIDE, GuideRequestSchema, GuideResponseSchema
from tco.web.errors import ApiError
from tco.web.guard import dump_json

blp = Blueprint("guide", __name__, url_prefix="/api/v1",
                description="Closed vs open in the guide's six rows, with sources, and when to choose what.")


def user_scores_of(text: str | None, catalog):
    """The user's eval scores (``user_scores_csv``) as :func:`tco.quality.read_user_scores` records,
    None without any; a bad cell is a 422 naming its line and column."""
    if not text:
        return None
    try:
        return read_user_scores(text, catalog)
    except UserScoresError as e:
        errors = [{"path": f"user_scores_csv: {x['path']}", "message": x["message"]} for x in e.errors]
        raise ApiError(422, f"{errors[0]['path']}: {errors[0]['message']}", errors[:100],
                       error_count=len(errors)) from None


def guide_inputs(body: dict, catalog) -> dict:
    """The guide's inputs of a :class:`GuideRequestSchema` body (questions, effort, the user's scores
    read, the hosted choice) as keyword arguments of :func:`tco.report.report_guide`; the report
    endpoints take the same body as ``POST /guide``, so the report recommends what the page shows."""
    return {"questions": body["questions"], "effort": body["effort"],
            "user_scores": user_scores_of(body["user_scores_csv"], catalog), "hosted_model": body["hosted_model"]}


def guide_answer(catalog, scenario, questions: dict, effort: dict, user_scores, hosted_model) -> bytes:
    """Task of POST /guide: the guide as JSON bytes."""
    return dump_json(build_guide(scenario, catalog, Questions(**questions), Effort(**effort), user_scores,
                                 hosted_model))


@blp.route("/guide")
class Guide(MethodView):
    @blp.arguments(GuideRequestSchema(), example=EXAMPLE_GUIDE)
    @blp.response(200, GuideResponseSchema)
    @blp.doc(operationId="guide_table")
    def post(self, body):
        """The guide's six rows (transparency, customization, setup effort, cost structure, performance,
        control) for the scenario's options, each cell a number or a fact with its source.

        Options: the closed model, the self-hosted open model, `hosted_model` when given, and the
        hybrid mix when its plan uses both. `questions` remove or adjust options by stated rules
        (data on premises or in a region, ML team size, fine-tuning, weeks to production, a quality
        floor); `recommendation` names the answers that drove it. Setup effort is priced from
        `open.fte_usd_per_year` and `open.setup_engineer_months`; its split and the hiring figures are
        tco's defaults (`effort`), flagged `estimate`. `user_scores_csv` (`model,task,score`) takes
        precedence over published scores; a bad cell is a 422 naming its line and column.
        """
        catalog = current_app.config["TCO_CATALOG"]
        g = guide_inputs(body, catalog)
        answer = guide_answer(catalog, body["scenario"], g["questions"], g["effort"], g["user_scores"],
                              g["hosted_model"])
        return Response(answer, mimetype="application/json")
