"""The guide's table: every cell from its rows, setup effort by hand, each question's rule."""
from __future__ import annotations

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import REPO
from tco.guide import Effort, Questions, build_guide, guide_rows, setup_effort
from tco.quality import read_user_scores
from tco.scenario import Scenario, ScenarioError

PRICING = REPO / "tco" / "pricing"
OPEN = {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "precision": "fp8"}
#: 2B input + 0.5B output tokens a month: GPT-6.1 Sol at USD 2 / 10 per 1M tokens is 4,000 + 5,000 =
#: USD 9,000 a month, 324,000 over 36 months; two rented H100s cost more than that.
SMALL = {"horizon_months": 36, "workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8},
         "closed": {"model": "gpt-6.1-sol"}, "open": OPEN}
#: 100x the volume, flat load: own GPUs are the cheapest, whole or with a sliver of overflow to the API
#: (the hybrid plan rounds replicas down where that saves a little).
BIG = {**SMALL, "workload": {"input_tokens_per_month": 2e11, "output_tokens_per_month": 5e10,
                             "peak_to_average": 1.0}}
OWN = ("self_hosted", "hybrid")


def _rows(name):
    with open(PRICING / f"{name}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _guide(catalog, body=SMALL, **kw):
    return build_guide(Scenario.from_dict(body), catalog, **kw)


def _cells(g, row):
    return next(r for r in g["rows"] if r["key"] == row)["cells"]


@pytest.fixture(scope="module")
def small(catalog):
    return _guide(catalog, hosted_model="bedrock/llama-3.3-70b-instruct")


def test_six_rows_in_the_guides_order(small):
    assert [r["label"] for r in small["rows"]] == ["Transparency", "Customization", "Setup effort", "Cost structure",
                                                   "Performance", "Control"]
    assert [o["key"] for o in small["options"]] == ["closed", "self_hosted", "hosted"]


def test_control_cells_are_the_model_control_rows(small):
    control = {r["model_id"]: r for r in _rows("model_control")}
    ids = {o["key"]: o["model_ids"][0] for o in small["options"]}
    for key, mid in ids.items():
        row = control[mid]
        t = _cells(small, "transparency")[key]
        assert t["value"] == ("published" if row["weights_available"] == "true" else "not published")
        assert row["licence"] in t["text"]
        assert t["source_url"] == (row["licence_url"] or row["source_url"])
        assert t["effective_date"] == row["effective_date"]
        routes = sorted(r for r in row["fine_tuning"].split("+") if r != "none")
        assert _cells(small, "customization")[key]["value"] == ("+".join(routes) or "none")
        c = _cells(small, "control")[key]
        assert row["data_processing"] in c["text"] and row["data_retention"] in c["text"]
        assert c["source_url"] == (row["data_terms_url"] or row["source_url"])


def test_performance_cells_are_the_model_quality_rows(small):
    join = {r["model_id"]: r["quality_model_id"] for r in _rows("model_quality_join")}
    quality = {(r["model_id"], r["metric"]): r for r in _rows("model_quality")}
    for o in small["options"]:
        want = quality[(join[o["model_ids"][0]], "hle")]
        cell = _cells(small, "performance")[o["key"]]
        assert cell["value"] == float(want["score"])
        assert cell["source_url"] == want["source_url"] and cell["effective_date"] == want["effective_date"]
        # cost per point = mean monthly cost / score
        assert cell["usd_per_month_per_point"] == pytest.approx(o["total_usd"] / 36 / float(want["score"]))


def test_cost_structure_by_hand(small):
    closed = _cells(small, "cost_structure")["closed"]
    assert closed["value"] == pytest.approx(324_000.0)         # 9,000 USD/month x 36
    price = next(r for r in _rows("api_prices") if r["model_id"] == "gpt-6.1-sol")
    assert closed["source_url"] == price["source_url"]
    assert "USD 2 / 1M input, USD 10 / 1M output" in closed["text"]


def test_setup_effort_by_hand(catalog):
    s = Scenario.from_dict({**SMALL, "closed": {"model": "gpt-6.1-sol", "setup_usd": 5000},
                            "open": {**OPEN, "setup_engineer_months": 6, "fte_usd_per_year": 240_000,
                                     "migration_usd": 10_000}})
    e = Effort()
    closed = setup_effort("closed", s, e, None)
    # 1 engineer-month x 240,000 / 12 + 5,000 = 25,000 USD; 1 x 52/12 = 4.33 weeks
    assert closed["usd"] == pytest.approx(25_000.0) and closed["calendar_weeks"] == pytest.approx(52 / 12)
    own = setup_effort("self_hosted", s, e, 3)
    # 6 x 20,000 + 10,000 = 130,000 USD; 6 engineer-months / 3 engineers x 52/12 = 8.67 weeks
    assert own["usd"] == pytest.approx(130_000.0) and own["calendar_weeks"] == pytest.approx(2 * 52 / 12)
    # the split: 30 / 20 / 20 / 15 / 15 % of 6 engineer-months
    assert own["parts"] == pytest.approx({"infrastructure": 1.8, "serving": 1.2, "evals": 1.2,
                                          "security_review": 0.9, "migration": 0.9})
    mix = setup_effort("hybrid", s, e, 3)
    assert mix["usd"] == pytest.approx(155_000.0) and mix["calendar_weeks"] == pytest.approx(2 * 52 / 12)
    g = build_guide(s, catalog, Questions(ml_team_size=3))
    cell = _cells(g, "setup_effort")["self_hosted"]
    assert cell["value"] == 6 and cell["usd"] == pytest.approx(130_000.0) and cell["estimate"]


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 50), st.floats(0.5, 48))
def test_a_bigger_team_never_takes_longer(team, months):
    s = Scenario.from_dict({"open": {"setup_engineer_months": months, "fte_usd_per_year": 200_000}})
    a = setup_effort("self_hosted", s, Effort(), team)["calendar_weeks"]
    b = setup_effort("self_hosted", s, Effort(), team + 1)["calendar_weeks"]
    assert b <= a and a == pytest.approx(months / team * 52 / 12)


