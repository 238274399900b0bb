"""The folded fast path: both options' monthly totals for a token workload on rented GPUs.

The same arithmetic as :func:`tco.bills.closed_costs` + :func:`tco.selfhosted.open_costs`
(``tests/test_engine.py`` holds them equal), folded so that every per-sample number is a
(S, 1) coefficient and only a handful of operations touch the (S, H) arrays: the closed cost
is volume x a blended price per token, the self-hosted cost is billed replicas x a
per-replica rate + replicas x a staff share + a fixed part.  Sweeps, Monte Carlo and the
break-even search use it; the component path stays the reference.
"""
from __future__ import annotations

import numpy as np

from tco.bills import baseline_bill, batch_ratios, token_prices_in_force
from tco.finance import HOURS_PER_MONTH, SECONDS_PER_MONTH
from tco.resolve import ClosedPrices, Resolved
from tco.workload import Volumes


def blended_usd_per_token(p: ClosedPrices, vol: Volumes, cached_share, write_share, batch_share):
    """The closed option's price of one token of the workload's mix [USD/token].

    >>> v = Volumes(0.75, 1000.0, 250.0, 1e9, 0.0, 0.0, np.ones(1), "tokens")
    >>> p = ClosedPrices(input=2.0, cached_input=2.0, cache_write=2.0, output=8.0, priced_tokens=True)
    >>> round(blended_usd_per_token(p, v, 0.0, 0.0, 0.0) * 1e6, 6)    # 0.75 x 2 + 0.25 x 8
    3.5
    """
    if not p.priced_tokens:
        return 0.0
    pin, pcached, pout, pwrite = token_prices_in_force(p, vol.input_tokens_per_request)
    b, cs, ws = batch_share, cached_share, write_share
    bin_ratio, bout_ratio, bcached_ratio = batch_ratios(p, b)
    return (vol.input_share * ((1 - cs - ws) * pin * ((1 - b) + b * bin_ratio)
                               + cs * pcached * ((1 - b) + b * bcached_ratio) + ws * pwrite * ((1 - b) + b * bin_ratio))
            + (1 - vol.input_share) * pout * ((1 - b) + b * bout_ratio)) / 1e6


def cloud_token_totals(R: Resolved, scale, price_scale, steady: bool = False):
    """Monthly totals (closed, self-hosted) [USD/month] in few array passes; ``steady``: no price
    change, no one-off costs, and the replicas are returned too (for the break-even search).

    ``scale`` multiplies the volume and ``price_scale`` (or None) every closed price; both
    broadcast against months, e.g. (S, 1).
    """
    w, vol, p, c, P, o = R.scenario.workload, R.volumes, R.closed, R.scenario.closed, R.open, R.scenario.open
    if steady:
        p = p.steady()                 # the price in force for the most months (tco.lifecycle.steady_price)
    H = vol.growth.shape[-1]
    months = np.arange(H, dtype=float)
    growth = vol.growth                                                  # (H,) or (S, H)
    change = np.asarray(c.price_change_annual, dtype=float)
    factor = np.power(1.0 + change, months / 12.0) if change.any() and not steady else None
    per_token = blended_usd_per_token(p, vol, w.cached_input_share, w.cache_write_share, w.batch_share)
    coef = (vol.tokens_month0 * per_token + vol.seats_month0 * p.per_seat_month) * scale \
        * (1.0 - np.asarray(c.discount, dtype=float))
    if price_scale is not None:
        coef = coef * price_scale
    # (S, H) arrays are written in place: at 100,000 x 60 each fresh array costs more than the arithmetic
    closed = np.multiply(growth, coef)
    if factor is not None:
        closed *= factor
    if p.baseline is not None:         # a known spend: no discount, no price change (as closed_costs)
        base = baseline_bill(p.baseline[:growth.shape[-1]], growth, scale)
        closed += base if price_scale is None else base * price_scale
    if c.fixed_usd_per_month:
        closed += c.fixed_usd_per_month
    if not steady:
        closed[..., 0] += c.setup_usd
    # self-hosted: replicas from the peak, billed hours, staff
    avg_coef = vol.tokens_month0 * vol.requests_per_token / SECONDS_PER_MONTH * scale      # as average_load
    per_replica = P.capacity_per_replica * o.target_utilisation
    replicas = np.multiply(growth, avg_coef * w.peak_to_average / per_replica)
    np.round(replicas, 9, out=replicas)
    np.ceil(replicas, out=replicas)
    np.maximum(replicas, o.min_replicas, out=replicas)
    if np.any(o.redundancy_replicas):
        replicas += o.redundancy_replicas
    fte_month = np.asarray(o.fte_usd_per_year, dtype=float) / 12.0
    rate = P.gpus_per_replica * HOURS_PER_MONTH * P.usd_per_gpu_hour * (1.0 + o.overhead_share)
    if o.billing == "autoscaled":
        opened = np.multiply(growth, avg_coef / per_replica)
        np.maximum(opened, o.min_replicas, out=opened)
        opened += o.redundancy_replicas
        opened *= rate
        opened += replicas * (fte_month / o.replicas_per_fte)
    else:   # always on: billed replicas are the replicas; rental and staff share one multiply
        opened = np.multiply(replicas, rate + fte_month / o.replicas_per_fte)
    opened += o.staff_fte_base * fte_month + o.evaluation_usd_per_month
    if steady:
        return closed, opened, replicas
    one_off = o.setup_engineer_months * fte_month + o.migration_usd + o.fine_tuning_usd    # as people.one_off_usd
    opened[..., 0] += np.reshape(one_off, np.shape(one_off)[:-1]) if np.ndim(one_off) > 1 else one_off
    return closed, opened
