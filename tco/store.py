"""Saved scenarios: named scenario JSON kept in a SQLite file.

The dashboard and ``/api/v1/scenarios`` save a scenario under a name, list the saved ones
and reopen them. One table::

    scenarios(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, scenario_json TEXT NOT NULL,
              created_at TEXT, updated_at TEXT)

- The file is ``Settings.database`` (``TCO_DATABASE``, default ``tco.sqlite3``). A relative
  path is relative to the working directory of the process *when the store is created*
  (it is made absolute then, so a later ``chdir`` does not move it). The parent folder and
  the table are created on first use.
- Every operation opens its own connection and closes it, so one store is safe to share
  between threads, and any number of processes (gunicorn workers) may use the same file.
- The journal is in WAL mode (readers never block the writer); a writer that finds the
  database locked waits up to ``timeout`` seconds (SQLite's busy timeout) instead of failing;
  every write is one ``BEGIN IMMEDIATE`` transaction, so concurrent saves lose nothing.
- Timestamps are ISO 8601 in UTC (``2025-01-31T12:00:00.123456+00:00``).
- Ids are never reused, even after a delete.

>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as d:
...     store = ScenarioStore(os.path.join(d, "sub", "saved.sqlite3"))
...     rec = store.save("  my plan ", {"workload": {"tokens_per_month": 1e9}})
...     (rec.id, rec.name, store.get(rec.id).scenario, [r.name for r in store.list()])
(1, 'my plan', {'workload': {'tokens_per_month': 1000000000.0}}, ['my plan'])
"""
from __future__ import annotations

import json
import os
import sqlite3
import time
import unicodedata
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

