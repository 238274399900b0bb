"""Helpers the API benches share: a checked POST and a list of sorted wall-clock times."""
from __future__ import annotations

import time


def post(client, url: str, body: str):
    """POST a JSON text through a Flask test client; anything but 200 fails the bench."""
    res = client.post(url, data=body, content_type="application/json")
    assert res.status_code == 200, res.get_data(as_text=True)[:500]
    return res


def timings(fn, rounds: int) -> list[float]:
    """``rounds`` calls of ``fn``, each timed [s], sorted (best first)."""
    out = []
    for _ in range(rounds):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return sorted(out)
