"""The self-hosted option's monthly cost: the fleet, then rented or owned GPUs, then people.

``open_costs`` composes :mod:`tco.fleet` (replicas per month), :mod:`tco.rental` or
:mod:`tco.owned` (the infrastructure) and :mod:`tco.people` (staff, evaluation, overheads,
one-offs) into one dict of components [USD/month].
"""
from __future__ import annotations

import numpy as np

from tco.components import OPEN_COMPONENTS, full
from tco.fleet import fleet
from tco.owned import owned_costs
from tco.people import people_costs
from tco.rental import gpu_rental_usd
from tco.resolve import Resolved


def open_costs(R: Resolved, volume_scale=1.0, steady: bool = False, fl: dict | None = None) -> dict[str, np.ndarray]:
    """Monthly cost of the self-hosted option by component [USD/month].

    ``fl`` is a fleet from :func:`tco.fleet.fleet` (computed when not given); ``steady``
    prices one month without one-offs, capex amortised (break-even views).
    """
    P, o = R.open, R.scenario.open
    fl = fl if fl is not None else fleet(R, volume_scale, steady)
    replicas = fl["replicas"]
    shape = replicas.shape
    zeros = np.zeros(shape)
    out = {k: zeros for k in OPEN_COMPONENTS}
    if P.hosting == "cloud":
        out["gpu_rental"] = gpu_rental_usd(fl["billed_replicas"], P.gpus_per_replica, P.usd_per_gpu_hour)
        infra = out["gpu_rental"]
    else:
        owned = owned_costs(P, o, replicas, steady)
        out.update(owned)
        infra = owned["hardware"] + owned["power"] + owned["colocation"] + owned["support"]
    out.update(people_costs(o, replicas, infra, steady))
    return {k: full(v, shape) for k, v in out.items()}
