"""Heavy requests next to light ones: a few slots for the whole service, computed away from the light ones.

A heavy request (Monte Carlo, sensitivity, hybrid plan, usage log, charts with extras, report,
a comparison with a hybrid option)
takes one of ``TCO_HEAVY_SLOTS`` slots for its computation: slots of the whole service under
``tco serve`` (its workers share them, :class:`FileSlots`), of the app otherwise.  When none frees within
``TCO_HEAVY_WAIT_S`` it is answered 503 with ``Retry-After``; light requests (``/tco``, the
catalog, ``/healthz``) never wait for a slot.

With ``TCO_HEAVY_ISOLATION=process`` (the default) each slot is a child process at a lower CPU
priority (nice +10): the kernel runs the light requests first, the computation's memory is its
own and capped (a request that would need more gets 422), and a computation running over
``TCO_HEAVY_TIMEOUT_S`` is stopped by ending its process (503); a fresh child takes the slot.
With ``thread`` the computation runs in the request's own thread (no priority, cap or stop).

A task is a module-level function ``task(catalog, *args)`` returning the answer's JSON bytes (the
child encodes them, not the worker); it may raise :class:`~tco.scenario.ScenarioError` or
:class:`~tco.web.errors.ApiError`, which reach the client as they would without a pool.
"""
from __future__ import annotations

import math
import multiprocessing as mp
import os
import pickle
import queue
import threading
import time
from typing import Any, Callable

from tco.scenario import ScenarioError
from tco.web.errors import ApiError, scenario_error

#: How much lower the children's CPU priority is than the workers' (nice increment).
HEAVY_NICE = 10
#: Address space a child may use [bytes] (the heaviest Monte Carlo allowed peaks at 1.5 GiB of address space,
#: 0.45 GiB resident); a computation asking more gets a MemoryError, answered 422.
HEAVY_ADDRESS_SPACE_BYTES = 2 * 2**30
#: Modules the fork server imports once, so a new child starts in milliseconds.
PRELOAD = ["tco.web.api.scenarios.resources", "tco.web.api.usage.resources", "tco.web.api.compare.resources"]


def _as_api_error(exc: BaseException) -> ApiError | None:
    """The error answer an exception of a task stands for (``None``: an unexpected one)."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, ScenarioError):
        return scenario_error(exc)
    if isinstance(exc, MemoryError):
        return ApiError(422, f"this request needs more memory than one computation may use "
                             f"({HEAVY_ADDRESS_SPACE_BYTES / 2**30:g} GiB); ask for less (fewer samples, months or "
                             f"rows)", [{"path": "$", "message": "needs too much memory"}])
    return None


def _child_main(conn, catalog_blob: bytes, nice: int, address_space: int) -> None:
    """A slot's process: lower priority, capped memory, then tasks until the worker hangs up."""
    import resource
    os.nice(nice)
    try:
        resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    except (ValueError, OSError):       # a lower hard limit is already in force: keep it
        pass
    catalog = pickle.loads(catalog_blob)
    while True:
        try:
            task, args = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply = ("ok", task(catalog, *args))
        except BaseException as exc:    # noqa: BLE001 - every failure goes back to the worker
            err = _as_api_error(exc)
            if err is not None:
                reply = ("error", err)
            else:
                import traceback
                reply = ("crash", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}")
        conn.send(reply)


class _Child:
    """One slot's process and the pipe to it."""

    def __init__(self, ctx, catalog_blob: bytes):
        self.conn, theirs = ctx.Pipe()
        self.proc = ctx.Process(target=_child_main, args=(theirs, catalog_blob, HEAVY_NICE, HEAVY_ADDRESS_SPACE_BYTES),
                                daemon=True, name="tco-heavy")
        self.proc.start()
        theirs.close()

    def call(self, task: Callable, args: tuple, timeout: float):
        self.conn.send((task, args))
        if not self.conn.poll(timeout):
            raise TimeoutError
        return self.conn.recv()

    def stop(self) -> None:
        self.proc.kill()
        self.proc.join(5)
        self.conn.close()


