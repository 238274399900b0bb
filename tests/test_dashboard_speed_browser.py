"""A change redraws in under a second (issue 14), measured in Debian's chromium over loopback.

The time is taken in the page with ``performance.now()``: from the moment a field's edit is
committed (its ``input`` and ``change`` events, as when a user types a volume and leaves the field)
to the moment the page is ``ready`` again, i.e. the /charts answer has come back, the KPIs are
written and every chart has been redrawn by plotly.js.  The bound is on the median of five changes
of the default scenario; this machine is shared, so the test is skipped, saying so, when the load
average is over 4 (a measurement then says nothing about the page).
"""
from __future__ import annotations

import os
import statistics

import pytest

pytest.importorskip("playwright.sync_api")

from browser_support import CHROMIUM, chromium_available
from test_dashboard_browser import (TOKENS, guard, live, open_dashboard, page, playwright_browser,  # noqa: F401
                                    settle, shared_page)

pytestmark = [pytest.mark.browser,
              pytest.mark.skipif(not chromium_available(), reason=f"no chromium at {CHROMIUM}")]

MAX_MEDIAN_S = 1.0
MAX_LOAD = 4.0
VOLUMES = ["3B", "6B", "3B", "6B", "3B"]

# Commit each volume in turn; resolve with the ms until body[data-state] is "ready" again, and the
# closed option's total cost then drawn on the cumulative chart (to check the redraw is the new one).
MEASURE = """async ([selector, volumes]) => {
  const el = document.querySelector(selector);
  const closedTotal = () => {
    const t = document.getElementById('chart-cumulative_cost')._fullData
      .find((d) => d.meta && d.meta.option === 'closed' && d.meta.kind === 'cost');
    return t.y[t.y.length - 1];
  };
  const out = [];
  for (const v of volumes) {
    const ready = new Promise((resolve) => {
      const mo = new MutationObserver(() => {
        if (document.body.dataset.state === 'ready') { mo.disconnect(); resolve(performance.now()); }
      });
      mo.observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
    });
    const t0 = performance.now();
    el.value = v;
    el.dispatchEvent(new Event('input', { bubbles: true }));
    el.dispatchEvent(new Event('change', { bubbles: true }));
    const t1 = await ready;
    out.push({ ms: t1 - t0, closed_total: closedTotal(), api_ms: window.tcoTimings.api });
    await new Promise((r) => setTimeout(r, 400));      // the panels that follow the form have their turn
  }
  return out;
}"""


@pytest.fixture
def load_average() -> float:
    """The 1-minute load average; skips the test (before any page is opened) when it is over MAX_LOAD."""
    load = os.getloadavg()[0]
    if load > MAX_LOAD:
        pytest.skip(f"load average {load:.2f} > {MAX_LOAD}: this shared machine is too busy to time the page")
    return load


def test_a_change_redraws_kpis_and_charts_within_a_second(load_average, page, live):
    load = load_average
    open_dashboard(page, live.url)
    page.fill(TOKENS, "3B")
    assert settle(page) == "ready"
    got = page.evaluate(MEASURE, [TOKENS, VOLUMES])
    ms = [g["ms"] for g in got]
    print(f"\nchange -> redrawn [ms]: {[round(x) for x in ms]}, of which /charts [ms]: "
          f"{[round(g['api_ms']) for g in got]}, load average {load:.2f}")
    # the redraw is the new volume's: twice the tokens, twice the closed API bill (per-token prices)
    totals = [g["closed_total"] for g in got]
    assert totals[1] == pytest.approx(2 * totals[0], rel=1e-9)
    assert totals[2] == pytest.approx(totals[0], rel=1e-9)
    assert statistics.median(ms) < MAX_MEDIAN_S * 1000, ms
