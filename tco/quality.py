"""Performance of an option in numbers: published scores, the user's own evals, cost per point.

Scores come from ``model_quality`` (leaderboard runs, each with ``source_url`` and
``effective_date``); ``model_quality_join`` says which quality id a catalog model (closed,
open, or a hosted deployment of open weights) takes its scores from.  A user's own eval scores
(a CSV ``model, task, score``, :func:`read_user_scores`) take precedence over a published score of
the same metric name, and add their own tasks; a row applies to its model and to every deployment of
the same weights (same quality id), a row for the exact deployment winning.

Cost per point
--------------
``usd_per_month_per_point`` = the option's mean monthly cost over the horizon [USD/month] divided by
its score [points]; ``usd_per_mtok_per_point`` = its levelised cost [USD/1M tokens] divided by the
score.  Both are defined only on scales that start at zero (``0-100`` percentages and indices, and
user scores): an Elo-like rating has no zero, so dividing by it means nothing and gives None.
"""
from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import numpy as np

from tco.catalog import Catalog

__all__ = ["METRIC_LABELS", "Score", "UserScoresError", "quality_id", "scores", "score_on", "read_user_scores",
           "cost_per_point", "trail_sentence", "user_records"]

#: Display names of the shipped metrics.
METRIC_LABELS = {
    "hle": "Humanity's Last Exam", "gpqa_diamond": "GPQA Diamond", "mmlu_pro": "MMLU-Pro",
    "livecodebench": "LiveCodeBench", "scicode": "SciCode", "aime_2025": "AIME 2025",
    "swe_bench_verified": "SWE-bench Verified (bash-only)", "arena_elo": "LMArena text Elo",
    "intelligence_index": "AA Intelligence Index v4.1", "intelligence_index_v4_3": "AA Intelligence Index v4.3",
    "coding_index": "AA Coding Index (v4.1 era)",
}
#: Metric the guide uses when the user picks none: HLE spans every model era (see pricing/README.md).
DEFAULT_METRIC = "hle"
#: Largest user-scores file accepted [rows].
MAX_USER_ROWS = 10_000


@dataclass(frozen=True)
class Score:
    """One score of one model on one metric, with where it comes from.

    ``origin`` is ``published`` (a ``model_quality`` row) or ``user`` (the user's eval CSV);
    ``zero_based`` says whether cost per point is defined on its scale.
    """

    metric: str
    score: float
    scale: str
    higher_is_better: bool
    source_url: str | None
    effective_date: str | None
    notes: str
    origin: str
    quality_model_id: str | None

    @property
    def label(self) -> str:
        return METRIC_LABELS.get(self.metric, self.metric)

    @property
    def zero_based(self) -> bool:
        return self.origin == "user" or self.scale.startswith("0-100")

    def as_dict(self) -> dict:
        return {"metric": self.metric, "label": self.label, "score": self.score, "scale": self.scale,
                "higher_is_better": self.higher_is_better, "source_url": self.source_url,
                "effective_date": self.effective_date, "notes": self.notes, "origin": self.origin,
                "quality_model_id": self.quality_model_id}


class UserScoresError(ValueError):
    """The user's scores CSV is invalid: ``errors`` holds ``{"path": "line N: column", "message"}``."""

    def __init__(self, errors: list[dict]):
        self.errors = errors
        super().__init__("; ".join(f"{e['path']}: {e['message']}" for e in errors[:5]))


def _canonical(catalog: Catalog, model_id: str) -> str:
    """The catalog id ``model_id`` names (aliases resolved); the name itself when the catalog has none."""
    try:
        return catalog.resolve_model_id(model_id)
    except KeyError:
        return model_id


def quality_id(catalog: Catalog, model_id: str) -> tuple[str | None, str]:
    """The ``model_quality`` id whose scores apply to a catalog model, and why (or why none).

    Returns ``(quality_model_id or None, reason)``; the reason is the join row's basis, or its
    notes when no score is published, or says the model has no join row.
    """
    mid = _canonical(catalog, model_id)
    row = next((r for r in catalog.records("model_quality_join") if r["model_id"] == mid), None)
    if row is None:
        return None, f"{mid}: no row in model_quality_join.csv"
    if not row["quality_model_id"]:
        return None, str(row["notes"])
    return row["quality_model_id"], row["basis"] or "same model"


