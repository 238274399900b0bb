"""Hybrid: own replicas for the base load, the closed API for the overflow, and when to switch.

Power systems run base-load plants all the time and peakers for the peaks; the same logic
fits AI serving.  A day's load follows a 24-hour profile (weights with mean 1).  N replicas
serve up to their capacity ``k`` (in units of the average load); the API takes what is
above, the *overflow share* of the month's tokens::

    overflow(k) = mean over hours of max(0, w_h - k)          (w has mean 1)

which the load-duration curve (the sorted weights, :func:`tco.workload.overflow_share`) gives
in closed form.  :func:`plan` then
chooses N month by month to minimise the total cost over the horizon: setup paid once at the
switch month, and with committed capacity (reserved terms, owned servers) N never falls.

Glossary
--------
weights          hourly load over the day's average [-], shape (24,)
capacity_ratio   what the own replicas serve over the average load [-]
overflow_share   share of the month's tokens sent to the API [fraction]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from tco.bills import closed_costs
from tco.components import USAGE_COMPONENTS
from tco.resolve import Resolved
from tco.selfhosted import open_costs
from tco.workload import average_load, load_profile, overflow_share

@dataclass
class HybridPlan:
    """The cheapest month-by-month number of own replicas, with the API taking the rest."""

    replicas: np.ndarray            # (H,) own replicas each month (0 = all on the API)
    switch_month: int | None        # first month with own replicas (0-based); None = never
    api_share: np.ndarray           # (H,) share of tokens sent to the API [fraction]
    self_hosted_usd: np.ndarray     # (H,) own replicas, staff, overhead, setup [USD/month]
    api_usd: np.ndarray             # (H,) closed option for the overflow, plus its fixed fees [USD/month]
    committed: bool                 # True when replicas may not fall (reserved terms, owned)
    profile: np.ndarray             # (24,) the load profile used

    @property
    def monthly_usd(self) -> np.ndarray:
        return self.self_hosted_usd + self.api_usd

    @property
    def total_usd(self) -> float:
        return float(self.monthly_usd.sum())


#: Most candidate replica counts a plan compares [-]: past it the counts step by more than one
#: replica, so the plan's arrays (candidates x months) stay bounded whatever the fleet.
MAX_PLAN_CANDIDATES = 2001


def _parts(R: Resolved, weights: np.ndarray, n_max: int, step: int = 1):
    """Cost of every candidate N (0, step, 2 step, ... up to n_max) in every month, split into own
    and API parts."""
    o = R.scenario.open
    closed = closed_costs(R)
    variable = sum(closed[k] for k in USAGE_COMPONENTS)
    fixed = closed["closed_fixed"] + closed["closed_setup"]
    n = np.arange(0, n_max + step, step, dtype=float)[:, None]           # (N, 1)
    own, api, share = _candidate_costs(R, weights, n, variable, fixed, average_load(R.volumes))
    setup = o.setup_engineer_months * o.fte_usd_per_year / 12.0 + o.migration_usd + o.fine_tuning_usd
    return own, api, share, float(setup)


def _candidate_costs(R: Resolved, weights: np.ndarray, n: np.ndarray, variable, fixed, avg):
    """Own cost, API cost and API share of each candidate N (rows of ``n``, the first 0) against each
    column's usage bill, fixed fees and average load (months, or volumes in the steady view)."""
    per_replica = R.open.capacity_per_replica * R.scenario.open.target_utilisation
    loaded = np.broadcast_to(np.asarray(avg) > 0, np.broadcast_shapes(np.shape(n), np.shape(avg)))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(loaded, n * per_replica / avg, 0.0)              # (N, columns)
    share = np.where(loaded, overflow_share(weights, ratio), 0.0)         # no load, no overflow
    share[0] = 1.0                                                        # N = 0: everything on the API
    replicas = np.broadcast_to(n, ratio.shape).astype(float)
    fl = {"replicas": replicas, "billed_replicas": replicas, "gpus": replicas * R.open.gpus_per_replica}
    # Month-separable costs: owned servers are taken amortised here (a plan cannot move cash capex).
    own = sum(v for k, v in open_costs(R, fl=fl, steady=True).items() if k != "open_setup")
    own = np.array(own, dtype=float)
    own[0] = 0.0                                                          # no replicas, no platform
    return own, variable * share + fixed, share


