"""The closed option's bill: tokens, seats and images, month by month.

Per month: uncached input x input price + cached input x cached price + cache writes x
write price + output x output price (per 1M tokens), with the batch share at the batch
prices (cache reads at the batch cache-read price where the vendor has one, else at their list
price; cache writes at the batch input discount, as Anthropic's batch bills the cache multipliers
on its batch price and OpenAI bills cache writes as input) and the long-context
prices when the average prompt is above the threshold; seats x price per seat; images x price
per image; or, instead of a price list, a known current spend x the growth (:func:`baseline_bill`);
fixed fees; the one-off integration in month 0.
Every price is multiplied by ``(1 - discount) x (1 + price_change_annual) ** (m / 12)``.
"""
from __future__ import annotations

import numpy as np

from tco.components import full
from tco.resolve import ClosedPrices, Resolved


def price_factor(discount, price_change_annual, months: np.ndarray, steady: bool = False) -> np.ndarray:
    """Multiplier on every closed price in month m: the negotiated discount and the yearly change [-].

    >>> price_factor(0.1, -0.2, np.array([0.0, 12.0])).round(6).tolist()    # 0.9, then 0.9 x 0.8
    [0.9, 0.72]
    """
    change = np.asarray(price_change_annual, dtype=float)      # scalar, or (S, 1) in a sweep
    keep = 1.0 - np.asarray(discount, dtype=float)
    if steady or not change.any():
        return keep * np.ones_like(months)
    return keep * np.power(1.0 + change, months / 12.0)


def token_prices_in_force(p: ClosedPrices, input_tokens_per_request: float):
    """Input, cached-input, output and cache-write prices for the request's prompt length [USD/1M tokens].

    Above the long-context threshold the whole request is billed at the long prices (cache
    writes scale with the input's long/short ratio).

    >>> token_prices_in_force(ClosedPrices(input=1.0, cached_input=0.1, cache_write=1.25, output=5.0), 1000)
    (1.0, 0.1, 5.0, 1.25)
    """
    long = np.asarray(input_tokens_per_request > np.asarray(p.long_threshold))
    if not long.any():
        return p.input, p.cached_input, p.output, p.cache_write
    if long.all() and np.ndim(p.input) == 0:
        ratio = p.input_long / p.input if p.input > 0 else 1.0
        return p.input_long, p.cached_input_long, p.output_long, p.cache_write * ratio
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(np.asarray(p.input) > 0, np.asarray(p.input_long) / np.asarray(p.input), 1.0)
    return (np.where(long, p.input_long, p.input), np.where(long, p.cached_input_long, p.cached_input),
            np.where(long, p.output_long, p.output), p.cache_write * np.where(long, ratio, 1.0))


