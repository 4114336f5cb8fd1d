"""The bundled catalog against the published text of the regulation (tests/fixtures/seed-*.txt)."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from brokersec.catalog import completeness_warnings, load_catalog_ref

from .helpers import SEED, VERSION


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def catalog():
    return load_catalog_ref(VERSION)


@pytest.fixture(scope="module")
def seed() -> str:
    return squeeze(SEED.read_text(encoding="utf-8"))


def test_counts(catalog):
    assert len(catalog.assessable()) == 183
    assert [a.id for a in catalog.areas()] == [
        "CC-11000", "CC-12000", "CC-13000", "CC-14000", "CC-15000", "CC-16000", "CC-17000",
        "CC-18000", "CC-19000", "CC-20000", "CC-21000", "CC-21100", "CC-22000",
    ]  # fmt: skip
    assert {i.id for i in catalog if i.parent in ("CC-17000", "CC-22000")} == {"CC-17010", "CC-17020", "CC-22010"}


def test_every_item_text_is_verbatim_from_the_seed(catalog, seed):
    for item in catalog:
        for text in (item.text_zh, item.effective_remark_zh):
            if text:
                assert squeeze(text) in seed, f"{item.id}: text_zh not found verbatim in the seed"


def test_no_seed_text_is_missing_from_the_catalog(catalog, seed):
    """Strike every catalog text out of the seed; only numbering and punctuation may remain."""
    rest = seed.replace("法規名稱：" + catalog.regulation.title_zh, "").replace("公布日期：民國109年12月11日", "")
    pieces = []
    for item in catalog:
        pieces += [item.text_zh, item.title_zh, item.scope_note_zh, item.effective_remark_zh]
    for piece in sorted((squeeze(p) for p in pieces if p), key=len, reverse=True):
        assert piece in rest, f"{piece[:30]}… not found (or claimed twice)"
        rest = rest.replace(piece, "", 1)
    leftover_cjk = re.findall(r"[\u4e00-\u9fff]", rest)
    assert leftover_cjk == [], f"seed text not in the catalog: {''.join(leftover_cjk)}"


@pytest.mark.parametrize(
    ("item_id", "starts"),
    [
        ("CC-11000.1", "應鑑別公司適用資訊安全風險範圍內"),
        ("CC-12000.2.a", "資訊安全之定義"),
        ("CC-17010.a.g", "系統應僅開啟必要之服務及程式"),
        ("CC-17020.b.c", "公司應建立系統最高權限帳號管理辦法"),
        ("CC-18000.3.h.a", "採一般電子方式交付電子密碼條"),
        ("CC-21100.2.c.d", "應建立帳號權限管理機制"),
        ("CC-22010.a", "各種重要法令規章及通知"),
    ],
)
def test_id_scheme(catalog, item_id, starts):
    item = catalog.get(item_id)
    assert item.assessable
    assert item.text_zh.startswith(starts)


def test_frequencies_follow_the_areas(catalog):
    expected = {
        "CC-11000": "annual", "CC-12000": "annual", "CC-13000": "annual", "CC-14000": "semiannual",
        "CC-15000": "semiannual", "CC-16000": "semiannual", "CC-17010": "monthly", "CC-17020": "semiannual",
        "CC-18000": "monthly", "CC-19000": "semiannual", "CC-20000": "semiannual", "CC-21000": "semiannual",
        "CC-21100": "annual", "CC-22010": "semiannual",
    }  # fmt: skip
    for item in catalog.assessable():
        assert item.frequency == expected[item.code], item.id


def test_internet_only_items_are_the_ones_the_seed_marks(catalog):
    internet_only = {i.id for i in catalog.assessable() if i.channel_restricted}
    expected = {i.id for i in catalog.assessable() if i.code == "CC-11000"}
    expected |= {"CC-14000.2", "CC-15000.5", "CC-19000.9"}
    expected |= {i.id for i in catalog.assessable() if i.id.startswith(("CC-19000.10.", "CC-19000.11."))}
    expected |= {
        i.id
        for i in catalog.assessable()
        if i.code == "CC-17010" and not i.id.startswith(("CC-17010.a.", "CC-17010.b.", "CC-17010.e."))
    }
    assert internet_only == expected
    assert all(catalog.get(i).channels == ("internet",) for i in internet_only)
    assert catalog.get("CC-17010.b.a").channels == ("internet", "voice", "traditional")


def test_effective_dates_and_milestones(catalog):
    isms = catalog.get("CC-12000.8")
    assert isms.effective_from == dt.date(2022, 1, 31)
    assert [m.date for m in isms.milestones] == [dt.date(2022, 1, 31), dt.date(2023, 1, 31)]
    assert "(" not in isms.text_zh and "生效" not in isms.text_zh
    assert catalog.get("CC-13000.6").effective_from == dt.date(2023, 1, 31)
    assert catalog.get("CC-17010.i.a").effective_from == dt.date(2022, 1, 31)
    assert {catalog.get(f"CC-17010.i.{c}").effective_from for c in "bcdef"} == {dt.date(2023, 1, 31)}
    dated = {i.id for i in catalog.assessable() if i.effective_from}
    assert dated == {"CC-12000.8", "CC-13000.6", "CC-14000.3", "CC-20000.4"} | {f"CC-17010.i.{c}" for c in "abcdef"}


def test_tier_dependent_items_say_so_in_the_text(catalog):
    for item in catalog.assessable():
        if "所屬資安分級" in (item.text_zh or ""):
            assert item.tier_dependent, item.id


def test_evidence_age_and_retention(catalog):
    assert catalog.get("CC-11000.3").max_evidence_age_days == 366
    assert catalog.get("CC-18000.2.f").max_evidence_age_days == 184
    assert catalog.get("CC-18000.3.f").max_evidence_age_days == 92
    assert catalog.get("CC-18000.4.c").retention_years == 3
    assert catalog.get("CC-17010.b.c").retention_years == 3
    for item in catalog.assessable():
        text = item.text_zh or ""
        if "每年至少" in text:
            assert item.max_evidence_age_days == 366, item.id


def test_conditions(catalog):
    assert catalog.get("CC-18000.5.d").conditions == ("public_company",)
    assert catalog.get("CC-21100.2.c.b").conditions == ("official_social_media",)  # inherited from 2.c
    assert catalog.get("CC-21100.4.f").conditions == ("iot",)
    assert catalog.get("CC-19000.11.c.b").conditions == ("mobile_app",)
    used = {c for i in catalog for c in i.conditions}
    assert used <= set(catalog.conditions)


def test_catalog_is_complete_in_both_languages(catalog):
    assert completeness_warnings(catalog) == []
    for item in catalog.assessable():
        assert item.text_en and item.evidence, item.id
        assert all(e.zh and e.en for e in item.evidence)
    assert all(i.deduction_grade is None for i in catalog)  # no source gives grades for this version
