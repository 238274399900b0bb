"""tco: total cost of ownership of AI, closed APIs by the unit vs open models on GPUs.

The package is organised by domain concept (pvlib style):

- :mod:`tco.tables`   the pricing tables' schemas (column, type, unit, description)
- :mod:`tco.catalog`  loading, validating, overlaying and looking up the tables
- :mod:`tco.litellm`  importing LiteLLM's JSON price format
- :mod:`tco.throughput` roofline model of LLM serving (memory fit, tokens/s)
- :mod:`tco.workload` monthly volumes of a workload
- :mod:`tco.finance`  annuities, discounting, NPV, levelised cost
- :mod:`tco.engine`   closed vs self-hosted costs month by month, break-even
- :mod:`tco.compare`  many options on one workload, ranked by NPV, the cheapest per volume band
- :mod:`tco.hybrid`   own replicas for the base load, the API for the peaks, and when to switch
- :mod:`tco.sensitivity` tornado and Monte Carlo
- :mod:`tco.usage`    pricing real usage logs
- :mod:`tco.charts`, :mod:`tco.report` figures, the verdict sentence, the HTML report
- :mod:`tco.settings` the ``TCO_*`` settings
"""
__version__ = "0.1.0"

from tco.catalog import Catalog, CatalogError, load_catalog  # noqa: E402
from tco.scenario import ClosedOption, Finance, OpenOption, Scenario, ScenarioError, Workload  # noqa: E402
from tco.breakeven import breakeven_curve  # noqa: E402
from tco.engine import evaluate  # noqa: E402
from tco.compare import Comparison, Option, compare  # noqa: E402
from tco.result import Result  # noqa: E402
from tco.usage import usage_workload  # noqa: E402
from tco.usage_stream import price_usage  # noqa: E402

__all__ = ["Catalog", "CatalogError", "load_catalog", "Scenario", "Workload", "ClosedOption", "OpenOption",
           "Finance", "ScenarioError", "Result", "evaluate", "compare", "Option", "Comparison", "breakeven_curve", "price_usage", "usage_workload",
           "__version__"]
