"""Saved scenarios: named scenario JSON kept in a SQL database (SQLite or PostgreSQL).

The dashboard and ``/api/v1/scenarios`` save a scenario under a name, list the saved ones
and reopen them. One table::

    scenarios(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, scenario_json TEXT NOT NULL,
              created_at TEXT, updated_at TEXT)

- The database is ``Settings.database`` (``TCO_DATABASE``), a SQLAlchemy URL or a file path:

  ========================================  =================================================
  ``tco.sqlite3`` (the default), any path   a SQLite file (one machine; any number of processes)
  ``sqlite:///rel/path.db``                 the same, as a URL (``sqlite:////abs/path.db``)
  ``postgresql+psycopg://user@host/db``     PostgreSQL (several replicas behind a load balancer)
  ========================================  =================================================

  A relative SQLite path is relative to the working directory of the process *when the
  store is created* (it is made absolute then, so a later ``chdir`` does not move it). The
  parent folder and the table are created on first use (on PostgreSQL the database itself
  must exist; the table is created in it).
- Every operation is one short transaction on a connection of its own (SQLite: opened and
  closed each time; PostgreSQL: taken from a small pool), so one store is safe to share
  between threads, and any number of processes (gunicorn workers, replicas) may use the same
  database. A forked child makes its own connections.
- SQLite: the journal is in WAL mode (readers never block the writer); a writer that finds
  the database locked waits up to ``timeout`` seconds (SQLite's busy timeout); every write is
  one ``BEGIN IMMEDIATE`` transaction. PostgreSQL: ``INSERT ... RETURNING`` under its
  row-level locking; ids come from a sequence. On both, concurrent saves lose nothing.
- Timestamps are ISO 8601 in UTC (``2025-01-31T12:00:00.123456+00:00``).
- Ids are never reused, even after a delete.

>>> import tempfile, os
>>> with tempfile.TemporaryDirectory() as d:
...     store = ScenarioStore(os.path.join(d, "sub", "saved.sqlite3"))
...     rec = store.save("  my plan ", {"workload": {"tokens_per_month": 1e9}})
...     (rec.id, rec.name, store.get(rec.id).scenario, [r.name for r in store.list()])
(1, 'my plan', {'workload': {'tokens_per_month': 1000000000.0}}, ['my plan'])
>>> database_url("saved/tco.sqlite3").endswith("/saved/tco.sqlite3")
True
>>> database_url("postgresql+psycopg://tco@db.internal/tco")
'postgresql+psycopg://tco@db.internal/tco'
"""
from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import unicodedata
import weakref
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Mapping

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.pool import NullPool

#: Longest name, in characters after stripping surrounding whitespace.
MAX_NAME_LENGTH = 200
#: Largest id SQLite and PostgreSQL's bigint can hold (a signed 64-bit integer).
MAX_ID = 2**63 - 1
#: Database back-ends the store supports (SQLAlchemy dialect names).
BACKENDS = ("sqlite", "postgresql")

METADATA = sa.MetaData()
SCENARIOS = sa.Table(
    "scenarios", METADATA,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True),
    sa.Column("name", sa.Text(), nullable=False),
    sa.Column("scenario_json", sa.Text(), nullable=False),
    sa.Column("created_at", sa.Text()),
    sa.Column("updated_at", sa.Text()),
    sqlite_autoincrement=True,          # AUTOINCREMENT: SQLite never hands out a deleted id again
)
_COLUMNS = (SCENARIOS.c.id, SCENARIOS.c.name, SCENARIOS.c.created_at, SCENARIOS.c.updated_at)
#: Key of the PostgreSQL advisory lock that serialises creating the table (any fixed bigint).
_PG_INIT_LOCK = 0x7CC0_5CE7


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


