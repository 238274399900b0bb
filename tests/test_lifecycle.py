"""Prices over time (tco.lifecycle): promotions, scheduled changes, shutdowns and successors, by hand."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tco.catalog import Catalog, _frame, row_schema
from tco.lifecycle import (BEFORE_FIRST, ENDED, IN_FORCE, UNKNOWN, lookup_rows, month_bounds, price_schedule)
from tco.tables import TABLE_NAMES, TABLES

SRC = "https://example.com/pricing"


def make_catalog(rows: dict[str, list[dict]], as_of: str = "2026-12-01") -> Catalog:
    """A catalog held in memory: each row validated by the table's schema, like the CSV loader does."""
    history = {n: _frame(TABLES[n], [row_schema(TABLES[n]).load({"source_url": SRC, **r}) for r in rows.get(n, [])])
               for n in TABLE_NAMES}
    return Catalog(history, dt.date.fromisoformat(as_of))


def api(model_id, usd_in, usd_out, date, **kw):
    return dict(provider="vendor", model_id=model_id, display_name=model_id, usd_per_mtok_input=str(usd_in),
                usd_per_mtok_output=str(usd_out), open_weights="false", effective_date=date, **kw)


def life(model_id, shutdown=None, successor=None, deprecation=None, date="2026-11-01"):
    row = dict(provider="vendor", model_id=model_id, effective_date=date)
    for col, val in (("shutdown_date", shutdown), ("successor_model_id", successor),
                     ("deprecation_date", deprecation)):
        if val is not None:
            row[col] = val
    return row


def inputs(s):
    return s.prices["usd_per_mtok_input"].tolist()


# ------------------------------------------------------------------ the three cases of the issue

def test_promotion_ending_in_month_3_bills_months_0_to_2_at_the_promotion():
    # Start 2027-01-01: month 3 is April 2027.  The promotion (1.25 / 5) runs until 2027-04-15
    # (exclusive); the list price 2.5 / 10 is dated 2027-04-15, inside month 3, so month 3 is
    # billed at list (a month is priced on its last day, 2027-04-30).
    cat = make_catalog({"api_prices": [
        api("model-a", 1.25, 5, "2026-11-01", promotion="true", effective_until="2027-04-15"),
        api("model-a", 2.5, 10, "2027-04-15")]})
    s = price_schedule(cat, "model-a", "2027-01-01", 12)
    assert inputs(s) == [1.25] * 3 + [2.5] * 9
    assert s.prices["usd_per_mtok_output"].tolist() == [5.0] * 3 + [10.0] * 9
    assert not s.flagged.any()
    (event,) = s.events
    assert (event.month, event.kind, event.date) == (3, "promotion_ends", "2027-04-15")
    assert event.message == ("months 4-12 priced at model-a's list price from 2027-04-15: its promotion ends "
                             "2027-04-14 (usd_per_mtok_input 1.25 -> 2.5 USD/1M tokens, "
                             "usd_per_mtok_output 5 -> 10 USD/1M tokens)")
    # Priced on each month's first day instead, April 1st still has the promotion: 0-3 promotion.
    first = price_schedule(cat, "model-a", "2027-01-01", 12, price_day="first")
    assert inputs(first) == [1.25] * 4 + [2.5] * 8


def test_shutdown_in_month_1_bills_the_successor_from_month_1():
    # Start 2026-12-01, 36 months: month 1 is January 2027, which holds the shutdown on 2027-01-14.
    cat = make_catalog({
        "api_prices": [api("gpt-old", 2.5, 10, "2024-10-01"), api("gpt-new", 1.75, 14, "2026-06-01")],
        "model_lifecycle": [life("gpt-old", shutdown="2027-01-14", successor="gpt-new")]})
    s = price_schedule(cat, "gpt-old", "2026-12-01", 36)
    assert s.model_id.tolist() == ["gpt-old"] + ["gpt-new"] * 35
    assert inputs(s) == [2.5] + [1.75] * 35
    assert s.prices["usd_per_mtok_output"].tolist() == [10.0] + [14.0] * 35
    assert [e.message for e in s.events] == ["months 2-36 priced at gpt-new: gpt-old shuts down 2027-01-14"]
    # Priced on each month's first day, January 1st still has gpt-old: the successor from month 2.
    first = price_schedule(cat, "gpt-old", "2026-12-01", 36, price_day="first")
    assert first.model_id.tolist() == ["gpt-old"] * 2 + ["gpt-new"] * 34
    assert first.messages() == ["months 3-36 priced at gpt-new: gpt-old shuts down 2027-01-14"]