def test_no_question_picks_the_cheapest(catalog, small):
    assert small["recommended"] == "hosted"    # Bedrock Llama 3.3 at USD 0.72 / 1M tokens
    assert "No answer removed an option" in small["recommendation"]
    assert _guide(catalog)["recommended"] == "closed"
    assert _guide(catalog, BIG)["recommended"] in OWN


def test_premises_removes_every_api(catalog, small):
    g = _guide(catalog, hosted_model="bedrock/llama-3.3-70b-instruct", questions=Questions(on_premises=True))
    assert {r["option"] for r in g["removed"]} == {"closed", "hosted"}
    assert g["recommended"] == "self_hosted"
    assert "data may not leave your premises" in g["recommendation"]


def test_region_removes_apis_outside_it(catalog):
    g = _guide(catalog, questions=Questions(data_region="eu"))
    assert g["removed"][0]["option"] == "closed" and "'global'" in g["removed"][0]["reason"]
    assert g["recommended"] == "self_hosted"
    region = {r["model_id"]: r["region"] for r in _rows("api_prices")}
    assert region["azure-eu/gpt-5.4"] == "eu"
    kept = _guide(catalog, {**SMALL, "closed": {"model": "azure-eu/gpt-5.4"}}, questions=Questions(data_region="eu"))
    assert kept["removed"] == [] and kept["recommended"] == "closed"
    hint = _guide(catalog, {**SMALL, "closed": {"model": "gpt-5.4"}}, questions=Questions(data_region="eu"))
    assert "azure-eu/gpt-5.4" in hint["removed"][0]["reason"]


def test_fine_tuning_removes_options_without_a_route(catalog):
    control = {r["model_id"]: r["fine_tuning"] for r in _rows("model_control")}
    assert control["gpt-6.1-sol"] == "none" and "lora_own_gpus" in control["llama-3.1-70b"]
    g = _guide(catalog, questions=Questions(fine_tune=True))
    assert [r["option"] for r in g["removed"]] == ["closed"] and g["recommended"] == "self_hosted"
    assert "you need to fine-tune" in g["recommendation"]


def test_weeks_remove_slow_options(catalog):
    # self-hosting: 3 engineer-months / 1 engineer x 52/12 = 13.0 weeks
    # (the hybrid plan builds the same: max(13.0, 4.3) weeks)
    assert _guide(catalog, BIG, questions=Questions(live_in_weeks=13))["recommended"] in OWN
    g = _guide(catalog, BIG, questions=Questions(live_in_weeks=12.9))
    assert {r["option"] for r in g["removed"]} >= {"self_hosted"}
    assert g["recommended"] == "closed" and "within 12.9 weeks" in g["recommendation"]


