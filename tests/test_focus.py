"""FOCUS 1.2 out (priced usage, forecasts) and in (a baseline), checked by the FinOps Foundation's validator.

The validator is the ``focus-validator`` CLI in its own virtual environment (``make test``
builds ``.venv-focus`` from requirements-focus.txt and passes its path in
``FOCUS_VALIDATOR``). Its newest release, 1.0.0, ships rule sets up to FOCUS 1.0, and that
rule set still uses the 1.0-preview names of four columns that FOCUS 1.0 renamed
(``Provider``, ``Publisher``, ``InvoiceIssuer``, ``ResourceID``) and one rule queries
``ChargeType`` (now ``ChargeCategory``): the file it checks is ours plus copies of those five
columns under the old names, so that every one of its rules runs on our values. The columns
FOCUS 1.1 and 1.2 added are checked against the spec's column table (:data:`tco.focus.COLUMNS`).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import REPO
from tco.cli import main
from tco.engine import evaluate
from tco.focus import (AI_SUBCATEGORIES, BEYOND_1_0, BY_ID, COLUMNS, VALIDATOR_1_0_NAMES, FocusError, check_columns,
                       forecast_focus, read_focus_baseline, usage_focus, write_focus)
from tco.scenario import Scenario
from tco.usage_stream import price_usage_files

EXPORTS = REPO / "tests" / "data" / "usage_exports"
SCENARIO = {"horizon_months": 4, "workload": {"tokens_per_month": 3e9, "monthly_growth": 0.05},
            "closed": {"model": "gpt-4o"}, "open": {"model": "llama-3.1-8b", "gpu": "l40s", "provider": "coreweave"}}


def _validator() -> Path | None:
    given = os.environ.get("FOCUS_VALIDATOR")
    for candidate in (given, REPO / ".venv-focus" / "bin" / "focus-validator", shutil.which("focus-validator")):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="module")
def validate(tmp_path_factory):
    """Run focus-validator on a FOCUS frame written as CSV or Parquet; its report and whether it passed."""
    exe = _validator()
    if exe is None:
        pytest.skip("focus-validator is not installed (make test builds .venv-focus from requirements-focus.txt; "
                    "set FOCUS_VALIDATOR to its path)")
    # The validator reads its currency list from a path relative to its package's folder.
    site = next((exe.parent.parent / "lib").glob("python3*/site-packages"))
    folder = tmp_path_factory.mktemp("focus")

    def run(rows: pd.DataFrame, suffix: str):
        checked = rows.copy()
        for new, old in {**VALIDATOR_1_0_NAMES, "ChargeCategory": "ChargeType"}.items():
            checked[old] = checked[new]
        path = write_focus(checked, folder / f"rows-{len(list(folder.iterdir()))}{suffix}")
        res = subprocess.run([str(exe), "--data-file", str(path), "--validate-version", "1.0",
                              "--column-namespace", "x"], capture_output=True, text=True, timeout=300, cwd=site)
        return res.stdout + res.stderr, res.returncode == 0 and "Validation succeeded." in res.stdout
    return run


@pytest.fixture(scope="module")
def anthropic(catalog):
    path = EXPORTS / "anthropic_usage_report.jsonl"
    return price_usage_files(path, catalog, by=["api_key_id"], reader="anthropic")


@pytest.fixture(scope="module")
def forecast(catalog):
    return evaluate(Scenario.from_dict(SCENARIO), catalog)


# ------------------------------------------------------------------ the validator

@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_priced_usage_passes_focus_validator(validate, anthropic, catalog, suffix):
    report, ok = validate(usage_focus(anthropic, catalog), suffix)
    assert ok, report
    assert " failed" not in report


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_forecast_passes_focus_validator(validate, forecast, suffix):
    report, ok = validate(forecast_focus(forecast.monthly, "2027-01"), suffix)
    assert ok, report
    wide, ok_wide = validate(forecast_focus(forecast.totals_by_month(), "2027-01"), suffix)
    assert ok_wide, wide


def test_the_validator_fails_a_broken_file(validate, anthropic, catalog):
    rows = usage_focus(anthropic, catalog)
    rows.loc[0, "BillingCurrency"] = "Dollars"                     # not an ISO 4217 code
    rows.loc[1, "ChargeFrequency"] = "Sometimes"                   # not an allowed value
    report, ok = validate(rows, ".csv")
    assert not ok
    assert "BillingCurrency_IsCurrencyCode failed" in report and "ChargeFrequency_Enum failed" in report


# ------------------------------------------------------------------ the rows, by hand

def test_usage_rows_carry_tokens_and_the_hand_costs(anthropic, catalog):
    rows = usage_focus(anthropic, catalog)
    one = rows[rows["SubAccountId"] == "apikey_01"].set_index("SkuMeter")
    # claude-sonnet-4-5 at 3 / 0.30 read / 3.75 write / 15 [USD/1M]: 1M x 3, 0.5M x 0.30, 0.2M x 3.75, 0.1M x 15
    assert one["BilledCost"].to_dict() == pytest.approx({"Input Tokens": 3.0, "Cached Input Tokens": 0.15,
                                                          "Cache Write Tokens": 0.75, "Output Tokens": 1.5})
    assert one["ConsumedQuantity"].to_dict() == {"Input Tokens": 1e6, "Cached Input Tokens": 5e5,
                                                 "Cache Write Tokens": 2e5, "Output Tokens": 1e5}
    assert one["ListUnitPrice"].to_dict() == pytest.approx({"Input Tokens": 3.0, "Cached Input Tokens": 0.3,
                                                             "Cache Write Tokens": 3.75, "Output Tokens": 15.0})
    assert set(one["ConsumedUnit"]) == {"Tokens"} and set(one["PricingUnit"]) == {"1M Tokens"}
    assert set(rows["ProviderName"]) == {"anthropic"} and set(rows["x_ModelId"]) == {"claude-sonnet-4-5"}
    assert rows["ChargePeriodStart"].iloc[0] == "2026-09-01T00:00:00Z"
    assert rows["ChargePeriodEnd"].iloc[0] == "2026-10-01T00:00:00Z"
    assert rows["BilledCost"].sum() == pytest.approx(anthropic.total_usd)       # 5.40 + 3.00


def test_forecast_rows_are_each_options_monthly_schedule(forecast):
    rows = forecast_focus(forecast.monthly, "2027-01")
    by_month = rows.groupby(["x_Option", "ChargePeriodStart"])["BilledCost"].sum().unstack(0)
    wide = forecast.totals_by_month()
    assert by_month.index.tolist() == ["2027-01-01T00:00:00Z", "2027-02-01T00:00:00Z", "2027-03-01T00:00:00Z",
                                       "2027-04-01T00:00:00Z"]
    assert np.allclose(by_month["closed"].to_numpy(), wide["closed"].to_numpy())
    assert np.allclose(by_month["self_hosted"].to_numpy(), wide["self_hosted"].to_numpy())
    usage = rows[rows["ChargeCategory"] == "Usage"]
    assert usage["ConsumedQuantity"].notna().all() and set(usage["ConsumedUnit"]) == {"Tokens"}
    assert rows.loc[rows["x_Component"] == "open_setup", "ChargeFrequency"].unique().tolist() == ["One-Time"]
    assert rows.loc[rows["ChargeCategory"] != "Usage", "ConsumedQuantity"].isna().all()


# ------------------------------------------------------------------ the 1.2 column table

def test_the_column_table_is_the_specs():
    # FOCUS 1.2 has 57 columns; 1.1 added 11 and 1.2 added 7 (the spec's "Introduced (version)").
    assert len(COLUMNS) == 57 and len({c.id for c in COLUMNS}) == 57
    assert sorted(BEYOND_1_0) == sorted([
        "CapacityReservationId", "CapacityReservationStatus", "CommitmentDiscountQuantity", "CommitmentDiscountUnit",
        "ServiceSubcategory", "SkuMeter", "SkuPriceDetails", "BillingAccountType", "InvoiceId", "PricingCurrency",
        "PricingCurrencyContractedUnitPrice", "PricingCurrencyEffectiveCost", "PricingCurrencyListUnitPrice",
        "SubAccountType"])
    assert [c.id for c in COLUMNS if c.feature_level == "Mandatory"] == [
        "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency", "BillingPeriodEnd",
        "BillingPeriodStart", "ChargeCategory", "ChargeClass", "ChargeDescription", "ChargePeriodEnd",
        "ChargePeriodStart", "ContractedCost", "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity",
        "PricingUnit", "ProviderName", "PublisherName", "ServiceCategory", "ServiceName"]


@pytest.mark.parametrize("kind", ["usage", "forecast"])
def test_columns_beyond_1_0_follow_the_table(kind, anthropic, catalog, forecast):
    rows = usage_focus(anthropic, catalog) if kind == "usage" else forecast_focus(forecast.monthly, "2027-01")
    assert check_columns(rows) == []
    written = [c for c in BEYOND_1_0 if c in rows.columns]
    assert set(written) >= {"ServiceSubcategory", "SkuMeter", "BillingAccountType", "PricingCurrency",
                            "PricingCurrencyListUnitPrice", "PricingCurrencyEffectiveCost", "InvoiceId"}
    assert set(rows["ServiceSubcategory"]) <= set(AI_SUBCATEGORIES)              # its parent is AI and ML
    assert set(rows["PricingCurrency"]) == {"USD"}
    assert rows["BillingAccountType"].notna().all()                               # BillingAccountId is never null
    assert (rows["SkuMeter"].isna() == rows["SkuId"].isna()).all()                # null exactly when SkuId is
    assert np.allclose(rows["PricingCurrencyEffectiveCost"], rows["EffectiveCost"])
    assert rows["InvoiceId"].isna().all()                                         # estimates are not invoiced
    if kind == "usage":
        assert (rows["SubAccountType"].notna() == rows["SubAccountId"].notna()).all()
    for c in written:
        assert BY_ID[c].allows_nulls or rows[c].notna().all(), c


def test_check_columns_names_what_is_wrong(anthropic, catalog):
    rows = usage_focus(anthropic, catalog).drop(columns=["BilledCost"])
    rows.loc[0, "BillingCurrency"] = None
    rows["MyColumn"] = 1
    rows["ListCost"] = "cheap"
    assert check_columns(rows) == [
        "BilledCost: Mandatory column missing",
        "BillingCurrency: 1 null value(s); the column allows none",
        "ListCost: not a decimal number in every row",
        "MyColumn: not a FOCUS 1.2 column and not prefixed x_"]


# ------------------------------------------------------------------ a FOCUS export as the baseline

def test_baseline_from_a_focus_export(tmp_path, anthropic, catalog):
    path = write_focus(usage_focus(anthropic, catalog), tmp_path / "spend.parquet")
    base = read_focus_baseline(path)
    assert base.to_dict() == pytest.approx({"2026-09": 8.40})                     # 5.40 + 3.00
    hand = tmp_path / "cloud.csv"
    hand.write_text("BilledCost,ChargePeriodStart,BillingCurrency,ServiceCategory,ProviderName\n"
                    "10,2026-01-15T00:00:00Z,USD,AI and Machine Learning,openai\n"
                    "5,2026-01-31T23:00:00Z,USD,AI and Machine Learning,anthropic\n"
                    "99,2026-01-02T00:00:00Z,USD,Compute,aws\n"
                    "7,2026-02-01T00:00:00Z,USD,AI and Machine Learning,openai\n")
    assert read_focus_baseline(hand).to_dict() == {"2026-01": 15.0, "2026-02": 7.0}
    assert read_focus_baseline(hand, providers=["openai"]).to_dict() == {"2026-01": 10.0, "2026-02": 7.0}
    assert read_focus_baseline(hand, service_category=None).to_dict() == {"2026-01": 114.0, "2026-02": 7.0}


@pytest.mark.parametrize("text, message", [
    ("BilledCost,BillingCurrency\n1,USD\n", "ChargePeriodStart: column missing"),
    ("BilledCost,ChargePeriodStart,BillingCurrency\n1,2026-01-01T00:00:00Z,EUR\n", "only USD"),
    ("BilledCost,ChargePeriodStart,BillingCurrency\nx,2026-01-01T00:00:00Z,USD\n", "row 1: BilledCost"),
    ("BilledCost,ChargePeriodStart,BillingCurrency\n1,someday,USD\n", "row 1: ChargePeriodStart"),
])
def test_a_bad_focus_file_is_named(tmp_path, text, message):
    (tmp_path / "f.csv").write_text(text)
    with pytest.raises(FocusError, match=message):
        read_focus_baseline(tmp_path / "f.csv", service_category=None)


def test_cli_writes_focus_and_reads_a_baseline(tmp_path):
    out = tmp_path / "usage.focus.csv"
    path = EXPORTS / "anthropic_usage_report.jsonl"
    res = CliRunner().invoke(main, ["usage", "price", str(path), "--group", "api_key_id", "--focus", str(out)])
    assert res.exit_code == 0, res.output
    rows = pd.read_csv(out)
    assert rows["BilledCost"].sum() == pytest.approx(8.40) and set(rows["SubAccountId"]) == {"apikey_01", "apikey_02"}
    res = CliRunner().invoke(main, ["focus", "baseline", str(out), "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert res.output.strip().splitlines() == ["month,usd", "2026-09,8.4"]
