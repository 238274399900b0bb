"""Shared fixtures: the shipped tables are loaded once per test session."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tco.catalog import load_catalog
from tco.tables import TABLES

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session")
def catalog():
    """The shipped pricing tables, as of the test run's date (no env overlay)."""
    return load_catalog(use_env=False)


@pytest.fixture(autouse=True)
def _no_env_overlay(monkeypatch):
    """Tests never pick up an analyst's TCO_* settings from the environment."""
    import os
    for k in list(os.environ):
        if k.startswith("TCO_"):
            monkeypatch.delenv(k)


def write_csv(path: Path, table: str, rows: list[dict]) -> Path:
    """Write ``rows`` as a CSV of ``table`` (missing columns left blank)."""
    cols = TABLES[table].column_names
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({c: r.get(c, "") for c in cols})
    return path


# ------------------------------------------------------------------ database back-ends

@pytest.fixture(scope="session")
def postgres_cluster():
    """A private PostgreSQL cluster on 127.0.0.1 for the whole session (stopped after).

    Skipped with the reason when Debian's PostgreSQL is not installed, except in CI, where
    ``make test`` installs it and its absence is a failure.
    """
    import os

    from pgcluster import PostgresCluster, find_bindir

    bindir = find_bindir()
    if bindir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed: `make test` installs Debian's postgresql")
        pytest.skip("PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): "
                    "`apt-get install postgresql`, or run `make test`, which does")
    cluster = PostgresCluster(bindir).start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh empty scenario database on each back-end: a SQLite file path, a PostgreSQL URL."""
    if request.param == "sqlite":
        return str(tmp_path / "saved.sqlite3")
    return request.getfixturevalue("postgres_cluster").new_database()
