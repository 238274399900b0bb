"""Saved scenarios through the REST API: /api/v1/scenarios and /api/v1/scenarios/{id}."""
from __future__ import annotations

import copy
import json
import threading
import time
from datetime import datetime

import pytest

from tco.settings import Settings
from tco.web import create_app

from test_api import BODY, INLINE, assert_error_shape

URL = "/api/v1/scenarios"


@pytest.fixture
def db(database_url):
    """A fresh database on each back-end (tests/conftest.py): a SQLite file, then PostgreSQL."""
    return database_url


@pytest.fixture
def app(db, catalog):
    app = create_app(Settings(database=db), catalog=catalog)
    app.testing = True
    return app


@pytest.fixture
def client(app):
    return app.test_client()


def save(client, name, scenario=BODY):
    res = client.post(URL, json={"name": name, "scenario": scenario})
    assert res.status_code == 201, res.get_json()
    return res.get_json()


def canonical(obj) -> str:
    """JSON text: tells 2 from 2.0, unlike ==."""
    return json.dumps(obj, sort_keys=True)


# ------------------------------------------------------------------ happy path

def test_post_creates_a_record(client, db):
    res = client.post(URL, json={"name": "  gpt-4o vs llama  ", "scenario": BODY})
    assert res.status_code == 201
    assert "Location" not in res.headers
    body = res.get_json()
    assert set(body) == {"id", "name", "created_at", "updated_at", "scenario"}
    assert isinstance(body["id"], int) and body["name"] == "gpt-4o vs llama"
    assert datetime.fromisoformat(body["created_at"]).utcoffset().total_seconds() == 0
    assert body["created_at"] == body["updated_at"]
    assert canonical(body["scenario"]) == canonical(BODY)


def test_list_is_newest_first_without_bodies(client):
    assert client.get(URL).get_json() == {"scenarios": []}
    ids = [save(client, name)["id"] for name in ("a", "b", "c")]
    listed = client.get(URL).get_json()["scenarios"]
    assert [s["name"] for s in listed] == ["c", "b", "a"]
    assert [s["id"] for s in listed] == ids[::-1]
    assert all(set(s) == {"id", "name", "created_at", "updated_at"} for s in listed)


def test_reopen_returns_the_exact_scenario_json(client):
    sent = copy.deepcopy(BODY)
    sent["as_of"] = None
    sent["workload"]["monthly_volumes"] = [1e9, 2e9, 3]     # ints stay ints, as sent
    sent["horizon_months"] = 3
    rec = save(client, "exact", sent)
    res = client.get(f"{URL}/{rec['id']}")
    assert res.status_code == 200
    got = res.get_json()
    assert canonical(got["scenario"]) == canonical(sent)
    assert list(got["scenario"]) == list(sent)                        # key order kept too
    assert {k: got[k] for k in ("id", "name", "created_at", "updated_at")} == \
           {k: rec[k] for k in ("id", "name", "created_at", "updated_at")}


@pytest.mark.parametrize("scenario", [BODY, INLINE], ids=["catalog", "inline"])
def test_a_saved_scenario_prices_like_the_original(client, scenario):
    rec = save(client, "to price", scenario)
    reopened = client.get(f"{URL}/{rec['id']}").get_json()["scenario"]
    res = client.post("/api/v1/tco", json=reopened)
    assert res.status_code == 200, res.get_json()
    assert res.get_json()["summary"] == client.post("/api/v1/tco", json=scenario).get_json()["summary"]


def test_put_replaces_name_and_scenario(client):
    rec = save(client, "old", BODY)
    res = client.put(f"{URL}/{rec['id']}", json={"name": "new", "scenario": INLINE})
    assert res.status_code == 200, res.get_json()
    up = res.get_json()
    assert (up["id"], up["name"], up["created_at"]) == (rec["id"], "new", rec["created_at"])
    assert up["updated_at"] >= rec["updated_at"]
    assert canonical(client.get(f"{URL}/{rec['id']}").get_json()["scenario"]) == canonical(INLINE)
    assert [s["name"] for s in client.get(URL).get_json()["scenarios"]] == ["new"]


def test_delete(client):
    keep, gone = save(client, "keep"), save(client, "gone")
    res = client.delete(f"{URL}/{gone['id']}")
    assert res.status_code == 204 and res.data == b""
    assert_error_shape(client.get(f"{URL}/{gone['id']}"), 404)
    assert [s["id"] for s in client.get(URL).get_json()["scenarios"]] == [keep["id"]]


