"""Owned hardware: servers bought when capacity needs them, their power, colocation and support.

Servers are bought when the fleet first needs them and never sold within the plan.  Capex is
either *amortised* (each installed server costs its annuity at the cost of capital, net of
the discounted residual value, every month, replaced at the end of its life) or shown as
*cash* (the purchase in the month it happens, replacements at end of life, the fleet's
residual value credited in the last month).  Power = provisioned kW x load factor x PUE x
730 h x USD/kWh; colocation = provisioned kW x USD/kW-month; support = a yearly share of
the capex.
"""
from __future__ import annotations

import math

import numpy as np

from tco.finance import HOURS_PER_MONTH, annuity, monthly_rate
from tco.resolve import OpenParams
from tco.scenario import OpenOption


def servers_installed(replicas, gpus_per_replica: int, gpus_per_server: int) -> np.ndarray:
    """Servers in place each month [-]: enough for the replicas, never fewer than before.

    >>> servers_installed(np.array([1.0, 3.0, 2.0]), 4, 8).tolist()    # 4, 12, 8 GPUs -> 1, 2, 2 servers
    [1.0, 2.0, 2.0]
    """
    needed = np.ceil(np.round(np.asarray(replicas, dtype=float) * gpus_per_replica / gpus_per_server, 9))
    return np.maximum.accumulate(needed, axis=-1)


def amortised_hardware_usd(servers, server_usd, cost_of_capital_annual, useful_life_months,
                           residual_value_share) -> np.ndarray:
    """Monthly annuity of the installed servers, net of the discounted residual [USD/month].

    >>> round(float(amortised_hardware_usd(1, 12_000, 0.0, 12, 0.0)), 6)    # no interest: 12,000 / 12
    1000.0
    """
    r_m = float(monthly_rate(cost_of_capital_annual))
    life = float(useful_life_months)
    net = server_usd * (1.0 - residual_value_share * (1.0 + r_m) ** (-life))
    return servers * net * annuity(r_m, life)


def cash_hardware_usd(servers, server_usd, useful_life_months, residual_value_share) -> tuple[np.ndarray, np.ndarray]:
    """Purchases as cash in the month they happen (with replacements at end of life), and the
    residual value of the fleet credited in the last month [USD/month].

    The residual value falls straight-line from the price to ``residual_value_share`` x price
    over the useful life.

    >>> buys, credit = cash_hardware_usd(np.array([1.0, 1.0, 1.0, 1.0]), 1000.0, 2, 0.0)
    >>> buys.tolist(), credit.tolist()          # bought in month 0, replaced in month 2
    ([1000.0, 0.0, 1000.0, 0.0], [0.0, 0.0, 0.0, -0.0])
    """
    servers = np.asarray(servers, dtype=float)
    shape = servers.shape
    H = shape[-1]
    life = float(useful_life_months)
    purchases = np.diff(servers, axis=-1, prepend=0.0)
    buys = purchases.copy()
    k = int(math.ceil(life)) if math.isfinite(life) else H + 1
    shift = k
    while shift < H:                                   # replacements at end of life (loop over cycles)
        buys[..., shift:] += purchases[..., : H - shift]
        shift += k
    bought_at = np.arange(H, dtype=float)
    age = (H - bought_at) % k if math.isfinite(life) else (H - bought_at)
    age = np.where(age == 0, k, age) if math.isfinite(life) else age
    value_share = np.maximum(residual_value_share, 1.0 - (1.0 - residual_value_share) * age / life) \
        if math.isfinite(life) else np.ones(H)
    credit = np.zeros(shape)
    credit[..., -1] = -(purchases * value_share).sum(axis=-1) * server_usd
    return buys * server_usd, credit


def provisioned_kw(gpus_installed, tdp_watts, server_power_factor) -> np.ndarray:
    """Power provisioned for the installed GPUs, whole servers included [kW].

    >>> float(provisioned_kw(8, 700, 1.5))        # 8 x 700 W x 1.5 (CPUs, fans, network)
    8.4
    """
    return np.asarray(gpus_installed, dtype=float) * tdp_watts * server_power_factor / 1000.0


def owned_costs(P: OpenParams, o: OpenOption, replicas, steady: bool = False) -> dict[str, np.ndarray]:
    """Hardware, residual value, power, colocation and support of owned servers [USD/month].

    ``steady`` (break-even views, hybrid plans) takes the capex amortised whatever the option says.
    """
    servers = servers_installed(replicas, P.gpus_per_replica, P.gpus_per_server)
    out: dict[str, np.ndarray] = {}
    if o.capex_mode == "amortised" or steady:
        out["hardware"] = amortised_hardware_usd(servers, P.server_usd, o.cost_of_capital_annual,
                                                 o.useful_life_months, o.residual_value_share)
    else:
        out["hardware"], out["residual_value"] = cash_hardware_usd(servers, P.server_usd, o.useful_life_months,
                                                                   o.residual_value_share)
    kw = provisioned_kw(servers * P.gpus_per_server, P.tdp_watts, o.server_power_factor)
    out["power"] = kw * o.load_factor * o.pue * HOURS_PER_MONTH * o.power_usd_per_kwh
    out["colocation"] = kw * o.colocation_usd_per_kw_month
    out["support"] = servers * P.server_usd * o.support_share_annual / 12.0
    return out
