"""How sure are we? Tornado (one input at a time) and Monte Carlo (all at once), vectorised.

The uncertain inputs, each with a default low / high and what it multiplies or replaces:

======================  =====  ==============================================================
input                   kind   meaning (base = the scenario's own value)
======================  =====  ==============================================================
volume                  scale  monthly volume x factor [-]
growth                  value  compound monthly growth [1/month]
api_price               scale  every closed price x factor [-]
api_price_change        value  yearly change of closed prices [1/year]
gpu_rate                scale  GPU-hour rate (cloud) or server price (owned) x factor [-]
throughput_efficiency   scale  replica throughput x factor [-]
utilisation             value  target utilisation at peak [fraction]
staff_cost              scale  loaded cost per FTE x factor [-]
discount_rate           value  discount rate of the NPV [1/year]
======================  =====  ==============================================================

:func:`defaults_tornado` does the same for the defaults a production team would sign
(:mod:`tco.defaults`): each row of the defaults table the scenario uses, at its low and high
(FP8 against bf16, N+0 and N+2 against N+1, the salary's 25th and 75th percentiles, ...).

Every variant of the scenario is a row of the arrays :func:`tco.sweep.sweep` evaluates at
once (samples x months): 100,000 samples x 60 months are a few array passes, not a loop.
The quantity studied is the savings of self-hosting, ``closed - self-hosted`` cost over the
horizon, discounted (NPV) [USD], and the break-even month [months].
"""
from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from tco.defaults import DEFAULTED, OWNED_ONLY, default_row, field_value
from tco.resolve import Resolved, resolve
from tco.scenario import ScenarioError
from tco.sweep import sweep
from tco.finance import discount_factors

INPUTS = ("volume", "growth", "api_price", "api_price_change", "gpu_rate", "throughput_efficiency", "utilisation",
          "staff_cost", "discount_rate")

LABELS = {"volume": "Monthly volume", "growth": "Growth per month", "api_price": "API prices",
          "api_price_change": "API price change per year", "gpu_rate": "GPU rate / server price",
          "throughput_efficiency": "Throughput efficiency", "utilisation": "Target utilisation",
          "staff_cost": "Staff cost", "discount_rate": "Discount rate"}

UNITS = {"volume": "x", "growth": "1/month", "api_price": "x", "api_price_change": "1/year", "gpu_rate": "x",
         "throughput_efficiency": "x", "utilisation": "fraction", "staff_cost": "x", "discount_rate": "1/year"}

SCALE = {"volume", "api_price", "gpu_rate", "throughput_efficiency", "staff_cost"}

#: Inputs whose default range is symmetric by ratio (low = mode / k, high = mode x k), not by
#: difference: the fleet is divided by them, so a ratio range leaves the replicas they imply even.
RATIO_SYMMETRIC = {"throughput_efficiency", "utilisation"}


def base_values(R: Resolved) -> dict[str, float]:
    """Each input's value in the scenario itself (1.0 for the multipliers)."""
    s = R.scenario
    growth = float(R.volumes.growth[1] - 1.0) if len(R.volumes.growth) > 1 else 0.0
    return {"volume": 1.0, "growth": growth, "api_price": 1.0, "api_price_change": float(s.closed.price_change_annual),
            "gpu_rate": 1.0, "throughput_efficiency": 1.0, "utilisation": float(s.open.target_utilisation),
            "staff_cost": 1.0, "discount_rate": float(s.finance.discount_rate_annual)}