def test_scheduled_increase():
    # 2.5 / 10 since 2025; an increase to 3 / 12 announced for 2027-07-01 (month 6 from 2027-01-01).
    cat = make_catalog({"api_prices": [api("model-a", 2.5, 10, "2025-01-01"), api("model-a", 3, 12, "2027-07-01")]})
    s = price_schedule(cat, "model-a", "2027-01-01", 12)
    assert inputs(s) == [2.5] * 6 + [3.0] * 6
    assert s.effective_date.astype(str).tolist() == ["2025-01-01"] * 6 + ["2027-07-01"] * 6
    assert s.messages() == ["months 7-12 priced at model-a's price from 2027-07-01: usd_per_mtok_input 2.5 -> 3 "
                            "USD/1M tokens, usd_per_mtok_output 10 -> 12 USD/1M tokens"]
    # The same table through the row lookup of Catalog.at on each pricing day (the month's last day).
    days = month_bounds("2027-01-01", 12)[1:] - np.timedelta64(1, "D")
    assert inputs(s) == [cat.at(str(d)).api_price("model-a")["usd_per_mtok_input"] for d in days]


# ------------------------------------------------------------------ more switches

def test_shutdown_without_successor_keeps_the_last_price_flagged():
    # Shutdown 2027-03-01 (month 2 from 2027-01-01), no successor.  A row dated after the shutdown
    # (9 / 9 from 2027-04-01) must not be used: months 2-5 keep 2.5 / 10, flagged.
    cat = make_catalog({
        "api_prices": [api("model-a", 2.5, 10, "2025-01-01"), api("model-a", 9, 9, "2027-04-01")],
        "model_lifecycle": [life("model-a", shutdown="2027-03-01")]})
    s = price_schedule(cat, "model-a", "2027-01-01", 6)
    assert inputs(s) == [2.5] * 6
    assert s.flagged.tolist() == [False, False, True, True, True, True]
    (event,) = s.events
    assert (event.month, event.kind) == (2, "shutdown_no_successor")
    assert event.message == ("months 3-6 keep model-a's last price (flagged): model-a shuts down 2027-03-01 and the "
                             "catalog names no successor; choose a replacement")


def test_successor_chain_with_its_own_promotion_and_shutdown():
    # a -> b on 2027-02-10 (month 2 from 2026-12-01); b's promotion (1 / 4) ends 2027-05-01 (month 5)
    # and b shuts down 2027-09-30 (month 9) -> c at 0.5 / 2.
    cat = make_catalog({
        "api_prices": [api("a", 3, 15, "2025-01-01"),
                       api("b", 1, 4, "2026-10-01", promotion="true", effective_until="2027-05-01"),
                       api("b", 2, 8, "2027-05-01"), api("c", 0.5, 2, "2027-01-01")],
        "model_lifecycle": [life("a", shutdown="2027-02-10", successor="b", deprecation="2026-12-15"),
                            life("b", shutdown="2027-09-30", successor="c")]})
    s = price_schedule(cat, "a", "2026-12-01", 12)
    assert s.model_id.tolist() == ["a"] * 2 + ["b"] * 7 + ["c"] * 3
    assert inputs(s) == [3.0] * 2 + [1.0] * 3 + [2.0] * 4 + [0.5] * 3
    assert [(e.month, e.kind) for e in s.events] == [
        (0, "deprecation"), (2, "shutdown"), (5, "promotion_ends"), (9, "shutdown")]
    assert s.events[0].message == "a is deprecated from 2026-12-15; it shuts down 2027-02-10"
    assert s.events[1].message == "months 3-9 priced at b: a shuts down 2027-02-10"
    assert s.events[2].message.startswith("months 6-9 priced at b's list price from 2027-05-01: its promotion ends "
                                          "2027-04-30")
    assert s.events[3].message == "months 10-12 priced at c: b shuts down 2027-09-30"


def test_row_ending_with_no_later_row_keeps_the_last_price_flagged():
    cat = make_catalog({"api_prices": [api("img-like", 2, 8, "2025-04-23", effective_until="2027-03-10")]})
    s = price_schedule(cat, "img-like", "2027-01-01", 4)
    assert inputs(s) == [2.0] * 4 and s.flagged.tolist() == [False, False, True, True]
    assert s.messages() == ["months 3-4 keep img-like's last price (flagged): its price ends 2027-03-09 with no "
                            "later row"]


def test_start_before_the_first_price_uses_it_flagged():
    cat = make_catalog({"api_prices": [api("new", 4, 16, "2027-03-01")]})
    s = price_schedule(cat, "new", "2027-01-01", 4)
    assert inputs(s) == [4.0] * 4 and s.flagged.tolist() == [True, True, False, False]
    assert s.messages() == ["months 1-2 priced at new's first price (flagged): it has no price before 2027-03-01"]