def test_no_ml_team_adds_hiring_cost_and_weeks(catalog):
    body = {**BIG, "open": {**OPEN, "staff_fte_base": 1.5, "replicas_per_fte": 1000, "fte_usd_per_year": 200_000,
                            "setup_engineer_months": 3}}
    with_team = _guide(catalog, body, questions=Questions(ml_team_size=2, live_in_weeks=15))
    # 3 engineer-months / 2 engineers x 52/12 = 6.5 weeks
    assert _cells(with_team, "setup_effort")["self_hosted"]["calendar_weeks"] == pytest.approx(6.5)
    assert with_team["recommended"] in OWN
    none = _guide(catalog, body, questions=Questions(ml_team_size=0, live_in_weeks=15))
    cell = _cells(none, "setup_effort")["self_hosted"]
    # hires = ceil(1.5 + replicas / 1000) = 2; 2 x 0.2 x 200,000 = 80,000 USD; 3 / 2 x 52/12 + 12 = 18.5 weeks
    assert cell["calendar_weeks"] == pytest.approx(18.5)
    assert cell["usd"] == pytest.approx(50_000.0 + 80_000.0)
    own = next(o for o in none["options"] if o["key"] == "self_hosted")
    assert own["ranking_usd"] == pytest.approx(own["total_usd"] + 80_000.0)
    assert none["recommended"] == "closed"
    assert "you have no ML platform team" in none["recommendation"]


def test_quality_floor_removes_options_below_it_and_user_scores_lift_them(catalog):
    hle = {r["model_id"]: float(r["score"]) for r in _rows("model_quality") if r["metric"] == "hle"}
    assert hle["llama-3.1-70b"] < 10 < hle["gpt-6.1-sol"]
    q = Questions(quality_floor_metric="hle", quality_floor_score=10)
    g = _guide(catalog, BIG, questions=q)
    assert g["removed"][0]["option"] == "self_hosted" and g["recommended"] == "closed"
    assert f"{hle['llama-3.1-70b']:g} on Humanity's Last Exam, below the floor of 10" in g["removed"][0]["reason"]
    user = read_user_scores("model,task,score\nllama-3.1-70b,hle,30\n", catalog)
    lifted = _guide(catalog, BIG, questions=q, user_scores=user)
    assert lifted["recommended"] in OWN
    assert _cells(lifted, "performance")["self_hosted"]["value"] == 30.0
    none = _guide(catalog, BIG, questions=Questions(quality_floor_metric="swe_bench_verified",
                                                    quality_floor_score=1))
    assert "no score on SWE-bench" in none["removed"][0]["reason"]


def test_a_mix_when_the_hybrid_plan_wins(catalog):
    body = {**BIG, "workload": {"input_tokens_per_month": 2e11, "output_tokens_per_month": 5e10,
                                "load_profile": "business_hours"}}
    g = _guide(catalog, body)
    assert g["recommended"] == "hybrid" and g["recommendation"].startswith("A mix")
    mix = next(o for o in g["options"] if o["key"] == "hybrid")
    assert mix["model_ids"] == ["llama-3.1-70b", "gpt-6.1-sol"]
    assert "API overflow" in _cells(g, "control")["hybrid"]["text"]


def test_nothing_left_says_so(catalog):
    g = _guide(catalog, questions=Questions(on_premises=True, fine_tune=False, live_in_weeks=2))
    assert g["recommended"] is None and g["recommendation"].startswith("No option meets every answer")


def test_bad_answers_name_the_field(catalog):
    for q, field in ((Questions(data_region="mars"), "questions.data_region"),
                     (Questions(ml_team_size=-1), "questions.ml_team_size"),
                     (Questions(quality_floor_metric="hle"), "questions.quality_floor_score"),
                     (Questions(metric="vibes"), "questions.metric")):
        with pytest.raises(ScenarioError) as err:
            _guide(catalog, questions=q)
        assert err.value.field == field


def test_guide_rows_for_the_report(small):
    rows = guide_rows(small)
    assert len(rows) == 6 * 3
    assert rows[0]["row"] == "Transparency" and rows[0]["option_key"] == "closed"
    assert all(set(r) >= {"text", "source_url", "effective_date"} for r in rows)


# ---------------------------------------------------------------- POST /api/v1/guide

@pytest.fixture(scope="module")
def api(catalog):
    from tco.settings import Settings
    from tco.web import create_app
    app = create_app(Settings(), catalog=catalog)
    app.config["TESTING"] = True
    return app.test_client()


def _error(res, status):
    assert res.status_code == status, res.get_data(as_text=True)[:300]
    body = res.get_json()
    assert set(body) >= {"status", "error", "message", "errors"}
    return body


def test_api_returns_the_table(api):
    res = api.post("/api/v1/guide", json={**SMALL, "hosted_model": "bedrock/llama-3.3-70b-instruct",
                                          "questions": {"fine_tune": True, "metric": "gpqa_diamond"}})
    assert res.status_code == 200, res.get_data(as_text=True)[:500]
    body = res.get_json()
    assert [r["key"] for r in body["rows"]] == ["transparency", "customization", "setup_effort", "cost_structure",
                                                "performance", "control"]
    cell = body["rows"][4]["cells"]["hosted"]
    assert set(cell) >= {"value", "unit", "text", "source_url", "effective_date"}
    assert body["removed"] == [{"option": "closed", "question": "fine_tune",
                                "reason": "GPT-6.1 Sol: no fine-tuning route in model_control.csv"}]
    assert body["recommended"] == "hosted" and "you need to fine-tune" in body["recommendation"]
    # the picker's lists: hosted rows of the self-hosted weights (llama-3.1-70b), metrics scored
    join = {r["model_id"]: r["quality_model_id"] for r in _rows("model_quality_join")}
    assert body["hosted_choices"] and all(join[c["model_id"]] == "llama-3.1-70b" for c in body["hosted_choices"])
    assert "gpqa_diamond" in {m["metric"] for m in body["metrics"]}
    assert all(1 <= m["options_scored"] <= 3 for m in body["metrics"])


