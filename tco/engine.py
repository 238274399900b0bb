"""The engine: one scenario priced month by month, end to end.

``evaluate(scenario, catalog) -> Result`` runs the pipeline the package is built around::

    scenario --resolve--> Resolved (numbers + assumptions)           tco.resolve
             --costs----> closed bill, fleet, self-hosted costs      tco.bills, tco.fleet, tco.selfhosted
             --compare--> break-evens, hybrid plan                   tco.breakeven, tco.hybrid
             --report---> Result (monthly table, summary)            tco.result

Conventions: a month has 730 hours; month ``m = 0..H-1``; one-off costs fall in month 0;
money in USD.  Every cost function works on numpy arrays whose last axis is the month, so
one call prices one scenario, a volume sweep or sampled scenarios alike.
"""
from __future__ import annotations

from tco.bills import closed_costs
from tco.breakeven import breakevens
from tco.catalog import Catalog
from tco.components import total
from tco.fleet import fleet
from tco.hybrid import hybrid_applies
from tco.hybrid import plan as hybrid_plan
from tco.resolve import resolve
from tco.result import Result, monthly_columns, summary
from tco.scenario import Scenario
from tco.selfhosted import open_costs


def evaluate(scenario: Scenario, catalog: Catalog, hybrid: bool = False,
             hybrid_committed: bool | None = None) -> Result:
    """Price both options month by month and find where they cross.

    With ``hybrid=True`` the cheapest mix (own replicas for the base load, the API for the
    overflow, :func:`tco.hybrid.plan`) is added beside them: option ``hybrid`` in
    ``monthly``, ``hybrid_*`` keys in ``summary`` and the plan in ``Result.hybrid``;
    ``hybrid_committed`` forces (True) or forbids (False) a never-falling number of replicas.
    A seat product gets no hybrid plan (a licence cannot hand only the peaks to the API).

    Raises :class:`~tco.scenario.ScenarioError` naming the field for any invalid input,
    unknown id or a deployment that does not fit in memory.
    """
    R = resolve(scenario, catalog)
    closed = closed_costs(R)
    fl = fleet(R)
    opened = open_costs(R, fl=fl)
    closed_total = total(closed)
    open_total = total(opened)
    plan = None
    sections = [("closed", closed), ("self_hosted", opened)]
    if hybrid and hybrid_applies(R):
        plan = hybrid_plan(R, scenario.workload.load_profile, committed=hybrid_committed)
        sections.append(("hybrid", {"hybrid_self_hosted": plan.self_hosted_usd, "hybrid_api": plan.api_usd}))
    columns = monthly_columns(R, sections, fl, plan)
    be = breakevens(R, closed, opened)
    assumptions = {k: v.as_dict() for k, v in R.assumptions.items()}
    return Result(scenario=scenario, columns=columns, summary=summary(R, closed_total, open_total, fl, be, plan),
                  assumptions=assumptions, resolved=R, hybrid=plan)