def steady_costs(R: Resolved, volumes, profile=None) -> tuple[np.ndarray, np.ndarray]:
    """Steady monthly cost of the cheapest hybrid split at each volume, and its own replicas [USD/month, -].

    As :func:`tco.breakeven.steady_costs`: month-0 prices, no growth, no one-off costs, capex
    amortised.  At each volume the own replicas N minimise own cost + the API's bill for the
    overflow + fixed fees, with N = 0 (all on the API) or at least ``max(1, min_replicas)``.

    The overflow share is piecewise linear in the own capacity, with a kink at each hourly weight
    (:func:`tco.workload.overflow_share`), and rented replicas cost the same each, so the total is
    convex and piecewise linear in N: its cheapest whole N is the floor or ceiling of a kink
    (N = weight x average load / capacity per replica), the minimum, or 0.  Those ~50 candidates
    are priced at every volume; with owned servers (bought whole) the answer is within a server.

    ``volumes``: monthly volumes (tokens, or images for image workloads), shape (V,).
    """
    vol, o = R.volumes, R.scenario.open
    base = vol.images_month0 if vol.kind == "images" else vol.tokens_month0
    if profile is None:
        profile = R.scenario.workload.load_profile
    weights = load_profile(profile, R.scenario.workload.peak_to_average)
    scale = np.asarray(volumes, dtype=float).reshape(-1) / base                  # (V,)
    closed = closed_costs(R, scale[:, None], steady=True)                         # each (V, 1)
    variable = sum(closed[k] for k in USAGE_COMPONENTS)[:, 0]
    fixed = closed["closed_fixed"][:, 0]
    avg = average_load(vol, np.ones(1), scale)                                    # (V,)
    n_min = max(1, int(o.min_replicas))
    kinks = np.unique(weights)[:, None] * avg / (R.open.capacity_per_replica * o.target_utilisation)   # (K, V)
    n = np.concatenate([np.zeros((1, avg.shape[0])), np.full((1, avg.shape[0]), float(n_min)),
                        np.maximum(np.floor(kinks), n_min), np.maximum(np.ceil(np.round(kinks, 9)), n_min)])
    own, api, _ = _candidate_costs(R, weights, n, variable, fixed, avg)          # (2 + 2K, V), n[0] = 0
    cost = own + api
    best = np.argmin(cost, axis=0)
    cols = np.arange(cost.shape[1])
    return cost[best, cols], n[best, cols]


