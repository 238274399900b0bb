"""The saved-scenario store: round trip, restarts, concurrent writers, names, ids.

Tests taking ``database_url`` (tests/conftest.py) run on both back-ends: a SQLite file and a
throwaway PostgreSQL cluster on 127.0.0.1. The rest are about SQLite files.
"""
from __future__ import annotations

import json
import multiprocessing
import sqlite3
import threading
from contextlib import closing
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tco.store import MAX_NAME_LENGTH, ScenarioStore, check_name

SCENARIO = {
    "horizon_months": 36,
    "workload": {"input_tokens_per_month": 2e9, "output_tokens_per_month": 5e8, "monthly_growth": 0.05},
    "closed": {"model": "gpt-4o"},
    "open": {"model": "llama-3.1-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "precision": "fp8"},
}


@pytest.fixture
def store(database_url):
    return ScenarioStore(database_url)


def _utc(ts: str) -> datetime:
    t = datetime.fromisoformat(ts)
    assert t.utcoffset() == timedelta(0), ts
    return t


# ------------------------------------------------------------------ round trip

def test_save_list_get_update_delete(store):
    a = store.save("first", SCENARIO)
    assert a.name == "first" and a.scenario == SCENARIO and a.created_at == a.updated_at
    _utc(a.created_at)
    b = store.save("  second  ", {"workload": {"tokens_per_month": 1e6}})
    assert b.name == "second" and b.id > a.id

    listed = store.list()
    assert [r.name for r in listed] == ["second", "first"]                      # newest first
    assert all(r.scenario is None for r in listed)
    assert listed[0].to_dict() == {"id": b.id, "name": "second", "created_at": b.created_at,
                                   "updated_at": b.updated_at}

    got = store.get(a.id)
    assert got == a
    assert json.dumps(got.scenario) == json.dumps(SCENARIO)                     # ints stay ints, order kept

    changed = {**SCENARIO, "horizon_months": 12}
    up = store.update(a.id, name="renamed", scenario=changed)
    assert (up.id, up.name, up.scenario, up.created_at) == (a.id, "renamed", changed, a.created_at)
    assert _utc(up.updated_at) >= _utc(a.updated_at)
    assert store.get(a.id) == up
    assert store.update(a.id, name="only the name").scenario == changed
    assert store.update(a.id, scenario=SCENARIO).name == "only the name"

    store.delete(b.id)
    assert [r.id for r in store.list()] == [a.id] and store.count() == 1
    with pytest.raises(KeyError, match=f"no saved scenario with id {b.id}"):
        store.get(b.id)


def test_unknown_ids_raise_key_error(store):
    store.save("x", SCENARIO)
    for bad in (0, -1, 2, 2**70, True, "1", None):
        with pytest.raises(KeyError):
            store.get(bad)
        with pytest.raises(KeyError):
            store.update(bad, name="y")
        with pytest.raises(KeyError):
            store.delete(bad)
    assert [r.name for r in store.list()] == ["x"]                              # nothing half-done


def test_ids_are_never_reused(store):
    a = store.save("a", SCENARIO)
    store.delete(a.id)
    assert store.save("b", SCENARIO).id > a.id


def test_survives_a_restart(database_url):
    path = database_url
    first = ScenarioStore(path)
    rec = first.save("kept", SCENARIO)
    first.dispose()
    del first
    again = ScenarioStore(str(path))                                            # a new process would do this
    assert again.get(rec.id) == rec
    assert [r.name for r in again.list()] == ["kept"]


def test_creates_folder_table_and_wal_on_first_use(tmp_path):
    path = tmp_path / "a" / "b" / "saved.sqlite3"
    store = ScenarioStore(path)
    assert not path.parent.exists()                                             # nothing until first use
    assert store.list() == []
    assert path.exists()
    with closing(sqlite3.connect(path)) as con:
        assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        cols = [r[1] for r in con.execute("PRAGMA table_info(scenarios)")]
    assert cols == ["id", "name", "scenario_json", "created_at", "updated_at"]


def test_relative_path_is_relative_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    store = ScenarioStore("data/saved.sqlite3")
    assert store.path == tmp_path / "data" / "saved.sqlite3"
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")                                   # fixed when the store was made
    store.save("x", SCENARIO)
    assert (tmp_path / "data" / "saved.sqlite3").exists()
    assert not (tmp_path / "elsewhere" / "data").exists()


@pytest.mark.parametrize("path", ["", ":memory:", "file::memory:"])
def test_a_file_is_required(path):
    with pytest.raises(ValueError, match="needs a file path"):
        ScenarioStore(path)


# ------------------------------------------------------------------ names and bodies

@pytest.mark.parametrize("name", ["", "   ", "x" * (MAX_NAME_LENGTH + 1), "two\nlines", "nul\x00", "\ud800", None, 3])
def test_bad_names_are_rejected(store, name):
    with pytest.raises(ValueError, match="name must"):
        store.save(name, SCENARIO)
    rec = store.save("ok", SCENARIO)
    if name is not None:                            # update(name=None) keeps the name
        with pytest.raises(ValueError, match="name must"):
            store.update(rec.id, name=name)
    assert store.get(rec.id).name == "ok"


def test_names_are_stripped_and_may_be_200_characters():
    assert check_name("  " + "é" * MAX_NAME_LENGTH + "\t") == "é" * MAX_NAME_LENGTH
    assert check_name("GPT-4o vs Llama 3.1 — 70B / 2×H100") == "GPT-4o vs Llama 3.1 — 70B / 2×H100"


@pytest.mark.parametrize("body", [[1, 2], "text", {"x": float("nan")}, {"x": float("inf")}, {"x": object()}])
def test_scenario_must_be_a_json_object(store, body):
    with pytest.raises(ValueError, match="scenario"):
        store.save("x", body)
    assert store.count() == 0


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20)


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.dictionaries(st.text(max_size=8), JSON, max_size=5))
def test_any_json_object_comes_back_exactly(store, body):
    rec = store.save("prop", body)
    assert json.dumps(store.get(rec.id).scenario) == json.dumps(body)


