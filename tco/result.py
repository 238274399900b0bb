"""The result of pricing a scenario: the monthly table, the summary and the assumptions.

:class:`Result` holds the tidy monthly table (one row per month x option x component) as
numpy columns, the summary (totals, NPV, levelised unit costs, both break-evens, labels,
the fleet) and every assumption with its source.  :func:`monthly_columns` and
:func:`summary` build them from the cost components; :func:`records` turns columns into
JSON-ready rows for the API.
"""
from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tco.breakeven import breakeven_curve
from tco.components import COMPONENT_LABELS
from tco.finance import discount_factors
from tco.owned import servers_installed
from tco.resolve import Resolved
from tco.scenario import Scenario


def records(columns) -> list[dict]:
    """Rows as dicts from named columns (a dict of arrays or a DataFrame), NaN as None (JSON-ready).

    Built column-wise with ``tolist``: fast for the few hundred rows of a monthly table.

    >>> records({"a": np.array([1.0, np.nan]), "b": np.array(["x", "y"])})
    [{'a': 1.0, 'b': 'x'}, {'a': None, 'b': 'y'}]
    """
    names = tuple(str(n) for n in columns)
    cols = []
    for name in columns:
        values = np.asarray(columns[name])
        if values.dtype.kind == "f" and np.isnan(values).any():
            obj = values.astype(object)
            obj[np.isnan(values)] = None
            cols.append(obj.tolist())
        else:
            cols.append(values.tolist())
    return _row_builder(names)(cols)


@functools.lru_cache(maxsize=64)
def _row_builder(names: tuple[str, ...]):
    """A function turning columns into row dicts with a dict display per row: about twice as fast
    as ``dict(zip(names, row))``, which matters for the API's monthly schedule.  The keys are
    inserted with ``repr``, so any column name is safe."""
    body = ", ".join(f"{name!r}: r[{i}]" for i, name in enumerate(names))
    return eval(f"lambda cols: [{{{body}}} for r in zip(*cols)]")  # noqa: S307  (keys are repr-quoted)


@dataclass
class Result:
    """What :func:`evaluate` returns.

    ``monthly``: tidy DataFrame with one row per month x option x component: month, option
    ('closed' | 'self_hosted'), component, label, usd, tokens, images, replicas, gpus,
    utilisation.  ``summary``: totals, NPV, unit costs, both break-evens, labels.
    ``assumptions``: every number used, with its unit and source.
    """

    scenario: Scenario
    columns: dict          # the monthly table as numpy columns (built into a DataFrame on first use)
    summary: dict
    assumptions: dict
    resolved: Resolved
    hybrid: object = None  # a tco.hybrid.HybridPlan when evaluate(..., hybrid=True)

    @functools.cached_property
    def monthly(self) -> pd.DataFrame:
        return pd.DataFrame(self.columns)

    def monthly_records(self) -> list[dict]:
        """The monthly table as a list of dicts, NaN as None (for JSON), without a DataFrame."""
        return records(self.columns)

    def totals_by_month(self) -> pd.DataFrame:
        """Wide table: month x option -> usd, plus cumulative columns."""
        wide = self.monthly.pivot_table(index="month", columns="option", values="usd", aggfunc="sum")
        options = ["closed", "self_hosted"] + (["hybrid"] if self.hybrid is not None else [])
        wide = wide.reindex(columns=options, index=range(self.summary["horizon_months"]))
        wide = wide.fillna(0.0)   # an option whose every component is zero has no rows
        for c in options:
            wide[f"{c}_cumulative"] = wide[c].cumsum()
        return wide

    def curve(self, n: int = 200, lo: float | None = None, hi: float | None = None) -> pd.DataFrame:
        """Steady monthly cost of both options over ``n`` log-spaced volumes (see :func:`breakeven_curve`)."""
        return breakeven_curve(self.resolved, n=n, lo=lo, hi=hi)


