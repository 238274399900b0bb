"""The Flask app: health check and the landing page."""
from __future__ import annotations

import pytest

from tco.web import create_app
from tco.settings import Settings


@pytest.fixture(scope="module")
def client():
    app = create_app(Settings())
    app.testing = True
    return app.test_client()


def test_healthz(client, catalog):
    res = client.get("/healthz")
    assert res.status_code == 200
    body = res.get_json()
    assert body["status"] == "ok"
    assert body["rows"] == catalog.row_counts()
    assert body["newest_price_date"] == catalog.newest_price_date()
    assert body["version"]


def test_index_says_what_is_there(client):
    res = client.get("/")
    assert res.status_code == 200
    assert b"/healthz" in res.data and b"api_prices" in res.data