def scores(catalog: Catalog, model_id: str, user_scores=None) -> dict[str, Score]:
    """Every score that applies to ``model_id``, by metric: the published ones in force at the
    catalog's date, replaced (same metric) or extended by the user's rows for that model, or for a
    model of the same weights (same quality id: a hosted deployment and the self-hosted model share
    an eval; a row for the exact model wins).

    ``user_scores``: a frame or records of ``model, task, score`` (:func:`read_user_scores`).
    """
    mid = _canonical(catalog, model_id)
    qid, _ = quality_id(catalog, mid)
    out: dict[str, Score] = {}
    if qid is not None:
        for r in catalog.records("model_quality"):
            if r["model_id"] == qid:
                out[r["metric"]] = Score(r["metric"], float(r["score"]), r["scale"], bool(r["higher_is_better"]),
                                         r["source_url"], r["effective_date"], r["notes"] or "", "published", qid)
    join = {r["model_id"]: r["quality_model_id"] for r in catalog.records("model_quality_join")} if qid else {}
    exact: dict[str, Score] = {}
    for r in user_records(user_scores):
        rid = _canonical(catalog, r["model"])
        if rid != mid and not (qid and join.get(rid) == qid):
            continue
        same = "" if rid == mid else f" for {r['model']} (the same weights)"
        score = Score(r["task"], float(r["score"]), "your eval (higher is better)", True, None, None,
                      f"your eval score{same}, line {r.get('line', '?')} of the scores file", "user", None)
        (exact if rid == mid else out)[r["task"]] = score
    out.update(exact)
    return out


def score_on(catalog: Catalog, model_id: str, metric: str, user_scores=None) -> Score | None:
    """The score of ``model_id`` on ``metric`` (the user's first), or None when there is none."""
    return scores(catalog, model_id, user_scores).get(metric)


def user_records(user_scores) -> list[dict]:
    """User scores as a list of records (from a frame, a list, or None)."""
    if user_scores is None:
        return []
    if hasattr(user_scores, "to_dict"):
        return user_scores.to_dict("records")
    return list(user_scores)


def read_user_scores(text: str, catalog: Catalog | None = None) -> list[dict]:
    """Parse and validate a user's eval scores: CSV text with a header ``model, task, score``.

    ``model`` is a catalog id or alias (checked when ``catalog`` is given), ``task`` a metric name
    (a shipped one such as ``gpqa_diamond`` replaces the published score), ``score`` a finite
    number, higher is better.  A (model, task) pair may appear once.

    Returns records ``{"model", "task", "score", "line"}``.  Raises :class:`UserScoresError`
    naming the line and column of every bad cell.

    >>> read_user_scores("model,task,score\\nllama-3.3-70b,support_tickets,71.5\\n")
    [{'model': 'llama-3.3-70b', 'task': 'support_tickets', 'score': 71.5, 'line': 2}]
    >>> read_user_scores("model,task,score\\nx,t,abc\\n")
    Traceback (most recent call last):
    ...
    tco.quality.UserScoresError: line 2: score: must be a finite number, got 'abc'
    """
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in ("model", "task", "score") if c not in header]
    if missing:
        raise UserScoresError([{"path": "line 1: header",
                                "message": f"missing column(s) {', '.join(missing)}; the header must be "
                                           f"model,task,score (got {','.join(header) or 'nothing'})"}])
    idx = {c: header.index(c) for c in ("model", "task", "score")}
    errors: list[dict] = []
    out: list[dict] = []
    seen: dict[tuple[str, str], int] = {}
    for line, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(out) + len(errors) >= MAX_USER_ROWS:
            errors.append({"path": f"line {line}: -", "message": f"more than {MAX_USER_ROWS:,} rows"})
            break
        get = {c: (cells[i].strip() if i < len(cells) else "") for c, i in idx.items()}
        bad = False
        for c in ("model", "task"):
            if not get[c]:
                errors.append({"path": f"line {line}: {c}", "message": "must not be empty"})
                bad = True
        try:
            score = float(get["score"])
        except ValueError:
            score = math.nan
        if not math.isfinite(score):
            errors.append({"path": f"line {line}: score", "message": f"must be a finite number, got {get['score']!r}"})
            bad = True
        if catalog is not None and get["model"]:
            try:
                catalog.resolve_model_id(get["model"])
            except KeyError:
                near = catalog.closest_model_names(get["model"])
                hint = f"; closest: {', '.join(near)}" if near else ""
                errors.append({"path": f"line {line}: model",
                               "message": f"unknown model {get['model']!r} (not in the catalog){hint}"})
                bad = True
        key = (get["model"], get["task"])
        if not bad and key in seen:
            errors.append({"path": f"line {line}: task",
                           "message": f"{get['task']!r} for {get['model']!r} already given on line {seen[key]}"})
            bad = True
        if not bad:
            seen[key] = line
            out.append({"model": get["model"], "task": get["task"], "score": score, "line": line})
    if errors:
        raise UserScoresError(errors)
    return out


