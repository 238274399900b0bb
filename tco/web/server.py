"""The gunicorn worker of ``tco serve``: threads, a deadline on every request, errors in the JSON shape.

:class:`Worker` is gunicorn's threaded worker (``gthread``) with three changes:

- each client socket is a :class:`DeadlineSocket`: the request line, headers and body must all
  arrive within ``TCO_REQUEST_TIMEOUT_S`` of a thread taking the request up, and no read or
  write waits longer than that for the client, so a client sending half a request (or reading
  the answer very slowly) cannot hold a thread;
- the errors gunicorn answers itself (a request line over the limit: 414; headers too large: 431;
  a malformed request: 400) are written in the API's JSON error shape, with the security headers;
- once the app is loaded, the heavy pool's slots are made the server's (shared by its workers, so
  ``TCO_HEAVY_SLOTS`` counts for the whole service) and its processes started, so no request waits
  for one.
"""
from __future__ import annotations

import errno
import os
import socket
import tempfile
import threading
import time

from gunicorn import util as gunicorn_util
from gunicorn.workers.gthread import ThreadWorker

from tco.settings import Settings
from tco.web.errors import error_body
from tco.web.guard import SECURITY_HEADERS, dump_json


class DeadlineSocket(socket.socket):
    """A client socket whose reads end at :attr:`deadline` and whose waits end after :attr:`limit_s`.

    gunicorn switches the socket between non-blocking (while its poller watches it) and blocking
    (while a thread serves it); "blocking" here means blocking for at most ``limit_s`` per call.
    """

    limit_s: float = 10.0
    deadline: float | None = None

    @classmethod
    def adopt(cls, sock: socket.socket, limit_s: float) -> "DeadlineSocket":
        blocking = sock.getblocking()
        new = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        new.limit_s = limit_s
        new.setblocking(blocking)
        return new

    def setblocking(self, flag: bool) -> None:
        if flag:
            self.settimeout(self.limit_s)
        else:
            super().setblocking(False)

    def late(self) -> TimeoutError:
        """The error of a client too slow to send its request.

        A ``TimeoutError`` (the app answers it 408) carrying ``ECONNRESET``, so that gunicorn, when it
        happens while it reads the headers, drops the connection as a client gone rather than logging
        a server fault.
        """
        return TimeoutError(errno.ECONNRESET, f"the request was not received within {self.limit_s:g} s")

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        if self.deadline is not None and self.gettimeout() != 0.0:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise self.late()
            self.settimeout(min(left, self.limit_s))
        try:
            return super().recv(bufsize, flags)
        except TimeoutError:
            raise self.late() from None


def write_json_error(sock, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's own error answers (``gunicorn.util.write_error``) in the API's error shape."""
    body = dump_json(error_body(status_int, mesg or reason, []))
    head = [f"HTTP/1.1 {status_int} {reason}", "Connection: close", "Content-Type: application/json",
            f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in SECURITY_HEADERS.items())]
    gunicorn_util.write_nonblock(sock, ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)


SLOT_FOLDER_PREFIX = "tco-heavy-slots-"


def prune_slot_folders() -> None:
    """Remove the heavy-slot folders of servers that are gone (their arbiter's pid is in the name)."""
    import shutil
    root = tempfile.gettempdir()
    for name in os.listdir(root):
        pid = name.removeprefix(SLOT_FOLDER_PREFIX)
        if name.startswith(SLOT_FOLDER_PREFIX) and pid.isdigit():
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                shutil.rmtree(os.path.join(root, name), ignore_errors=True)
            except PermissionError:         # alive, another user's
                pass


class Worker(ThreadWorker):
    """gunicorn's ``gthread`` worker with request deadlines and JSON errors (see the module docstring)."""

    def init_process(self):
        self.request_timeout_s = Settings.from_env().request_timeout_s
        gunicorn_util.write_error = write_json_error       # this worker process only
        super().init_process()

    def load_wsgi(self):
        super().load_wsgi()
        pool = getattr(self.wsgi, "extensions", {}).get("tco_heavy")
        if pool is not None:
            # one set of heavy slots for all the workers of this server (the arbiter is their common parent)
            prune_slot_folders()
            pool.share_slots(os.path.join(tempfile.gettempdir(), f"{SLOT_FOLDER_PREFIX}{self.ppid}"))
            threading.Thread(target=pool.warm, name="tco-heavy-warm", daemon=True).start()

    def handle(self, conn):
        # In the thread that serves the request: the time spent waiting for a free thread is not the client's.
        if not isinstance(conn.sock, DeadlineSocket):
            conn.sock = DeadlineSocket.adopt(conn.sock, self.request_timeout_s)
        conn.sock.deadline = time.monotonic() + self.request_timeout_s
        return super().handle(conn)