def test_a_second_app_on_the_same_file_reads_what_the_first_saved(db, catalog):
    first = create_app(Settings(database=db), catalog=catalog).test_client()
    rec = save(first, "survives", BODY)
    second = create_app(Settings(database=db), catalog=catalog).test_client()   # a restart
    got = second.get(f"{URL}/{rec['id']}").get_json()
    assert got["name"] == "survives" and canonical(got["scenario"]) == canonical(BODY)
    assert [s["id"] for s in second.get(URL).get_json()["scenarios"]] == [rec["id"]]


def test_the_database_path_comes_from_tco_database(tmp_path, monkeypatch, catalog):
    path = tmp_path / "from_env" / "saved.sqlite3"
    monkeypatch.setenv("TCO_DATABASE", str(path))
    client = create_app(catalog=catalog).test_client()          # settings from the environment
    assert not path.exists()                                    # created on first use, not at start-up
    save(client, "env")
    assert path.exists()


def test_tco_database_takes_a_sqlalchemy_url(tmp_path, monkeypatch, catalog, database_url):
    url = database_url if "://" in database_url else "sqlite:///" + database_url
    monkeypatch.setenv("TCO_DATABASE", url)
    first = create_app(catalog=catalog).test_client()
    rec = save(first, "by url")
    again = create_app(catalog=catalog).test_client()           # another replica on the same database
    assert [s["id"] for s in again.get(URL).get_json()["scenarios"]] == [rec["id"]]


def test_concurrent_saves_through_the_api_lose_nothing(app):
    errors = []

    def work(t):
        client = app.test_client()
        for i in range(10):
            res = client.post(URL, json={"name": f"{t}-{i}", "scenario": INLINE})
            if res.status_code != 201:
                errors.append(res.get_json())

    threads = [threading.Thread(target=work, args=(t,)) for t in range(6)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    names = {s["name"] for s in app.test_client().get(URL).get_json()["scenarios"]}
    assert names == {f"{t}-{i}" for t in range(6) for i in range(10)}


def _app_process(db, prefix, n, start):
    """One app process (like a gunicorn worker or a replica): its own app, store and connections."""
    from tco.catalog import load_catalog

    client = create_app(Settings(database=db), catalog=load_catalog(use_env=False)).test_client()
    start.wait(60)
    for i in range(n):
        res = client.post(URL, json={"name": f"{prefix}-{i}", "scenario": INLINE})
        for _ in range(5):          # a busy database is a 503 with Retry-After: a client asks again
            if res.status_code != 503:
                break
            time.sleep(float(res.headers["Retry-After"]))
            res = client.post(URL, json={"name": f"{prefix}-{i}", "scenario": INLINE})
        if res.status_code != 201:
            raise SystemExit(f"{prefix}-{i}: {res.status_code} {res.get_data(as_text=True)}")


def test_concurrent_saves_from_two_app_processes_lose_nothing(db):
    import multiprocessing

    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_app_process, args=(db, f"app{k}", 20, start)) for k in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    reader = create_app(Settings(database=db)).test_client()
    listed = reader.get(URL).get_json()["scenarios"]
    assert {s["name"] for s in listed} == {f"app{k}-{i}" for k in range(2) for i in range(20)}   # 40 saves
    assert len({s["id"] for s in listed}) == 40


# ------------------------------------------------------------------ errors

def test_invalid_scenario_is_422_with_scenario_paths(client):
    bad = copy.deepcopy(BODY)
    bad["workload"]["input_tokens_per_month"] = -1
    bad["open"]["nonsense"] = 1
    body = assert_error_shape(client.post(URL, json={"name": "bad", "scenario": bad}), 422)
    paths = {e["path"] for e in body["errors"]}
    assert paths == {"scenario.workload.input_tokens_per_month", "scenario.open.nonsense"}
    assert client.get(URL).get_json() == {"scenarios": []}                    # nothing saved


def test_a_scenario_that_does_not_price_is_not_saved(client):
    bad = {**BODY, "closed": {"model": "no-such-model"}}
    body = assert_error_shape(client.post(URL, json={"name": "bad", "scenario": bad}), 422)
    assert [e["path"] for e in body["errors"]] == ["scenario.closed.model"]
    assert "no-such-model" in body["message"]
    rec = save(client, "good")
    body = assert_error_shape(client.put(f"{URL}/{rec['id']}", json={"name": "bad", "scenario": bad}), 422)
    assert [e["path"] for e in body["errors"]] == ["scenario.closed.model"]
    assert client.get(f"{URL}/{rec['id']}").get_json()["name"] == "good"


