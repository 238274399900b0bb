"""Cloud rental: GPU-hours x the rate for the provider and term.

Always-on rental bills every provisioned GPU 730 hours a month; autoscaled rental bills the
GPU-hours that follow the average load (:func:`tco.fleet.fleet`'s ``billed_replicas``).  The
two differ by 1 / utilisation: say which one a number is.
"""
from __future__ import annotations

import numpy as np

from tco.finance import HOURS_PER_MONTH


def gpu_rental_usd(billed_replicas, gpus_per_replica, usd_per_gpu_hour) -> np.ndarray:
    """Monthly rental [USD/month] of ``billed_replicas`` replicas of ``gpus_per_replica`` GPUs.

    >>> float(gpu_rental_usd(2, 4, 2.5))          # 8 GPUs x 730 h x 2.5 USD
    14600.0
    """
    return np.asarray(billed_replicas, dtype=float) * gpus_per_replica * HOURS_PER_MONTH * usd_per_gpu_hour
