"""A workload: how much is asked of the model each month, and how it is spread over the day.

Volumes (tokens, requests, seats and images per month) are numpy arrays over months
``m = 0..H-1``.  The *load profile* (24 hourly weights with mean 1) says how a day's load is
spread in time; its *load-duration curve* gives the share of the load above a capacity, which
sizes replicas at the peak and splits a hybrid plan between own replicas and the API.

Glossary
--------
input_tokens      prompt tokens sent per month [tokens/month]
output_tokens     generated tokens per month [tokens/month]
requests          requests per month [requests/month]
growth_factor     volume of month m over month 0 [-]
weights           hourly load over the day's average [-], shape (24,)
capacity_ratio    what a capacity serves over the average load [-]
overflow_share    share of the load above a capacity [fraction]
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tco.finance import DAYS_PER_MONTH, SECONDS_PER_MONTH
from tco.scenario import ScenarioError, Workload


@dataclass(frozen=True)
class Volumes:
    """The workload resolved to month-0 quantities and a growth profile."""

    input_share: float                # input tokens / all tokens [-]
    input_tokens_per_request: float   # [tokens]
    output_tokens_per_request: float  # [tokens]
    tokens_month0: float              # input + output tokens in month 0 [tokens/month]
    seats_month0: float               # [seats]
    images_month0: float              # [images/month]
    growth: np.ndarray                # volume of month m / month 0 [-], shape (H,)
    kind: str                         # "tokens" | "images"

    def total_tokens(self) -> np.ndarray:
        """Input + output tokens of each month [tokens/month]."""
        return self.tokens_month0 * self.growth

    @property
    def requests_per_token(self) -> float:
        """Requests per token of the workload [requests/token]: input share / prompt length, or
        1 / output length when there are no input tokens.

        >>> Volumes(0.8, 1000.0, 250.0, 1e9, 0.0, 0.0, np.ones(1), "tokens").requests_per_token   # 0.8 / 1000
        0.0008
        >>> Volumes(0.0, 0.0, 500.0, 1e9, 0.0, 0.0, np.ones(1), "tokens").requests_per_token      # 1 / 500
        0.002
        """
        if self.input_share > 0:
            return self.input_share / self.input_tokens_per_request
        return 1.0 / self.output_tokens_per_request


def _positive(name: str, value, allow_zero: bool = True) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(name, f"must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ScenarioError(name, f"must be a finite number {'>=' if allow_zero else '>'} 0, got {value!r}")
    return v


def _volume(name: str, value) -> float:
    """A monthly volume [tokens or images/month]: 0, or at least one (a subnormal 5e-324 is refused,
    not divided by)."""
    v = _positive(name, value)
    if 0 < v < 1:
        raise ScenarioError(name, f"must be 0 or at least 1 a month, got {value!r}")
    return v


#: Largest monthly volume a scenario may reach in any month [tokens/month or images/month]: a
#: hundred times the world's largest API providers' reported traffic, so that growth compounding
#: over a long horizon is refused before it overflows.
MAX_VOLUME_PER_MONTH = 1e18


def _share(name: str, value) -> float:
    v = _positive(name, value)
    if v > 1:
        raise ScenarioError(name, f"must be between 0 and 1, got {value!r}")
    return v


def _check_split(share: float, in_len: float, out_len: float, share_field: str) -> None:
    """The per-request lengths must agree with the input share of the volume (within 1 %).

    >>> _check_split(0.8, 1000, 250, "input_share")                 # 1000 / 1250 = 80 %
    >>> _check_split(0.8, 1000, 500, "input_share")
    Traceback (most recent call last):
    ...
    tco.scenario.ScenarioError: workload.output_tokens_per_request: 500 output tokens per 1,000-token prompt make an input share of 66.7 %, but workload.input_share gives 80 %: change one of them, or leave output_tokens_per_request empty to derive it
    """
    if not 0 < share < 1:
        return
    implied = in_len * (1 - share) / share
    if abs(out_len - implied) > 0.01 * implied:
        made = in_len / (in_len + out_len)
        raise ScenarioError("workload.output_tokens_per_request",
                            f"{out_len:,.0f} output tokens per {in_len:,.0f}-token prompt make an input share of "
                            f"{100 * made:.3g} %, but workload.{share_field} gives {100 * share:.3g} %: change one "
                            "of them, or leave output_tokens_per_request empty to derive it")


def _check_peak_volume(base: float, growth: np.ndarray, w: Workload) -> None:
    """No month's volume above :data:`MAX_VOLUME_PER_MONTH` (nor an overflow): the error names the
    first month past it.

    >>> _check_peak_volume(1e9, np.power(11.0, np.arange(240)), Workload(tokens_per_month=1e9, monthly_growth=10))
    Traceback (most recent call last):
    ...
    tco.scenario.ScenarioError: workload.monthly_growth: the volume passes 1e+18 a month in month 9 (0-based) at 1,000% growth a month: lower the growth or the horizon
    """
    with np.errstate(over="ignore", invalid="ignore"):
        vol = base * growth
    bad = ~np.isfinite(vol) | (vol > MAX_VOLUME_PER_MONTH)
    if bad.any():
        m = int(np.argmax(bad))
        field = "workload.monthly_volumes" if w.monthly_volumes is not None else "workload.monthly_growth"
        how = "" if w.monthly_volumes is not None else f" at {100 * float(w.monthly_growth):,.0f}% growth a month"
        raise ScenarioError(field, f"the volume passes {MAX_VOLUME_PER_MONTH:g} a month in month {m} (0-based){how}: "
                                   "lower the growth or the horizon")


def _growth(w: Workload, horizon: int) -> tuple[np.ndarray, float | None]:
    """Volume of month m over month 0 [-], shape (horizon,), and the month-0 volume when the
    workload lists its monthly volumes (None for compound growth)."""
    p = "workload"
    if w.monthly_volumes is not None:
        vols = np.asarray(w.monthly_volumes, dtype=float)
        if vols.ndim != 1 or len(vols) != horizon:
            raise ScenarioError(f"{p}.monthly_volumes",
                                f"needs one value per month of the horizon ({horizon}), got {vols.size}")
        if not np.all(np.isfinite(vols)) or np.any(vols < 0):
            raise ScenarioError(f"{p}.monthly_volumes", "every value must be a finite number >= 0")
        base = vols[0] if vols[0] > 0 else (vols[vols > 0][0] if np.any(vols > 0) else 1.0)
        return vols / base, float(base)
    g = float(w.monthly_growth)
    if not math.isfinite(g) or g <= -1 or g > 10:
        raise ScenarioError(f"{p}.monthly_growth", f"must be between -1 (exclusive) and 10, got {w.monthly_growth!r}")
    return np.power(1.0 + g, np.arange(horizon, dtype=float)), None


def resolve_volumes(w: Workload, horizon_months: int) -> Volumes:
    """Resolve the workload's way of stating volume into month-0 quantities and growth.

    Raises :class:`ScenarioError` naming the field when the workload is inconsistent.
    """
    p = "workload"
    given = {
        "input_tokens_per_month": w.input_tokens_per_month is not None or w.output_tokens_per_month is not None,
        "tokens_per_month": w.tokens_per_month is not None,
        "requests_per_day": w.requests_per_day is not None,
        "seats": w.seats is not None,
        "images_per_month": w.images_per_month is not None,
    }
    chosen = [k for k, v in given.items() if v]
    if len(chosen) == 0 and w.monthly_volumes is None:
        raise ScenarioError(p, "give a volume: input_tokens_per_month and output_tokens_per_month, "
                               "tokens_per_month, requests_per_day, seats or images_per_month")
    if len(chosen) > 1 and not (set(chosen) == {"seats", "tokens_per_month"}):
        raise ScenarioError(f"{p}.{chosen[1]}", f"give one way of stating volume, not both {chosen[0]} and {chosen[1]}")
    in_len = _positive(f"{p}.input_tokens_per_request", w.input_tokens_per_request, allow_zero=False)
    share = _share(f"{p}.input_share", w.input_share)
    seats = 0.0
    images = 0.0
    kind = "tokens"
    total = 0.0
    if given["input_tokens_per_month"]:
        if w.input_tokens_per_month is None or w.output_tokens_per_month is None:
            missing = "output_tokens_per_month" if w.input_tokens_per_month is not None else "input_tokens_per_month"
            raise ScenarioError(f"{p}.{missing}", "required with the other of input/output tokens per month")
        tin = _volume(f"{p}.input_tokens_per_month", w.input_tokens_per_month)
        tout = _volume(f"{p}.output_tokens_per_month", w.output_tokens_per_month)
        total = tin + tout
        share = tin / total if total > 0 else share
    elif given["requests_per_day"]:
        rpd = _positive(f"{p}.requests_per_day", w.requests_per_day)
        if w.output_tokens_per_request is None:
            raise ScenarioError(f"{p}.output_tokens_per_request", "required with requests_per_day")
        out_len = _positive(f"{p}.output_tokens_per_request", w.output_tokens_per_request, allow_zero=False)
        total = rpd * DAYS_PER_MONTH * (in_len + out_len)
        share = in_len / (in_len + out_len)
    elif given["seats"]:
        seats = _positive(f"{p}.seats", w.seats)
        if w.tokens_per_seat_month is not None:
            total = seats * _volume(f"{p}.tokens_per_seat_month", w.tokens_per_seat_month)
        elif w.tokens_per_month is not None:
            total = _volume(f"{p}.tokens_per_month", w.tokens_per_month)
        else:
            raise ScenarioError(f"{p}.tokens_per_seat_month", "required with seats (tokens each seat uses per month)")
    elif given["tokens_per_month"]:
        total = _volume(f"{p}.tokens_per_month", w.tokens_per_month)
    elif given["images_per_month"]:
        images = _volume(f"{p}.images_per_month", w.images_per_month)
        kind = "images"

    if w.output_tokens_per_request is not None:
        out_len = _positive(f"{p}.output_tokens_per_request", w.output_tokens_per_request, allow_zero=False)
        if kind == "tokens" and not given["requests_per_day"]:
            _check_split(share, in_len, out_len, "input_tokens_per_month" if given["input_tokens_per_month"]
                         else "input_share")
    else:
        out_len = in_len * (1 - share) / share if share > 0 else in_len
        out_len = max(out_len, 1.0)
    if kind == "tokens" and share == 0:
        in_len = 0.0            # output-only workload: no prompt to prefill

    growth, base = _growth(w, int(horizon_months))
    if base is not None:
        if kind == "images":
            images = base
        else:
            total = base
    _check_peak_volume(images if kind == "images" else total, growth, w)
    return Volumes(input_share=share, input_tokens_per_request=in_len, output_tokens_per_request=out_len,
                   tokens_month0=total, seats_month0=seats, images_month0=images, growth=growth, kind=kind)


def average_load(vol: Volumes, growth=None, volume_scale=1.0) -> np.ndarray:
    """Average serving load of each month [requests/s] (token workloads) or [images/s].

    ``growth`` defaults to the workload's own; ``volume_scale`` multiplies the volume (a
    scalar, or an array broadcasting against months such as (N, 1) for a sweep).

    >>> v = Volumes(0.8, 1000.0, 250.0, 2.628e9, 0.0, 0.0, np.ones(2), "tokens")
    >>> average_load(v).round(6).tolist()     # 2.628e9 x 0.8 / 1000 tokens / 2,628,000 s
    [0.8, 0.8]
    """
    growth = vol.growth if growth is None else growth
    scale = np.asarray(volume_scale, dtype=float)
    if vol.kind == "images":
        return vol.images_month0 * growth * scale / SECONDS_PER_MONTH
    return vol.tokens_month0 * vol.requests_per_token * growth * scale / SECONDS_PER_MONTH


# --------------------------------------------------------------------------- load profile

#: Hourly load shapes (hour 0 = midnight), normalised to mean 1 by :func:`load_profile`.
PRESETS: dict[str, tuple[float, ...]] = {
    "flat": (1.0,) * 24,
    # office tools: quiet nights, ramps at 7-9 and 17-19, a plateau 9-17 with a lunch dip
    "business_hours": (0.15, 0.12, 0.1, 0.1, 0.1, 0.15, 0.3, 0.8, 1.6, 2.2, 2.4, 2.4,
                       2.0, 2.3, 2.4, 2.3, 2.0, 1.4, 0.8, 0.5, 0.4, 0.3, 0.25, 0.2),
    # consumer apps: a daytime level and a long evening peak, 19-23
    "consumer_evening": (0.5, 0.35, 0.25, 0.2, 0.2, 0.25, 0.4, 0.6, 0.8, 0.9, 1.0, 1.1,
                         1.2, 1.1, 1.0, 1.0, 1.1, 1.3, 1.6, 2.0, 2.2, 2.1, 1.6, 0.9),
}


def load_profile(spec=None, peak_to_average: float = 2.0) -> np.ndarray:
    """24 hourly weights with mean 1 [-].

    ``spec``: a preset name (:data:`PRESETS`), 24 numbers (any scale), or None for a smooth
    day (a cosine peaking at 14:00) whose peak over average is ``peak_to_average`` (clipped at
    zero load at night when above 2).

    >>> float(load_profile("flat").max())
    1.0
    >>> round(float(load_profile(None, 1.5).max()), 6)
    1.5
    """
    if spec is None:
        h = np.arange(24)
        w = np.maximum(0.0, 1.0 + (peak_to_average - 1.0) * np.cos(2 * np.pi * (h - 14) / 24))
    elif isinstance(spec, str):
        if spec not in PRESETS:
            raise ValueError(f"unknown load profile {spec!r}; presets: {', '.join(PRESETS)}")
        w = np.asarray(PRESETS[spec], dtype=float)
    else:
        w = np.asarray(spec, dtype=float)
        if w.shape != (24,) or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError("a load profile needs 24 finite hourly weights >= 0, not all zero")
    return w / w.mean()


def overflow_share(weights: np.ndarray, capacity_ratio) -> np.ndarray:
    """Share of the load above ``capacity_ratio`` (in units of the average load) [fraction].

    From the load-duration curve: with the weights sorted, the load above a level k is
    (sum of the weights above k) - k x (how many are above k), over 24 hours.

    >>> w = load_profile([2.0] * 12 + [0.0] * 12)     # mean 1: 2 for half the day, 0 the other half
    >>> overflow_share(w, [0.0, 1.0, 2.0, 3.0]).tolist()
    [1.0, 0.5, 0.0, 0.0]
    """
    ws = np.sort(np.asarray(weights, dtype=float))
    prefix = np.concatenate([[0.0], np.cumsum(ws)])
    k = np.asarray(capacity_ratio, dtype=float)
    idx = np.searchsorted(ws, k, side="right")              # weights <= k end here
    above = len(ws) - idx
    sum_above = prefix[-1] - prefix[idx]
    return np.clip((sum_above - k * above) / ws.sum(), 0.0, 1.0)
