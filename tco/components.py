"""Cost components: the names every monthly cost is filed under, and how they add up.

Each option's monthly cost is a dict ``component -> array [USD/month]`` whose last axis is
the month.  The closed option bills tokens, seats, images, fixed fees and a one-off
integration, or a known current-spend baseline; the self-hosted option rents or owns GPUs and pays power, colocation,
support, staff, evaluation, overheads and one-off setup.
"""
from __future__ import annotations

import numpy as np

CLOSED_COMPONENTS = ("api_input", "api_cached_input", "api_cache_write", "api_output", "seats", "images",
                     "closed_fixed", "closed_setup", "closed_baseline")
OPEN_COMPONENTS = ("gpu_rental", "hardware", "residual_value", "power", "colocation", "support", "staff",
                   "evaluation", "overhead", "open_setup")

#: One-off components: paid at the start of the month they fall in.
ONE_OFF_COMPONENTS = ("closed_setup", "open_setup")

#: Components billed by usage, the part of the closed bill a hybrid plan can move to own replicas.
#: A current-spend baseline scales with the volume, so it counts as usage.
USAGE_COMPONENTS = ("api_input", "api_cached_input", "api_cache_write", "api_output", "images", "closed_baseline")

COMPONENT_LABELS = {
    "api_input": "API input tokens", "api_cached_input": "API cached input", "api_cache_write": "API cache writes",
    "api_output": "API output tokens", "seats": "Seats", "images": "Images",
    "closed_baseline": "Current spend (baseline)", "closed_fixed": "Fixed fees",
    "closed_setup": "Integration (one-off)", "gpu_rental": "GPU rental", "hardware": "Hardware",
    "residual_value": "Residual value", "power": "Power", "colocation": "Colocation", "support": "Support contract",
    "staff": "MLOps staff", "evaluation": "Evaluation & guardrails", "overhead": "Monitoring, storage, network",
    "open_setup": "Setup, migration, fine-tuning (one-off)",
    "hybrid_self_hosted": "Hybrid: own replicas", "hybrid_api": "Hybrid: API overflow",
}


def full(v, shape) -> np.ndarray:
    """``v`` as a float array of ``shape`` (a broadcast view when it is smaller).

    >>> full(2.0, (2, 3)).shape
    (2, 3)
    """
    v = np.asarray(v, dtype=float)
    return v if v.shape == shape else np.broadcast_to(v, shape)


def total(parts: dict[str, np.ndarray]) -> np.ndarray:
    """Sum of the components, a new array [USD/month].

    >>> total({"a": np.array([1.0, 2.0]), "b": np.array([0.5, 0.5])}).tolist()
    [1.5, 2.5]
    """
    it = iter(parts.values())
    out = np.array(next(it), dtype=float)
    for v in it:          # a handful of components, each a whole array
        out += v
    return out