def test_shut_down_before_the_start_is_the_successor_from_month_0():
    cat = make_catalog({
        "api_prices": [api("old", 5, 15, "2024-05-13"), api("new", 1, 2, "2025-01-01")],
        "model_lifecycle": [life("old", shutdown="2026-06-01", successor="new")]})
    s = price_schedule(cat, "old", "2026-12-01", 3)
    assert s.model_id.tolist() == ["new"] * 3
    assert s.messages() == ["months 1-3 priced at new: old shuts down 2026-06-01"]


def test_successor_loop_stops_and_is_flagged():
    cat = make_catalog({
        "api_prices": [api("x", 1, 1, "2025-01-01"), api("y", 2, 2, "2025-01-01")],
        "model_lifecycle": [life("x", shutdown="2027-01-10", successor="y"),
                            life("y", shutdown="2027-02-10", successor="x")]})
    s = price_schedule(cat, "x", "2026-12-01", 4)
    assert s.model_id.tolist() == ["x", "y", "y", "y"] and s.flagged.tolist() == [False, False, True, True]
    assert "its successor x is already in the chain" in s.events[-1].message


def test_names_users_have_and_other_tables():
    cat = make_catalog({
        "api_prices": [api("model-a", 2.5, 10, "2025-01-01")],
        "model_aliases": [dict(alias="vendor/model-a-latest", model_id="model-a", namespace="litellm")],
        "image_prices": [dict(provider="v", model_id="img", display_name="Img", size="any", quality="high",
                              usd_per_image="0.17", effective_date="2025-01-01"),
                         dict(provider="v", model_id="img", display_name="Img", size="any", quality="high",
                              usd_per_image="0.13", effective_date="2027-02-01")],
        "seat_prices": [dict(provider="v", product_id="seat", display_name="Seat", usd_per_seat_month="25",
                             billing_term="annual", min_seats="1", effective_date="2024-01-10"),
                        dict(provider="v", product_id="seat", display_name="Seat", usd_per_seat_month="20",
                             billing_term="annual", min_seats="1", effective_date="2027-01-15")]})
    assert price_schedule(cat, "openrouter/vendor/model-a-latest", "2027-01-01", 2).model_id.tolist() == ["model-a"] * 2
    img = price_schedule(cat, "img", "2027-01-01", 3, table="image_prices", key={"size": "1024x1024", "quality": "high"})
    assert img.prices["usd_per_image"].tolist() == [0.17, 0.13, 0.13]
    seat = price_schedule(cat, "seat", "2027-01-01", 2, table="seat_prices")
    assert seat.prices["usd_per_seat_month"].tolist() == [20.0, 20.0]     # the cut on 01-15 is inside month 0


@pytest.mark.parametrize("kwargs,exc,fragment", [
    ({"months": 0}, ValueError, "months: must be a whole number from 1 to 1200"),
    ({"months": 1.5}, ValueError, "months: must be a whole number"),
    ({"months": True}, ValueError, "months: must be a whole number"),
    ({"price_day": "middle"}, ValueError, "price_day: must be 'first' or 'last'"),
    ({"table": "gpus"}, ValueError, "table: must be one of api_prices"),
    ({"start": "soon"}, ValueError, "not a valid date"),
    ({"model_id": "model-b"}, KeyError, "closest: model-a"),
])
def test_bad_arguments_name_the_field(kwargs, exc, fragment):
    cat = make_catalog({"api_prices": [api("model-a", 1, 1, "2025-01-01")]})
    args = {"model_id": "model-a", "start": "2027-01-01", "months": 3, **kwargs}
    with pytest.raises(exc, match=fragment):
        price_schedule(cat, args.pop("model_id"), args.pop("start"), args.pop("months"), **args)


# ------------------------------------------------------------------ the row lookup and the months

def test_lookup_rows_statuses():
    cat = make_catalog({"api_prices": [api("a", 1, 1, "2026-01-01"), api("a", 2, 2, "2026-06-01",
                                                                         effective_until="2026-09-01")]})
    pos, status = lookup_rows(cat.history["api_prices"], ["a", "a", "a", "zz"],
                              ["2025-01-01", "2026-08-31", "2026-09-01", "2026-01-01"])
    assert pos.tolist() == [0, 1, 1, -1]
    assert status.tolist() == [BEFORE_FIRST, IN_FORCE, ENDED, UNKNOWN]


