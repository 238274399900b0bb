"""POST /api/v1/report.pdf and /api/v1/tco.xlsx: the report as a PDF, the schedule as a workbook.

Both are heavy (a PDF takes about a second of weasyprint): the view checks the currency, then a
module-level ``*_answer(catalog, ...)`` task of :mod:`tco.web.heavy` builds the file's bytes.
"""
from __future__ import annotations

import marshmallow as ma
from flask import Response, current_app
from flask.views import MethodView

from tco.currency import currency
from tco.engine import evaluate
from tco.web.api.blueprint import Blueprint
from tco.web.api.exports.schemas import ExportQuerySchema, binary
from tco.web.api.guide.resources import guide_inputs
from tco.web.api.guide.schemas import GuideRequestSchema
from tco.web.api.scenarios.schemas import EXAMPLE, ScenarioSchema
from tco.web.heavy import heavy_pool

blp = Blueprint("exports", __name__, url_prefix="/api/v1",
                description="Take the numbers to a finance meeting: the report as a PDF, the schedule as XLSX.")

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pdf_answer(catalog, scenario, cur, title: str, guide: dict | None = None) -> bytes:
    """Task of POST /report.pdf; ``guide``: the guide's inputs (:func:`tco.web.api.guide.resources.guide_inputs`)."""
    from tco.report import pdf_report, report_guide
    result = evaluate(scenario, catalog, hybrid=True)
    return pdf_report(result, cur, title, report_guide(result, catalog, **(guide or {})))


def xlsx_answer(catalog, scenario, cur, title: str) -> bytes:
    """Task of POST /tco.xlsx."""
    from tco.workbook import workbook
    return workbook(evaluate(scenario, catalog, hybrid=True), cur, title)


def _download(body: bytes, mime: str, name: str) -> Response:
    return Response(body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'})


@blp.route("/report.pdf")
class ReportPdf(MethodView):
    @blp.arguments(ExportQuerySchema(), location="query", unknown=ma.RAISE)
    @blp.arguments(GuideRequestSchema(), example=EXAMPLE)
    @blp.response(200, description="The report as an A4 PDF.", content_type="application/pdf")
    @blp.doc(operationId="scenario_report_pdf", responses=binary("application/pdf", "An A4 PDF, under 1 MB."))
    def post(self, query, body):
        """The one-page report of `POST /api/v1/report` as an A4 PDF (weasyprint): the verdict, the KPIs,
        three charts, the people and one-off costs, every component's cost, the hybrid plan, the guide's
        head-to-head and every assumption with its source.

        The body is that of `POST /api/v1/guide`: the scenario, and optionally the guide's `questions`,
        `effort`, `user_scores_csv` and `hosted_model`, so the report's guide table and recommendation
        are the ones the guide gives for the same answers (a bad answer is a 422 naming its field).
        Amounts are money to the cent in the body's `currency` (default USD); the first lines state
        the rate, its date and source. Heavy: 503 with `Retry-After` when every slot is busy.
        """
        catalog = current_app.config["TCO_CATALOG"]
        scenario = body["scenario"]
        cur = currency(catalog, scenario.currency)
        return _download(heavy_pool().run(pdf_answer, scenario, cur, query["title"], guide_inputs(body, catalog)),
                         "application/pdf", "tco_report.pdf")


@blp.route("/tco.xlsx")
class TcoXlsx(MethodView):
    @blp.arguments(ExportQuerySchema(), location="query", unknown=ma.RAISE)
    @blp.arguments(ScenarioSchema(), example=EXAMPLE)
    @blp.response(200, description="The workbook: Summary, Monthly, Assumptions.", content_type=XLSX)
    @blp.doc(operationId="price_scenario_xlsx", responses=binary(XLSX, "An XLSX workbook."))
    def post(self, query, scenario):
        """The scenario as an XLSX workbook (XlsxWriter) a finance team opens as it is.

        Sheets: **Summary** (verdict, the rate, totals and NPVs in the currency and in USD, the KPIs);
        **Monthly** (a row per month, a column per option and component, each option's total,
        the volume and the self-hosted fleet; money as numbers with a money format in the body's
        `currency`); **Assumptions** (input, value, unit, source_url, effective_date, source).
        Text is written as text, never as a formula; text starting with `=`, `+`, `-`, `@`, tab
        or carriage return is also quote-prefixed.
        """
        cur = currency(current_app.config["TCO_CATALOG"], scenario.currency)
        return _download(heavy_pool().run(xlsx_answer, scenario, cur, query["title"]), XLSX, "tco.xlsx")
