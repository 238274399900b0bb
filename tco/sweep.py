"""Sweeps: many variants of one resolved scenario priced at once, as (samples x months) arrays.

Tornado charts, Monte Carlo and volume sweeps call :func:`sweep` with arrays of parameters;
token workloads on rented GPUs take the folded path (:mod:`tco.folded`), everything else the
component path.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np

from tco.bills import closed_costs
from tco.breakeven import breakeven_month, is_cash_capex, upfront_usd
from tco.components import total
from tco.folded import cloud_token_totals
from tco.people import one_off_usd
from tco.resolve import ClosedPrices, OpenParams, Resolved
from tco.scenario import ClosedOption, OpenOption
from tco.selfhosted import open_costs


def sweep(R: Resolved, volume_scale=1.0, monthly_growth=None, closed_price_scale=None,
          **params) -> dict[str, np.ndarray]:
    """Evaluate many variants of one resolved scenario at once, as arrays (samples x months).

    Parameters
    ----------
    R : a resolved scenario (:func:`resolve`).
    volume_scale : array (S,) multiplying the workload's volume [-].
    monthly_growth : array (S,) replacing the compound growth [1/month]; None keeps the scenario's.
    closed_price_scale : array (S,) multiplying every closed price (tokens, seats, images) [-].
    **params : arrays (S,) replacing resolved numbers, named ``closed__<field>`` (a
        :class:`ClosedPrices` field such as ``closed__input`` [USD/1M tokens], or a
        :class:`~tco.scenario.ClosedOption` field such as ``closed__price_change_annual``) or
        ``open__<field>`` (an :class:`OpenParams` field such as ``open__usd_per_gpu_hour`` or
        ``open__capacity_per_replica``, or an :class:`~tco.scenario.OpenOption` field such as
        ``open__target_utilisation``).

    Returns
    -------
    dict with ``closed`` and ``open`` monthly totals (S, H) [USD/month], their ``*_total`` over
    the horizon [USD] and ``breakeven_month`` (S,) [months, NaN = never].
    """
    closed_p, closed_o, open_p, open_o = R.closed, R.scenario.closed, R.open, R.scenario.open
    col = lambda a: np.asarray(a, dtype=float)[..., None]  # noqa: E731  (S,) -> (S, 1) against months
    kw = {"cp": {}, "co": {}, "op": {}, "oo": {}}
    for name, arr in params.items():
        section, _, fld = name.partition("__")
        if section == "closed" and fld in ClosedPrices.__dataclass_fields__:
            kw["cp"][fld] = col(arr)
        elif section == "closed" and fld in ClosedOption.__dataclass_fields__:
            kw["co"][fld] = col(arr)
        elif section == "open" and fld in OpenParams.__dataclass_fields__:
            kw["op"][fld] = col(arr)
        elif section == "open" and fld in OpenOption.__dataclass_fields__:
            kw["oo"][fld] = col(arr)
        else:
            raise ValueError(f"sweep: unknown parameter {name!r}")
    scenario = replace(R.scenario, closed=replace(closed_o, **kw["co"]), open=replace(open_o, **kw["oo"]))
    volumes = R.volumes
    if monthly_growth is not None:
        months = np.arange(len(R.volumes.growth), dtype=float)
        volumes = replace(volumes, growth=np.power(1.0 + col(monthly_growth), months))
    R2 = replace(R, closed=replace(closed_p, **kw["cp"]), open=replace(open_p, **kw["op"]), scenario=scenario,
                 volumes=volumes)
    scale = col(volume_scale)
    if R2.open.hosting == "cloud" and R2.volumes.kind == "tokens":
        closed, opened = cloud_token_totals(R2, scale, None if closed_price_scale is None else col(closed_price_scale))
        o = R2.scenario.open
        closed_up, open_up = np.zeros(closed.shape[-1]), np.zeros(opened.shape)
        closed_up[0] = R2.scenario.closed.setup_usd
        open_up[..., :1] = one_off_usd(o.setup_engineer_months, o.fte_usd_per_year, o.migration_usd,
                                       o.fine_tuning_usd)       # scalar, or (S, 1) in a sweep
    else:
        parts = closed_costs(R2, scale)
        if closed_price_scale is not None:
            ps = col(closed_price_scale)
            for k in ("api_input", "api_cached_input", "api_cache_write", "api_output", "seats", "images",
                      "closed_baseline"):
                parts[k] = parts[k] * ps
        open_parts = open_costs(R2, scale)
        closed, opened = total(parts), total(open_parts)
        closed_up, open_up = upfront_usd(parts), upfront_usd(open_parts, is_cash_capex(R2))
    return {"closed": closed, "open": opened, "closed_total": closed.sum(axis=-1),
            "open_total": opened.sum(axis=-1), "breakeven_month": breakeven_month(closed, opened, closed_up, open_up)}