# ------------------------------------------------------------------ concurrency

PER_WRITER = 25


def _writer(path: str, prefix: str, n: int, threads: int, start=None) -> None:
    """Save ``n`` scenarios from each of ``threads`` threads; ``start``: a barrier so all writers start at once."""
    store = ScenarioStore(path)
    if start is not None:
        start.wait(60)
    errors = []

    def work(t):
        try:
            for i in range(n):
                store.save(f"{prefix}-{t}-{i}", {**SCENARIO, "horizon_months": i + 1})
        except BaseException as exc:   # noqa: BLE001 - reported below
            errors.append(exc)

    pool = [threading.Thread(target=work, args=(t,)) for t in range(threads)]
    for th in pool:
        th.start()
    for th in pool:
        th.join()
    if errors:
        raise errors[0]


def _expected(prefixes, threads):
    return {f"{p}-{t}-{i}" for p in prefixes for t in range(threads) for i in range(PER_WRITER)}


def _start_processes(path, n_procs, threads):
    """Writer processes forked like gunicorn's workers (spawned where fork is unavailable)."""
    ctx = multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")
    start = ctx.Barrier(n_procs)
    procs = [ctx.Process(target=_writer, args=(str(path), f"p{k}", PER_WRITER, threads, start))
             for k in range(n_procs)]
    for p in procs:
        p.start()
    return procs


def _join(procs):
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * len(procs)
    for p in procs:
        p.close()
    return [f"p{k}" for k in range(len(procs))]


def _check_all_saved(path, names):
    store = ScenarioStore(path)
    listed = store.list()
    assert store.count() == len(names) == len(listed)
    assert {r.name for r in listed} == names
    assert len({r.id for r in listed}) == len(names)
    one = store.get(listed[0].id)
    assert one.scenario["workload"] == SCENARIO["workload"]


