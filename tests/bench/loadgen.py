"""A small closed-loop HTTP load generator for loopback benchmarks (standard library only).

``clients`` simulated users each send one request, wait for the whole answer, and send the next,
for a fixed duration; the first ``warmup`` seconds are not recorded.  Clients are threads with
one ``http.client.HTTPConnection`` each (it reconnects by itself when the server closes the
connection, as gunicorn's sync workers do after every answer).  By default they all run in the
calling process; ``procs`` > 1 spreads them over spawned processes, for when the generator's own
CPU nears one core (the GIL would then cap the load it can offer).

CPU use is read from ``/proc`` (Linux) for the generator, the server's process tree and the
whole machine, so a report can say whether the server, the generator or something else was
the bottleneck.  It talks to the given host only; callers pass 127.0.0.1.
"""
from __future__ import annotations

import contextlib
import http.client
import math
import multiprocessing as mp
import os
import threading
import time
from dataclasses import dataclass, field

CLK_TCK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


@dataclass(frozen=True)
class Target:
    """One request, sent again and again."""

    name: str
    method: str
    path: str
    body: bytes | None = None
    headers: dict = field(default_factory=dict)
    expect_status: int = 200


@dataclass
class Phase:
    """What one load phase measured."""

    target: str
    clients: int
    procs: int
    window_s: float                 # recorded window (duration - warmup)
    completed: int                  # answers that ended inside the window
    latencies_s: list[float]        # every request started inside the window
    errors: int                     # wrong status or connection error, inside the window
    first_error: str | None
    generator_cpu_s: float          # CPU of the load generator (all its processes), whole phase
    server_cpu_s: float             # CPU of the server's process tree, whole phase
    machine_busy_s: float           # busy CPU of the whole machine (all cores), whole phase
    phase_wall_s: float             # wall time of the whole phase (warm-up included)

    @property
    def rps(self) -> float:
        return self.completed / self.window_s

    def pct(self, q: float) -> float:
        """Latency percentile ``q`` (0-100), nearest-rank, in seconds."""
        xs = sorted(self.latencies_s)
        if not xs:
            return math.nan
        return xs[min(len(xs) - 1, max(0, math.ceil(q / 100 * len(xs)) - 1))]

    @property
    def p50(self) -> float:
        return self.pct(50)

    @property
    def p99(self) -> float:
        return self.pct(99)


def merge(phases: list[Phase]) -> Phase:
    """Pool several phases of the same target (rates over the summed windows)."""
    first = phases[0]
    return Phase(target=first.target, clients=first.clients, procs=first.procs,
                 window_s=sum(p.window_s for p in phases), completed=sum(p.completed for p in phases),
                 latencies_s=[x for p in phases for x in p.latencies_s], errors=sum(p.errors for p in phases),
                 first_error=next((p.first_error for p in phases if p.first_error), None),
                 generator_cpu_s=sum(p.generator_cpu_s for p in phases),
                 server_cpu_s=sum(p.server_cpu_s for p in phases),
                 machine_busy_s=sum(p.machine_busy_s for p in phases),
                 phase_wall_s=sum(p.phase_wall_s for p in phases))


# --------------------------------------------------------------------------- CPU accounting (Linux /proc)