def test_api_user_scores_take_precedence_and_errors_name_line_and_column(api):
    ok = api.post("/api/v1/guide", json={**SMALL, "user_scores_csv": "model,task,score\nllama-3.1-70b,hle,30\n"})
    assert ok.get_json()["rows"][4]["cells"]["self_hosted"]["value"] == 30.0
    bad = _error(api.post("/api/v1/guide", json={**SMALL, "user_scores_csv": "model,task,score\n"
                                                                             "llama-3.1-70b,hle,30\nx-y,hle,1\n"}),
                 422)
    assert bad["errors"][0]["path"] == "user_scores_csv: line 3: model"
    assert "unknown model 'x-y'" in bad["errors"][0]["message"]


@pytest.mark.parametrize("extra, path", [
    ({"questions": {"data_region": "mars"}}, "questions.data_region"),
    ({"questions": {"ml_team_size": -1}}, "questions.ml_team_size"),
    ({"questions": {"live_in_weeks": 0}}, "questions.live_in_weeks"),
    ({"questions": {"metric": "vibes"}}, "questions.metric"),
    ({"questions": {"colour": "red"}}, "questions.colour"),
    ({"effort": {"open_shares": {"serving": 0.9}}}, "effort.open_shares"),
    ({"hosted_model": "no-such-model"}, "hosted_model"),
])
def test_api_bad_answers_are_422_naming_the_field(api, extra, path):
    body = _error(api.post("/api/v1/guide", json={**SMALL, **extra}), 422)
    assert body["errors"][0]["path"] == path


def test_the_report_carries_the_guides_table(catalog):
    """The HTML report (and so the PDF) shows the six rows, each option's licence cell as model_control says it,
    and the recommendation."""
    import html as _html

    from tco.engine import evaluate
    from tco.report import html_report, report_guide
    result = evaluate(Scenario.from_dict(SMALL), catalog, hybrid=True)
    guide = report_guide(result, catalog)
    page = html_report(result, guide=guide)
    assert "<h2>The guide's head-to-head</h2>" in page
    for label in ("Transparency", "Customization", "Setup effort", "Cost structure", "Performance", "Control"):
        assert f"<th>{label}</th>" in page
    licence = {r["model_id"]: r["licence"] for r in _rows("model_control")}["llama-3.1-70b"]
    assert _html.escape(licence) in page
    assert _html.escape(guide["recommendation"]) in page
    assert "head-to-head" not in html_report(result)          # without a guide, no section


@pytest.fixture(scope="module")
def reports(catalog):
    """The app with its heavy tasks (the reports) run in threads, as the export tests run it."""
    from tco.settings import Settings
    from tco.web import create_app
    app = create_app(Settings(heavy_isolation="thread"), catalog=catalog)
    app.config["TESTING"] = True
    return app.test_client()


def _words(text: str) -> str:
    return " ".join(text.split())