@given(st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)), st.integers(1, 240))
def test_month_bounds_are_calendar_months(start, months):
    b = month_bounds(start, months)
    lengths = np.diff(b).astype(int)
    assert len(b) == months + 1 and str(b[0]) == start.isoformat()
    assert lengths.min() >= 28 and lengths.max() <= 31
    assert lengths.sum() == (b[-1] - b[0]).astype(int)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 48), st.integers(1, 400), st.booleans()), min_size=1, max_size=6,
                unique_by=lambda t: t[0]),
       st.integers(0, 30), st.integers(1, 30))
def test_schedule_matches_the_catalog_in_force_on_each_pricing_day(rows, start_offset, months):
    # Rows dated some months after 2026-01-01 (some ending 10 days later); every month the schedule
    # uses exactly the row Catalog.at() has in force on that month's last day, or flags the month.
    base = np.datetime64("2026-01-01")
    recs = []
    for month, cents, ends in rows:
        day = (base.astype("datetime64[M]") + month).astype("datetime64[D]") + 5
        extra = {"effective_until": str(day + 10)} if ends else {}
        recs.append(api("m", cents / 100, cents / 50, str(day), **extra))
    cat = make_catalog({"api_prices": recs})
    start = str((base.astype("datetime64[M]") + start_offset).astype("datetime64[D]"))
    s = price_schedule(cat, "m", start, months)
    for m, day in enumerate(month_bounds(start, months)[1:] - np.timedelta64(1, "D")):
        in_force = cat.at(str(day)).api_prices
        if len(in_force):
            assert not s.flagged[m] and s.prices["usd_per_mtok_input"][m] == in_force["usd_per_mtok_input"].iloc[0]
        else:
            assert s.flagged[m]


def test_event_months_are_counted_from_1_like_the_kpis_and_the_verdict():
    # gpt-old shuts down 2027-01-14, inside month index 1 (January 2027) from 2026-12-01.  The
    # dashboard's KPIs (format.js fmtMonth: index + 1) and the verdict (report.fmt_months) call that
    # index "month 2", so the event says "months 2-36" for indices 1..35 -- not "months 1-35".
    from tco.report import fmt_months
    cat = make_catalog({
        "api_prices": [api("gpt-old", 2.5, 10, "2024-10-01"), api("gpt-new", 1.75, 14, "2026-06-01")],
        "model_lifecycle": [life("gpt-old", shutdown="2027-01-14", successor="gpt-new")]})
    (event,) = price_schedule(cat, "gpt-old", "2026-12-01", 36).events
    assert event.month == 1                                        # the data field stays a 0-based index
    assert fmt_months(event.month) == "month 2"
    assert event.message.startswith("months 2-36 ")
    # A one-month horizon's switch in its only month reads "month 1".
    one = price_schedule(make_catalog({"api_prices": [api("a", 2, 8, "2026-01-01"), api("b", 1, 4, "2026-01-01")],
                                       "model_lifecycle": [life("a", shutdown="2026-11-01", successor="b")]}),
                         "a", "2026-12-01", 1)
    assert one.messages() == ["month 1 priced at b: a shuts down 2026-11-01"]


def test_steady_price_is_the_one_billed_most_months():
    from tco.lifecycle import steady_price
    # Promotion 1.25 until 2027-04-15 (inside month index 3), list 2.5 after: 3 promotion months
    # against 9 list months of 12 -> the list price, first billed in index 3 ("month 4").
    cat = make_catalog({"api_prices": [
        api("model-a", 1.25, 5, "2026-11-01", promotion="true", effective_until="2027-04-15"),
        api("model-a", 2.5, 10, "2027-04-15")]})
    assert steady_price(price_schedule(cat, "model-a", "2027-01-01", 12)) == \
        (3, "at model-a's list price, in force from month 4 (9 of 12 months)")
    # Over 6 months the promotion bills 3 and the list price 3: a tie goes to the later, list price.
    assert steady_price(price_schedule(cat, "model-a", "2027-01-01", 6))[0] == 3
    # Over 5 months the promotion bills 3 of 5: it stays the steady price.
    assert steady_price(price_schedule(cat, "model-a", "2027-01-01", 5)) == \
        (0, "at model-a's price, in force from month 1 (3 of 5 months)")
    # A shutdown with no successor: the kept (flagged) last price counts apart from the same price
    # before the shutdown: 2 months in force, then 4 flagged -> the flagged stretch, said so.
    gone = make_catalog({"api_prices": [api("model-a", 2.5, 10, "2025-01-01")],
                         "model_lifecycle": [life("model-a", shutdown="2027-03-01")]})
    m, note = steady_price(price_schedule(gone, "model-a", "2027-01-01", 6))
    assert m == 2 and note.startswith("at model-a's last price (flagged") and note.endswith("(4 of 6 months)")
