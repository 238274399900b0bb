"""What every request goes through before a view runs, and every answer on its way out.

In order, each refusal in the one JSON error shape of :mod:`tco.web.errors`:

1. the ``Host`` header must be one of ``TCO_ALLOWED_HOSTS`` (400): a web page cannot reach the
   service through DNS rebinding, since its requests carry the attacker's host name;
2. the URL must fit in ``TCO_MAX_URL_BYTES`` (414);
3. the body is read whole by :class:`BufferedBody` before the app sees it, chunked or not, at most
   ``TCO_MAX_BODY_BYTES`` (413, never cut short and priced), within ``TCO_REQUEST_TIMEOUT_S``
   when served by :mod:`tco.web.server` (408);
4. a body sent to the API must be ``application/json`` (or ``text/csv`` for usage logs) (415);
5. a JSON body may nest at most ``TCO_MAX_JSON_DEPTH`` arrays and objects (400), checked on the
   raw bytes before any parser recurses, then parsed once (400 if malformed) for the views.

Every answer carries a Content-Security-Policy without inline script, ``nosniff``, a
Referrer-Policy and ``frame-ancestors 'none'``.
"""
from __future__ import annotations

import io
import ipaddress
import json
import re

import numpy as np
import orjson
from flask import Flask, g, request

from tco.settings import Settings
from tco.web.errors import error_response

CONTROL_SURROGATE = re.compile("[\ud800-\udfff]")

#: Scripts only from the service itself (no inline script, no eval); styles may be inline (plotly
#: and Swagger UI set style attributes); never framed; no plugins; forms and fetches to itself.
CONTENT_SECURITY_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
                           "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
                           "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}

API_PREFIX = "/api/v1"
BODY_METHODS = ("POST", "PUT", "PATCH")
#: Where :class:`BufferedBody` leaves its verdict on the body for :func:`install`'s checks.
BODY_STATE = "tco.body"

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


# --------------------------------------------------------------------------- hosts

