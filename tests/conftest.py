"""Shared fixtures: the shipped tables are loaded once per test session."""
from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tco.catalog import load_catalog
from tco.tables import TABLES

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"

#: A known bug found when the issue-13 alias table was merged: an overlay that adds as a model_id a name the
#: shipped model_aliases table has as an alias (the LiteLLM and genai-prices importers write such names as
#: ids) is rejected by load_catalog, where the overlay id should simply shadow the alias
#: (tco/catalog.py, _check_foreign_keys). Drop the mark from the tests using it with the fix.
OVERLAY_ID_SHADOWS_ALIAS = pytest.mark.xfail(strict=True, reason="known bug: an overlay id equal to a shipped "
                                                                 "alias is rejected instead of shadowing it")


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
