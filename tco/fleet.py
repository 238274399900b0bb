"""The fleet: replicas, GPUs and utilisation needed each month.

replicas = max(min_replicas, ceil(peak load / (capacity x target utilisation))) + redundancy,
where the peak is the month's average load times the workload's peak-to-average ratio.
Autoscaled rental bills what the average load needs instead:
billed = max(min_replicas, average load / (capacity x target utilisation)) + redundancy.
"""
from __future__ import annotations

import numpy as np

from tco.resolve import Resolved
from tco.workload import average_load


def fleet(R: Resolved, volume_scale=1.0, steady: bool = False) -> dict[str, np.ndarray]:
    """Replicas, billed replicas, GPUs, utilisation and load of each month.

    Returns arrays over months (broadcast against ``volume_scale``): ``replicas`` [-],
    ``billed_replicas`` [-], ``gpus`` [-], ``utilisation`` [fraction of provisioned capacity],
    ``avg_load`` and ``peak_load`` [requests/s, or images/s for image workloads].
    """
    vol, P, o = R.volumes, R.open, R.scenario.open
    growth = np.ones(1) if steady else vol.growth
    avg = average_load(vol, growth, volume_scale)
    peak = avg * R.scenario.workload.peak_to_average
    per_replica = P.capacity_per_replica * o.target_utilisation
    needed = np.ceil(np.round(peak / per_replica, 9))
    replicas = np.maximum(o.min_replicas, needed) + o.redundancy_replicas
    billed = replicas
    if o.hosting == "cloud" and o.billing == "autoscaled":
        billed = np.maximum(o.min_replicas, avg / per_replica) + o.redundancy_replicas
    with np.errstate(divide="ignore", invalid="ignore"):
        util = np.where(replicas > 0, avg / (replicas * P.capacity_per_replica), 0.0)
    return {"replicas": replicas, "billed_replicas": billed, "gpus": replicas * P.gpus_per_replica,
            "utilisation": util, "avg_load": avg, "peak_load": peak}