#: Longest name, in characters after stripping surrounding whitespace.
MAX_NAME_LENGTH = 200
#: Largest id SQLite can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS scenarios (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    scenario_json TEXT NOT NULL,
    created_at TEXT,
    updated_at TEXT
)
"""


@dataclass(frozen=True)
class SavedScenario:
    """One saved scenario; ``scenario`` is ``None`` in :meth:`ScenarioStore.list`."""

    id: int
    name: str
    created_at: str
    updated_at: str
    scenario: dict | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        if self.scenario is None:
            del d["scenario"]
        return d


def check_name(name: Any) -> str:
    """The name stripped of surrounding whitespace.

    ValueError unless it is a string of 1..200 characters (after stripping) without control
    characters (newlines, tabs, NUL) or lone surrogates (which are not UTF-8).
    """
    if not isinstance(name, str):
        raise ValueError(f"name must be a string, got {type(name).__name__}")
    stripped = name.strip()
    if not 1 <= len(stripped) <= MAX_NAME_LENGTH:
        raise ValueError(f"name must be 1 to {MAX_NAME_LENGTH} characters (surrounding spaces removed), "
                         f"got {len(stripped)}")
    bad = next((c for c in stripped if unicodedata.category(c) in ("Cc", "Cs")), None)
    if bad is not None:
        raise ValueError(f"name must be one line of text, without control characters or lone surrogates "
                         f"(found {bad!r})")
    return stripped


def _dump(scenario: Any) -> str:
    if not isinstance(scenario, Mapping):
        raise ValueError(f"scenario must be a JSON object, got {type(scenario).__name__}")
    try:
        return json.dumps(scenario, allow_nan=False)   # ASCII: lone surrogates survive too
    except (TypeError, ValueError) as exc:
        raise ValueError(f"scenario is not JSON: {exc}") from None


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _check_id(scenario_id: Any) -> int:
    if isinstance(scenario_id, bool) or not isinstance(scenario_id, int) or not 1 <= scenario_id <= MAX_ID:
        raise KeyError(f"no saved scenario with id {scenario_id!r}")
    return scenario_id


class ScenarioStore:
    """Saved scenarios in the SQLite file ``path`` (see the module docstring).

    Parameters
    ----------
    path : the database file; relative = relative to the current working directory.
        ``":memory:"`` is refused: each operation opens a new connection.
    timeout : seconds a writer waits for another writer's lock before giving up.
    """

    def __init__(self, path: str | os.PathLike, timeout: float = 5.0):
        raw = os.fspath(path)
        if raw in ("", ":memory:") or raw.startswith("file:"):
            raise ValueError(f"the scenario store needs a file path, got {raw!r}")
        self.path = Path(raw).expanduser().absolute()
        self.timeout = float(timeout)
        self._ready = False

    def __repr__(self) -> str:
        return f"ScenarioStore({str(self.path)!r})"

    # ------------------------------------------------------------------ connections

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: autocommit; writes manage their own BEGIN IMMEDIATE ... COMMIT.
        # timeout sets SQLite's busy timeout: a locked database is waited for, not an error.
        return sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)

    def _init(self) -> None:
        """Create the folder, switch the file to WAL and create the table (idempotent)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                with closing(self._open()) as con:
                    if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                        con.execute("PRAGMA journal_mode=WAL")
                    con.execute(SCHEMA)
                break
            except sqlite3.OperationalError as exc:
                # Several processes initialising a new file at once: switching the journal mode
                # can answer "locked" without waiting; retry until the timeout.
                if not ("locked" in str(exc) or "busy" in str(exc)) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        self._ready = True

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        if not self._ready:
            self._init()
        with closing(self._open()) as con:
            yield con

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A connection inside ``BEGIN IMMEDIATE``: committed on success, rolled back on error."""
        with self._read() as con:
            con.execute("BEGIN IMMEDIATE")
            try:
                yield con
            except BaseException:
                con.execute("ROLLBACK")
                raise
            con.execute("COMMIT")

    # ------------------------------------------------------------------ operations

    def save(self, name: str, scenario: Mapping[str, Any]) -> SavedScenario:
        """Save ``scenario`` (a JSON object) under ``name``; returns the new record."""
        name = check_name(name)
        body = _dump(scenario)
        now = _now()
        with self._write() as con:
            cur = con.execute("INSERT INTO scenarios (name, scenario_json, created_at, updated_at) "
                              "VALUES (?, ?, ?, ?)", (name, body, now, now))
            new_id = cur.lastrowid
        return SavedScenario(new_id, name, now, now, json.loads(body))

    def list(self) -> list[SavedScenario]:
        """Every saved scenario without its body, newest (last created) first."""
        with self._read() as con:
            rows = con.execute("SELECT id, name, created_at, updated_at FROM scenarios ORDER BY id DESC").fetchall()
        return [SavedScenario(*row) for row in rows]

    def get(self, scenario_id: int) -> SavedScenario:
        """The saved scenario with its body; KeyError if there is none with this id."""
        scenario_id = _check_id(scenario_id)
        with self._read() as con:
            row = con.execute("SELECT id, name, created_at, updated_at, scenario_json FROM scenarios WHERE id = ?",
                              (scenario_id,)).fetchone()
        if row is None:
            raise KeyError(f"no saved scenario with id {scenario_id}")
        return SavedScenario(*row[:4], json.loads(row[4]))

    def update(self, scenario_id: int, name: str | None = None,
               scenario: Mapping[str, Any] | None = None) -> SavedScenario:
        """Rename and/or replace the body of a saved scenario; KeyError if absent."""
        scenario_id = _check_id(scenario_id)
        sets, values = ["updated_at = ?"], [_now()]
        if name is not None:
            sets.append("name = ?")
            values.append(check_name(name))
        if scenario is not None:
            sets.append("scenario_json = ?")
            values.append(_dump(scenario))
        with self._write() as con:
            cur = con.execute(f"UPDATE scenarios SET {', '.join(sets)} WHERE id = ?", (*values, scenario_id))
            if cur.rowcount == 0:
                raise KeyError(f"no saved scenario with id {scenario_id}")
            row = con.execute("SELECT id, name, created_at, updated_at, scenario_json FROM scenarios WHERE id = ?",
                              (scenario_id,)).fetchone()
        return SavedScenario(*row[:4], json.loads(row[4]))

    def delete(self, scenario_id: int) -> None:
        """Delete a saved scenario; KeyError if absent."""
        scenario_id = _check_id(scenario_id)
        with self._write() as con:
            if con.execute("DELETE FROM scenarios WHERE id = ?", (scenario_id,)).rowcount == 0:
                raise KeyError(f"no saved scenario with id {scenario_id}")

    def count(self) -> int:
        """How many scenarios are saved."""
        with self._read() as con:
            return con.execute("SELECT COUNT(*) FROM scenarios").fetchone()[0]
