"""People and one-offs: what self-hosting's "maintenance" means besides the GPUs.

MLOps/platform staff = (base FTEs + replicas / replicas per FTE) x loaded salary / 12;
evaluation and guardrails a fixed monthly amount; monitoring, storage and network a share of
the infrastructure cost; setup and migration engineering, migration and fine-tuning costs
once, in month 0.  Never leave them out: they are often the larger part at low volume.
"""
from __future__ import annotations

import numpy as np

from tco.scenario import OpenOption


def staff_usd(replicas, staff_fte_base, replicas_per_fte, fte_usd_per_year) -> np.ndarray:
    """Monthly cost of the platform team [USD/month].

    >>> float(staff_usd(4, 0.5, 8, 240_000))     # (0.5 + 4/8) FTE x 20,000 USD/month
    20000.0
    """
    fte = staff_fte_base + np.asarray(replicas, dtype=float) / replicas_per_fte
    return fte * fte_usd_per_year / 12.0


def one_off_usd(setup_engineer_months, fte_usd_per_year, migration_usd, fine_tuning_usd):
    """Setup engineering, migration and fine-tuning, paid once [USD].

    >>> float(one_off_usd(6, 240_000, 10_000, 5_000))    # 6 x 20,000 + 10,000 + 5,000
    135000.0
    """
    return setup_engineer_months * np.asarray(fte_usd_per_year, dtype=float) / 12.0 + migration_usd + fine_tuning_usd


def people_costs(o: OpenOption, replicas, infra_usd, steady: bool = False) -> dict[str, np.ndarray]:
    """Staff, evaluation, overhead (a share of ``infra_usd``) and one-off setup in month 0 [USD/month]."""
    shape = np.shape(replicas)
    zeros = np.zeros(shape)
    setup = np.zeros(shape)
    if not steady:
        one_off = one_off_usd(o.setup_engineer_months, o.fte_usd_per_year, o.migration_usd, o.fine_tuning_usd)
        setup[..., 0] = np.reshape(one_off, np.shape(one_off)[:-1]) if np.ndim(one_off) > 1 else one_off
    return {
        "staff": staff_usd(replicas, o.staff_fte_base, o.replicas_per_fte, o.fte_usd_per_year),
        "evaluation": zeros + o.evaluation_usd_per_month,
        "overhead": infra_usd * o.overhead_share,
        "open_setup": setup,
    }