def test_concurrent_processes_lose_nothing(tmp_path, database_url):
    # A new file or an empty database: the processes also race to create it and the table.
    path = tmp_path / "new" / "saved.sqlite3" if database_url.endswith(".sqlite3") else database_url
    prefixes = _join(_start_processes(path, n_procs=4, threads=1))
    _check_all_saved(path, _expected(prefixes, 1))


def test_concurrent_threads_lose_nothing(database_url):
    path = database_url
    _writer(str(path), "t", PER_WRITER, 4)          # 4 threads sharing one store
    _check_all_saved(path, _expected(["t"], 4))


def test_processes_and_threads_with_readers_lose_nothing(database_url):
    path = database_url
    store = ScenarioStore(path)
    stop, seen, errors = threading.Event(), [], []

    def reader():
        try:
            while not stop.is_set():
                seen.append(len(store.list()))
        except BaseException as exc:   # noqa: BLE001
            errors.append(exc)

    store.list()                                    # the file exists: the reader has something to read
    procs = _start_processes(path, n_procs=2, threads=2)    # fork before starting a thread here
    th = threading.Thread(target=reader)
    th.start()
    try:
        prefixes = _join(procs)
    finally:
        stop.set()
        th.join()
    assert not errors
    assert seen == sorted(seen)                     # a reader never sees a save undone
    _check_all_saved(path, _expected(prefixes, 2))


def _open_and_save(path, start, k):
    store = ScenarioStore(path)
    start.wait(60)
    store.save(f"p{k}", {"horizon_months": 12})


def test_processes_opening_a_new_file_at_once_all_save(tmp_path):
    """Six processes (gunicorn workers after a fresh install) open the same new file at the same
    moment: the table is checked and created under the write lock, so none fails its first save on
    "table scenarios already exists" (a 500 seen in CI before)."""
    ctx = multiprocessing.get_context("fork")
    path = tmp_path / "new.sqlite3"
    start = ctx.Barrier(6)
    procs = [ctx.Process(target=_open_and_save, args=(path, start, k)) for k in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0] * 6
    assert sorted(s.name for s in ScenarioStore(path).list()) == [f"p{k}" for k in range(6)]


def test_a_lock_held_past_the_timeout_is_store_busy(tmp_path):
    """Another writer holding the write lock longer than the store waits (0.2 s here): StoreBusy,
    which the API answers 503 with Retry-After, not a 500."""
    from tco.store import StoreBusy
    path = tmp_path / "busy.sqlite3"
    ScenarioStore(path).save("first", {"horizon_months": 12})
    with closing(sqlite3.connect(path, timeout=0.1, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        with pytest.raises(StoreBusy, match="busy"):
            ScenarioStore(path, timeout=0.2).save("second", {"horizon_months": 12})
        other.execute("ROLLBACK")
    assert [s.name for s in ScenarioStore(path).list()] == ["first"]


def test_a_new_file_locked_while_switching_to_wal_is_store_busy(tmp_path):
    """The first use of a file switches it to WAL, a PRAGMA the driver runs itself: a lock held by
    another process (here a writer on a file still in rollback-journal mode) past the timeout is
    StoreBusy too, not the driver's own "database is locked" (a CI run saw that as a 500)."""
    from tco.store import StoreBusy
    path = tmp_path / "journal.sqlite3"
    with closing(sqlite3.connect(path, timeout=0.1, isolation_level=None)) as other:
        other.execute("CREATE TABLE unrelated (x INTEGER)")
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreBusy, match="busy"):
            ScenarioStore(path, timeout=0.2).save("blocked", {"horizon_months": 12})
        other.execute("ROLLBACK")
    store = ScenarioStore(path, timeout=0.2)
    store.save("after", {"horizon_months": 12})
    assert [s.name for s in store.list()] == ["after"]