def host_name(host: str) -> str:
    """The host part of a ``Host`` header: lower-case, without port or trailing dot.

    >>> host_name("LocalHost:8000"), host_name("[::1]:8000"), host_name("example.org."), host_name("[::1]")
    ('localhost', '[::1]', 'example.org', '[::1]')
    """
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        return host[:end + 1] if end > 0 else host
    return host.rsplit(":", 1)[0].rstrip(".") if host.count(":") == 1 else host.rstrip(".")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or an address to listen on) only reaches this machine.

    >>> [is_loopback(h) for h in ("127.0.0.1", "localhost", "::1", "[::1]", "127.1.2.3", "0.0.0.0", "10.0.0.5", "")]
    [True, True, True, True, True, False, False, False]
    """
    name = host_name(host).strip("[]")
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_allowed(host: str, allowed: frozenset[str]) -> bool:
    """``host`` (a ``Host`` header) is one of ``allowed`` (``*`` allows any).

    >>> allowed = frozenset({"localhost", "127.0.0.1", "[::1]"})
    >>> [host_allowed(h, allowed) for h in ("localhost:8000", "127.0.0.1", "[::1]:80", "evil.example", "")]
    [True, True, True, False, False]
    """
    return "*" in allowed or host_name(host) in allowed


# --------------------------------------------------------------------------- bodies

class BufferedBody:
    """WSGI middleware: the request body read whole (chunked or not) before the app runs.

    A body over ``max_bytes`` is never handed on: the app sees ``environ["tco.body"] ==
    "too_large"`` and answers 413, so a chunked upload cannot be cut at the limit and priced as
    if it were complete.  ``"timeout"`` (the client was too slow, see :mod:`tco.web.server`) and
    ``"incomplete"`` (it hung up, or the chunked framing is broken) are answered 408 and 400.
    A body read in full replaces ``wsgi.input`` with its bytes and a ``Content-Length``.
    """

    CHUNK = 64 * 1024

    def __init__(self, app, max_bytes: int):
        self.app, self.max_bytes = app, max_bytes

    def __call__(self, environ, start_response):
        chunked = "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower()
        length = environ.get("CONTENT_LENGTH") or ""
        if chunked or length not in ("", "0"):
            environ[BODY_STATE] = self._read(environ, None if chunked else length)
        return self.app(environ, start_response)

    def _read(self, environ, length: str | None) -> str:
        if length is not None:
            if not length.isdigit():
                return "bad_length"
            want = int(length)
            if want > self.max_bytes:
                return "too_large"          # not read: the answer closes the connection
        else:
            want = self.max_bytes + 1       # one byte more than allowed tells "too large" from "complete"
        stream, buf = environ["wsgi.input"], bytearray()
        try:
            while len(buf) < want:
                chunk = stream.read(min(self.CHUNK, want - len(buf)))
                if not chunk:
                    break
                buf += chunk
        except TimeoutError:
            return "timeout"
        except Exception:                   # a disconnect or broken chunked framing, whatever the server
            return "incomplete"
        if len(buf) > self.max_bytes:
            return "too_large"
        if length is not None and len(buf) < want:
            return "incomplete"
        environ["wsgi.input"] = io.BytesIO(bytes(buf))
        environ["CONTENT_LENGTH"] = str(len(buf))
        environ.pop("HTTP_TRANSFER_ENCODING", None)
        environ.pop("wsgi.input_terminated", None)     # a plain Content-Length body now
        return "read"


# --------------------------------------------------------------------------- JSON

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.S)
_OPEN, _CLOSE = np.zeros(256, np.int8), np.zeros(256, np.int8)
_OPEN[[ord("["), ord("{")]] = 1
_CLOSE[[ord("]"), ord("}")]] = 1


def json_depth(raw: bytes) -> int:
    """How deep arrays and objects nest in the JSON text ``raw``, without parsing it.

    Strings are blanked first (they may hold brackets), then the depth is the running sum of
    opening minus closing brackets.  Exact for valid JSON; for broken JSON it is at least the depth
    a parser reaches before it fails, so a parser given a text this passes never recurses deeper.

    >>> json_depth(b'{"a": [1, {"b": "[[[["}], "c": []}'), json_depth(b"1"), json_depth(b"[" * 5000)
    (3, 0, 5000)
    >>> json_depth(b'["\\\\"]]"]')   # an escaped backslash ends the string before the quote
    1
    """
    blanked = np.frombuffer(_JSON_STRING.sub(b'""', raw), dtype=np.uint8)
    if blanked.size == 0:
        return 0
    steps = _OPEN[blanked].astype(np.int32) - _CLOSE[blanked]
    return int(np.cumsum(steps).max(initial=0))


def _big_int(text: str):
    """JSON integers as Python ints up to 18 digits; longer ones become a float (inf if huge).

    Python refuses to turn over 4300 digits into an int, and an int over 1e308 cannot become a
    float: either would fail deep inside a schema, so the range checks see a plain number instead.
    (18 digits stay below 2**63, which every JSON encoder of the service can write back.)
    """
    return int(text) if len(text.lstrip("-")) <= 18 else float(text)


def _surrogate_at(value, path: str = "$") -> str | None:
    """The path of the first text (or key) in ``value`` holding a lone surrogate, or ``None``."""
    if isinstance(value, str):
        return path if CONTROL_SURROGATE.search(value) else None
    if isinstance(value, dict):
        for k, v in value.items():
            hit = (f"{path}.{k}" if CONTROL_SURROGATE.search(k) else None) or _surrogate_at(v, f"{path}.{k}")
            if hit:
                return hit
    elif isinstance(value, list):
        for i, v in enumerate(value):
            hit = _surrogate_at(v, f"{path}.{i}")
            if hit:
                return hit
    return None


class BadJson(ValueError):
    """A body that is not JSON the service can read; ``path`` is where (``$``: the whole body)."""

    def __init__(self, message: str, path: str = "$"):
        super().__init__(message)
        self.path = path


def parse_json(raw: bytes, max_depth: int):
    r"""``raw`` parsed, or :class:`BadJson` with a message for people.

    >>> parse_json(b'{"a": [1, 2]}', 8)
    {'a': [1, 2]}
    >>> parse_json(b"[[[1]]]", 2)
    Traceback (most recent call last):
    ...
    tco.web.guard.BadJson: JSON nested 3 levels deep; the limit is 2 (TCO_MAX_JSON_DEPTH)
    >>> parse_json(b"1" * 5000, 8)
    inf
    >>> parse_json(b'{"name": "\\ud800"}', 8)
    Traceback (most recent call last):
    ...
    tco.web.guard.BadJson: malformed JSON: a lone surrogate escape (\udXXX) is not Unicode text, at name
    """
    depth = json_depth(raw)
    if depth > max_depth:
        raise BadJson(f"JSON nested {depth} levels deep; the limit is {max_depth} (TCO_MAX_JSON_DEPTH)")
    try:
        value = json.loads(raw.decode("utf-8"), parse_int=_big_int)
    except UnicodeDecodeError:
        raise BadJson("the body is not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise BadJson(f"malformed JSON: {exc}") from None
    try:
        orjson.dumps(value)             # fast, and refuses exactly the text that is not Unicode
    except orjson.JSONEncodeError:
        where = (_surrogate_at(value) or "$").removeprefix("$.")
        raise BadJson(f"malformed JSON: a lone surrogate escape (\\udXXX) is not Unicode text, at {where}",
                      where) from None
    return value


def dump_json(obj, default=None) -> bytes:
    """``obj`` as JSON bytes: orjson (numpy values and dates natively), the stdlib for the rare text
    orjson refuses (a lone surrogate echoed from a request, which the stdlib escapes).

    >>> dump_json({"a": 1.5}), dump_json({chr(0xD800): 1})
    (b'{"a":1.5}', b'{"\\\\ud800": 1}')
    """
    try:
        return orjson.dumps(obj, option=orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS, default=default)
    except orjson.JSONEncodeError:
        return json.dumps(obj, default=default).encode()


_NO_JSON = object()


def json_body():
    """The request's JSON body as :func:`install` parsed it (``None`` when there is none)."""
    value = g.get("tco_json", _NO_JSON)
    if value is _NO_JSON:
        return None
    return value