def database_url(database: str | os.PathLike) -> str:
    """The SQLAlchemy URL of ``TCO_DATABASE``: a URL as given, a file path as an absolute ``sqlite:///`` URL.

    ValueError for an in-memory SQLite database (each operation opens a new connection, so
    it would forget everything), a URL that SQLAlchemy cannot parse, or a back-end other
    than SQLite and PostgreSQL.

    >>> database_url("postgresql://u@h/db")        # the psycopg 3 driver is the one installed
    'postgresql+psycopg://u@h/db'
    >>> database_url(":memory:")
    Traceback (most recent call last):
    ...
    ValueError: the scenario store needs a file path or a database URL, got ':memory:'
    >>> database_url("mysql://u@h/db")
    Traceback (most recent call last):
    ...
    ValueError: TCO_DATABASE: back-end 'mysql' not supported; use a SQLite file path, sqlite:///path or postgresql+psycopg://user@host/db
    """
    raw = os.fspath(database)
    if "://" not in raw:
        if raw in ("", ":memory:") or raw.startswith("file:"):
            raise ValueError(f"the scenario store needs a file path or a database URL, got {raw!r}")
        return "sqlite:///" + str(Path(raw).expanduser().absolute())
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ValueError(f"TCO_DATABASE: not a database URL: {raw!r}") from None
    backend = url.get_backend_name()
    if backend not in BACKENDS:
        raise ValueError(f"TCO_DATABASE: back-end {backend!r} not supported; use a SQLite file path, "
                         "sqlite:///path or postgresql+psycopg://user@host/db")
    if backend == "postgresql" and url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    if backend == "sqlite":
        if url.database in (None, "", ":memory:") or url.database.startswith("file:"):
            raise ValueError(f"the scenario store needs a file path or a database URL, got {raw!r}")
        url = url.set(database=str(Path(url.database).expanduser().absolute()))
    return url.render_as_string(hide_password=False)


def _sqlite_engine(url: str, timeout: float) -> Engine:
    # NullPool: each operation opens its own connection and closes it (nothing crosses a fork).
    engine = sa.create_engine(url, poolclass=NullPool, connect_args={"timeout": timeout})

    @event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_con, _record):
        dbapi_con.isolation_level = None        # the driver opens no transaction: "begin" below does

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection):
        # Writes take the write lock at once (no lock upgrade, so no deadlock between writers);
        # reads take none and never block, thanks to WAL.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("tco_write") else "BEGIN")

    return engine


def _dispose_in(engine: Engine, pid: int) -> None:
    """Close ``engine``'s pooled connections if this is the process that opened them."""
    if os.getpid() == pid:
        engine.dispose()


class StoreBusy(RuntimeError):
    """The database kept its lock past the store's timeout (other writers): try again shortly."""


@contextmanager
def _busy_is_busy() -> Iterator[None]:
    """SQLite's "database is locked" / "busy" after the busy timeout, as :class:`StoreBusy`."""
    try:
        yield
    except (OperationalError, sqlite3.OperationalError) as exc:
        text = str(getattr(exc, "orig", exc)).lower()
        if "locked" in text or "busy" in text:
            raise StoreBusy(f"the saved-scenario database is busy: {text}") from exc
        raise