def plan(R: Resolved, profile=None, committed: bool | None = None, n_max: int | None = None) -> HybridPlan:
    """The month-by-month number of own replicas that minimises the total cost over the horizon.

    Parameters
    ----------
    R : a resolved scenario.
    profile : load profile spec (see :func:`load_profile`); default the workload's
        ``load_profile``, else a smooth day with its ``peak_to_average``.
    committed : replicas may not fall once added; default True for reserved terms and owned
        hardware, False for on-demand or spot rental.
    n_max : largest N considered; default the replicas pure self-hosting needs at its peak month.

    Notes
    -----
    Once switched on, at least ``max(1, min_replicas)`` replicas run.  Free capacity: the
    switch month s and each month's best N are chosen independently, total(s) =
    API-only cost before s + setup + the best on-cost from s on, minimised over s with a
    cumulative sum.  Committed capacity: a recurrence over months (each step an array
    operation over N: the best cost so far of any N' <= N).
    """
    o = R.scenario.open
    if profile is None:
        profile = R.scenario.workload.load_profile
    weights = load_profile(profile, R.scenario.workload.peak_to_average)
    if committed is None:
        committed = o.hosting == "owned" or o.term.startswith("reserved")
    H = len(R.volumes.growth)
    if n_max is None:
        vol = R.volumes
        peak = float(average_load(vol).max()) * weights.max()
        n_max = int(np.ceil(peak / (R.open.capacity_per_replica * o.target_utilisation) - 1e-9))
    n_max = max(int(n_max), 1)
    step = max(1, int(np.ceil(n_max / (MAX_PLAN_CANDIDATES - 1))))
    own, api, share, setup = _parts(R, weights, n_max, step)
    cost = own + api                                                      # (N, H)
    off = cost[0]
    n_min = max(1, int(o.min_replicas))
    on = cost.copy()
    on[:int(np.ceil(n_min / step))] = np.inf                              # running means at least n_min
    s, chosen = (_committed_plan if committed else _free_plan)(on, off, setup)
    chosen = np.asarray(chosen, dtype=np.int64)
    months = np.arange(H)
    self_usd = own[chosen, months].copy()
    if s < H:
        self_usd[s] += setup
    return HybridPlan(replicas=(chosen * step).astype(float), switch_month=None if s >= H else int(s),
                      api_share=share[chosen, months], self_hosted_usd=self_usd, api_usd=api[chosen, months],
                      committed=bool(committed), profile=weights)


def _free_plan(on: np.ndarray, off: np.ndarray, setup: float) -> tuple[int, np.ndarray]:
    """Switch month and replicas per month when N may rise and fall freely.

    ``on`` (N, H): cost of each N in each month once running (inf where N is not allowed);
    ``off`` (H,): API-only cost.  total(s) = API-only before s + setup + the best on-cost from s on.
    """
    H = on.shape[1]
    best_n = np.argmin(on, axis=0)
    best_on = on[best_n, np.arange(H)]
    before = np.concatenate([[0.0], np.cumsum(off)])                  # API-only cost of months < s
    after = np.concatenate([np.cumsum(best_on[::-1])[::-1], [0.0]])   # best on-cost of months >= s
    totals = before + after + np.where(np.arange(H + 1) < H, setup, 0.0)
    s = int(np.argmin(totals))
    return s, np.where(np.arange(H) >= s, best_n, 0)


def _committed_plan(on: np.ndarray, off: np.ndarray, setup: float) -> tuple[int, np.ndarray]:
    """Switch month and replicas per month when N never falls once switched on.

    best[N] = cheapest cost of months 0..m ending with N replicas in month m; a recurrence
    over months, each step one array operation over N, then a backtrack.
    """
    n_states, H = on.shape
    best = np.full(n_states, np.inf)
    choice = np.zeros((H, n_states), dtype=np.int64)                  # -1: switched on in this month
    off_cum = 0.0
    for m in range(H):             # a recurrence over months; every step is one array operation over N
        run_min = np.minimum.accumulate(best)
        arg_prev = _argmin_prefix(best)
        start = off_cum + setup
        from_prev = run_min < start
        choice[m] = np.where(from_prev, arg_prev, -1)
        best = on[:, m] + np.where(from_prev, run_min, start)
        off_cum += off[m]
    chosen = np.zeros(H, dtype=np.int64)
    if off_cum <= best.min():
        return H, chosen
    n = int(np.argmin(best))
    s = H
    for m in range(H - 1, -1, -1):   # backtrack the recurrence
        chosen[m] = n
        prev = choice[m, n]
        if prev < 0:
            s = m
            break
        n = int(prev)
    return s, chosen


def _argmin_prefix(a: np.ndarray) -> np.ndarray:
    """Index of the minimum of a[:i+1] for every i (ties: the earliest)."""
    idx = np.arange(len(a))
    is_new_min = a <= np.minimum.accumulate(a)
    return np.maximum.accumulate(np.where(is_new_min, idx, 0))


def hybrid_applies(R: Resolved) -> bool:
    """A hybrid split needs a closed option billed by usage (tokens or images), not per seat."""
    return not (R.volumes.seats_month0 > 0 and R.closed.per_seat_month > 0)
