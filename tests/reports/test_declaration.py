"""The annual declaration draft (資訊安全整體執行情形聲明書): deadline, data, DOCX and PDF read back."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from docx import Document

from brokersec.cli import main
from brokersec.errors import InputError
from brokersec.reports.deadlines import declaration_deadline, fiscal_year, roc_date, roc_year
from brokersec.reports.declaration import (
    SIGNATORIES,
    declaration_data,
    render_declaration_docx,
    render_declaration_pdf,
)

from .test_inspection_pdf import FIRM, assert_cjk_font_embedded, flat, pdf_text, worked_site

ROLES = ["負責資訊安全之最高主管", "董事長", "總經理", "稽核主管"]
TODAY = dt.date(2026, 11, 24)


# ---------------------------------------------------------------- the deadline (pure)


@pytest.mark.parametrize(
    ("year", "end_month", "deadline"),
    [
        (2026, 12, dt.date(2027, 3, 31)),
        (2025, 12, dt.date(2026, 3, 31)),
        (2026, 6, dt.date(2026, 9, 30)),
        (2027, 11, dt.date(2028, 2, 29)),  # leap year: end of February
        (2026, 11, dt.date(2027, 2, 28)),
    ],
)
def test_declaration_deadline_is_three_months_after_the_fiscal_year(
    year: int, end_month: int, deadline: dt.date
) -> None:
    assert declaration_deadline(year, end_month) == deadline


def test_fiscal_year_and_roc_dates() -> None:
    assert fiscal_year(2026) == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    assert fiscal_year(2026, 6) == (dt.date(2025, 7, 1), dt.date(2026, 6, 30))
    assert declaration_deadline(2026) == dt.date(2027, 3, 31)
    assert roc_year(2026) == 115
    assert roc_date(dt.date(2027, 3, 31)) == "民國116年3月31日"
    assert roc_date("2027-03-05") == "民國116年3月5日"
    assert roc_date(None) == "民國　　年　　月　　日"
    with pytest.raises(ValueError):
        fiscal_year(2026, 13)


# ---------------------------------------------------------------- the data


@pytest.fixture(scope="module")
def documents_site(site_template, tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from worked_site(site_template, tmp_path_factory)


@pytest.fixture(scope="module")
def data(documents_site):  # type: ignore[no-untyped-def]
    return declaration_data(documents_site.records, documents_site.org_id, documents_site.year, today=TODAY)


def test_declaration_data_from_the_year(data, documents_site) -> None:  # type: ignore[no-untyped-def]
    json.dumps(data)
    year = documents_site.year
    assert data["deadline"] == f"{year + 1}-03-31"
    assert data["board_approved_on"] is None
    in_year = [i for i in documents_site.inspections if i["period_start"][:4] == str(year)]
    monthly = next(e for e in data["execution"] if e["frequency"] == "monthly")
    assert monthly["owed"] == 12
    assert monthly["started"] == monthly["completed"] == sum(i["frequency"] == "monthly" for i in in_year)
    assert len(monthly["missing"]) == 12 - monthly["started"]
    assert data["inspections"] == len(in_year)
    f = data["findings"]
    assert f["opened"] == f["closed"] + f["open"] and f["closed"] == 1
    assert f["overdue"] >= 1  # the worked finding was due 2026-10-31
    assert f["escalations"] >= 1 and documents_site.worked["id"] in {e["id"] for e in data["escalations"]}
    worked = next(d for d in data["open_deficiencies"] if d["id"] == documents_site.worked["id"])
    assert worked["escalation"] == ["嚴重程度高"]
    ids = {d["id"] for d in data["open_deficiencies"]}
    assert documents_site.worked["id"] in ids and documents_site.closed["id"] not in ids
    assert [s["title_zh"] for s in data["signatories"]] == ROLES == [t for _r, t in SIGNATORIES]


def test_no_inspections_in_the_year_is_an_input_error(documents_site) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="no inspection in fiscal year 2019"):
        declaration_data(documents_site.records, documents_site.org_id, 2019)


# ---------------------------------------------------------------- DOCX read back with python-docx


def docx_paragraphs(blob: bytes) -> tuple[list[str], list[str]]:
    doc = Document(io.BytesIO(blob))
    cells = [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return [p.text for p in doc.paragraphs], cells


def test_docx_draft(data, documents_site) -> None:  # type: ignore[no-untyped-def]
    paragraphs, cells = docx_paragraphs(render_declaration_docx(data))
    text = "\n".join(paragraphs)
    assert "資訊安全整體執行情形聲明書" in paragraphs
    assert FIRM in paragraphs
    roc = documents_site.year - 1911
    assert f"民國{roc}年度（民國{roc}年1月1日至民國{roc}年12月31日）" in paragraphs
    for role in ROLES:
        assert any(p.startswith(f"{role}：") and "（簽章）" in p for p in paragraphs), role
    assert "本聲明書經本公司民國　　年　　月　　日董事會通過。" in paragraphs  # blank to fill in
    assert f"本年度期限為民國{roc + 1}年3月31日" in text
    assert f"已評定項目 {data['conformity']['assessed']} 項" in text
    assert f"本年度查核發現缺失 {data['findings']['opened']} 項，已改善結案 1 項" in text
    worked = documents_site.worked
    assert any(worked["item_id"] in c for c in cells)
    assert any(c == "王小明（資訊安全專員）" for c in cells)
    assert any(c.startswith("改善中（逾期 24 天）；應陳報：嚴重程度高") for c in cells)
    assert "每月查核" in cells


def test_docx_with_board_date(documents_site) -> None:  # type: ignore[no-untyped-def]
    data = declaration_data(
        documents_site.records,
        documents_site.org_id,
        documents_site.year,
        today=TODAY,
        board_approved_on=dt.date(documents_site.year + 1, 3, 20),
    )
    paragraphs, _ = docx_paragraphs(render_declaration_docx(data))
    roc = documents_site.year - 1911 + 1
    assert f"本聲明書經本公司民國{roc}年3月20日董事會通過。" in paragraphs


# ---------------------------------------------------------------- PDF read back with pdftotext


def test_pdf_draft(data, documents_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdf = render_declaration_pdf(data)
    text = flat(pdf_text(pdf, tmp_path))
    assert "資訊安全整體執行情形聲明書" in text and FIRM in text and "草稿" in text
    for role in ROLES:
        assert role in text
    roc = documents_site.year - 1911
    assert f"本年度期限為民國{roc + 1}年3月31日" in text
    assert documents_site.worked["item_id"] in text
    assert "第1頁，共" in text
    assert_cjk_font_embedded(pdf, tmp_path)


# ---------------------------------------------------------------- the CLI


def test_cli_declaration(documents_site, tmp_path: Path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BROKERSEC_DATABASE_URL", documents_site.url)
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(documents_site.data))
    year = str(documents_site.year)
    docx_file = tmp_path / "聲明書.docx"
    assert main(["report", "declaration", "--org", "04595257", "--year", year, "-o", str(docx_file)]) == 0
    paragraphs, _ = docx_paragraphs(docx_file.read_bytes())
    assert "資訊安全整體執行情形聲明書" in paragraphs
    pdf_file = tmp_path / "draft.bin"
    args = ["report", "declaration", "--org", "04595257", "--year", year, "--format", "pdf", "-o", str(pdf_file)]
    assert main([*args, "--board-date", f"{documents_site.year + 1}-03-20"]) == 0
    assert pdf_file.read_bytes().startswith(b"%PDF-")
    capsys.readouterr()
    assert main(["report", "declaration", "--org", "04595257", "--year", year, "-o", str(tmp_path / "x.txt")]) == 2
    assert "--format" in capsys.readouterr().err
    assert main(["report", "declaration", "--org", "nope", "--year", year, "-o", str(docx_file)]) == 2
    assert main(["report", "declaration", "--org", "04595257", "--year", "2019", "-o", str(docx_file)]) == 2
    assert "no inspection in fiscal year 2019" in capsys.readouterr().err
    assert main([*args, "--board-date", "31/03/2027"]) == 2


def test_declaration_anchors_the_audit_chain(site):  # type: ignore[no-untyped-def]
    """The chain's last hash goes into the board-approved document: an anchor outside the system."""
    import io as _io

    from docx import Document

    from brokersec.reports.declaration import declaration_data, render_declaration_docx

    recs = site.records
    year = recs.list_inspections(site.org_id)[-1]["period_start"][:4]
    data = declaration_data(recs, site.org_id, int(year))
    head = recs.verify_chain().head_hash
    text = "\n".join(p.text for p in Document(_io.BytesIO(render_declaration_docx(data))).paragraphs)
    assert head and head in text and "雜湊鏈驗證完整" in text