def has_json_body() -> bool:
    return g.get("tco_json", _NO_JSON) is not _NO_JSON


# --------------------------------------------------------------------------- the hooks

def _url_bytes(environ) -> int:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw is not None:
        return len(raw)
    query = environ.get("QUERY_STRING", "")
    return len(environ.get("SCRIPT_NAME", "").encode("latin-1", "replace")) + \
        len(environ.get("PATH_INFO", "").encode("latin-1", "replace")) + (len(query) + 1 if query else 0)


#: BufferedBody's verdict -> (status, what is wrong, the setting behind it)
BODY_REFUSALS = {
    "too_large": (413, "the body is larger than {limit} bytes", "TCO_MAX_BODY_BYTES"),
    "timeout": (408, "the request was not received within {timeout:g} s", "TCO_REQUEST_TIMEOUT_S"),
    "incomplete": (400, "the body ended before it was complete (connection closed or broken chunked encoding)", ""),
    "bad_length": (400, "the Content-Length header is not a whole number", ""),
}


def install(app: Flask, settings: Settings) -> None:
    """Wrap ``app`` with :class:`BufferedBody` and register the checks and headers (run first)."""
    app.wsgi_app = BufferedBody(app.wsgi_app, settings.max_body_bytes)
    allowed = settings.host_names

    @app.before_request
    def _guard():
        environ = request.environ
        host = request.headers.get("Host", "")
        if not host_allowed(host, allowed):
            return error_response(400, f"this service answers to {', '.join(sorted(allowed))} only "
                                       f"(TCO_ALLOWED_HOSTS), not Host {host_name(host)[:100]!r}",
                                  [{"path": "header.Host", "message": "host name not allowed"}])
        n = _url_bytes(environ)
        if n > settings.max_url_bytes:
            return error_response(414, f"the URL is {n} bytes long; the limit is {settings.max_url_bytes} "
                                       f"(TCO_MAX_URL_BYTES)", [{"path": "url", "message": "too long"}])
        state = environ.get(BODY_STATE)
        if state in BODY_REFUSALS:
            status, text, setting = BODY_REFUSALS[state]
            text = text.format(limit=settings.max_body_bytes, timeout=settings.request_timeout_s)
            return error_response(status, f"{text} ({setting})" if setting else text,
                                  [{"path": "body", "message": text}], headers={"Connection": "close"})
        if request.method not in BODY_METHODS or not request.path.startswith(API_PREFIX) \
                or request.routing_exception is not None:        # 404 and 405 come first
            return None
        allowed_types = ("application/json", "text/csv") if request.path == API_PREFIX + "/usage" \
            else ("application/json",)
        if request.mimetype not in allowed_types:
            want = " or ".join(allowed_types)
            return error_response(415, f"Content-Type must be {want}",
                                  [{"path": "header.Content-Type",
                                    "message": f"expected {want}, got {request.mimetype or 'none'}"}])
        if request.mimetype == "application/json":
            try:
                g.tco_json = parse_json(request.get_data(cache=True), settings.max_json_depth)
            except BadJson as exc:
                message = str(exc)
                return error_response(400, "malformed JSON body" if message.startswith("malformed") else message,
                                      [{"path": exc.path, "message": message}])
        return None

    @app.after_request
    def _headers(response):
        for k, v in SECURITY_HEADERS.items():
            response.headers.setdefault(k, v)
        return response