class ThreadSlots:
    """``n`` slots for the threads of one process."""

    def __init__(self, n: int):
        self._sem = threading.BoundedSemaphore(n)

    def acquire(self, timeout: float):
        return True if self._sem.acquire(timeout=timeout) else None

    def release(self, _token) -> None:
        self._sem.release()


class FileSlots:
    """``n`` slots shared by every process of one service: holding a slot is holding an ``flock`` on one
    of ``n`` files of ``folder``.  The kernel frees the lock of a process that dies, so no slot is lost."""

    POLL_S = 0.02

    def __init__(self, folder: str, n: int):
        os.makedirs(folder, exist_ok=True)
        self.paths = [os.path.join(folder, f"slot-{i}") for i in range(n)]

    def acquire(self, timeout: float):
        import fcntl
        deadline = time.monotonic() + timeout
        while True:
            for path in self.paths:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return fd
                except BlockingIOError:
                    os.close(fd)
            if time.monotonic() >= deadline:
                return None
            time.sleep(self.POLL_S)

    def release(self, fd) -> None:
        os.close(fd)                    # closing the descriptor releases its lock


class HeavyPool:
    """``slots`` heavy computations at once; see the module docstring."""

    def __init__(self, catalog, slots: int = 1, wait_s: float = 2.0, timeout_s: float = 10.0,
                 isolation: str = "process"):
        self.catalog, self.slots, self.wait_s, self.timeout_s = catalog, slots, wait_s, timeout_s
        self.isolation = isolation
        self._free: ThreadSlots | FileSlots = ThreadSlots(slots)
        self._idle: queue.LifoQueue[_Child] = queue.LifoQueue()
        self._blob: bytes | None = None
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- children

    def _ctx(self):
        ctx = mp.get_context("forkserver")      # forking a threaded worker is unsafe; spawning is slow
        ctx.set_forkserver_preload(PRELOAD)
        return ctx

    def _child(self) -> _Child:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if self._blob is None:
                self._blob = pickle.dumps(self.catalog)
        return _Child(self._ctx(), self._blob)

    def share_slots(self, folder: str) -> None:
        """Count the slots for every process using ``folder`` (the workers of one ``tco serve``), not per process."""
        self._free = FileSlots(folder, self.slots)

    def warm(self) -> None:
        """Start every slot's process now (``tco serve`` does, so no request waits for one)."""
        if self.isolation == "process":
            for child in [self._child() for _ in range(self.slots)]:
                self._idle.put(child)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().stop()
            except queue.Empty:
                return

    # ---------------------------------------------------------------- running

    def busy(self) -> ApiError:
        retry = max(1, math.ceil(self.wait_s))
        return ApiError(503, f"every slot for heavy requests is busy (TCO_HEAVY_SLOTS={self.slots}); "
                             f"retry in {retry} s", [], headers={"Retry-After": str(retry)})

    def run(self, task: Callable[..., Any], *args):
        """``task(catalog, *args)`` in a free slot: its value, or the error answer it stands for."""
        token = self._free.acquire(self.wait_s)
        if token is None:
            raise self.busy()
        try:
            if self.isolation == "thread":
                return task(self.catalog, *args)
            return self._in_child(task, args)
        finally:
            self._free.release(token)

    def _in_child(self, task, args):
        child = self._child()
        try:
            kind, value = child.call(task, args, self.timeout_s)
        except TimeoutError:
            child.stop()
            raise ApiError(503, f"the computation took longer than {self.timeout_s:g} s (TCO_HEAVY_TIMEOUT_S) and "
                                f"was stopped; ask for less (fewer samples or months) or retry when the service "
                                f"is less busy", [], headers={"Retry-After": str(max(1, math.ceil(self.wait_s)))}) \
                from None
        except (EOFError, OSError, pickle.PicklingError):
            child.stop()                 # it died (killed, out of memory): the next request gets a fresh one
            raise
        self._idle.put(child)
        if kind == "ok":
            return value
        if kind == "error":
            raise value
        raise RuntimeError(f"heavy task {getattr(task, '__name__', task)} failed in its process: {value}")


def heavy_pool():
    """The current app's pool (created by :func:`tco.web.create_app`)."""
    from flask import current_app
    return current_app.extensions["tco_heavy"]