def default_ranges(R: Resolved) -> dict[str, tuple[float, float]]:
    """Low and high of each input, symmetric around the scenario's own values.

    Volumes and prices are the most uncertain: volume x0.7..x1.3, API prices and GPU rates
    +-30 %, the yearly API price change +-20 points, growth +-2 points a month, staff cost +-30 %,
    the discount rate +-5 points.  The two inputs the fleet is divided by, throughput and the
    target utilisation, are symmetric *by ratio* (:data:`RATIO_SYMMETRIC`), as the calibration
    scores the throughput model (within 25 % = a ratio in 1/1.25..1.25): throughput x1/1.3..x1.3,
    utilisation u / k..u x k with u x k = u + 15 points, so that the replicas they imply lean neither
    way.  Ranges are symmetric so that Monte Carlo is centred on the base case; where a bound clips
    one (utilisation cannot pass 100 %) the range is skewed and :func:`skewed_inputs` says so.

    >>> from types import SimpleNamespace as NS
    >>> R = NS(scenario=NS(closed=NS(price_change_annual=0.0), open=NS(target_utilisation=0.6),
    ...                    finance=NS(discount_rate_annual=0.08)), volumes=NS(growth=np.ones(3)))
    >>> lo, hi = default_ranges(R)["utilisation"]      # 0.6 x 0.75 / 0.6 = 0.75; 0.6 / 1.25 = 0.48
    >>> round(lo, 4), round(hi, 4)
    (0.48, 0.75)
    """
    b = base_values(R)
    k = (b["utilisation"] + 0.15) / b["utilisation"]          # [-] the utilisation's ratio: + 15 points
    return {
        "volume": (0.7, 1.3),
        "growth": (b["growth"] - 0.02, b["growth"] + 0.02),
        "api_price": (0.7, 1.3),
        "api_price_change": (max(-0.99, b["api_price_change"] - 0.2), b["api_price_change"] + 0.2),
        "gpu_rate": (0.7, 1.3),
        "throughput_efficiency": (1.0 / 1.3, 1.3),
        "utilisation": (max(0.05, b["utilisation"] / k), min(1.0, b["utilisation"] * k)),
        "staff_cost": (0.7, 1.3),
        "discount_rate": (max(-0.5, b["discount_rate"] - 0.05), min(1.0, b["discount_rate"] + 0.05)),
    }


def skewed_inputs(R: Resolved, ranges: dict[str, tuple[float, float]] | None = None) -> list[str]:
    """Sentences naming each input whose range is not symmetric around the scenario's value
    (the Monte Carlo median then leans that way).

    >>> from types import SimpleNamespace as NS
    >>> R = NS(scenario=NS(closed=NS(price_change_annual=0.0), open=NS(target_utilisation=0.95),
    ...                    finance=NS(discount_rate_annual=0.08)), volumes=NS(growth=np.ones(3)))
    >>> skewed_inputs(R)
    ['Target utilisation runs from 0.82 to 1 around 0.95: more room below than above.']
    """
    b = base_values(R)
    out = []
    for k, (lo, hi) in (ranges or default_ranges(R)).items():
        mode = 1.0 if k in SCALE else b[k]
        below, above = mode - lo, hi - mode
        if k in RATIO_SYMMETRIC and lo > 0 and mode > 0:
            below, above = math.log(mode / lo), math.log(hi / mode)
        if abs(below - above) > 1e-9 * max(1.0, abs(below) + abs(above)):
            lean = "more room below than above" if below > above else "more room above than below"
            out.append(f"{LABELS[k]} runs from {lo:.3g} to {hi:.3g} around {mode:.3g}: {lean}.")
    return out


