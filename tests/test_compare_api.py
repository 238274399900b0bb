"""POST /api/v1/compare: the answer by hand, the same totals as /tco for a pair, 422s naming the option."""
from __future__ import annotations

import pytest

from tco.settings import Settings
from tco.web import create_app
from tco.web.api.compare.schemas import COMPARE_EXAMPLE

from test_api import INLINE, assert_error_shape

BODY = {k: v for k, v in INLINE.items() if k not in ("closed", "open")}
CLOSED = {"kind": "closed", "name": "list", "closed": INLINE["closed"]}
OWN = {"kind": "self_hosted", "name": "own", "open": INLINE["open"]}


@pytest.fixture(scope="module")
def client(catalog):
    app = create_app(Settings(), catalog=catalog)
    app.testing = True
    return app.test_client()


def test_a_pair_has_the_totals_of_tco(client):
    res = client.post("/api/v1/compare", json={**BODY, "options": [OWN, CLOSED]})
    assert res.status_code == 200, res.get_data(as_text=True)
    body = res.get_json()
    tco = client.post("/api/v1/tco", json=INLINE).get_json()["summary"]
    by = {o["name"]: o for o in body["options"]}
    # INLINE: closed 10M x $3 + 2M x $15 = $60/month x 12 = $720; own: 1 replica x 730 h x $2 x 12 = $17,520
    assert by["list"]["total_usd"] == pytest.approx(720) == tco["closed_total_usd"]
    assert by["own"]["total_usd"] == pytest.approx(17520) == tco["open_total_usd"]
    assert body["ranking"] == [1, 0] and body["cheapest_index"] == 1
    assert by["own"]["billed"] == "1 replica x 1 GPU = 1 GPU, each GPU 730 h/month"
    assert len(body["curve_volumes"]) == 121 and len(by["own"]["curve_usd"]) == 121


def test_the_example_answers(client):
    res = client.post("/api/v1/compare", json=COMPARE_EXAMPLE)
    assert res.status_code == 200, res.get_data(as_text=True)
    body = res.get_json()
    npvs = [o["npv_usd"] for o in body["options"]]
    assert npvs == sorted(npvs) and len(npvs) == 5
    assert {b["index"] for b in body["bands"]} <= set(range(5))


@pytest.mark.parametrize("options, path, words", [
    ([CLOSED, CLOSED, {"kind": "self_hosted", "open": {"model": "llama-3.1-8b", "gpu": "X"}}], "options.2.open.gpu",
     "unknown GPU 'X'"),
    ([CLOSED] * 13, "options", "give 1 to 12 options, got 13"),
    ([], "options", "give 1 to 12 options, got 0"),
    ([{"kind": "api", "closed": {}}], "options.0.kind", "Must be one of"),
    ([CLOSED, {"kind": "closed", "closed": {"input_usd_per_mtok": -1}}], "options.1.closed.input_usd_per_mtok",
     "greater than or equal to 0"),
    ([CLOSED, {"kind": "seats", "closed": {"usd_per_seat_month": 30}}], "options.1", "workload.seats"),
    ([{"kind": "self_hosted", "closed": INLINE["closed"]}], "options.0.open", "required for a self_hosted option"),
])
def test_bad_options_are_422_naming_the_option(client, options, path, words):
    err = assert_error_shape(client.post("/api/v1/compare", json={**BODY, "options": options}), 422)
    assert err["errors"][0]["path"] == path and words in err["errors"][0]["message"], err


def test_sides_belong_to_the_options(client):
    err = assert_error_shape(client.post("/api/v1/compare", json={**INLINE, "options": [CLOSED]}), 422)
    assert {e["path"] for e in err["errors"]} == {"closed", "open"}
