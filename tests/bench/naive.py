"""A plain-Python, month-by-month implementation of the cloud scenario: the baseline the
benchmarks measure the numpy engine against (and check its numbers with)."""
from __future__ import annotations

import math


def naive_months(tokens0, growth, share, in_len, out_len, pin, pout, peak, tps, util, rate, gpus,
                 min_rep, fte_base, per_fte, fte_usd, setup_months, overhead, horizon):
    closed, opened = [], []
    for m in range(horizon):
        tokens = tokens0 * (1 + growth) ** m
        tin = tokens * share
        tout = tokens - tin
        closed.append(tin * pin / 1e6 + tout * pout / 1e6)
        avg = tin / in_len / (730 * 3600)
        cap = tps / out_len * util
        replicas = max(min_rep, math.ceil(round(avg * peak / cap, 9)))
        rental = replicas * gpus * 730 * rate
        staff = (fte_base + replicas / per_fte) * fte_usd / 12
        cost = rental + staff + rental * overhead
        if m == 0:
            cost += setup_months * fte_usd / 12
        opened.append(cost)
    return closed, opened


def naive_breakeven_month(closed, opened, open_upfront=()):
    """The first time cumulative self-hosting <= closed; a month's one-offs (``open_upfront[m]``) are
    paid at its start, the rest accrues evenly through it."""
    cum = 0.0
    for m, (c, o) in enumerate(zip(closed, opened)):
        lump = open_upfront[m] if m < len(open_upfront) else 0.0
        start = cum + lump                  # the month's start, its one-offs paid
        cum += o - c
        if start < 0:
            return float(m)
        if cum <= 0:
            return m + (start / (start - cum) if start > 0 else 0.0)
    return math.nan
