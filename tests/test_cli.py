"""The `tco` command line, driven through click's CliRunner."""
from __future__ import annotations

import shutil

import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import REPO, SHARED
from tco.cli import main


@pytest.fixture
def runner():
    return CliRunner()


def test_catalog_list_tables(runner, catalog):
    res = runner.invoke(main, ["catalog", "list"])
    assert res.exit_code == 0, res.output
    for name, n in catalog.row_counts().items():
        assert f"{name}" in res.output and str(n) in res.output


def test_catalog_list_one_table_as_csv(runner, catalog):
    res = runner.invoke(main, ["catalog", "list", "gpus", "--format", "csv"])
    assert res.exit_code == 0, res.output
    lines = res.output.strip().splitlines()
    assert lines[0].startswith("gpu_id,display_name,vendor")
    assert len(lines) == 1 + len(catalog.gpus)


def test_catalog_list_unknown_table(runner):
    res = runner.invoke(main, ["catalog", "list", "gpu"])
    assert res.exit_code == 2
    assert "unknown table 'gpu'; valid tables: api_prices" in res.output


def test_validate_shipped_tables(runner):
    res = runner.invoke(main, ["catalog", "validate", str(REPO / "tco" / "pricing")])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("ok: ")


def test_validate_broken_copy_names_file_line_column(runner, tmp_path):
    copy = tmp_path / "pricing"
    shutil.copytree(REPO / "tco" / "pricing", copy)
    df = pd.read_csv(copy / "api_prices.csv", dtype=str, keep_default_na=False)
    df.loc[0, "effective_date"] = "2025-02-30"
    df.loc[1, "usd_per_mtok_output"] = "-1"
    df.to_csv(copy / "api_prices.csv", index=False)
    res = runner.invoke(main, ["catalog", "validate", str(copy)])
    assert res.exit_code == 1
    err_lines = [l for l in res.output.splitlines() if l.startswith(str(copy))]
    assert err_lines == [
        f"{copy / 'api_prices.csv'}:2: effective_date: Not a valid date.",
        f"{copy / 'api_prices.csv'}:3: usd_per_mtok_output: Must be greater than or equal to 0.0.",
    ]


def test_import_litellm_small_fixture(runner, tmp_path):
    out = tmp_path / "imported"
    res = runner.invoke(main, ["catalog", "import-litellm", str(REPO / "tests" / "data" / "litellm_small.json"),
                               "-o", str(out), "--effective-date", "2026-11-01"])
    assert res.exit_code == 0, res.output
    assert (out / "api_prices.csv").exists() and (out / "image_prices.csv").exists()
    # The imported folder is itself a valid overlay.
    res2 = runner.invoke(main, ["catalog", "validate", str(out)])
    assert res2.exit_code == 0, res2.output


def test_import_litellm_real_file_then_overlay(runner, tmp_path):
    src = SHARED / "data" / "litellm_model_prices.json"
    if not src.exists():
        pytest.skip("shared LiteLLM price file absent")
    out = tmp_path / "litellm"
    res = runner.invoke(main, ["catalog", "import-litellm", str(src), "-o", str(out)])
    assert res.exit_code == 0, res.output
    res2 = runner.invoke(main, ["catalog", "list", "--dir", str(out)])
    assert res2.exit_code == 0, res2.output
    n_api = int(next(l for l in res2.output.splitlines() if l.startswith("api_prices")).split()[1])
    assert n_api > 3000


def test_serve_rejects_bad_setting(runner, monkeypatch):
    monkeypatch.setenv("TCO_PORT", "eighty")
    res = runner.invoke(main, ["serve"])
    assert res.exit_code == 2
    assert "TCO_PORT: expected int, got 'eighty'" in res.output


def test_csv_output_neutralises_formula_cells(tmp_path):
    # an overlay row whose notes start with "=" (a spreadsheet would run it) comes out as '=...
    import pandas as pd
    from tco.catalog import load_catalog, write_table
    cat = load_catalog()
    row = cat["gpu_rates"].iloc[[0]].copy()                    # a row in force today
    row["provider"] = "evil-cloud"
    row["notes"] = "=HYPERLINK(\"http://example.com\")"
    write_table(row, tmp_path / "gpu_rates.csv", "gpu_rates")
    res = CliRunner().invoke(main, ["catalog", "list", "gpu_rates", "--dir", str(tmp_path), "--format", "csv"])
    assert res.exit_code == 0, res.output
    line = next(x for x in res.output.splitlines() if "evil-cloud" in x)
    assert "'=HYPERLINK" in line and ",=HYPERLINK" not in line
    assert pd.read_csv(tmp_path / "gpu_rates.csv")["notes"].iloc[0].startswith("=")   # the table file itself is raw
