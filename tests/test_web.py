"""The Flask app: health check and the landing page."""
from __future__ import annotations

import re
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


def test_dashboard_page_and_its_assets(client):
    res = client.get("/")
    assert res.status_code == 200
    html = res.get_data(as_text=True)
    assert 'id="scenario-form"' in html and "/static/dashboard.js" in html
    # plotly.js is served by the app under a versioned name, never from a CDN
    # (source pages are cited as links and data attributes; no script, stylesheet or image loads from afar)
    assert "cdn" not in html.lower()
    assert not re.findall(r"<(?:script|link|img|iframe)\b[^>]*(?:src|href)=[\"']?(?:https?:)?//", html, re.I)
    src = html.split('<script src="')[1].split('"')[0]
    assert src.startswith("/static/vendor/plotly-") and src.endswith(".min.js")
    with client.get(src) as js:
        assert js.status_code == 200 and js.mimetype == "text/javascript" and len(js.data) > 1_000_000
    for asset in ("/static/dashboard.js", "/static/dashboard.css"):
        with client.get(asset) as r:
            assert r.status_code == 200


def test_every_form_field_has_a_label(client):
    import re
    html = client.get("/").get_data(as_text=True)
    ids = re.findall(r'<(?:input|select)[^>]*\bid="([^"]+)"', html)
    assert len(ids) > 30
    for i in ids:
        assert f'for="{i}"' in html, f"no <label for> for #{i}"
