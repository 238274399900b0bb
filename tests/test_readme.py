"""The README's examples work: every curl command runs against the app and succeeds."""
from __future__ import annotations

import re
import shlex
from urllib.parse import urlsplit

from conftest import REPO
from tco.settings import Settings
from tco.web import create_app

README = (REPO / "README.md").read_text()
CURLS = [line for line in README.splitlines() if line.startswith("curl ")]


def parse_curl(line: str):
    args = shlex.split(line)
    method, headers, data, url = "GET", {}, None, None
    it = iter(args[1:])
    for a in it:
        if a == "-X":
            method = next(it)
        elif a == "-H":
            k, v = next(it).split(":", 1)
            headers[k.strip()] = v.strip()
        elif a in ("-d", "--data-binary"):
            data = next(it)
            if data.startswith("@"):                    # a file of the repository, as curl reads it
                data = (REPO / data[1:]).read_bytes()
        elif a == "-o":
            next(it)
        elif a.startswith("http"):
            url = a
    return method, url, headers, data


def test_readme_has_a_curl_example_per_endpoint(catalog):
    app = create_app(Settings(), catalog=catalog)
    spec = app.test_client().get("/openapi.json").get_json()
    used = {urlsplit(parse_curl(c)[1]).path for c in CURLS}
    for path in spec["paths"]:
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^?]+", path) + "$"
        assert any(re.match(pattern, u) for u in used), f"no README curl example for {path}"


def test_readme_curl_examples_run_in_order(catalog, tmp_path):
    """Every curl line, in README order, against one app (a temp database, like a fresh `make serve`)."""
    client = create_app(Settings(database=str(tmp_path / "readme.sqlite3")), catalog=catalog).test_client()
    assert len(CURLS) >= 15
    for line in CURLS:
        method, url, headers, data = parse_curl(line)
        assert url.startswith("http://127.0.0.1:8000/"), "examples target `make serve`'s address"
        parts = urlsplit(url)
        res = client.open(parts.path + ("?" + parts.query if parts.query else ""), method=method, headers=headers,
                          data=data)
        assert res.status_code in (200, 201, 204), (line, res.get_data(as_text=True)[:500])
        res.close()


def test_readme_links_the_pricing_schema_and_settings():
    assert "pricing/README.md" in README