def batch_ratios(p: ClosedPrices, batch_share: float) -> tuple:
    """Batch over list price, for input, output and cache reads [-] (1 when nothing goes through
    the batch API, and for cache reads when the vendor has no batch price for them -- unless they
    cost what input costs, a model without a cache discount: then they are input, at its ratio).

    >>> batch_ratios(ClosedPrices(input=2.0, output=8.0, batch_input=1.0, batch_output=4.0), 0.5)
    (0.5, 0.5, 1.0)
    >>> batch_ratios(ClosedPrices(input=2.0, cached_input=0.2, output=8.0, batch_input=1.0, batch_output=4.0,
    ...                           batch_cached_input=0.1), 0.5)[2]        # 0.1 / 0.2
    0.5
    >>> batch_ratios(ClosedPrices(input=30.0, cached_input=30.0, output=180.0, batch_input=15.0,
    ...                           batch_output=90.0), 1.0)[2]             # no cache discount: as input
    0.5
    """
    if not batch_share > 0:
        return 1.0, 1.0, 1.0
    bin_ratio = (p.batch_input / p.input) if np.all(np.asarray(p.input) > 0) else 1.0
    bout_ratio = (p.batch_output / p.output) if np.all(np.asarray(p.output) > 0) else 1.0
    bc, cached = np.asarray(p.batch_cached_input, dtype=float), np.asarray(p.cached_input, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        bcached = np.where(np.isnan(bc) | ~(cached > 0), np.where(cached == np.asarray(p.input), bin_ratio, 1.0),
                           bc / cached)
    return bin_ratio, bout_ratio, float(bcached) if bcached.ndim == 0 else bcached


def baseline_bill(baseline, growth, scale=1.0) -> np.ndarray:
    """A known current spend billed month by month [USD/month]: the baseline of month m at
    month-0 volume x the workload's growth of month m over month 0 x the volume scale.

    No discount or price change: the baseline is what was billed.

    >>> baseline_bill(np.array([1000.0, 1000.0, 1200.0]), np.array([1.0, 1.1, 1.21])).round(6).tolist()
    [1000.0, 1100.0, 1452.0]
    """
    return np.asarray(baseline, dtype=float) * growth * np.asarray(scale, dtype=float)


def closed_costs(R: Resolved, volume_scale=1.0, steady: bool = False) -> dict[str, np.ndarray]:
    """Monthly cost of the closed option by component [USD/month].

    ``volume_scale`` multiplies the workload (scalar or array broadcasting against months,
    e.g. shape (N, 1) for a sweep).  ``steady`` prices one month at month-0 volume, without
    one-offs (for the break-even volume), at the price in force for the most months of the
    horizon (:meth:`ClosedPrices.steady`; month 0's unless the price changes over the horizon).
    """
    w, vol, p = R.scenario.workload, R.volumes, R.closed
    c = R.scenario.closed
    if steady:
        p = p.steady()                 # the price in force for the most months (tco.lifecycle.steady_price)
    growth = np.ones(1) if steady else vol.growth
    months = np.arange(growth.shape[-1], dtype=float)
    scale = np.asarray(volume_scale, dtype=float)
    factor = price_factor(c.discount, c.price_change_annual, months, steady)
    tokens = vol.tokens_month0 * growth * scale
    zeros = np.zeros(np.broadcast_shapes(tokens.shape, factor.shape))
    out: dict[str, np.ndarray] = {}
    if p.priced_tokens:
        out.update(_token_bill(p, tokens, vol.input_share, vol.input_tokens_per_request, w.cached_input_share,
                               w.cache_write_share, w.batch_share, factor))
    else:
        for k in ("api_input", "api_cached_input", "api_cache_write", "api_output"):
            out[k] = zeros
    out["seats"] = vol.seats_month0 * growth * scale * p.per_seat_month * factor
    out["images"] = vol.images_month0 * growth * scale * p.per_image * factor
    out["closed_baseline"] = zeros if p.baseline is None else \
        baseline_bill(p.baseline[:growth.shape[-1]], growth, scale)
    out["closed_fixed"] = zeros + c.fixed_usd_per_month
    setup = np.zeros_like(months)
    if not steady:
        setup[0] = c.setup_usd
    out["closed_setup"] = zeros + setup
    return {k: full(v, zeros.shape) for k, v in out.items()}


def _token_bill(p: ClosedPrices, tokens, input_share, input_tokens_per_request, cached_share, write_share,
                batch_share, factor) -> dict[str, np.ndarray]:
    """The four token components [USD/month] of ``tokens`` per month.

    The batch discount applies to uncached input, to output and to cache writes (at the input's
    batch/list ratio), and to cache reads where the vendor prices them on batch requests
    (``batch_cached_input``), as :mod:`tco.usage` prices a log's batch rows.
    """
    tin = tokens * input_share
    tout = tokens - tin
    pin, pcached, pout, pwrite = token_prices_in_force(p, input_tokens_per_request)
    b = batch_share
    bin_ratio, bout_ratio, bcached_ratio = batch_ratios(p, b)
    uncached = tin * (1.0 - cached_share - write_share)
    return {
        "api_input": uncached * pin * ((1 - b) + b * bin_ratio) / 1e6 * factor,
        "api_cached_input": tin * cached_share * pcached * ((1 - b) + b * bcached_ratio) / 1e6 * factor,
        "api_cache_write": tin * write_share * pwrite * ((1 - b) + b * bin_ratio) / 1e6 * factor,
        "api_output": tout * pout * ((1 - b) + b * bout_ratio) / 1e6 * factor,
    }
