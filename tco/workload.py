"""Monthly volumes of a workload: tokens, requests, seats and images per month.

All functions return numpy arrays over months ``m = 0..H-1``.

Glossary
--------
input_tokens      prompt tokens sent per month [tokens/month]
output_tokens     generated tokens per month [tokens/month]
requests          requests per month [requests/month]
growth_factor     volume of month m over month 0 [-]
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tco.finance import DAYS_PER_MONTH
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


def _positive(name: str, value, allow_zero: bool = True) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ScenarioError(name, f"must be a number, got {value!r}") from None
    if not math.isfinite(v) or v < 0 or (v == 0 and not allow_zero):
        raise ScenarioError(name, f"must be a finite number {'>=' if allow_zero else '>'} 0, got {value!r}")
    return v


def _share(name: str, value) -> float:
    v = _positive(name, value)
    if v > 1:
        raise ScenarioError(name, f"must be between 0 and 1, got {value!r}")
    return v


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
        tin = _positive(f"{p}.input_tokens_per_month", w.input_tokens_per_month)
        tout = _positive(f"{p}.output_tokens_per_month", w.output_tokens_per_month)
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
            total = seats * _positive(f"{p}.tokens_per_seat_month", w.tokens_per_seat_month)
        elif w.tokens_per_month is not None:
            total = _positive(f"{p}.tokens_per_month", w.tokens_per_month)
        else:
            raise ScenarioError(f"{p}.tokens_per_seat_month", "required with seats (tokens each seat uses per month)")
    elif given["tokens_per_month"]:
        total = _positive(f"{p}.tokens_per_month", w.tokens_per_month)
    elif given["images_per_month"]:
        images = _positive(f"{p}.images_per_month", w.images_per_month)
        kind = "images"

    if w.output_tokens_per_request is not None:
        out_len = _positive(f"{p}.output_tokens_per_request", w.output_tokens_per_request, allow_zero=False)
    else:
        out_len = in_len * (1 - share) / share if share > 0 else in_len
        out_len = max(out_len, 1.0)

    horizon = int(horizon_months)
    if w.monthly_volumes is not None:
        vols = np.asarray(w.monthly_volumes, dtype=float)
        if vols.ndim != 1 or len(vols) != horizon:
            raise ScenarioError(f"{p}.monthly_volumes",
                                f"needs one value per month of the horizon ({horizon}), got {vols.size}")
        if not np.all(np.isfinite(vols)) or np.any(vols < 0):
            raise ScenarioError(f"{p}.monthly_volumes", "every value must be a finite number >= 0")
        base = vols[0] if vols[0] > 0 else (vols[vols > 0][0] if np.any(vols > 0) else 1.0)
        growth = vols / base
        if kind == "images":
            images = base
        else:
            total = base
    else:
        g = float(w.monthly_growth)
        if not math.isfinite(g) or g <= -1 or g > 10:
            raise ScenarioError(f"{p}.monthly_growth", f"must be between -1 (exclusive) and 10, got {w.monthly_growth!r}")
        growth = np.power(1.0 + g, np.arange(horizon, dtype=float))
    return Volumes(input_share=share, input_tokens_per_request=in_len, output_tokens_per_request=out_len,
                   tokens_month0=total, seats_month0=seats, images_month0=images, growth=growth, kind=kind)