def cost_per_point(usd_per_month, usd_per_mtok, score: Score | None) -> dict:
    """Cost per point of ``score``: ``{"usd_per_month_per_point", "usd_per_mtok_per_point", "reason"}``.

    usd_per_month : mean monthly cost of the option over the horizon [USD/month].
    usd_per_mtok : levelised cost [USD/1M tokens], or None (no token volume).
    Values are None, with the reason, when there is no score, the scale has no zero (Elo) or the
    score is not positive.

    >>> cost_per_point(5000.0, 2.0, Score("hle", 25.0, "0-100 % correct", True, None, None, "", "published", "m"))
    {'usd_per_month_per_point': 200.0, 'usd_per_mtok_per_point': 0.08, 'reason': None}
    >>> cost_per_point(5000.0, 2.0, None)["reason"]
    'no score on this metric'
    """
    none = {"usd_per_month_per_point": None, "usd_per_mtok_per_point": None}
    if score is None:
        return {**none, "reason": "no score on this metric"}
    if not score.zero_based:
        return {**none, "reason": f"{score.label} is a rating without a zero ({score.scale}): cost per point "
                                  f"is not defined"}
    if not score.score > 0:
        return {**none, "reason": f"score {score.score:g} is not positive"}
    per_mtok = None if usd_per_mtok is None else float(np.float64(usd_per_mtok) / score.score)
    return {"usd_per_month_per_point": float(np.float64(usd_per_month) / score.score),
            "usd_per_mtok_per_point": per_mtok, "reason": None}


def _points(x: float) -> str:
    return f"{x:.0f}" if abs(x - round(x)) < 0.05 or abs(x) >= 10 else f"{x:.1f}"


def trail_sentence(cheaper: str, cheaper_score: Score | None, other: str, other_score: Score | None) -> str | None:
    """A plain sentence when the cheaper option scores worse than the other on the same metric, else None.

    >>> s = lambda v: Score("gpqa_diamond", v, "0-100 % correct", True, None, None, "", "published", "x")
    >>> trail_sentence("Llama 3.3 70B", s(50.5), "Claude Sonnet 5.5", s(62.6))
    'Llama 3.3 70B scores 12 points below Claude Sonnet 5.5 on GPQA Diamond (50.5 vs 62.6).'
    >>> trail_sentence("A", s(70.0), "B", s(60.0)) is None
    True
    """
    if cheaper_score is None or other_score is None or cheaper_score.metric != other_score.metric:
        return None
    gap = other_score.score - cheaper_score.score
    if not cheaper_score.higher_is_better:
        gap = -gap
    if gap <= 0:
        return None
    unit = "Elo points" if cheaper_score.metric == "arena_elo" else "points"
    return (f"{cheaper} scores {_points(gap)} {unit} below {other} on {cheaper_score.label} "
            f"({cheaper_score.score:g} vs {other_score.score:g}).")
