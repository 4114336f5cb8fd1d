"""Scoping rules: channels, conditions, effective dates, tiers — each with its reason."""

from __future__ import annotations

import datetime as dt

import pytest

from brokersec.catalog import build_catalog, load_catalog_ref
from brokersec.scoping import scope

from .helpers import catalog_data, profile

TODAY = dt.date(2026, 11, 24)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog_ref()


def reasons(result, item_id):
    entry = next(e for e in result.entries if e.item.id == item_id)
    return entry.applicable, [r.code for r in entry.reasons], entry


def test_everything_applies_to_a_firm_with_every_channel_and_flag(catalog):
    result = scope(catalog, profile(), TODAY)
    assert len(result.applicable()) == 183
    assert result.excluded() == []


def test_firm_without_internet_ordering(catalog):
    result = scope(catalog, profile(channels=["voice", "traditional"]), TODAY)
    excluded = {e.item.id for e in result.excluded()}
    assert excluded == {i.id for i in catalog.assessable() if i.channel_restricted}
    applies, codes, entry = reasons(result, "CC-11000.3")
    assert not applies and codes == ["channel"]
    assert "網際網路下單" in entry.reasons[0].zh and "internet ordering" in entry.reasons[0].en
    # CC-17010 a, b and e apply to every firm, the rest of CC-17010 only to internet-order firms
    assert reasons(result, "CC-17010.a.e")[0] and reasons(result, "CC-17010.e.h")[0]
    assert not reasons(result, "CC-17010.i.d")[0]


def test_firm_that_is_not_a_broker(catalog):
    result = scope(catalog, profile(channels=[], brokerage=False), TODAY)
    applies, codes, _ = reasons(result, "CC-17020.e")
    assert not applies and codes == ["condition"]
    assert not reasons(result, "CC-20000.3")[0]
    assert not reasons(result, "CC-19000.9")[0]  # internet-only
    assert reasons(result, "CC-12000.1")[0]


@pytest.mark.parametrize("flag", sorted(set(load_catalog_ref().conditions) - {"brokerage"}))
def test_each_condition_flag_brings_in_exactly_its_items(catalog, flag):
    needing = {i.id for i in catalog.assessable() if flag in i.conditions}
    assert needing, f"no item uses {flag}"
    off = scope(catalog, profile(flags={flag: False}), TODAY)
    assert {e.item.id for e in off.excluded()} == needing
    for entry in off.excluded():
        assert [r.code for r in entry.reasons] == ["condition"]
        assert flag in entry.reasons[0].zh
    on = scope(catalog, profile(flags={flag: True}), TODAY)
    assert needing <= set(on.applicable_ids())


def test_effective_dates(catalog):
    early = scope(catalog, profile(), dt.date(2021, 12, 31))
    applies, codes, entry = reasons(early, "CC-12000.8")
    assert not applies and codes == ["not_effective"] and "2022-01-31" in entry.reasons[0].zh
    mid = scope(catalog, profile(), dt.date(2022, 6, 30))
    applies, codes, entry = reasons(mid, "CC-12000.8")
    assert applies and "milestone" in codes  # adopted; certification due from 2023-01-31
    assert not reasons(mid, "CC-13000.6")[0]
    assert reasons(scope(catalog, profile(), dt.date(2023, 1, 31)), "CC-13000.6")[0]


def test_all_exclusion_reasons_are_listed(catalog):
    result = scope(catalog, profile(channels=["voice"], flags={"mobile_app": False}), dt.date(2021, 1, 1))
    _, codes, _ = reasons(result, "CC-19000.11.c.a")
    assert codes == ["channel", "condition"]
    _, codes, _ = reasons(result, "CC-17010.i.f")
    assert codes == ["channel", "not_effective"]


def test_tier_dependent_items_carry_a_tier_note(catalog):
    _, codes, entry = reasons(scope(catalog, profile(security_tier=3), TODAY), "CC-17010.i.a")
    assert "tier_note" in codes and "第 3 級" in entry.reasons[codes.index("tier_note")].zh


def test_a_tier_table_can_exclude_an_item_for_a_tier():
    data = catalog_data()
    node = next(n for n in data["nodes"] if n["id"] == "CC-17010.i.e")
    node["tier_requirements"] = [
        {"tier": 1, "applicable": True, "text_zh": "應設置應用程式防火牆", "text_en": "shall deploy a WAF"},
        {"tier": 3, "applicable": False},
    ]
    catalog = build_catalog(data)
    assert not reasons(scope(catalog, profile(security_tier=3), TODAY), "CC-17010.i.e")[0]
    applies, codes, entry = reasons(scope(catalog, profile(security_tier=1), TODAY), "CC-17010.i.e")
    assert applies and "應設置應用程式防火牆" in entry.reasons[codes.index("tier_note")].zh


def test_scope_is_pure_and_serialisable(catalog):
    a = scope(catalog, profile(), TODAY).to_dict()
    b = scope(catalog, profile(), TODAY).to_dict()
    assert a == b
    assert a["applicable"] + a["not_applicable"] == 183