def monthly_columns(R: Resolved, sections: list[tuple[str, dict]], fl: dict, plan=None) -> dict[str, np.ndarray]:
    """The tidy monthly table as numpy columns: month, option, component, label, usd, tokens,
    images, replicas, gpus, utilisation.  ``sections`` are (option, components) pairs; all-zero
    components are left out; the hybrid rows carry the plan's own replicas."""
    vol = R.volumes
    H = len(vol.growth)
    tokens = vol.total_tokens() if vol.kind == "tokens" else np.zeros(H)
    images = vol.images_month0 * vol.growth if vol.kind == "images" else np.zeros(H)
    names = [(o, c) for o, parts in sections for c in parts]
    lookup = dict(sections)
    usd = np.stack([np.asarray(lookup[o][c], dtype=float) for o, c in names])   # (components, months)
    keep = (usd != 0).any(axis=1)                                                 # drop all-zero components
    names = [n for n, k in zip(names, keep) if k]
    usd = usd[keep]
    k = len(names)
    is_open = np.repeat(np.array([o == "self_hosted" for o, _ in names]), H)
    fleet_rep = np.tile(fl["replicas"], k)
    if plan is not None:
        is_hyb = np.repeat(np.array([o == "hybrid" for o, _ in names]), H)
        fleet_rep = np.where(is_hyb, np.tile(plan.replicas, k), fleet_rep)
        is_open = is_open | is_hyb
    return {
        "month": np.tile(np.arange(H), k),
        "option": np.repeat([o for o, _ in names], H),
        "component": np.repeat([c for _, c in names], H),
        "label": np.repeat([COMPONENT_LABELS[c] for _, c in names], H),
        "usd": usd.ravel(),
        "tokens": np.tile(tokens, k),
        "images": np.tile(images, k),
        "replicas": np.where(is_open, fleet_rep, np.nan),
        "gpus": np.where(is_open, fleet_rep * R.open.gpus_per_replica, np.nan),
        "utilisation": np.where(is_open, np.tile(fl["utilisation"], k), np.nan),
    }


def billing_label(R: Resolved) -> str:
    """What the self-hosted bill counts: always-on or autoscaled rental, or owned hardware."""
    if R.open.hosting == "cloud" and R.open.billing == "autoscaled":
        return "autoscaled rental: billed GPU-hours follow the average load"
    if R.open.hosting == "cloud":
        return "always-on rental: every provisioned GPU billed 730 h/month"
    return f"owned hardware, capex {R.scenario.open.capex_mode}"


def _plural(n: float, word: str) -> str:
    return f"{n:,.0f} {word}{'' if n == 1 else 's'}"


def fleet_label(replicas, gpus_per_replica: int, gpu_name: str) -> str:
    """What the self-hosted bill counts at its peak, in words [replicas x GPUs per replica = GPUs].

    "up to" when the fleet changes over the horizon.

    >>> fleet_label(np.array([2.0, 2.0]), 4, "H100")
    '2 replicas x 4 H100 = 8 GPUs'
    >>> fleet_label(np.array([1.0, 3.0]), 1, "L4")
    'up to 3 replicas x 1 L4 = 3 GPUs'
    """
    r = np.asarray(replicas, dtype=float)
    peak = float(r.max()) if r.size else 0.0
    upto = "up to " if r.size and float(r.min()) != peak else ""
    return f"{upto}{_plural(peak, 'replica')} x {gpus_per_replica} {gpu_name} = {_plural(peak * gpus_per_replica, 'GPU')}"


def short_gpu_name(display_name: str) -> str:
    """A GPU's display name without its vendor and its notes in brackets, for labels that must
    stay short (the memory stays: it tells an A100 40GB from an 80GB).

    >>> short_gpu_name("NVIDIA H100 SXM5 80GB")
    'H100 SXM5 80GB'
    >>> short_gpu_name("NVIDIA B300 (HGX B300, Blackwell Ultra) 288GB")
    'B300 288GB'
    """
    text = re.sub(r"\s*\([^)]*\)", "", display_name).strip()
    words = text.split()
    if len(words) > 1 and words[0].upper() in ("NVIDIA", "AMD", "INTEL", "GOOGLE"):
        words = words[1:]
    return " ".join(words) or display_name