def _proc_cpu(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            rest = f.read().rsplit(b")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / CLK_TCK        # utime + stime
    except (OSError, IndexError, ValueError):
        return 0.0


def tree_cpu_seconds(root: int) -> float:
    """utime + stime of ``root`` and all its descendants (live ones), in seconds; nan without /proc."""
    if not os.path.isdir("/proc"):
        return math.nan
    parent: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat", "rb") as f:
                    parent[int(d)] = int(f.read().rsplit(b")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    tree, frontier = {root}, [root]
    while frontier:
        p = frontier.pop()
        for child, ppid in parent.items():
            if ppid == p and child not in tree:
                tree.add(child)
                frontier.append(child)
    return sum(_proc_cpu(p) for p in tree)


def machine_busy_seconds() -> float:
    """Busy (non-idle, non-iowait) CPU seconds of the whole machine since boot, all cores summed."""
    try:
        with open("/proc/stat") as f:
            vals = [int(x) for x in f.readline().split()[1:]]
    except OSError:
        return math.nan
    idle = vals[3] + (vals[4] if len(vals) > 4 else 0)
    return (sum(vals[:8]) - idle) / CLK_TCK


def self_cpu_seconds() -> float:
    """CPU of this process (all threads), excluding children."""
    t = os.times()
    return t.user + t.system


# --------------------------------------------------------------------------- the clients

def _client(host, port, target: Target, t_go: float, t_rec: float, t_end: float, out: list,
            lock: threading.Lock, start: threading.Barrier, think: float = 0.0):
    lat, done, errs, first_err = [], 0, 0, None
    conn = http.client.HTTPConnection(host, port, timeout=30)
    start.wait()
    time.sleep(max(0.0, t_go - time.monotonic()))
    try:
        while True:
            t0 = time.monotonic()
            if t0 >= t_end:
                break
            ok, err = False, None
            try:
                conn.request(target.method, target.path, body=target.body, headers=target.headers)
                res = conn.getresponse()
                res.read()
                ok = res.status == target.expect_status
                if not ok:
                    err = f"HTTP {res.status}"
            except (OSError, http.client.HTTPException) as exc:
                err = f"{type(exc).__name__}: {exc}"
                conn.close()
            t1 = time.monotonic()
            if t0 >= t_rec:
                lat.append(t1 - t0)
            if t_rec <= t1 <= t_end:
                if ok:
                    done += 1
                else:
                    errs += 1
                    first_err = first_err or err
            if err is not None and t1 - t0 < 0.01:
                time.sleep(0.01)                       # do not spin on a refused connection
            if think:
                time.sleep(think)                      # a person between two clicks, not a flood
    finally:
        conn.close()
    with lock:
        out.append((lat, done, errs, first_err))


def _run_threads(host, port, target, n_threads, t_go, t_rec, t_end, think=0.0):
    out, lock = [], threading.Lock()
    barrier = threading.Barrier(n_threads)
    threads = [threading.Thread(target=_client, args=(host, port, target, t_go, t_rec, t_end, out, lock, barrier,
                                                      think), daemon=True) for _ in range(n_threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=max(0.0, t_end - time.monotonic()) + 35)
    return out


def _proc_main(host, port, target, n_threads, t_go, t_rec, t_end, queue, think=0.0):
    cpu0 = self_cpu_seconds()
    try:
        out = _run_threads(host, port, target, n_threads, t_go, t_rec, t_end, think)
    except BaseException as exc:  # pragma: no cover - reported to the parent
        out = [([], 0, 1, f"generator process failed: {exc!r}")]
    queue.put((out, self_cpu_seconds() - cpu0))


def run_phase(host: str, port: int, target: Target, *, clients: int = 16, duration: float = 3.0,
              warmup: float = 0.3, procs: int = 1, server_pid: int | None = None, think: float = 0.0,
              start_at: float | None = None) -> Phase:
    """Drive ``target`` with ``clients`` closed-loop clients for ``duration`` seconds.

    The first ``warmup`` seconds are not recorded.  Each client waits ``think`` seconds between an
    answer and its next request (0: a flood).  ``start_at`` (a ``time.monotonic`` value) starts the
    clients of several phases run side by side at the same moment.  ``procs`` > 1 spreads the clients over that
    many spawned processes; they all wait for a common start time set after they are up
    (``time.monotonic`` is the system-wide CLOCK_MONOTONIC on Linux, so it agrees across processes).
    CPU figures cover the load itself, not the spawning.
    """
    if not 0 <= warmup < duration:
        raise ValueError("need 0 <= warmup < duration")
    procs = max(1, min(procs, clients))
    if procs == 1:
        srv0, mach0, cpu0 = _server_cpu(server_pid), machine_busy_seconds(), self_cpu_seconds()
        t_go = max(time.monotonic(), start_at or 0.0)
        out = _run_threads(host, port, target, clients, t_go, t_go + warmup, t_go + duration, think)
        gen_cpu = self_cpu_seconds() - cpu0
    else:
        ctx = mp.get_context("spawn")
        queue = ctx.Queue()
        sizes = [clients // procs + (i < clients % procs) for i in range(procs)]
        # A spawned interpreter takes ~0.1-0.3 s to start on a busy 2-core box.
        t_go = start_at if start_at is not None else time.monotonic() + 0.5 + 0.2 * procs
        ps = [ctx.Process(target=_proc_main, args=(host, port, target, n, t_go, t_go + warmup, t_go + duration,
                                                   queue, think), daemon=True) for n in sizes]
        for p in ps:
            p.start()
        time.sleep(max(0.0, t_go - time.monotonic()))
        srv0, mach0 = _server_cpu(server_pid), machine_busy_seconds()
        out, gen_cpu = [], 0.0
        try:
            for _ in ps:
                o, c = queue.get(timeout=max(0.0, t_go + duration - time.monotonic()) + 60)
                out.extend(o)
                gen_cpu += c
        finally:
            for p in ps:
                p.join(timeout=5)
                if p.is_alive():
                    p.kill()
                    p.join()
            queue.close()
            queue.join_thread()
    phase_wall = time.monotonic() - t_go
    return Phase(target=target.name, clients=clients, procs=procs, window_s=duration - warmup,
                 completed=sum(o[1] for o in out), latencies_s=[x for o in out for x in o[0]],
                 errors=sum(o[2] for o in out), first_error=next((o[3] for o in out if o[3]), None),
                 generator_cpu_s=gen_cpu, server_cpu_s=_server_cpu(server_pid) - srv0,
                 machine_busy_s=machine_busy_seconds() - mach0, phase_wall_s=phase_wall)


def _server_cpu(pid: int | None) -> float:
    return tree_cpu_seconds(pid) if pid else math.nan


# --------------------------------------------------------------------------- the server

def free_port(host: str = "127.0.0.1") -> int:
    import socket
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def fetch(host: str, port: int, target: Target, timeout: float = 5.0) -> tuple[int, bytes]:
    """One request on a fresh connection (``http.client``: no proxy, unlike urllib)."""
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(target.method, target.path, body=target.body, headers=target.headers)
        res = conn.getresponse()
        return res.status, res.read()
    finally:
        conn.close()


@contextlib.contextmanager
def tco_serve(work, host: str = "127.0.0.1", **settings):
    """``tco serve`` on a free port of ``host`` with ``TCO_*`` ``settings``; yields (port, pid).

    Its process group is ended on exit (SIGTERM, then SIGKILL after 10 s).  gunicorn's access log
    (one line a request) is discarded; its error log goes to ``work/serve.log``.
    """
    import signal
    import subprocess
    import sys
    from pathlib import Path
    port = free_port(host)
    env = {**os.environ, "TCO_HOST": host, "TCO_PORT": str(port), "TCO_DATABASE": str(Path(work) / "tco.sqlite3"),
           **{f"TCO_{k.upper()}": str(v) for k, v in settings.items()}}
    log_path = Path(work) / "serve.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("tco")), "serve"], env=env, cwd=work,
                                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if fetch(host, port, Target("healthz", "GET", "/healthz"), timeout=2)[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"tco serve did not answer /healthz (exit {proc.poll()}):\n"
                                   + log_path.read_text(errors="replace")[-3000:])
            time.sleep(0.2)
        yield port, proc.pid
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
