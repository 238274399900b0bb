"""Requests per second of POST /api/v1/tco under gunicorn, against GET /healthz in the same run.

Target (issue): with ``tco serve`` on 2 gunicorn workers and 16 concurrent closed-loop clients on
the loopback, /tco reaches at least half of /healthz's rate, and /tco's p99 latency is under 50 ms.

The server is a real ``tco serve`` subprocess on a free 127.0.0.1 port; the load generator
(``loadgen.py``) runs threads in this process.  The two endpoints are driven in alternating
phases (healthz, tco, healthz, tco, ...) so slow drifts of a shared machine hit both alike.
``benchmark.pedantic`` times the /tco phases (their length is fixed, so the timing columns show
the phase length; the figures are in ``extra_info`` and the printed table), with each /healthz
phase run as its untimed ``setup``.

The table also shows CPU per request from /proc: the server's process tree, the generator,
and "other" (the rest of the machine).  Closed loop, Little's law: mean latency = clients / rate,
so p99 < 50 ms at 16 clients needs well over 16 / 0.05 = 320 req/s of /tco.
"""
from __future__ import annotations

import copy

import json
import os
import time

import pytest

from loadgen import Phase, Target, merge, run_phase, tco_serve
from loadgen import fetch as loadgen_fetch
from tco.web.api.scenarios.schemas import EXAMPLE

HOST = "127.0.0.1"          # traffic goes to the loopback only
WORKERS = 2
CLIENTS = 16
ROUNDS = 3                  # healthz + tco phases, interleaved
PHASE_S = 3.0               # per phase, of which the first WARMUP_S are not recorded
WARMUP_S = 0.3
PROCS = 1                   # generator processes; threads in one process measured cheap enough (see report)
MIN_RATIO = 0.5
MAX_P99_S = 0.050

#: The issue's example request (also the OpenAPI example): gpt-4o vs Llama 3.1 70B on 2x H100.
SCENARIO = copy.deepcopy(EXAMPLE)
HEALTHZ = Target("GET /healthz", "GET", "/healthz")
TCO = Target("POST /api/v1/tco", "POST", "/api/v1/tco", json.dumps(SCENARIO).encode(),
             {"Content-Type": "application/json"})

pytestmark = [pytest.mark.slow, pytest.mark.benchmark(group="api-load")]


def fetch(port: int, target: Target, timeout: float = 5.0) -> tuple[int, bytes]:
    return loadgen_fetch(HOST, port, target, timeout)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """``tco serve`` on a free loopback port with 2 workers; its process group is killed at teardown."""
    with tco_serve(tmp_path_factory.mktemp("tco-serve"), HOST, workers=WORKERS) as running:
        yield running


def server_ms_per_request(p: Phase) -> float:
    """Server CPU per answer: the CPU covers the whole phase, so divide by the answers it held (rate x wall)."""
    return p.server_cpu_s / (p.rps * p.phase_wall_s) * 1e3 if p.completed else float("nan")


def _row(p: Phase) -> str:
    srv, gen = p.server_cpu_s / p.phase_wall_s, p.generator_cpu_s / p.phase_wall_s       # cores
    other = max(0.0, p.machine_busy_s / p.phase_wall_s - srv - gen)
    return (f"{p.target:18s} {p.rps:8.1f} {p.p50 * 1e3:8.1f} {p.p99 * 1e3:8.1f} {max(p.latencies_s) * 1e3:8.1f} "
            f"{p.errors:6d} {server_ms_per_request(p):10.2f} {srv:9.2f} {gen:9.2f} {other:7.2f}")


def test_tco_rps_against_healthz(benchmark, server):
    port, pid = server
    status, body = fetch(port, TCO)
    assert status == 200, body[:500]
    assert {"summary", "monthly", "assumptions"} <= json.loads(body).keys()
    print(f"\n/tco answer: {len(body) / 1e3:.1f} kB; /healthz answer: {len(fetch(port, HEALTHZ)[1])} B")

    load = dict(clients=CLIENTS, duration=PHASE_S, warmup=WARMUP_S, procs=PROCS, server_pid=pid)
    for t in (HEALTHZ, TCO):        # warm both workers on both routes (imports, caches), not recorded
        run_phase(HOST, port, t, **{**load, "duration": 1.0, "warmup": 0.0})

    phases: dict[str, list[Phase]] = {HEALTHZ.name: [], TCO.name: []}

    def healthz_phase():            # pedantic's untimed setup: must return None
        phases[HEALTHZ.name].append(run_phase(HOST, port, HEALTHZ, **load))

    def tco_phase():
        phases[TCO.name].append(run_phase(HOST, port, TCO, **load))

    benchmark.pedantic(tco_phase, setup=healthz_phase, rounds=ROUNDS, iterations=1)

    h, t = merge(phases[HEALTHZ.name]), merge(phases[TCO.name])
    ratio = t.rps / h.rps
    print(f"gunicorn {WORKERS} workers, {CLIENTS} closed-loop clients ({PROCS} generator process), "
          f"{ROUNDS} x {PHASE_S - WARMUP_S:.1f} s recorded per endpoint, interleaved; {os.cpu_count()} CPUs")
    print(f"{'endpoint':18s} {'req/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'max ms':>8s} {'errors':>6s} "
          f"{'srv ms/req':>10s} {'srv cores':>9s} {'gen cores':>9s} {'other':>7s}")
    print(_row(h))
    print(_row(t))
    for name, ps in phases.items():
        print(f"  {name} req/s per round: " + ", ".join(f"{p.rps:.1f}" for p in ps))
    print(f"ratio /tco / /healthz = {ratio:.3f} (target >= {MIN_RATIO}); "
          f"/tco p99 = {t.p99 * 1e3:.1f} ms (target < {MAX_P99_S * 1e3:.0f} ms); "
          f"16 clients / /tco rate = {CLIENTS / t.rps * 1e3:.0f} ms mean latency by Little's law")

    benchmark.extra_info.update({
        "clients": CLIENTS, "workers": WORKERS, "generator_procs": PROCS,
        "healthz_rps": round(h.rps, 1), "healthz_p50_ms": round(h.p50 * 1e3, 2),
        "healthz_p99_ms": round(h.p99 * 1e3, 2),
        "tco_rps": round(t.rps, 1), "tco_p50_ms": round(t.p50 * 1e3, 2), "tco_p99_ms": round(t.p99 * 1e3, 2),
        "ratio": round(ratio, 3),
        "healthz_server_cpu_ms_per_req": round(server_ms_per_request(h), 2),
        "tco_server_cpu_ms_per_req": round(server_ms_per_request(t), 2),
    })

    assert h.errors == 0 and t.errors == 0, f"errors under load: {h.first_error or t.first_error}"
    failures = []
    if ratio < MIN_RATIO:
        failures.append(f"/tco rate is {ratio:.2f} of /healthz's ({t.rps:.0f} vs {h.rps:.0f} req/s), "
                        f"target >= {MIN_RATIO}")
    if t.p99 >= MAX_P99_S:
        failures.append(f"/tco p99 is {t.p99 * 1e3:.0f} ms at {CLIENTS} clients, target < {MAX_P99_S * 1e3:.0f} ms")
    assert not failures, "; ".join(failures)