def test_the_report_recommends_what_the_guide_does_for_the_same_answers(api, reports):
    """SMALL unanswered: GPT-6.1 Sol at 2e9 x USD 2 / 1M + 5e8 x USD 10 / 1M = USD 9,000 a month, 324,000
    over 36 months, + 1 integration engineer-month at the defaults' loaded cost (133,080 / 0.702 / 12 =
    15,797.72) = 339,797.72, below the self-hosted fleet: the report and the guide choose the API.
    "Data may not leave our premises" removes the API, so both choose self-hosting instead; the HTML report
    and the PDF carry the guide endpoint's own sentence for the same answers."""
    import html as _html

    import pypdf
    answers = {**SMALL, "questions": {"on_premises": True}}
    plain = api.post("/api/v1/guide", json=SMALL).get_json()["recommendation"]
    asked = api.post("/api/v1/guide", json=answers).get_json()["recommendation"]
    assert plain.startswith("Choose: GPT-6.1 Sol costs least") and "setup effort included (USD 339,798," in plain
    assert asked.startswith("Choose: Llama 3.1 70B") and asked.endswith(
        "Driven by: data may not leave your premises (removes GPT-6.1 Sol).")
    page = reports.post("/api/v1/report", json=answers)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    assert _html.escape(asked) in page.get_data(as_text=True)
    assert _html.escape(plain) not in page.get_data(as_text=True)
    assert _html.escape(plain) in reports.post("/api/v1/report", json=SMALL).get_data(as_text=True)
    pdf = reports.post("/api/v1/report.pdf", json=answers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    text = _words(" ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.data)).pages))
    assert "Driven by: data may not leave your premises (removes GPT-6.1 Sol)." in text
    assert "No answer removed an option" not in text
    # the hosted choice and the user's scores reach the report too: hosted is the fourth option
    hosted = {**SMALL, "hosted_model": "bedrock/llama-3.3-70b-instruct", "questions": {"fine_tune": True},
              "user_scores_csv": "model,task,score\nllama-3.1-70b,hle,30\n"}
    want = api.post("/api/v1/guide", json=hosted).get_json()
    assert want["recommended"] == "hosted"
    page = reports.post("/api/v1/report", json=hosted).get_data(as_text=True)
    assert _html.escape(want["recommendation"]) in page
    assert _html.escape(_cells(want, "performance")["self_hosted"]["text"]) in page   # "30 on hle (your score)..."


@pytest.mark.parametrize("extra, path", [
    ({"questions": {"data_region": "mars"}}, "questions.data_region"),
    ({"questions": {"metric": "vibes"}}, "questions.metric"),
    ({"effort": {"open_shares": {"serving": 0.9}}}, "effort.open_shares"),
    ({"hosted_model": "no-such-model"}, "hosted_model"),
    ({"user_scores_csv": "model,task,score\nx-y,hle,1\n"}, "user_scores_csv: line 2: model"),
])
@pytest.mark.parametrize("url", ["/api/v1/report", "/api/v1/report.pdf"])
def test_the_reports_refuse_a_bad_answer_naming_the_field(reports, url, extra, path):
    body = _error(reports.post(url, json={**SMALL, **extra}), 422)
    assert body["errors"][0]["path"] == path


def _cli_report(tmp_path, scenario: dict, *args: str):
    """``tco report`` of ``scenario`` (a JSON file) as HTML with ``args``: the click result and the page."""
    import json

    from click.testing import CliRunner

    from tco.cli import main
    (tmp_path / "scenario.json").write_text(json.dumps(scenario))
    out = tmp_path / "report.html"
    res = CliRunner().invoke(main, ["report", str(tmp_path / "scenario.json"), "--format", "html", "-o", str(out),
                                    *args])
    return res, (out.read_text(encoding="utf-8") if res.exit_code == 0 else "")


def test_the_cli_report_recommends_what_the_guide_does_for_the_same_answers(api, tmp_path):
    """SMALL (see the report test above): unanswered, the guide chooses GPT-6.1 Sol; "data may not leave our
    premises" removes it and the guide chooses Llama 3.1 70B.  `tco report --guide answers.json` writes the
    guide endpoint's own sentence for those answers, as does a scenario file that is itself a guide body;
    without answers the report keeps the unanswered sentence."""
    import html as _html
    import json
    plain = api.post("/api/v1/guide", json=SMALL).get_json()["recommendation"]
    asked = api.post("/api/v1/guide", json={**SMALL, "questions": {"on_premises": True}}).get_json()["recommendation"]
    assert plain.startswith("Choose: GPT-6.1 Sol costs least")
    assert asked.startswith("Choose: Llama 3.1 70B") and asked.endswith(
        "Driven by: data may not leave your premises (removes GPT-6.1 Sol).")
    (tmp_path / "answers.json").write_text(json.dumps({"questions": {"on_premises": True}}))
    res, page = _cli_report(tmp_path, SMALL, "--guide", str(tmp_path / "answers.json"))
    assert res.exit_code == 0, res.output
    assert _html.escape(asked) in page and _html.escape(plain) not in page
    res, page = _cli_report(tmp_path, {**SMALL, "questions": {"on_premises": True}})
    assert res.exit_code == 0, res.output
    assert _html.escape(asked) in page
    res, page = _cli_report(tmp_path, SMALL)
    assert res.exit_code == 0, res.output
    assert _html.escape(plain) in page and _html.escape(asked) not in page
    # the hosted choice and the user's scores (--scores, a CSV) reach it too, as in POST /guide
    (tmp_path / "answers.json").write_text(json.dumps({"hosted_model": "bedrock/llama-3.3-70b-instruct",
                                                       "questions": {"fine_tune": True}}))
    (tmp_path / "scores.csv").write_text("model,task,score\nllama-3.1-70b,hle,30\n")
    want = api.post("/api/v1/guide", json={**SMALL, "hosted_model": "bedrock/llama-3.3-70b-instruct",
                                           "questions": {"fine_tune": True},
                                           "user_scores_csv": "model,task,score\nllama-3.1-70b,hle,30\n"}).get_json()
    assert want["recommended"] == "hosted"
    res, page = _cli_report(tmp_path, SMALL, "--guide", str(tmp_path / "answers.json"),
                            "--scores", str(tmp_path / "scores.csv"))
    assert res.exit_code == 0, res.output
    assert _html.escape(want["recommendation"]) in page
    assert _html.escape(_cells(want, "performance")["self_hosted"]["text"]) in page   # "30 on hle (your score)..."


@pytest.mark.parametrize("answers, scores, said", [
    ({"questions": {"data_region": "mars"}}, None, "answers.json: questions.data_region: "),
    ({"questions": {"metric": "vibes"}}, None, "answers.json: questions.metric: "),
    ({"effort": {"open_shares": {"serving": 0.9}}}, None, "answers.json: effort.open_shares: "),
    ({"hosted_model": "no-such-model"}, None, "answers.json: hosted_model: "),
    ({"workload": {"seats": 3}}, None, "answers.json: unknown field 'workload'"),
    ({}, "model,task,score\nx-y,hle,1\n", "scores.csv: user_scores_csv: line 2: model: "),
])
def test_the_cli_report_refuses_a_bad_answer_naming_the_field(tmp_path, answers, scores, said):
    import json
    (tmp_path / "answers.json").write_text(json.dumps(answers))
    args = ["--guide", str(tmp_path / "answers.json")]
    if scores:
        (tmp_path / "scores.csv").write_text(scores)
        args += ["--scores", str(tmp_path / "scores.csv")]
    res, _ = _cli_report(tmp_path, SMALL, *args)
    assert res.exit_code == 2 and said in " ".join(res.output.split()), res.output


def test_the_cli_takes_the_guides_answers_only_for_the_report(tmp_path):
    import json

    from click.testing import CliRunner

    from tco.cli import main
    (tmp_path / "scenario.json").write_text(json.dumps(SMALL))
    (tmp_path / "answers.json").write_text(json.dumps({"questions": {"on_premises": True}}))
    res = CliRunner().invoke(main, ["report", str(tmp_path / "scenario.json"), "--format", "xlsx",
                                    "--guide", str(tmp_path / "answers.json"), "-o", str(tmp_path / "t.xlsx")])
    assert res.exit_code == 2 and "--guide and --scores go with --format html or pdf" in res.output


# ---- workloads not bought by the token: a seat product and an image API --------------------------------------
#: 200 GitHub Copilot Business seats at USD 19 a seat a month (monthly billing, seat_prices.csv).
SEATS = {"horizon_months": 36, "workload": {"seats": 200, "tokens_per_seat_month": 2e6},
         "closed": {"seat_product": "github-copilot-business", "billing_term": "monthly"},
         "open": {"model": "qwen3-30b-a3b", "gpu": "h100-sxm", "precision": "fp8"}}
#: 200,000 GPT Image 2 images a month at 1024x1024, medium quality (USD 0.0317 an image, image_prices.csv).
IMAGES = {"horizon_months": 36, "workload": {"images_per_month": 2e5},
          "closed": {"image_model": "gpt-image-2", "image_quality": "medium"},
          "open": {"model": "sdxl", "gpu": "l40s", "provider": "coreweave"}}


def test_a_seat_product_fills_the_table_with_na_cells_and_its_reasons(catalog):
    g = _guide(catalog, SEATS)
    plan = next(r for r in _rows("seat_prices") if r["product_id"] == "github-copilot-business"
                and r["billing_term"] == "monthly" and not r["effective_until"])
    cost = _cells(g, "cost_structure")["closed"]
    assert cost["value"] == pytest.approx(136_800.0)           # 200 seats x USD 19 x 36 months
    assert "pay per seat: USD 19 a seat a month (monthly billing)" in cost["text"]
    assert cost["source_url"] == plan["source_url"]
    for row in ("transparency", "customization", "control"):   # a product, not a model: no model_control row
        c = _cells(g, row)["closed"]
        assert c["value"] is None and c["text"].startswith("n/a: github-copilot-business is a seat product")
        assert c["source_url"] == plan["source_url"]
    perf = _cells(g, "performance")
    assert perf["closed"]["value"] is None and "a seat product, not one model" in perf["closed"]["text"]
    assert perf["self_hosted"]["value"] is not None            # the open model keeps its published score
    assert all(r["cells"][k]["text"] for r in g["rows"] for k in ("closed", "self_hosted"))
    # 136,800 + 1 integration engineer-month at the defaults table's loaded cost (133,080 / 0.702 =
    # 189,572.65 a year, / 12 = 15,797.72) = 152,597.72: far below one rented H100
    assert g["recommended"] == "closed" and "USD 152,598" in g["recommendation"]
    for q in (Questions(on_premises=True), Questions(fine_tune=True), Questions(data_region="eu")):
        assert _guide(catalog, SEATS, questions=q)["recommended"] == "self_hosted", q
    region = _guide(catalog, SEATS, questions=Questions(data_region="eu"))["removed"][0]["reason"]
    assert "the catalog states no processing region" in region


def test_an_image_api_against_a_self_hosted_diffusion_model(catalog):
    g = _guide(catalog, IMAGES)
    cost = _cells(g, "cost_structure")["closed"]
    assert cost["value"] == pytest.approx(228_240.0)            # 200,000 x USD 0.0317 x 36 months
    assert "pay per image: USD 0.0317 an image (1024x1024, medium quality)" in cost["text"]
    control = {r["model_id"]: r for r in _rows("model_control")}
    assert control["sdxl"]["licence"] in _cells(g, "transparency")["self_hosted"]["text"]
    for k in ("closed", "self_hosted"):                         # text benchmarks do not apply to image models
        p = _cells(g, "performance")[k]
        assert p["value"] is None and "image model: text benchmarks do not apply" in p["text"]
    assert g["metrics"] == [] and g["hosted_choices"] == []
    assert g["recommended"] == "closed"
    # a quality floor on a text metric leaves no option, and says so
    none = _guide(catalog, IMAGES, questions=Questions(quality_floor_metric="hle", quality_floor_score=5))
    assert none["recommended"] is None and none["recommendation"].startswith("No option meets every answer")
    # the user's own image eval scores both, and then prices a point
    user = read_user_scores("model,task,score\ngpt-image-2,brand_images,80\nsdxl,brand_images,64\n", catalog)
    mine = _guide(catalog, IMAGES, questions=Questions(metric="brand_images"), user_scores=user)
    p = _cells(mine, "performance")
    assert (p["closed"]["value"], p["self_hosted"]["value"]) == (80.0, 64.0)
    assert p["closed"]["origin"] == "user" and "(your score)" in p["closed"]["text"]
    assert p["closed"]["usd_per_month_per_point"] == pytest.approx(228_240.0 / 36 / 80)   # 6,340 / 80 = 79.25
    assert mine["metrics"] == [{"metric": "brand_images", "label": "brand_images", "options_scored": 2,
                                "origin": "your score"}]


def test_hosted_choices_are_the_hosted_rows_of_the_same_weights(catalog):
    join = {r["model_id"]: r["quality_model_id"] for r in _rows("model_quality_join")}
    today = str(catalog.as_of)                  # rows in force: started, and not ended (or ending later)
    want = sorted({(r["provider"], r["model_id"]) for r in _rows("api_prices")
                   if r["open_weights"] == "true" and join.get(r["model_id"]) == "llama-3.3-70b"
                   and r["effective_date"] <= today and (not r["effective_until"] or r["effective_until"] > today)})
    from tco.guide import hosted_choices
    got = hosted_choices(catalog, "llama-3.3-70b")
    assert [(c["provider"], c["model_id"]) for c in got] == want
    assert ("bedrock", "bedrock/llama-3.3-70b-instruct") in want and len(want) >= 3
    bedrock = next(c for c in got if c["model_id"] == "bedrock/llama-3.3-70b-instruct")
    assert bedrock["region"] == "us" and bedrock["source_url"] == "https://aws.amazon.com/bedrock/pricing/"
    assert hosted_choices(catalog, "gpt-6.1-sol") == []                  # closed weights: none
    assert hosted_choices(catalog, "sdxl") == []                         # no quality id: none


def test_the_metrics_offered_are_those_the_options_are_scored_on(catalog, small):
    quality = {(r["model_id"], r["metric"]) for r in _rows("model_quality")}
    join = {r["model_id"]: r["quality_model_id"] for r in _rows("model_quality_join")}
    qids = [join[o["model_ids"][0]] for o in small["options"]]
    for m in small["metrics"]:
        assert m["options_scored"] == sum((q, m["metric"]) in quality for q in qids) >= 1, m
    offered = {m["metric"] for m in small["metrics"]}
    assert offered == {metric for q, metric in quality if q in qids}
    counts = [m["options_scored"] for m in small["metrics"]]
    assert counts == sorted(counts, reverse=True)


def test_the_readme_guide_example_runs():
    """The Python example of the README's "The guide's head-to-head" section, as written."""
    from conftest import run_readme_python
    g = run_readme_python("build_guide(")["g"]
    assert [o["key"] for o in g["options"]] == ["closed", "self_hosted", "hosted"]
    # no ML team: 1 hire (0.5 base staff + 1 replica / 20, rounded up), 3 engineer-months / 1 x 52/12 + 12 weeks
    # of hiring = 25 weeks > 12: self-hosting is removed
    assert [(r["option"], r["question"]) for r in g["removed"]] == [("self_hosted", "live_in_weeks")]
    assert "25.0 weeks to production, more than 12" in g["removed"][0]["reason"]
    # Bedrock: 3e9 tokens x USD 0.72 / 1M = 2,160 a month, 77,760 over 36 months, + 1 integration
    # engineer-month at the defaults table's loaded cost (133,080 / 0.702 / 12 = 15,797.72) = 93,557.72:
    # the cheapest left
    assert g["recommended"] == "hosted" and "(USD 93,558," in g["recommendation"]
    perf = _cells(g, "performance")["hosted"]           # your eval of the weights scores the hosted deployment
    assert perf["value"] == 71.5 and perf["origin"] == "user"
    assert perf["usd_per_month_per_point"] == pytest.approx(2160 / 71.5)
    assert g["notes"] == ["Llama 3.3 70B Instruct (Amazon Bedrock) scores 6.5 points below Claude Sonnet 5.5 on "
                          "support_tickets (71.5 vs 78)."]     # 78 - 71.5
    assert "bedrock/llama-3.3-70b-instruct" in [c["model_id"] for c in g["hosted_choices"]]


def test_an_image_api_without_a_control_row_says_so_without_borrowing_a_source(tmp_path):
    """With stability/sd3.5-large's model_control row taken out of a copy of the tables, its fact cells say
    n/a and why, with no link (a seat product's n/a links its plan page; another option's price page would be
    no source for it)."""
    import shutil

    from tco.catalog import load_catalog
    d = tmp_path / "pricing"
    shutil.copytree(PRICING, d, ignore=shutil.ignore_patterns("*.md"))
    lines = (d / "model_control.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if not line.startswith("stability/sd3.5-large,")]
    assert len(kept) == len(lines) - 1
    (d / "model_control.csv").write_text("".join(kept), encoding="utf-8")
    mini = load_catalog(base_dir=d, use_env=False)
    g = _guide(mini, {**IMAGES, "closed": {"image_model": "stability/sd3.5-large"}})
    for row in ("transparency", "customization", "control"):
        c = _cells(g, row)["closed"]
        assert c["value"] is None and c["source_url"] is None and c["effective_date"] is None
        assert c["text"] == ("n/a: no model_control row for stability/sd3.5-large: its licence and data terms are "
                             "not in the catalog yet")
    assert g["recommended"] in {o["key"] for o in g["options"]}


#: The dashboard's image mode as it opens (dashboard.html): Stability AI's SD 3.5 Large API against SDXL.
DASHBOARD_IMAGES = {"horizon_months": 36, "workload": {"images_per_month": 2e5},
                    "closed": {"image_model": "stability/sd3.5-large", "image_size": "any", "image_quality": "any"},
                    "open": {"model": "sdxl", "gpu": "l40s", "provider": "coreweave"}}


def test_the_default_image_mode_has_control_facts_with_their_sources(api):
    """The image API the dashboard opens with has its licence, fine-tuning route and data terms in the table,
    each cell citing the page it comes from (model_control.csv, read 2026-12-02 from Hugging Face's SD 3.5
    Large card and Stability AI's Terms of Service)."""
    res = api.post("/api/v1/guide", json=DASHBOARD_IMAGES)
    assert res.status_code == 200, res.get_data(as_text=True)[:500]
    g = res.get_json()
    card, terms = "https://huggingface.co/stabilityai/stable-diffusion-3.5-large", "https://stability.ai/terms-of-service"
    t, c, k = (_cells(g, row)["closed"] for row in ("transparency", "customization", "control"))
    assert t["value"] == "published" and t["source_url"] == card and t["effective_date"] == "2026-12-02"
    assert t["text"] == "weights published, licence Stability AI Community License"
    assert c["value"] == "full_own_gpus+lora_own_gpus" and c["source_url"] == card
    assert c["text"] == "LoRA adapters on own GPUs, full fine-tuning on own GPUs"
    assert k["source_url"] == terms and k["effective_date"] == "2026-12-02"
    assert "data processed: Stability AI's hosted API (api.stability.ai)" in k["text"]
    assert "the same weights can move to another host or your own GPUs" in k["text"]
    # a closed image product: no weights, its licence cell cites the vendor's terms
    ultra = api.post("/api/v1/guide", json={**DASHBOARD_IMAGES, "closed": {
        "image_model": "stability/stable-image-ultra", "image_size": "any", "image_quality": "any"}}).get_json()
    t = _cells(ultra, "transparency")["closed"]
    assert (t["value"], t["source_url"]) == ("not published", terms)
    assert _cells(ultra, "customization")["closed"]["text"] == "no fine-tuning route published"