def evaluate_samples(R: Resolved, values: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Price S variants at once; ``values[name]`` is an array (S,) for any of :data:`INPUTS`.

    Returns the sweep's arrays plus ``savings_usd`` and ``savings_npv_usd`` (S,) [USD].
    """
    n = len(next(iter(values.values()))) if values else 1
    ones = np.ones(n)
    b = base_values(R)
    v = {k: np.asarray(values.get(k, ones * (1.0 if k in SCALE else b[k])), dtype=float) for k in INPUTS}
    kwargs = {"volume_scale": v["volume"], "closed_price_scale": v["api_price"],
              "closed__price_change_annual": v["api_price_change"], "open__target_utilisation": v["utilisation"],
              "open__capacity_per_replica": R.open.capacity_per_replica * v["throughput_efficiency"],
              "open__fte_usd_per_year": R.scenario.open.fte_usd_per_year * v["staff_cost"]}
    if "growth" in values and R.scenario.workload.monthly_volumes is None:   # explicit volumes have no growth rate
        kwargs["monthly_growth"] = v["growth"]
    if R.open.hosting == "cloud":
        kwargs["open__usd_per_gpu_hour"] = R.open.usd_per_gpu_hour * v["gpu_rate"]
    else:
        kwargs["open__server_usd"] = R.open.server_usd * v["gpu_rate"]
    out = sweep(R, **kwargs)
    H = out["closed"].shape[-1]
    df = discount_factors(v["discount_rate"], H)                          # (S, H)
    out["savings_usd"] = out["closed_total"] - out["open_total"]
    out["savings_npv_usd"] = (np.einsum("ij,ij->i", np.atleast_2d(out["closed"]), np.atleast_2d(df))
                              - np.einsum("ij,ij->i", np.atleast_2d(out["open"]), np.atleast_2d(df)))
    out["discount_factors"] = df
    return out


def tornado(R: Resolved, ranges: dict[str, tuple[float, float]] | None = None) -> pd.DataFrame:
    """Each input at its low and its high, the others at the scenario's values.

    Returns one row per input, sorted by the swing of the NPV savings (largest first):
    input, label, unit, low, high, savings_npv_low, savings_npv_high, swing_usd,
    breakeven_month_low, breakeven_month_high (NaN = none within the horizon), and the base.
    """
    rng = {**default_ranges(R), **(ranges or {})}
    names = [k for k in INPUTS if k in rng]
    b = base_values(R)
    # Rows: the base, then low and high of each input: 1 + 2 x len(names) variants in one sweep.
    cols = {k: np.full(1 + 2 * len(names), 1.0 if k in SCALE else b[k]) for k in INPUTS}
    for i, k in enumerate(names):
        cols[k][1 + 2 * i], cols[k][2 + 2 * i] = rng[k]
    res = evaluate_samples(R, cols)
    sav, bem = res["savings_npv_usd"], res["breakeven_month"]
    df = pd.DataFrame({
        "input": names, "label": [LABELS[k] for k in names], "unit": [UNITS[k] for k in names],
        "low": [rng[k][0] for k in names], "high": [rng[k][1] for k in names],
        "base_value": [1.0 if k in SCALE else b[k] for k in names],
        "savings_npv_low": sav[1::2], "savings_npv_high": sav[2::2],
        "breakeven_month_low": bem[1::2], "breakeven_month_high": bem[2::2],
    })
    df["swing_usd"] = (df["savings_npv_high"] - df["savings_npv_low"]).abs()
    df["base_savings_npv"] = sav[0]
    df["base_breakeven_month"] = bem[0]
    return df.sort_values("swing_usd", ascending=False, kind="stable").reset_index(drop=True)


#: How each row of the defaults table reads on the defaults tornado.
DEFAULT_LABELS = {"precision": "FP8 weights (off: bf16)", "redundancy_replicas": "Spare replicas (N+1)",
                  "staff_base_salary_usd_per_year": "Engineer base salary (BLS)",
                  "staff_loaded_cost_multiplier": "Loaded-cost multiplier (BLS ECEC)",
                  "staff_fte_base": "Base MLOps staff", "setup_engineer_months": "Setup engineering",
                  "server_power_factor": "Server power envelope (DGX H100)",
                  "colocation_usd_per_kw_month": "Colocation rent (CBRE)"}


def _default_variants(R: Resolved, catalog) -> list[tuple[str, str, dict, list[tuple[str, object]]]]:
    """(row name, scenario field, the row, [(end, field value)]) of every default the scenario
    took from the table, each row at its low and high (a choice's low is its 'off' value)."""
    if R.scenario.as_of is not None:
        catalog = catalog.at(R.scenario.as_of)
    try:
        gpu = catalog.gpu(R.scenario.open.gpu) if R.scenario.open.gpu else None
    except KeyError:
        gpu = None
    out = []
    for path, names in DEFAULTED.items():
        if path in OWNED_ONLY and R.open.hosting != "owned":
            continue                   # rented GPUs never use it
        rows = tuple(default_row(catalog, n, path) for n in names)
        a = R.assumptions.get(path)
        if not (a is not None and a.is_default) and not _same(getattr(R.scenario.open, path.split(".")[1]),
                                                              field_value(path, rows, gpu)):
            continue                   # the user gave another value: not the table's default
        for row in rows:
            ends = []
            for end in ("low", "high"):
                if row.get(end) is None:
                    continue
                varied = tuple({**r, "value": r[end]} if r is row else r for r in rows)
                ends.append((end, field_value(path, varied, gpu)))
            out.append((row["name"], path, row, ends))
    return out


def _same(a, b) -> bool:
    """The user's value is the table's (a form sends the defaults it shows, to 6 significant digits).

    >>> _same(189572.0, 133080 * 1.4245), _same(0.75, 0.5)
    (True, False)
    """
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    return abs(float(a) - float(b)) <= 1e-5 * max(1.0, abs(float(b)))


def _priced_end(R: Resolved, catalog, section: str, fld: str, value) -> tuple[Resolved, str]:
    """The scenario with one default moved to an end, re-resolved, and how it was priced.

    Where the move puts the latency target out of reach on the scenario's replica (bf16 weights
    read twice FP8's bytes per token: a 2-GPU replica that met 40 ms per token can miss it even at
    batch 1, and would then serve one sequence at a time), the end is priced on the smallest
    replica of 2x, 4x, 8x the GPUs (up to 8) that meets it, as a team without that default would
    deploy, and the words say so; a replica that already missed the target stays as it is.
    Returns (resolved variant, words: empty unless the replica was resized).
    """
    Rv = resolve(R.scenario.replace(**{section: {fld: value}}), catalog)
    missed = Rv.open.throughput_detail.get("latency_note")
    if section != "open" or not missed or R.open.throughput_detail.get("latency_note"):
        return Rv, ""
    g = int(Rv.scenario.open.gpus_per_replica)
    for more in (2 * g, 4 * g, 8 * g):
        if more > 8:
            break
        try:
            Rm = resolve(R.scenario.replace(open={fld: value, "gpus_per_replica": more}), catalog)
        except ScenarioError:          # does not fit a server, or no rate: the next size may
            continue
        if not Rm.open.throughput_detail.get("latency_note"):
            what = missed.split(":")[0]            # "The 40 ms per-token target is out of reach on 2 GPU(s)"
            return Rm, f"{what[0].lower()}{what[1:]}, so it is priced on {more} GPUs per replica, which meet it"
    return Rv, ""


def defaults_tornado(R: Resolved, catalog) -> pd.DataFrame:
    """What each default does to the verdict: every row of the defaults table the scenario used
    (taken from the table, or given with the table's value, as the dashboard's form sends it),
    at its low and its high (FP8 against bf16, N+0 and N+2 against N+1, the salary's 25th and
    75th percentiles, ...), the other inputs as they are.

    Each variant is the scenario re-resolved with that field set (a precision changes the
    throughput model's answer, so it cannot be a multiplier of the sweep).  Returns one row per
    default, largest swing of the NPV savings first: name, label, field, unit, value, low, high,
    savings_low / savings_high [USD], savings_npv_low / savings_npv_high [USD],
    breakeven_month_low / _high [months, NaN = none], swing_usd, base_savings, base_savings_npv,
    source_url, effective_date, is_estimate and a note (why an end could not be priced, or that it
    was priced on a larger replica that meets the latency target: :func:`_priced_end`).
    """
    base = evaluate_samples(R, {})
    rows = []
    for name, path, row, ends in _default_variants(R, catalog):
        section, fld = path.split(".")
        rec = {"name": name, "label": DEFAULT_LABELS.get(name, name), "field": path, "unit": row["unit"],
               "value": row["value"], "low": row.get("low"), "high": row.get("high"), "note": "",
               "source_url": row.get("source_url"), "effective_date": row["effective_date"],
               "is_estimate": bool(row.get("is_estimate"))}
        for end in ("low", "high"):
            for key in ("savings", "savings_npv", "breakeven_month"):
                rec[f"{key}_{end}"] = np.nan
        for end, value in ends:
            try:
                Rv, how = _priced_end(R, catalog, section, fld, value)
            except ScenarioError as exc:
                rec["note"] += f"{end} ({value}): {exc.message}. "
                continue
            if how:
                rec["note"] += f"{end} ({value}): {how}. "
            res = evaluate_samples(Rv, {})
            rec[f"savings_{end}"] = float(res["savings_usd"][0])
            rec[f"savings_npv_{end}"] = float(res["savings_npv_usd"][0])
            rec[f"breakeven_month_{end}"] = float(np.atleast_1d(res["breakeven_month"])[0])
        rows.append(rec)
    df = pd.DataFrame(rows, columns=["name", "label", "field", "unit", "value", "low", "high", "savings_low",
                                     "savings_high", "savings_npv_low", "savings_npv_high", "breakeven_month_low",
                                     "breakeven_month_high", "note", "source_url", "effective_date", "is_estimate"])
    sav = float(base["savings_npv_usd"][0])
    ends = np.column_stack([df["savings_npv_low"].to_numpy(dtype=float), np.full(len(df), sav),
                            df["savings_npv_high"].to_numpy(dtype=float)])
    df["swing_usd"] = np.nanmax(ends, axis=1) - np.nanmin(ends, axis=1) if len(df) else 0.0  # from one end to the other
    df["base_savings"] = float(base["savings_usd"][0])
    df["base_savings_npv"] = sav
    df["base_breakeven_month"] = float(np.atleast_1d(base["breakeven_month"])[0])
    return df.sort_values("swing_usd", ascending=False, kind="stable").reset_index(drop=True)


@dataclass
class Distribution:
    """One input's distribution: ``triangular`` (low, mode, high), ``lognormal`` (median, sigma
    of the log) or ``fixed`` (value)."""

    kind: str = "triangular"
    low: float | None = None
    mode: float | None = None
    high: float | None = None
    median: float | None = None
    sigma: float | None = None
    value: float | None = None

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.kind == "fixed":
            return np.full(n, float(self.value))
        if self.kind == "triangular":
            lo, mo, hi = float(self.low), float(self.mode), float(self.high)
            if not lo <= mo <= hi:
                raise ValueError(f"triangular needs low <= mode <= high, got {lo}, {mo}, {hi}")
            if hi == lo:
                return np.full(n, lo)
            return rng.triangular(lo, mo, hi, n)
        if self.kind == "lognormal":
            if float(self.sigma) == 0:
                return np.full(n, float(self.median))
            return float(self.median) * np.exp(rng.normal(0.0, float(self.sigma), n))
        raise ValueError(f"unknown distribution {self.kind!r}; use triangular, lognormal or fixed")


def default_distributions(R: Resolved) -> dict[str, Distribution]:
    """Triangular over the tornado's range with the scenario's value as the mode."""
    b, rng = base_values(R), default_ranges(R)
    out = {}
    for k in INPUTS:
        lo, hi = rng[k]
        mode = 1.0 if k in SCALE else b[k]
        out[k] = Distribution("triangular", low=min(lo, mode), mode=mode, high=max(hi, mode))
    return out


@dataclass
class MonteCarloResult:
    samples: int
    seed: int
    savings_npv_usd: np.ndarray          # (S,)
    savings_usd: np.ndarray              # (S,)
    breakeven_month: np.ndarray          # (S,), NaN = none within the horizon
    cumulative_bands: pd.DataFrame       # month, option, p10, p50, p90 [USD]
    inputs: dict[str, np.ndarray]
    skewed: tuple[str, ...] = ()         # sentences: inputs whose distribution leans one way

    def percentiles(self, values=None, q=(10, 50, 90)) -> dict[str, float]:
        v = self.savings_npv_usd if values is None else values
        return {f"p{int(x)}": float(np.percentile(v, x)) for x in q}

    @property
    def probability_self_hosting_cheaper(self) -> float:
        """Share of samples whose NPV savings are positive."""
        return float(np.mean(self.savings_npv_usd > 0))

    @property
    def probability_breakeven(self) -> float:
        """Share of samples that break even within the horizon."""
        return float(np.mean(np.isfinite(self.breakeven_month)))

    def breakeven_histogram(self) -> pd.DataFrame:
        """Samples whose break-even falls in each month (1-based), and those with none."""
        H = int(self.cumulative_bands["month"].max()) + 1
        finite = self.breakeven_month[np.isfinite(self.breakeven_month)]
        counts = np.bincount(np.floor(finite).astype(int).clip(0, H - 1), minlength=H)
        df = pd.DataFrame({"month": np.arange(1, H + 1), "samples": counts})
        df.attrs["never"] = int(np.sum(~np.isfinite(self.breakeven_month)))
        return df

    def summary(self) -> dict:
        bem = self.breakeven_month[np.isfinite(self.breakeven_month)]
        return {
            "samples": self.samples, "seed": self.seed, "skewed_inputs": list(self.skewed),
            "savings_npv_usd": self.percentiles(),
            "savings_usd": self.percentiles(self.savings_usd),
            "probability_self_hosting_cheaper": self.probability_self_hosting_cheaper,
            "probability_breakeven_within_horizon": self.probability_breakeven,
            "breakeven_month": ({f"p{q}": float(np.percentile(bem, q)) for q in (10, 50, 90)} if len(bem) else None),
        }


def monte_carlo(R: Resolved, samples: int = 10_000, seed: int = 0,
                distributions: dict[str, Distribution] | None = None) -> MonteCarloResult:
    """Sample every input from its distribution and price all samples at once.

    Seeded: the same seed gives the same numbers.  Inputs left out of ``distributions``
    take their defaults (:func:`default_distributions`); give ``Distribution("fixed", value=...)``
    to hold one still.
    """
    if samples < 1:
        raise ValueError("samples must be >= 1")
    dists = {**default_distributions(R), **(distributions or {})}
    rng = np.random.default_rng(seed)
    values = {k: dists[k].sample(rng, int(samples)) for k in INPUTS}
    # numpy releases the GIL in its array loops: two halves of the samples run on two cores.
    halves = np.array_split(np.arange(int(samples)), 2 if samples >= 20_000 else 1)
    with ThreadPoolExecutor(max_workers=len(halves)) as pool:
        parts = list(pool.map(lambda idx: evaluate_samples(R, {k: v[idx] for k, v in values.items()}), halves))
        H = parts[0]["closed"].shape[-1]

        def band(key: str) -> np.ndarray:
            # months x samples, contiguous per month: the partition behind percentile runs along memory
            by_month = np.concatenate([p[key].T for p in parts], axis=1)
            np.cumsum(by_month, axis=0, out=by_month)
            return np.percentile(by_month, [10, 50, 90], axis=1)

        closed_band, open_band = pool.map(band, ["closed", "open"])
    bands = [pd.DataFrame({"month": np.arange(H), "option": option, "p10": b[0], "p50": b[1], "p90": b[2]})
             for option, b in (("closed", closed_band), ("self_hosted", open_band))]
    cat = lambda key: np.concatenate([p[key] for p in parts])  # noqa: E731
    skewed = [] if distributions else skewed_inputs(R)
    for k, d in (distributions or {}).items():
        if d.kind == "triangular" and abs((d.mode - d.low) - (d.high - d.mode)) > 1e-9 * max(1.0, d.high - d.low):
            skewed.append(f"{LABELS.get(k, k)} runs from {d.low:.3g} to {d.high:.3g} around {d.mode:.3g}.")
    return MonteCarloResult(samples=int(samples), seed=int(seed), savings_npv_usd=cat("savings_npv_usd"),
                            savings_usd=cat("savings_usd"), breakeven_month=cat("breakeven_month"),
                            cumulative_bands=pd.concat(bands, ignore_index=True), inputs=values,
                            skewed=tuple(skewed))