def _fleet_fields(R: Resolved, fl: dict) -> dict:
    """The fleet in the summary: its label, the peak servers (owned) and the latency reached."""
    label = R.open.label
    model, sep, rest = label.partition(" on ")
    gpu_part, _, tail = rest.partition(" (")
    count, _, gpu_name = gpu_part.partition("x ")
    words = fleet_label(fl["replicas"], R.open.gpus_per_replica,
                        short_gpu_name(gpu_name) if count.strip().isdigit() else gpu_part)
    open_label = f"{model} on {words} ({tail}" if sep and tail else label
    servers = (servers_installed(fl["replicas"], R.open.gpus_per_replica, max(R.open.gpus_per_server, 1))
               if R.open.hosting == "owned" else None)
    d = R.open.throughput_detail or {}
    measured = not str(R.open.throughput_source).startswith("roofline")

    def reached(key):
        v = d.get(key)
        return None if v is None or measured or not math.isfinite(float(v)) else float(v)
    return {
        "open_label": open_label,
        "fleet_label": words,
        "peak_servers": None if servers is None else int(servers.max()),
        "time_per_output_token_s": reached("time_per_output_token_s"),
        "time_to_first_token_s": reached("time_to_first_token_s"),
        "batch_size": reached("batch_size"),
        "latency_note": None if measured else d.get("latency_note"),
    }


def summary(R: Resolved, closed_total: np.ndarray, open_total: np.ndarray, fl: dict, breakevens: dict,
            plan=None) -> dict:
    """Totals, NPV, levelised unit costs, both break-evens, labels and the fleet of a priced scenario."""
    vol = R.volumes
    H = len(closed_total)
    tokens = vol.total_tokens() if vol.kind == "tokens" else np.zeros(H)
    images = vol.images_month0 * vol.growth if vol.kind == "images" else np.zeros(H)
    df = discount_factors(R.scenario.finance.discount_rate_annual, H)
    units = tokens if vol.kind == "tokens" else images
    per = 1e6 if vol.kind == "tokens" else 1.0
    disc_units = float((units * df).sum())

    def unit_cost(total):
        return float((total * df).sum() / disc_units * per) if disc_units > 0 else None

    out = {
        "horizon_months": H,
        "unit": "1M tokens" if vol.kind == "tokens" else "image",
        "closed_label": R.closed.label,
        "open_label": R.open.label,
        "billing_label": billing_label(R),
        "closed_total_usd": float(closed_total.sum()),
        "open_total_usd": float(open_total.sum()),
        "savings_usd": float(closed_total.sum() - open_total.sum()),
        "closed_npv_usd": float((closed_total * df).sum()),
        "open_npv_usd": float((open_total * df).sum()),
        "savings_npv_usd": float(((closed_total - open_total) * df).sum()),
        "closed_levelised_usd_per_unit": unit_cost(closed_total),
        "open_levelised_usd_per_unit": unit_cost(open_total),
        "total_tokens": float(tokens.sum()),
        "total_images": float(images.sum()),
        **breakevens,
        "peak_replicas": int(fl["replicas"].max()),
        "peak_gpus": int(fl["gpus"].max()),
        "mean_utilisation": float(fl["utilisation"].mean()),
        "output_tokens_per_second_per_replica": None if math.isnan(R.open.output_tokens_per_second)
        else R.open.output_tokens_per_second,
        "capacity_per_replica_per_s": R.open.capacity_per_replica,
        "throughput_source": R.open.throughput_source,
        "price_events": list(R.closed.events),
        "price_switches": [{"month": int(e.month), "date": e.date, "kind": e.kind, "model_id": e.model_id,
                            "message": e.message} for e in R.closed.switches],
        "price_flagged_months": [int(m) for m in np.flatnonzero(R.closed.flagged)] if R.closed.flagged is not None
        else [],
        **_fleet_fields(R, fl),
    }
    if plan is not None:
        hyb = plan.monthly_usd
        out.update({
            "hybrid_total_usd": plan.total_usd,
            "hybrid_npv_usd": float((hyb * df).sum()),
            "hybrid_savings_vs_closed_usd": float(closed_total.sum() - plan.total_usd),
            "hybrid_savings_vs_self_hosted_usd": float(open_total.sum() - plan.total_usd),
            "hybrid_switch_month": plan.switch_month,
            "hybrid_peak_replicas": int(plan.replicas.max()),
            "hybrid_api_share_final": float(plan.api_share[-1]),
            "hybrid_levelised_usd_per_unit": unit_cost(hyb),
            "hybrid_committed": plan.committed,
        })
    return out
