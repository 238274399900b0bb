"""The dashboard page is ready for ``Content-Security-Policy: script-src 'self'``, and its script is ES
modules served as they are (no build step, no bundler, no CDN).

Read with the Flask test client: no browser. The page itself is driven in chromium by
``test_dashboard_browser.py``.
"""
from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest

from tco.settings import Settings
from tco.web import create_app

STATIC = Path(__file__).resolve().parents[1] / "tco" / "web" / "static"
JS_TYPES = {"text/javascript", "application/javascript"}
# import … from "x" / export … from "x" / import "x" / import("x"), across lines
SPECIFIER = re.compile(r"""\b(?:import|export)\b[^;'"`]*?\bfrom\s*["']([^"']+)["']"""
                       r"""|\bimport\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)""")


@pytest.fixture(scope="module")
def client():
    app = create_app(Settings())
    app.testing = True
    return app.test_client()


@pytest.fixture(scope="module")
def page_html(client) -> str:
    res = client.get("/")
    assert res.status_code == 200
    return res.get_data(as_text=True)


class _ScriptAudit(HTMLParser):
    """Every <script> of a page (its attributes and its text) and every on*= attribute."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.scripts: list[dict] = []
        self.handlers: list[str] = []
        self.js_urls: list[str] = []
        self._in_script: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        self.handlers += [f"<{tag} {k}=…>" for k in a if k.lower().startswith("on")]
        self.js_urls += [f"<{tag} {k}={v}>" for k, v in a.items()
                         if v and v.strip().lower().startswith("javascript:")]
        if tag == "script":
            self._in_script = {"attrs": a, "text": ""}
            self.scripts.append(self._in_script)

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self._in_script["text"] += data

    def inline_code(self) -> list[str]:
        """The scripts a browser would run from the page's own text (CSP: 'unsafe-inline')."""
        return [s["text"].strip()[:60] for s in self.scripts
                if s["attrs"].get("type") != "application/json" and s["text"].strip()]


def audit(html: str) -> _ScriptAudit:
    parser = _ScriptAudit()
    parser.feed(html)
    parser.close()
    return parser


def test_the_audit_finds_inline_code_and_handlers():
    """The checks below can fail: an inline script, a handler and a javascript: link are found."""
    bad = audit('<body><script>go()</script><button onclick="go()">x</button><a href=" JavaScript:go()">y</a>'
                '<script type="module">import "./a.js";</script><script src="/a.js"></script>'
                '<script type="application/json" id="d">{"a": 1}</script></body>')
    assert bad.inline_code() == ["go()", 'import "./a.js";']
    assert bad.handlers == ["<button onclick=…>"]
    assert bad.js_urls == ["<a href= JavaScript:go()>"]


def test_the_page_has_no_inline_script_and_no_event_handler_attribute(page_html):
    page = audit(page_html)
    assert page.inline_code() == []
    assert page.handlers == []
    assert page.js_urls == []
    # what it has: plotly.js (classic), the dashboard's entry module, the catalog's choices as JSON data
    src = [(s["attrs"].get("type"), s["attrs"]["src"]) for s in page.scripts if "src" in s["attrs"]]
    assert src == [(None, src[0][1]), ("module", "/static/dashboard.js")]
    assert src[0][1].startswith("/static/vendor/plotly-")
    data = [s for s in page.scripts if s["attrs"].get("type") == "application/json"]
    assert [s["attrs"].get("id") for s in data] == ["tco-options"]
    assert {"api", "rates", "load_peaks"} <= set(json.loads(data[0]["text"]))


def module_specifiers(source: str) -> list[str]:
    return [next(g for g in m.groups() if g) for m in SPECIFIER.finditer(source)]


def test_module_specifiers_are_read_from_every_import_form():
    source = ('import { a, b } from "./x.js";\nimport {\n  c,\n} from \'../y.js\';\nexport { d } from "./z.js";\n'
              'import "./side.js";\nconst m = await import("./lazy.js");\n// "import" in a comment, no from\n')
    assert module_specifiers(source) == ["./x.js", "../y.js", "./z.js", "./side.js", "./lazy.js"]


def test_every_module_the_page_loads_is_served_as_javascript(client, page_html):
    entry = next(s["attrs"]["src"] for s in audit(page_html).scripts if s["attrs"].get("type") == "module")
    seen, todo = set(), [entry]
    while todo:
        url = todo.pop()
        if url in seen:
            continue
        seen.add(url)
        with client.get(url) as res:
            assert res.status_code == 200, url
            assert res.mimetype in JS_TYPES, (url, res.mimetype)   # a module under another type never runs
            source = res.get_data(as_text=True)
        # CSP script-src 'self' without 'unsafe-eval': no code made from strings
        assert not re.search(r"\beval\s*\(|\bnew\s+Function\s*\(", source), url
        for spec in module_specifiers(source):
            # relative: no bare name (it needs a bundler or an import map), no other host
            assert spec.startswith(("./", "../")) and spec.endswith(".js"), (url, spec)
            todo.append(urljoin(url, spec))
    # every module file shipped is loaded by the page, and nothing else is
    shipped = {"/static/" + p.relative_to(STATIC).as_posix() for p in STATIC.rglob("*.js")}
    assert seen == shipped
    assert len(seen) > 5
