"""The uncertainty panel's defaults view, in chromium: each default the page's scenario uses, with
the savings at its low and high as the API computes them, and its source."""
from __future__ import annotations

import re

import pytest

pytest.importorskip("playwright.sync_api")

from test_dashboard_browser import (guard, live, open_dashboard, page, playwright_browser,  # noqa: E402,F401
                                    post_json, settle, shared_page, show_uncertainty)


def money(text: str) -> float:
    """'+$12.3K' / '-$1.05M' -> a signed number of dollars."""
    m = re.fullmatch(r"([+-])\$([\d.,]+)([KMB]?)", text.strip())
    assert m, text
    scale = {"": 1, "K": 1e3, "M": 1e6, "B": 1e9}[m[3]]
    return (1 if m[1] == "+" else -1) * float(m[2].replace(",", "")) * scale


def test_the_defaults_view_lists_each_default_with_its_effect(page, guard, live):
    open_dashboard(page, live.url)
    with page.expect_request(lambda r: "uncertainty=true" in r.url) as req_info:
        show_uncertainty(page)
    page.wait_for_selector("#defaults-view:not([hidden])")
    scenario = req_info.value.post_data_json
    rows = post_json(live, "/api/v1/charts?uncertainty=true&samples=5000&seed=0", scenario)["defaults_tornado"]
    assert rows, "the page's scenario uses the defaults table"
    shown = page.evaluate("""() => [...document.querySelectorAll('#defaults-tornado tbody tr')].map(tr => ({
        name: tr.dataset.name, cells: [...tr.children].map(td => td.innerText),
        bars: tr.querySelectorAll('.default-bar').length}))""")
    assert [r["name"] for r in shown] == [r["name"] for r in rows]          # largest swing first, as the API
    by_name = {r["name"]: r for r in rows}
    spare = next(r for r in shown if r["name"] == "redundancy_replicas")
    api = by_name["redundancy_replicas"]
    assert spare["cells"][0] == api["label"] and spare["cells"][1] == "1 replica"
    # the low end (N+0): the change of the NPV savings against the scenario's own, as the API has it
    low = spare["cells"][2]
    assert low.startswith("0: ")
    assert money(low[3:]) == pytest.approx(api["savings_npv_low"] - api["base_savings_npv"], rel=6e-3)
    assert spare["bars"] == 2
    # an estimate says so; a sourced default links its page
    assert spare["cells"][4].startswith("estimate")
    salary = next(r for r in shown if r["name"] == "staff_base_salary_usd_per_year")
    assert "bls.gov" in salary["cells"][4]


def test_defaults_left_as_shown_are_left_to_the_table(page, guard, live):
    """The page shows the loaded cost rounded (133,080 / 0.702 = 189,572.65 USD/year shows as about
    189,573); left unchanged it is not sent, so the API takes the table's value and cites it as a default.
    Typed over, it is the user's number."""
    open_dashboard(page, live.url)
    fte = "#f-open-fte_usd_per_year"
    with page.expect_request(lambda r: r.url.endswith("/api/v1/charts?hybrid=true")) as req_info:
        page.fill("#f-workload-tokens_per_month", "3B")
        page.keyboard.press("Tab")
    body = req_info.value.post_data_json
    assert "fte_usd_per_year" not in body["open"] and "redundancy_replicas" not in body["open"]
    answer = post_json(live, "/api/v1/charts", body)
    assert answer["assumptions"]["open.fte_usd_per_year"]["is_default"] is True
    assert answer["assumptions"]["open.fte_usd_per_year"]["value"] == pytest.approx(133_080 / 0.702, rel=1e-4)
    with page.expect_request(lambda r: r.url.endswith("/api/v1/charts?hybrid=true")) as req_info:
        page.fill(fte, "150000")
        page.keyboard.press("Tab")
    assert req_info.value.post_data_json["open"]["fte_usd_per_year"] == 150_000


def test_the_precision_select_starts_where_the_apis_default_does(page, guard, live):
    """open_models.csv: Llama 3.1 70B and 8B are published in bf16, gpt-oss-120b in mxfp4; gpus.csv: the
    H100 SXM has FP8 tensor cores (1979 dense TFLOPS), the A100 80GB none.  So the default (tco.defaults)
    is fp8 for Llama on an H100, mxfp4 for gpt-oss (weights below 8 bits kept as published), bf16 for Llama
    on an A100; the page's select follows it, and a precision the user picks stays."""
    open_dashboard(page, live.url)
    precision = "#f-open-precision"
    assert page.input_value("#f-open-model") == "llama-3.1-70b" and page.input_value("#f-open-gpu") == "h100-sxm"
    assert page.input_value(precision) == "fp8"
    with page.expect_request(lambda r: "/api/v1/charts" in r.url) as req_info:
        page.select_option("#f-open-model", "gpt-oss-120b")
    assert page.input_value(precision) == "mxfp4"
    sent = req_info.value.post_data_json
    assert sent["open"]["precision"] == "mxfp4"
    # the API, left to its own default for the same scenario, takes the same precision
    bare = {**sent, "open": {k: v for k, v in sent["open"].items() if k != "precision"}}
    assert post_json(live, "/api/v1/tco", bare)["assumptions"]["open.precision"]["value"] == "mxfp4"
    settle(page)
    page.select_option("#f-open-model", "llama-3.1-70b")
    assert page.input_value(precision) == "fp8"
    settle(page)
    page.select_option("#f-open-gpu", "a100-80gb")
    assert page.input_value(precision) == "bf16"
    settle(page)
    page.select_option("#f-open-gpu", "h100-sxm")
    assert page.input_value(precision) == "fp8"
    settle(page)
    # chosen by hand, it stays when the model changes
    page.select_option(precision, "bf16")
    settle(page)
    page.select_option("#f-open-model", "llama-3.1-8b")
    assert page.input_value(precision) == "bf16"
    settle(page)
