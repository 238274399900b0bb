"""The dashboard's "Compare options" panel in Debian's chromium: five options compared and ranked.

The fixtures (one browser, one loopback server, one guarded tab) are those of
``test_dashboard_browser.py``: no request may leave the test server, no console error, no
uncaught exception.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

pytest.importorskip("playwright.sync_api")

from unittest import mock

import browser_support
from browser_support import CHROMIUM, LiveServer, chromium_available
from test_dashboard_browser import guard, page, playwright_browser, settle, shared_page  # noqa: F401
from tco.scenario import OpenOption
from tco.settings import Settings

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium_available(), reason=f"no chromium at {CHROMIUM}")]

H = 36
TOKENS = 1e9          # a month, 80 % input (the page's default input share), no growth
#: Closed models priced the same over 36 months (no promotion, change or shutdown in the catalog):
#: USD/1M input and output tokens as in api_prices.
CLOSED = {"gpt-5.4": (2.5, 15.0), "claude-sonnet-4-6": (3.0, 15.0), "gpt-5.4-mini": (0.75, 4.5)}
DEPLOYMENTS = [("llama-3.1-70b", "h100-sxm", "2"), ("llama-3.1-8b", "l40s", "1")]


#: This machine is shared (2 cores, many users): the page's heavy /charts request may wait long.
SLOW_MS = 60_000


@pytest.fixture(scope="module")
def live(tmp_path_factory, catalog):
    """The loopback server of ``test_dashboard_browser``, its heavy requests allowed to wait and run
    longer (the page's own charts are no part of what this module checks)."""
    def patient(**kw):
        return Settings(heavy_wait_s=SLOW_MS / 1e3, heavy_timeout_s=SLOW_MS / 1e3, **kw)

    with mock.patch.object(browser_support, "Settings", patient):
        server = LiveServer(tmp_path_factory.mktemp("compare") / "tco.sqlite3", catalog)
    try:
        yield server
    finally:
        server.stop()


def open_dashboard(page, url: str) -> None:
    page.goto(url)
    assert settle(page, SLOW_MS) == "ready", page.inner_text("#banner")


def compare_ready(page, n: int) -> None:
    page.wait_for_function("n => document.getElementById('compare').dataset.state === 'ready' && "
                           "document.querySelectorAll('#compare-ranking tbody tr').length === n", arg=n,
                           timeout=SLOW_MS)


def add_closed(page, model: str) -> None:
    page.select_option("#f-cmp-kind", "closed")
    page.select_option("#f-cmp-model", model)
    page.click("#btn-cmp-add")


def add_deployment(page, model: str, gpu: str, gpus: str) -> str:
    page.select_option("#f-cmp-kind", "self_hosted")
    page.select_option("#f-cmp-open-model", model)
    page.select_option("#f-cmp-gpu", gpu)
    page.select_option("#f-cmp-gpus", gpus)
    page.select_option("#f-cmp-hosting", "cloud")
    rate = page.input_value("#f-cmp-rate")            # the cheapest provider and term for the GPU, listed first
    page.click("#btn-cmp-add")
    return rate


def test_five_options_compared_and_ranked_by_hand(page, live, catalog):
    # the workload through the page's link (one /charts request, a heavy one, instead of one per field typed)
    open_dashboard(page, live.url + "?mode=tokens&workload.tokens_per_month=1B&workload.monthly_growth=0")
    assert page.input_value("#f-workload-tokens_per_month") == "1B"
    page.locator("#compare").scroll_into_view_if_needed()
    for model in CLOSED:
        add_closed(page, model)
    rates = [add_deployment(page, *d) for d in DEPLOYMENTS[:1]]
    with page.expect_response(lambda r: r.url.endswith("/api/v1/compare")
                              and len(r.request.post_data_json["options"]) == 5) as answer:
        rates += [add_deployment(page, *DEPLOYMENTS[1])]
    compare_ready(page, 5)
    c = answer.value.json()
    by_name = {o["index"]: o for o in c["options"]}

    # Hand arithmetic.  Discount factors at the page's 8 %/year: (1.08)^(-m/12), m = 0..35.
    df = 1.08 ** (-np.arange(H) / 12)
    expected = {}
    for i, (model, (pin, pout)) in enumerate(CLOSED.items()):
        # e.g. gpt-5.4: 1e9 x (0.8 x 2.5 + 0.2 x 15) / 1e6 = 5,000 USD/month
        monthly = TOKENS * (0.8 * pin + 0.2 * pout) / 1e6
        expected[i] = (monthly * H, monthly * df.sum())
    # the page's defaults for staff, setup, overhead: the scenario's, with the defaults table's rows
    # (BLS loaded cost 133,080 / 0.702 = 189,572 USD/year, 0.5 base FTE, 3 setup engineer-months)
    from tco.defaults import shipped_values
    o = dataclasses.replace(OpenOption(), **{k: v for k, v in shipped_values().items()
                                             if k in ("fte_usd_per_year", "staff_fte_base", "setup_engineer_months")})
    fte_month = o.fte_usd_per_year / 12
    for k, ((model, gpu, gpus), rate) in enumerate(zip(DEPLOYMENTS, rates)):
        i = len(CLOSED) + k
        provider, term = rate.split("|")
        usd = float(catalog.gpu_rate(provider, gpu, term)["usd_per_gpu_hour"])
        billed = by_name[i]["billed"]                      # "N replica(s) x G <GPU> = ... GPUs, each GPU 730 h/month"
        replicas = int(billed.split(" replica")[0])
        assert f" x {gpus} " in billed and billed.endswith("each GPU 730 h/month")
        rental = replicas * int(gpus) * 730 * usd
        staff = (o.staff_fte_base + replicas / o.replicas_per_fte) * fte_month
        monthly = rental * (1 + o.overhead_share) + staff + o.evaluation_usd_per_month
        setup = o.setup_engineer_months * fte_month + o.migration_usd + o.fine_tuning_usd   # month 0
        expected[i] = (monthly * H + setup, monthly * df.sum() + setup)
    for i, (total, npv) in expected.items():
        assert by_name[i]["total_usd"] == pytest.approx(total, rel=1e-9), by_name[i]["name"]
        assert by_name[i]["npv_usd"] == pytest.approx(npv, rel=1e-9), by_name[i]["name"]
    order = sorted(expected, key=lambda i: expected[i][1])
    assert c["ranking"] == order
    assert order[0] == 2                                     # gpt-5.4-mini: 1,500 USD/month, the cheapest

    # What the page shows: the table in that order, every option on both charts, the break-evens.
    rows = page.eval_on_selector_all("#compare-ranking tbody tr", "rs => rs.map(r => Number(r.dataset.index))")
    assert rows == order
    first = page.inner_text("#compare-ranking tbody tr:first-child")
    assert "GPT-5.4 mini" in first or "gpt-5.4-mini" in first.lower(), first
    traces = page.evaluate("() => document.getElementById('chart-compare_cumulative').data.length")
    assert traces == 5
    end = page.evaluate("() => document.getElementById('chart-compare_cumulative').data.map(t => t.y[t.y.length - 1])")
    assert sorted(end) == pytest.approx(sorted(t for t, _ in expected.values()), rel=1e-9)
    volume = page.evaluate("() => { const g = document.getElementById('chart-compare_volume'); return "
                           "{traces: g.data.length, bands: g.layout.shapes.filter(s => s.type === 'rect').length}; }")
    assert volume["traces"] == 5 and volume["bands"] == len(c["bands"]) >= 1
    be_rows = page.eval_on_selector_all("#compare-breakeven tbody tr", "rs => rs.map(r => Number(r.dataset.index))")
    assert sorted(be_rows) == sorted(order[1:])
    # every closed option is dearer than the cheapest closed one at every volume (proportional prices)
    for i in (0, 1):
        assert by_name[i]["breakeven_volume_per_month"] is None
        assert by_name[i]["breakeven_month"] == 0.0

    # an option removed: four ranked
    page.click("#compare-list li:last-child button")
    compare_ready(page, 4)


def test_an_option_the_workload_cannot_price_is_named(page, live, guard):
    guard.allow_console.append(r"status of 422")   # chromium logs the API's 422 answer
    open_dashboard(page, live.url)
    page.locator("#compare").scroll_into_view_if_needed()
    add_closed(page, "gpt-5.4")
    compare_ready(page, 1)
    page.select_option("#f-cmp-kind", "seats")              # the page's workload is in tokens: no seats
    page.click("#btn-cmp-add")
    page.wait_for_function("() => document.getElementById('compare').dataset.state === 'invalid'", timeout=SLOW_MS)
    line = page.inner_text("#compare-line")
    assert line.startswith("option 2 (") and "workload.seats" in line, line


# --------------------------------------------------------------------------- image APIs, rental terms, currency

def test_image_apis_compared_on_an_image_workload(page, live):
    # 100,000 images a month, no growth, 36 months; Stability's list prices (image_prices.csv, 2026-11-01):
    # SD 3.5 Large 6.5 credits = $0.065 and SD 3.5 Medium 3.5 credits = $0.035 an image.
    open_dashboard(page, live.url + "?mode=images&workload.images_per_month=100k&workload.monthly_growth=0")
    page.locator("#compare").scroll_into_view_if_needed()
    page.select_option("#f-cmp-kind", "image")
    assert page.is_visible("#f-cmp-image") and not page.is_visible("#f-cmp-model")
    for image in ("stability/sd3.5-large|any|any", "stability/sd3.5-medium|any|any"):
        page.select_option("#f-cmp-image", image)
        page.click("#btn-cmp-add")
    compare_ready(page, 2)
    totals = page.evaluate("() => document.getElementById('chart-compare_cumulative').data"
                           ".map(t => [t.name, t.y[t.y.length - 1]])")
    by_rank = dict(totals)
    assert by_rank["1. Stable Diffusion 3.5 Medium (Stability AI API)"] == pytest.approx(1e5 * 0.035 * H)   # 126,000
    assert by_rank["2. Stable Diffusion 3.5 Large (Stability AI API)"] == pytest.approx(1e5 * 0.065 * H)    # 234,000


def test_one_deployment_under_every_rental_term(page, live, catalog):
    open_dashboard(page, live.url)
    page.locator("#compare").scroll_into_view_if_needed()
    page.select_option("#f-cmp-kind", "self_hosted")
    page.select_option("#f-cmp-open-model", "llama-3.1-70b")
    page.select_option("#f-cmp-gpu", "h100-sxm")
    page.select_option("#f-cmp-rate", "coreweave|on_demand")
    # gpu_rates.csv: CoreWeave rents the H100 SXM on demand (6.155 $/GPU-hour) and as spot (2.46375)
    rates = catalog.gpu_rates
    terms = set(rates[(rates["provider"] == "coreweave") & (rates["gpu_id"] == "h100-sxm")]["term"])
    assert terms == {"on_demand", "spot"}
    with page.expect_response(lambda r: r.url.endswith("/api/v1/compare")) as answer:
        page.click("#btn-cmp-terms")
    compare_ready(page, 2)
    sent = answer.value.request.post_data_json["options"]
    assert sorted(o["open"]["term"] for o in sent) == ["on_demand", "spot"]
    assert {o["open"]["provider"] for o in sent} == {"coreweave"}
    items = page.eval_on_selector_all("#compare-list li", "ls => ls.map(l => l.textContent)")
    assert len(items) == 2
    c = answer.value.json()
    spot, on_demand = (next(o for o in c["options"] if sent[o["index"]]["open"]["term"] == t) for t in ("spot", "on_demand"))
    assert spot["rank"] == 1 and on_demand["rank"] == 2          # the same fleet at 2.46 vs 6.16 $/GPU-hour


def test_the_panel_follows_the_currency(page, live):
    open_dashboard(page, live.url + "?mode=tokens&workload.tokens_per_month=1B&workload.monthly_growth=0")
    page.locator("#compare").scroll_into_view_if_needed()
    with page.expect_response(lambda r: r.url.endswith("/api/v1/compare")) as answer:
        add_closed(page, "gpt-5.4")
    compare_ready(page, 1)
    usd_total = answer.value.json()["options"][0]["total_usd"]      # 1e9 x (0.8 x 2.5 + 0.2 x 15) / 1e6 x 36
    assert usd_total == pytest.approx(5000 * H)
    rate = float(page.get_attribute("#f-ui-currency option[value=EUR]", "data-units-per-usd"))
    page.select_option("#f-ui-currency", "EUR")
    assert settle(page, SLOW_MS) == "ready"
    page.wait_for_function("() => document.getElementById('chart-compare_cumulative').layout.yaxis.title.text"
                           ".includes('EUR')", timeout=SLOW_MS)
    end = page.evaluate("() => { const t = document.getElementById('chart-compare_cumulative').data[0];"
                        " return t.y[t.y.length - 1]; }")
    assert end == pytest.approx(usd_total * rate, rel=1e-12)
    assert "€" in page.inner_text("#compare-ranking tbody tr:first-child")
    # the page's own charts follow too (converted by the server at the scenario's currency)
    title = page.evaluate("() => document.getElementById('chart-cumulative_cost').layout.yaxis.title.text")
    assert title == "Cumulative cost [EUR]"


def test_the_precision_select_starts_where_the_apis_default_does(page, live):
    """open_models.csv: gpt-oss-120b's weights are published in mxfp4, Llama 3.1 70B's in bf16; gpus.csv:
    the H100 SXM has FP8 tensor cores (1979 dense TFLOPS), the A100 80GB none.  So the API's default
    (tco.defaults) is mxfp4 for gpt-oss (weights below 8 bits kept as published), fp8 for Llama on an
    H100, bf16 for Llama on an A100: the panel's select starts there, as the page's form does, and a
    precision the user picks stays."""
    open_dashboard(page, live.url)
    page.locator("#compare").scroll_into_view_if_needed()
    precision = "#f-cmp-precision"
    page.select_option("#f-cmp-kind", "self_hosted")
    page.select_option("#f-cmp-open-model", "gpt-oss-120b")
    page.select_option("#f-cmp-gpu", "h100-sxm")
    assert page.input_value(precision) == "mxfp4"
    with page.expect_response(lambda r: r.url.endswith("/api/v1/compare")) as first:
        add_deployment(page, "gpt-oss-120b", "h100-sxm", "2")
    compare_ready(page, 1)
    assert first.value.request.post_data_json["options"][0]["open"]["precision"] == "mxfp4"
    with page.expect_response(lambda r: r.url.endswith("/api/v1/compare")
                              and len(r.request.post_data_json["options"]) == 2) as second:
        add_deployment(page, "llama-3.1-70b", "h100-sxm", "2")
    assert page.input_value(precision) == "fp8"
    compare_ready(page, 2)
    assert [o["open"]["precision"] for o in second.value.request.post_data_json["options"]] == ["mxfp4", "fp8"]
    page.select_option("#f-cmp-gpu", "a100-80gb")
    assert page.input_value(precision) == "bf16"
    page.select_option("#f-cmp-gpu", "h100-sxm")
    assert page.input_value(precision) == "fp8"
    # chosen by hand, it stays when the model changes
    page.select_option(precision, "bf16")
    page.select_option("#f-cmp-open-model", "gpt-oss-120b")
    assert page.input_value(precision) == "bf16"