class ScenarioStore:
    """Saved scenarios in the database ``database`` (see the module docstring).

    Parameters
    ----------
    database : a SQLite file path (relative = relative to the current working directory),
        or a SQLAlchemy URL (``sqlite:///...``, ``postgresql+psycopg://...``). ``":memory:"`` is
        refused: each operation opens a new connection.
    timeout : seconds a writer waits for another writer's lock (SQLite) or a connection
        waits to be made (PostgreSQL) before giving up [s].
    """

    def __init__(self, database: str | os.PathLike, timeout: float = 5.0):
        self.url = database_url(database)
        parsed = make_url(self.url)
        self.backend = parsed.get_backend_name()
        #: The SQLite file (``None`` on PostgreSQL).
        self.path = Path(parsed.database) if self.backend == "sqlite" else None
        self.timeout = float(timeout)
        self._ready = False
        self._engine: Engine | None = None
        self._pid = os.getpid()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        shown = str(self.path) if self.path is not None else make_url(self.url).render_as_string(hide_password=True)
        return f"ScenarioStore({shown!r})"

    # ------------------------------------------------------------------ connections

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, made on first use and made again in a forked child."""
        with self._lock:
            if self._engine is not None and self._pid != os.getpid():
                self._engine.dispose(close=False)   # the parent's pooled connections stay the parent's
                self._engine, self._ready = None, False
            if self._engine is None:
                self._pid = os.getpid()
                if self.backend == "sqlite":
                    self._engine = _sqlite_engine(self.url, self.timeout)
                else:
                    self._engine = sa.create_engine(self.url, pool_size=2, max_overflow=8, pool_pre_ping=True,
                                                    connect_args={"connect_timeout": max(1, int(self.timeout))})
                # A store dropped without dispose() still closes its pooled connections (in its own process).
                weakref.finalize(self, _dispose_in, self._engine, self._pid)
            return self._engine

    def _init(self) -> None:
        """Create the folder (SQLite, switched to WAL) and the table (idempotent)."""
        engine = self.engine
        if self.backend == "sqlite":
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._init_sqlite(engine)
        else:
            with engine.begin() as con:
                # Several replicas starting at once: one creates the table, the others wait and see it.
                con.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_INIT_LOCK})
                METADATA.create_all(con, checkfirst=True)
        self._ready = True

    def _init_sqlite(self, engine: Engine) -> None:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                with engine.connect() as con:
                    raw = con.connection.driver_connection     # PRAGMAs outside any transaction
                    if raw.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                        raw.execute("PRAGMA journal_mode=WAL")
                # Check and create under the write lock (BEGIN IMMEDIATE): two processes opening a new
                # file at once would otherwise both see no table and the second CREATE would fail.
                with engine.connect().execution_options(tco_write=True) as con, con.begin():
                    METADATA.create_all(con, checkfirst=True)
                return
            except (OperationalError, sqlite3.OperationalError) as exc:
                # Several processes initialising a new file at once: switching the journal mode
                # (a PRAGMA on the driver's own connection, so the driver's error, not SQLAlchemy's)
                # can answer "locked" without waiting; retry until the timeout.  A table another
                # process created between our check and our CREATE is there: check again.
                text = str(getattr(exc, "orig", exc))
                if not ("locked" in text or "busy" in text or "already exists" in text) \
                        or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with _busy_is_busy():
            if not self._ready:
                self._init()
            with self.engine.begin() as con:
                yield con

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A connection inside one write transaction: committed on success, rolled back on error."""
        with _busy_is_busy():
            if not self._ready:
                self._init()
            with self.engine.connect().execution_options(tco_write=True) as con, con.begin():
                yield con

    # ------------------------------------------------------------------ operations

    def save(self, name: str, scenario: Mapping[str, Any]) -> SavedScenario:
        """Save ``scenario`` (a JSON object) under ``name``; returns the new record."""
        name = check_name(name)
        body = _dump(scenario)
        now = _now()
        with self._write() as con:
            new_id = con.execute(SCENARIOS.insert().values(name=name, scenario_json=body, created_at=now,
                                                           updated_at=now).returning(SCENARIOS.c.id)).scalar_one()
        return SavedScenario(new_id, name, now, now, json.loads(body))

    def list(self) -> list[SavedScenario]:
        """Every saved scenario without its body, newest (last created) first."""
        with self._read() as con:
            rows = con.execute(sa.select(*_COLUMNS).order_by(SCENARIOS.c.id.desc())).all()
        return [SavedScenario(*row) for row in rows]

    def get(self, scenario_id: int) -> SavedScenario:
        """The saved scenario with its body; KeyError if there is none with this id."""
        scenario_id = _check_id(scenario_id)
        with self._read() as con:
            row = con.execute(sa.select(*_COLUMNS, SCENARIOS.c.scenario_json)
                              .where(SCENARIOS.c.id == scenario_id)).first()
        if row is None:
            raise KeyError(f"no saved scenario with id {scenario_id}")
        return SavedScenario(*row[:4], json.loads(row[4]))

    def update(self, scenario_id: int, name: str | None = None,
               scenario: Mapping[str, Any] | None = None) -> SavedScenario:
        """Rename and/or replace the body of a saved scenario; KeyError if absent."""
        scenario_id = _check_id(scenario_id)
        values: dict[str, str] = {"updated_at": _now()}
        if name is not None:
            values["name"] = check_name(name)
        if scenario is not None:
            values["scenario_json"] = _dump(scenario)
        with self._write() as con:
            row = con.execute(SCENARIOS.update().where(SCENARIOS.c.id == scenario_id).values(**values)
                              .returning(*_COLUMNS, SCENARIOS.c.scenario_json)).first()
        if row is None:
            raise KeyError(f"no saved scenario with id {scenario_id}")
        return SavedScenario(*row[:4], json.loads(row[4]))

    def delete(self, scenario_id: int) -> None:
        """Delete a saved scenario; KeyError if absent."""
        scenario_id = _check_id(scenario_id)
        with self._write() as con:
            if con.execute(SCENARIOS.delete().where(SCENARIOS.c.id == scenario_id)).rowcount == 0:
                raise KeyError(f"no saved scenario with id {scenario_id}")

    def count(self) -> int:
        """How many scenarios are saved."""
        with self._read() as con:
            return con.execute(sa.select(sa.func.count()).select_from(SCENARIOS)).scalar_one()

    def dispose(self) -> None:
        """Close the pooled connections (PostgreSQL); the store reconnects on its next use."""
        with self._lock:
            if self._engine is not None:
                self._engine.dispose()
                self._engine, self._ready = None, False