@pytest.mark.parametrize("payload, path", [
    ({"scenario": BODY}, "name"),
    ({"name": "", "scenario": BODY}, "name"),
    ({"name": "   ", "scenario": BODY}, "name"),
    ({"name": "x" * 201, "scenario": BODY}, "name"),
    ({"name": "two\nlines", "scenario": BODY}, "name"),
    ({"name": 7, "scenario": BODY}, "name"),
    ({"name": "no body"}, "scenario"),
    ({"name": "list", "scenario": [BODY]}, "scenario"),
    ({"name": "extra", "scenario": BODY, "colour": "red"}, "colour"),
    ({"name": "no workload", "scenario": {"horizon_months": 12}}, "scenario.workload"),
])
def test_bad_bodies_are_422_naming_the_field(client, payload, path):
    body = assert_error_shape(client.post(URL, json=payload), 422)
    assert [e["path"] for e in body["errors"]] == [path]


def test_a_body_that_is_not_json_is_rejected(client):
    assert_error_shape(client.post(URL, data="name=x", content_type="application/x-www-form-urlencoded"), 415)
    assert_error_shape(client.post(URL, data="{", content_type="application/json"), 400)


@pytest.mark.parametrize("method", ["get", "put", "delete"])
@pytest.mark.parametrize("scenario_id", [0, 7, 2**70])
def test_unknown_id_is_404(client, method, scenario_id):
    save(client, "one")
    kwargs = {"json": {"name": "x", "scenario": BODY}} if method == "put" else {}
    body = assert_error_shape(getattr(client, method)(f"{URL}/{scenario_id}", **kwargs), 404)
    assert str(scenario_id) in body["message"]
    assert body["errors"] == [{"path": "path.scenario_id", "message": f"no saved scenario with id {scenario_id}"}]


def test_a_non_integer_id_is_404(client):
    for bad in ("abc", "-1", "1.5"):
        assert_error_shape(client.get(f"{URL}/{bad}"), 404)


# ------------------------------------------------------------------ spec

def test_spec_documents_the_endpoints_and_every_field(client):
    spec = client.get("/openapi.json").get_json()
    assert set(spec["paths"][URL]) == {"get", "post"}
    assert {"get", "put", "delete"} <= set(spec["paths"][URL + "/{scenario_id}"])
    assert spec["paths"][URL]["post"]["responses"]["201"]
    for method in ("get", "put", "delete"):
        assert "404" in spec["paths"][URL + "/{scenario_id}"][method]["responses"]
    schemas = spec["components"]["schemas"]
    for name in ("SaveScenario", "SavedScenario", "SavedScenarioSummary", "SavedScenarioList"):
        for field, prop in schemas[name]["properties"].items():
            assert prop.get("description"), f"{name}.{field}"
    assert schemas["SaveScenario"]["properties"]["scenario"]["allOf"] == [{"$ref": "#/components/schemas/Scenario"}]


def test_the_spec_example_saves(client):
    spec = client.get("/openapi.json").get_json()
    for method, status in (("post", 201), ("put", 200)):
        examples = spec["paths"][URL + ("" if method == "post" else "/{scenario_id}")][method]["requestBody"][
            "content"]["application/json"]["examples"]
        for ex in examples.values():
            path = URL if method == "post" else f"{URL}/{client.get(URL).get_json()['scenarios'][0]['id']}"
            res = client.open(path, method=method.upper(), json=ex["value"])
            assert res.status_code == status, res.get_json()


def test_a_busy_database_is_503_with_retry_after(client, monkeypatch):
    """The store gives up waiting for another writer's lock (StoreBusy): the API says 503 and when to
    retry, in the one error shape, and nothing is saved."""
    from tco.store import ScenarioStore, StoreBusy

    def busy(self, *args, **kwargs):
        raise StoreBusy("the saved-scenario database is busy: database is locked")
    monkeypatch.setattr(ScenarioStore, "save", busy)
    res = client.post(URL, json={"name": "x", "scenario": BODY})
    body = assert_error_shape(res, 503)
    assert res.headers["Retry-After"] == "1" and "busy" in body["message"]
    monkeypatch.undo()
    assert client.get(URL).get_json() == {"scenarios": []}
