"""``POST /api/v1/compare``: thin over :func:`tco.compare.compare`."""
from __future__ import annotations

from flask import Response, current_app
from flask.views import MethodView

from tco.compare import CURVE_POINTS, compare
from tco.web.api.blueprint import Blueprint
from tco.web.api.compare.schemas import COMPARE_EXAMPLE, CompareRequestSchema, CompareResponseSchema
from tco.web.guard import dump_json
from tco.web.heavy import heavy_pool

blp = Blueprint("compare", __name__, url_prefix="/api/v1",
                description="Many options on one workload: ranked by NPV, the cheapest per volume band.")


@blp.route("/compare")
class Compare(MethodView):
    @blp.arguments(CompareRequestSchema(), example=COMPARE_EXAMPLE)
    @blp.response(200, CompareResponseSchema)
    @blp.doc(operationId="compare_options")
    def post(self, body):
        """Price 1 to 12 options on one workload in one call, ranked by NPV (cheapest first).

        An option is a closed model (`kind: closed`), a seat product (`seats`), an image API
        (`image`), an open model on rented GPUs for one term or owned (`self_hosted`) or a hybrid
        plan (`hybrid`); its `closed` and `open` sides take what `/tco` takes. Each option gets its
        totals, NPV, monthly and cumulative series, what is billed, and its break-even month and
        volume against the cheapest; `bands` name the cheapest option over each range of steady
        monthly volume. Units must agree: a seat product compares with token options only on a
        workload given as `seats` with `tokens_per_seat_month`; an option the workload cannot
        price is a 422 naming `options.<i>`. With a hybrid option the request is heavy (a plan per
        hybrid; 503 with `Retry-After` when every heavy slot is busy).
        """
        curve = body["curve"]
        args = (body["scenario"], body["options"], int(curve.get("points", CURVE_POINTS)), curve.get("min_volume"),
                curve.get("max_volume"))
        if any(o.kind == "hybrid" for o in body["options"]):      # a plan per hybrid: heavy, as /plan is
            answer = heavy_pool().run(compare_answer, *args)
        else:
            answer = compare_answer(current_app.config["TCO_CATALOG"], *args)
        return Response(answer, mimetype="application/json")


def compare_answer(catalog, scenario, options, points, min_volume, max_volume) -> bytes:
    """Task of POST /compare (in a heavy slot when an option is a hybrid plan): the answer's JSON bytes."""
    return dump_json(compare(scenario, options, catalog, points=points, min_volume=min_volume,
                             max_volume=max_volume).as_dict())
