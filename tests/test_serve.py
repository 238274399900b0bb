"""`tco serve` starts gunicorn and answers /healthz on the configured loopback port."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_tco_serve_answers_healthz(tmp_path):
    port = free_port()
    env = {**os.environ, "TCO_HOST": "127.0.0.1", "TCO_PORT": str(port), "TCO_WORKERS": "1"}
    tco_bin = Path(sys.executable).with_name("tco")
    proc = subprocess.Popen([str(tco_bin), "serve"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 30
        body = None
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as res:
                    body = json.loads(res.read())
                    break
            except OSError:
                if proc.poll() is not None:
                    break
                time.sleep(0.3)
        assert body is not None, proc.stdout.read().decode() if proc.poll() is not None else "no answer"
        assert body["status"] == "ok" and body["rows"]["api_prices"] >= 40
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        proc.stdout.close()
