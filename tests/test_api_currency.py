"""/plan, /sensitivity and /montecarlo carry the request's `currency` object as /tco does; the
amounts named usd* stay in US dollars whatever the currency (it is display only)."""
from __future__ import annotations

import re

import pytest

from tco.currency import currency
from tco.settings import Settings
from tco.web import create_app
from tco.web.api.scenarios.schemas import EXAMPLE

from test_api import assert_error_shape

#: A plan that switches (from month 14 on this catalog): its verdict states amounts.
# a workload whose cheapest plan mixes own replicas and the API (so its verdict states amounts)
PLAN = {"horizon_months": 36, "workload": {"tokens_per_month": 6e9, "monthly_growth": 0.05,
                                           "load_profile": "business_hours"},
        "closed": {"model": "gpt-6.1-sol"},
        "open": {"model": "llama-3.3-70b", "gpu": "h100-sxm", "gpus_per_replica": 2, "precision": "fp8",
                 "provider": "aws", "term": "on_demand"}}
CALLS = [("/api/v1/plan", PLAN), ("/api/v1/sensitivity", EXAMPLE),
         ("/api/v1/montecarlo", {**EXAMPLE, "samples": 200, "seed": 3})]


@pytest.fixture(scope="module")
def client(catalog):
    app = create_app(Settings(heavy_isolation="thread"), catalog=catalog)
    app.testing = True
    return app.test_client()


@pytest.mark.parametrize("url,body", CALLS, ids=[u for u, _ in CALLS])
def test_heavy_answers_state_the_currency_and_keep_usd(client, catalog, url, body):
    usd = client.post(url, json=body)
    eur = client.post(url, json={**body, "currency": "eur"})
    assert usd.status_code == 200 and eur.status_code == 200, eur.get_json()
    u, e = usd.get_json(), eur.get_json()
    assert u["currency"] == {"code": "USD", "units_per_usd": 1.0, "effective_date": None, "source_url": None}
    rate = currency(catalog, "EUR")
    assert e["currency"] == {"code": "EUR", "units_per_usd": rate.units_per_usd,
                             "effective_date": rate.effective_date, "source_url": rate.source_url}
    # every number but the verdict's words is the same: usd* stay in US dollars
    strip = lambda d: {k: v for k, v in d.items() if k not in ("currency", "verdict")}  # noqa: E731
    assert strip(u) == strip(e)


def test_the_plan_verdict_is_in_the_currency(client):
    usd = client.post("/api/v1/plan", json=PLAN).get_json()
    eur = client.post("/api/v1/plan", json={**PLAN, "currency": "EUR"}).get_json()
    assert "$" in usd["verdict"] and "€" in eur["verdict"] and "$" not in eur["verdict"]
    # the plan's total over the horizon, said in thousands (k) or millions (M) of euros:
    # hybrid_total_usd x EUR per USD / 1e3 or 1e6, rounded to the digits shown
    said = re.search(r"€([0-9.]+)([kM]) over 36 months", eur["verdict"])
    assert said, eur["verdict"]
    scale = {"k": 1e3, "M": 1e6}[said.group(2)]
    want = eur["hybrid"]["hybrid_total_usd"] * eur["currency"]["units_per_usd"] / scale
    digits = len(said.group(1).partition(".")[2])
    assert float(said.group(1)) == pytest.approx(want, abs=0.5 * 10 ** -digits)


@pytest.mark.parametrize("url,body", CALLS, ids=[u for u, _ in CALLS])
def test_an_unknown_currency_is_refused_naming_the_codes(client, url, body):
    err = assert_error_shape(client.post(url, json={**body, "currency": "XYZ"}), 422)
    assert err["errors"][0]["path"] == "currency" and "CNY" in err["errors"][0]["message"]
