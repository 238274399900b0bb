"""Helpers for the browser tests: the app served on a loopback port, Debian's chromium, a page guard.

No browser is ever downloaded: chromium is the system one (``/usr/bin/chromium``), driven by
playwright's Python client.
"""
from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from werkzeug.serving import ThreadedWSGIServer, WSGIRequestHandler

from tco.settings import Settings

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def chromium_available() -> bool:
    return Path(CHROMIUM).exists()


class _QuietHandler(WSGIRequestHandler):
    """werkzeug's handler without the access log on stderr."""

    def log_request(self, *args, **kwargs):  # noqa: D401 - werkzeug API
        pass


class _Server(ThreadedWSGIServer):
    """werkzeug's threaded server that can also drop its open (keep-alive) connections, so a
    stopped server really is gone: the browser's next request reaches whatever listens next."""

    def __init__(self, *args, **kwargs):
        self._connections: set[socket.socket] = set()
        self._lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request, client_address):
        with self._lock:
            self._connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request):
        with self._lock:
            self._connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self, timeout: float = 5.0) -> None:
        with self._lock:
            open_now = list(self._connections)
        for conn in open_now:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        while self._connections and time.monotonic() < deadline:   # handler threads close them
            time.sleep(0.01)


class LiveServer:
    """``create_app(Settings(database=...), catalog)`` served by werkzeug in a thread on 127.0.0.1.

    ``port=0`` picks a free port. :meth:`stop` shuts the server down, drops its connections and
    closes its socket; a new ``LiveServer`` may then listen on the same port.
    """

    def __init__(self, database: Path, catalog, port: int = 0):
        from tco.web import create_app

        self.app = create_app(Settings(database=str(database)), catalog)
        self.server = _Server("127.0.0.1", port, self.app, handler=_QuietHandler)
        self.port = self.server.server_port
        self.origin = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, name=f"tco-live-{self.port}",
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return self.origin + "/"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.drop_connections()
        self.server.server_close()
        self._thread.join(timeout=10)

    def __enter__(self) -> "LiveServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class PageGuard:
    """Records what a page does that a test must never see: a request leaving the test server,
    a console error, an uncaught exception.

    ``allow_console`` holds regexes of console errors a test expects (chromium logs every HTTP
    4xx answer to a fetch as a console error, e.g. the API's 422 for an invalid field).
    """

    origin: str
    requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    allow_console: list[str] = field(default_factory=list)
    _handlers: list = field(default_factory=list, repr=False)

    def attach(self, page) -> "PageGuard":
        def on_console(msg):
            if msg.type == "error":
                self.console_errors.append(f"{msg.text} @ {msg.location.get('url', '')}")

        self._handlers = [("request", lambda req: self.requests.append(req.url)), ("console", on_console),
                          ("pageerror", lambda exc: self.page_errors.append(str(exc)))]
        for event, handler in self._handlers:
            page.on(event, handler)
        return self

    def detach(self, page) -> None:
        for event, handler in self._handlers:
            page.remove_listener(event, handler)
        self._handlers = []

    def foreign_requests(self) -> list[str]:
        ok = (self.origin + "/", "data:", "blob:")
        return [u for u in self.requests if not u.startswith(ok)]

    def unexpected_console_errors(self) -> list[str]:
        return [e for e in self.console_errors if not any(re.search(p, e) for p in self.allow_console)]

    def check(self) -> None:
        assert self.requests, "no request recorded: the guard was not attached"
        assert self.foreign_requests() == [], f"requests left {self.origin}: {self.foreign_requests()}"
        assert self.unexpected_console_errors() == [], f"console errors: {self.unexpected_console_errors()}"
        assert self.page_errors == [], f"uncaught errors in the page: {self.page_errors}"
