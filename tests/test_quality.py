"""The quality tables (model_quality, model_quality_join, model_control) and tco.quality."""
from __future__ import annotations

import csv
import shutil

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import REPO, write_csv
from tco.catalog import CatalogError, load_catalog
from tco.quality import (Score, UserScoresError, cost_per_point, quality_id, read_user_scores, score_on, scores,
                         trail_sentence)

PRICING = REPO / "tco" / "pricing"


def _csv(name: str) -> list[dict]:
    with open(PRICING / f"{name}.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _catalog_ids() -> set[str]:
    return {r["model_id"] for t in ("api_prices", "open_models", "image_prices") for r in _csv(t)}


def test_every_shipped_catalog_model_has_a_join_row_or_a_reason_for_none():
    join = {r["model_id"]: r for r in _csv("model_quality_join")}
    assert set(join) == _catalog_ids()
    for mid, r in join.items():
        if not r["quality_model_id"]:
            assert r["notes"].startswith("no score:"), mid


def test_join_points_at_scores_that_exist_and_every_score_is_sourced():
    q = _csv("model_quality")
    qids = {r["model_id"] for r in q}
    for r in _csv("model_quality_join"):
        assert not r["quality_model_id"] or r["quality_model_id"] in qids, r["model_id"]
    for r in q:
        assert r["source_url"].startswith("https://") and r["effective_date"][:2] == "20", r



def test_every_catalog_model_has_a_sourced_control_row():
    """Every API, open model and image API (image_prices.csv: fal, BFL, Stability, Bedrock, OpenAI, ...) has a
    model_control row, each with its page and the day it was read, so the guide's transparency,
    customization and control cells are never empty for a model the catalog prices."""
    rows = _csv("model_control")
    control = {r["model_id"] for r in rows}
    assert _catalog_ids() - control == set()
    for r in rows:
        assert r["source_url"].startswith("https://") and r["effective_date"][:2] == "20", r["model_id"]
        assert r["weights_available"] in ("true", "false"), r["model_id"]
        assert r["weights_available"] == "true" or r["licence"] == "proprietary", r["model_id"]


@pytest.fixture
def mini(tmp_path):
    """The shipped tables copied, to break one row at a time."""
    d = tmp_path / "pricing"
    shutil.copytree(PRICING, d, ignore=shutil.ignore_patterns("*.md"))
    return d


def test_a_blank_quality_id_needs_a_reason(mini):
    write_csv(mini / "model_quality_join.csv", "model_quality_join", [dict(
        model_id="gpt-4o", quality_model_id="", source_url="https://openai.com/api/pricing/")])
    with pytest.raises(CatalogError, match=r"model_quality_join.csv:2: notes: Required when quality_model_id is "
                                           r"blank"):
        load_catalog(base_dir=mini, use_env=False)


def test_join_ids_must_exist(mini):
    write_csv(mini / "model_quality_join.csv", "model_quality_join", [dict(
        model_id="gpt-4o", quality_model_id="no-such-scores", source_url="https://openai.com/api/pricing/")])
    with pytest.raises(CatalogError, match=r"quality_model_id: unknown model_id 'no-such-scores'"):
        load_catalog(base_dir=mini, use_env=False)


def test_fine_tuning_routes_are_checked(mini):
    rows = _csv("model_control")[:1]
    rows[0]["fine_tuning"] = "none+lora_own_gpus"
    write_csv(mini / "model_control.csv", "model_control", rows)
    with pytest.raises(CatalogError, match=r"model_control.csv:2: fine_tuning: Routes joined with \+"):
        load_catalog(base_dir=mini, use_env=False)


def test_a_hosted_deployment_gets_the_scores_of_its_weights(catalog):
    join = {r["model_id"]: r for r in _csv("model_quality_join")}
    hosted = join["bedrock/llama-3.3-70b-instruct"]["quality_model_id"]
    assert hosted == "llama-3.3-70b"
    want = next(r for r in _csv("model_quality") if r["model_id"] == hosted and r["metric"] == "gpqa_diamond")
    got = score_on(catalog, "bedrock/llama-3.3-70b-instruct", "gpqa_diamond")
    assert got.score == float(want["score"]) and got.source_url == want["source_url"]
    assert got.effective_date == want["effective_date"] and got.origin == "published"
    assert quality_id(catalog, "gpt-image-1")[0] is None
    assert "image model" in quality_id(catalog, "gpt-image-1")[1]
    assert scores(catalog, "gpt-image-1") == {}


def test_user_scores_take_precedence_and_add_tasks(catalog):
    user = read_user_scores("model,task,score\nbedrock/llama-3.3-70b-instruct,gpqa_diamond,61\n"
                            "llama-3.3-70b,tickets,80.5\nllama-3.3-70b,gpqa_diamond,55\n", catalog)
    s = scores(catalog, "bedrock/llama-3.3-70b-instruct", user)
    assert s["gpqa_diamond"].score == 61.0 and s["gpqa_diamond"].origin == "user"   # its own row wins
    # the self-hosted model's eval applies to a hosted deployment of the same weights (same quality id)
    assert s["tickets"].score == 80.5 and "for llama-3.3-70b (the same weights)" in s["tickets"].notes
    own = scores(catalog, "llama-3.3-70b", user)
    assert own["tickets"].score == 80.5 and own["gpqa_diamond"].score == 55.0
    assert "tickets" not in scores(catalog, "llama-3.1-70b", user)                   # other weights
    published = next(r for r in _csv("model_quality") if r["model_id"] == "llama-3.3-70b" and r["metric"] == "hle")
    assert s["hle"].score == float(published["score"])   # untouched metrics stay published


@pytest.mark.parametrize("text, path, message", [
    ("model,score\nx,1\n", "line 1: header", "missing column(s) task"),
    ("model,task,score\nllama-3.3-70b,t,\n", "line 2: score", "must be a finite number, got ''"),
    ("model,task,score\nllama-3.3-70b,t,1\n,t,2\n", "line 3: model", "must not be empty"),
    ("model,task,score\nllama-3.3-70b,t,nan\n", "line 2: score", "must be a finite number, got 'nan'"),
    ("model,task,score\nllama-3.3-70b,t,1\nllama-3.3-70b,t,2\n", "line 3: task", "already given on line 2"),
    ("model,task,score\nllama-3.3-70bb,t,1\n", "line 2: model", "unknown model 'llama-3.3-70bb'"),
])
def test_bad_user_scores_name_line_and_column(catalog, text, path, message):
    with pytest.raises(UserScoresError) as err:
        read_user_scores(text, catalog)
    assert err.value.errors[0]["path"] == path
    assert message in err.value.errors[0]["message"]


def _score(v, metric="hle", scale="0-100 % correct"):
    return Score(metric, v, scale, True, "https://example.com", "2026-08-22", "", "published", "m")


def test_cost_per_point_by_hand():
    # 30,000 USD/month / 40 points = 750 USD/month per point; 3.2 USD/1M tokens / 40 = 0.08
    got = cost_per_point(30_000.0, 3.2, _score(40.0))
    assert got["usd_per_month_per_point"] == pytest.approx(750.0)
    assert got["usd_per_mtok_per_point"] == pytest.approx(0.08)
    elo = cost_per_point(30_000.0, 3.2, _score(1400.0, "arena_elo", "Elo-like rating (Bradley-Terry, LMArena text)"))
    assert elo["usd_per_month_per_point"] is None and "without a zero" in elo["reason"]
    assert cost_per_point(1.0, None, _score(0.0))["reason"] == "score 0 is not positive"


@given(st.floats(0, 1e9), st.floats(0.01, 100))
def test_cost_per_point_times_score_is_the_cost(usd, score):
    got = cost_per_point(usd, None, _score(score))
    assert got["usd_per_month_per_point"] * score == pytest.approx(usd, rel=1e-12, abs=1e-9)


def test_trail_sentence():
    # 62.6 - 50.5 = 12.1 points: said as 12
    got = trail_sentence("Llama 3.3 70B", _score(50.5, "gpqa_diamond"), "Claude Sonnet 5.5",
                         _score(62.6, "gpqa_diamond"))
    assert got == "Llama 3.3 70B scores 12 points below Claude Sonnet 5.5 on GPQA Diamond (50.5 vs 62.6)."
    assert trail_sentence("A", _score(3.0), "B", _score(6.5)).startswith("A scores 3.5 points below B")
    assert trail_sentence("A", _score(60.0), "B", _score(60.0)) is None
    assert trail_sentence("A", _score(50.0, "hle"), "B", _score(60.0, "gpqa_diamond")) is None
