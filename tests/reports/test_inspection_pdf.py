"""The 查核報告 PDF: rendered from plain data and from the seeded demo firm, read back with poppler."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest

from brokersec.cli import main
from brokersec.errors import InputError
from brokersec.reports.inspection_pdf import (
    chart_geometry,
    inspection_report_data,
    render_inspection_report,
    render_year_report,
    year_report_data,
)

FIRM = "範例證券股份有限公司"
FONT = "Noto-Sans-CJK-TC"  # how pdffonts names the embedded "Noto Sans CJK TC"


# ---------------------------------------------------------------- reading PDFs back (poppler)


def pdf_text(pdf: bytes, tmp_path: Path, name: str = "out.pdf") -> str:
    path = tmp_path / name
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def pdf_fonts(pdf: bytes, tmp_path: Path) -> list[dict[str, str]]:
    """pdffonts' table: name and the emb / sub / uni columns."""
    path = tmp_path / "fonts.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdffonts", str(path)], check=True, capture_output=True, text=True).stdout
    rows = []
    for line in out.splitlines()[2:]:
        parts = line.split()
        # name, type (1-3 words), encoding, emb, sub, uni, object, id
        rows.append({"name": parts[0], "emb": parts[-5], "sub": parts[-4], "uni": parts[-3]})
    return rows


def page_count(pdf: bytes, tmp_path: Path) -> int:
    path = tmp_path / "info.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.M).group(1))  # type: ignore[union-attr]


def flat(text: str) -> str:
    """pdftotext breaks long cells over lines; compare without whitespace."""
    return re.sub(r"\s+", "", text)


def assert_cjk_font_embedded(pdf: bytes, tmp_path: Path) -> None:
    fonts = pdf_fonts(pdf, tmp_path)
    assert fonts, "no fonts in the PDF"
    cjk = [f for f in fonts if FONT in f["name"]]
    assert cjk, f"Noto Sans CJK TC is not used: {fonts}"
    assert all(f["emb"] == "yes" for f in fonts), f"a font is not embedded: {fonts}"
    assert all(f["uni"] == "yes" for f in cjk), "no ToUnicode map: text would not extract"


# ---------------------------------------------------------------- a seeded firm with worked findings


def worked_site(site_template, tmp_path_factory):  # type: ignore[no-untyped-def]
    """A private copy of the seeded demo firm with worked findings: one with an owner, due date and
    recommendation, high severity, under remediation and overdue (so escalated); one verified."""
    from brokersec.records.service import Records

    data = tmp_path_factory.mktemp("documents") / "site"
    shutil.copytree(site_template.data, data)
    url = f"sqlite:///{data / 'brokersec.db'}"
    rec = Records.open(url, vault_root=data / "vault")
    org = site_template.org_id
    inspector, reviewer = rec.as_user("inspector"), rec.as_user("reviewer")
    findings = rec.list_findings(org)
    assert len(findings) >= 2, "the demo seed should open some findings"
    worked, closed = findings[-1], findings[0]
    inspector.update_finding(
        worked["id"],
        severity="high",
        recommendation="建議每日檢核防毒軟體病毒碼更新紀錄",
        owner="inspector",
        due_date="2026-10-31",
        remediation_plan="導入集中管理主控台並每週覆核",
    )
    inspector.start_remediation(worked["id"])
    inspector.mark_remediated(closed["id"], "已補齊相關紀錄")
    evidence = inspector.add_evidence(
        org, io.BytesIO(b"remediation record\n"), collected_at=dt.date.today(), original_name="fix.txt"
    )
    inspector.add_finding_evidence(closed["id"], evidence["id"])
    reviewer.verify_finding(closed["id"], "抽查無誤")
    inspections = rec.list_inspections(org)
    yield SimpleNamespace(
        records=rec,
        org_id=org,
        url=url,
        data=data,
        inspections=inspections,
        year=int(inspections[0]["period_start"][:4]),
        worked=rec.get_finding(worked["id"]),
        closed=rec.get_finding(closed["id"]),
    )
    rec.close()


@pytest.fixture(scope="module")
def documents_site(site_template, tmp_path_factory):  # type: ignore[no-untyped-def]
    yield from worked_site(site_template, tmp_path_factory)


# ---------------------------------------------------------------- rendering from plain data (no database)


def plain_data() -> dict:
    areas = [
        {
            "code": "CC-17000",
            "title_zh": "通訊與作業管理",
            "counts": {"conform": 8, "partial": 1, "nonconform": 1},
            "total": 10,
            "rate": 0.8,
        },
        {
            "code": "CC-18000",
            "title_zh": "存取控制",
            "counts": {"conform": 5, "not_checked": 1},
            "total": 6,
            "rate": 1.0,
        },
    ]
    return {
        "kind": "inspection",
        "generated_on": "2026-12-05",
        "firm": {"id": 1, "name": "測試證券股份有限公司", "name_en": "Test Securities", "tax_id": "12345675"},
        "inspection": {
            "id": 7,
            "period_id": "2026-11",
            "frequency": "monthly",
            "frequency_zh": "每月查核",
            "period_start": "2026-11-01",
            "period_end": "2026-11-30",
            "due": "2026-12-10",
            "catalog_version": "twse-2020-12-11",
            "scoped_on": "2026-11-30",
            "started_on": "2026-12-01",
            "completed_on": None,
            "applicable": 16,
            "recorded": 15,
            "approved": 14,
        },
        "scope": {
            "total": 17,
            "applicable": 16,
            "excluded": [
                {
                    "item": "CC-18000.3.h.b",
                    "text_zh": "採自訂交付電子密碼條方式之作業程序",
                    "reasons": ["僅適用於「以自訂方式交付電子密碼條」之公司"],
                },
            ],
        },
        "areas": areas,
        "totals": {
            "counts": {"conform": 13, "partial": 1, "nonconform": 1, "not_checked": 1},
            "total": 16,
            "rate": 13 / 15,
        },
        "findings": [
            {
                "id": 41,
                "item": "CC-17010.a.b",
                "text_zh": "應定期更新病毒碼",
                "period": "2026-11",
                "description": "病毒碼逾七日未更新",
                "severity": "high",
                "recommendation": "改為每日自動更新",
                "remediation_plan": "設定集中派送",
                "owner": {"name": "陳大文", "job_title": "系統管理師"},
                "due_date": "2026-12-31",
                "status": "in_progress",
                "overdue_days": 0,
                "repeat_of_id": 12,
                "opened_on": "2026-12-02",
                "closed_on": None,
            },
        ],
        "signoff": {
            "inspectors": [{"name": "王小明", "job_title": "資訊安全專員", "date": "2026-12-03"}],
            "reviewers": [{"name": "李美華", "job_title": "資訊部經理", "date": "2026-12-04"}],
        },
    }


def test_report_from_plain_data_reads_back_in_chinese(tmp_path: Path) -> None:
    pdf = render_inspection_report(plain_data())
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf, tmp_path)
    flat_text = flat(text)
    for expected in (
        "查核報告",
        "測試證券股份有限公司",
        "12345675",
        "2026-11每月查核報告",
        "twse-2020-12-11",
        "採自訂交付電子密碼條方式之作業程序",  # excluded item with its reason
        "僅適用於「以自訂方式交付電子密碼條」之公司",
        "CC-17000通訊與作業管理",  # summary table (and chart label)
        "應定期更新病毒碼",  # deficiency: item text, description, recommendation, owner, due, follow-up
        "病毒碼逾七日未更新",
        "改為每日自動更新",
        "陳大文（系統管理師）",
        "2026-12-31",
        "改善中",
        "重複缺失",
        "王小明",  # sign-off
        "資訊部經理",
        "尚有查核結果未完成覆核",
    ):
        assert expected in flat_text, expected
    pages = page_count(pdf, tmp_path)
    assert f"第 1 頁，共 {pages} 頁" in text
    assert f"第 {pages} 頁，共 {pages} 頁" in text
    assert_cjk_font_embedded(pdf, tmp_path)


def test_chart_geometry_fills_each_bar() -> None:
    data = plain_data()
    g = chart_geometry(data["areas"])
    assert len(g["rows"]) == 2
    for row in g["rows"]:
        assert sum(s["w"] for s in row["segments"]) == pytest.approx(g["plot_w"], abs=0.05)
        assert row["segments"][0]["x"] == g["label_w"]
    assert [s["count"] for s in g["rows"][0]["segments"]] == [8, 1, 1]


def test_report_without_findings_says_so(tmp_path: Path) -> None:
    data = plain_data()
    data["findings"] = []
    data["scope"]["excluded"] = []
    text = flat(pdf_text(render_inspection_report(data), tmp_path))
    assert "本期查核未發現缺失" in text
    assert "不適用項目及理由" not in text


# ---------------------------------------------------------------- from the records


def test_report_of_a_seeded_inspection(documents_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rec = documents_site.records
    ins_id = documents_site.worked["inspection_id"]
    data = inspection_report_data(rec, ins_id, today=dt.date(2026, 11, 24))
    json.dumps(data)  # plain data only
    i = data["inspection"]
    assert data["scope"]["applicable"] == i["applicable"] == sum(a["total"] for a in data["areas"])
    assert data["scope"]["total"] == data["scope"]["applicable"] + len(data["scope"]["excluded"])
    assert all(x["reasons"] for x in data["scope"]["excluded"])
    assert i["completed_on"] is not None  # the seed approves everything
    worked = next(f for f in data["findings"] if f["id"] == documents_site.worked["id"])
    assert worked["owner"]["name"] == "王小明" and worked["status"] == "in_progress"
    assert worked["overdue_days"] == (dt.date(2026, 11, 24) - dt.date(2026, 10, 31)).days
    assert {p["name"] for p in data["signoff"]["inspectors"]} == {"王小明"}
    assert {p["name"] for p in data["signoff"]["reviewers"]} == {"李美華"}

    pdf = render_inspection_report(data)
    text = flat(pdf_text(pdf, tmp_path))
    assert FIRM in text and "04595257" in text and "查核報告" in text
    assert f"{i['period_id']}每月查核報告" in text
    for x in data["scope"]["excluded"]:
        assert flat(x["text_zh"])[:20] in text
        assert flat(x["reasons"][0])[:15] in text
    assert flat(worked["text_zh"])[:20] in text
    assert "建議每日檢核防毒軟體病毒碼更新紀錄" in text
    assert f"逾期{worked['overdue_days']}天" in text
    assert "王小明" in text and "李美華" in text and "資訊安全專員" in text
    assert_cjk_font_embedded(pdf, tmp_path)


def test_year_report_covers_every_inspection(documents_site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    calls: list[tuple[int, int]] = []
    data = year_report_data(
        documents_site.records,
        documents_site.org_id,
        documents_site.year,
        today=dt.date(2026, 11, 24),
        progress=lambda n, total: calls.append((n, total)),
    )
    json.dumps(data)
    periods = [i["period_id"] for i in documents_site.inspections if i["period_start"][:4] == str(documents_site.year)]
    assert [d["inspection"]["period_id"] for d in data["inspections"]] == periods
    assert calls[-1] == (len(periods), len(periods))
    pdf = render_year_report(data)
    text = flat(pdf_text(pdf, tmp_path))
    assert f"{documents_site.year}年度查核報告" in text
    assert FIRM in text
    for period in periods:
        assert period in text
    closed = documents_site.closed
    assert f"#{closed['id']}" in text and "已驗證結案" in text
    n_findings = sum(len(d["findings"]) for d in data["inspections"])
    assert f"本年度缺失共{n_findings}項：已結案1項" in text
    assert_cjk_font_embedded(pdf, tmp_path)


def test_year_without_inspections_is_an_input_error(documents_site) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InputError, match="no inspection in 2019"):
        year_report_data(documents_site.records, documents_site.org_id, 2019)


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def cli_env(documents_site, monkeypatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BROKERSEC_DATABASE_URL", documents_site.url)
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(documents_site.data))
    return documents_site


def test_cli_report_pdf_and_year(cli_env, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    ins = cli_env.inspections[0]
    one = tmp_path / "report.pdf"
    assert main(["report", "pdf", "--inspection", str(ins["id"]), "-o", str(one)]) == 0
    assert f"{ins['period_id']}每月查核報告" in flat(pdf_text(one.read_bytes(), tmp_path, "a.pdf"))
    by_period = tmp_path / "by-period.pdf"
    assert main(["report", "pdf", "--inspection", ins["period_id"], "--org", "04595257", "-o", str(by_period)]) == 0
    year = tmp_path / "year.pdf"
    assert main(["report", "year", "--org", "04595257", "--year", str(cli_env.year), "-o", str(year)]) == 0
    assert "年度查核報告" in flat(pdf_text(year.read_bytes(), tmp_path, "b.pdf"))
    assert "year.pdf" in capsys.readouterr().err


def test_cli_report_errors(cli_env, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "x.pdf"
    assert main(["report", "pdf", "--inspection", "9999", "-o", str(out)]) == 2
    assert "no inspection 9999" in capsys.readouterr().err
    assert main(["report", "pdf", "--inspection", "2019-01", "--org", "04595257", "-o", str(out)]) == 2
    assert main(["report", "year", "--org", "99999999", "--year", "2026", "-o", str(out)]) == 2
    assert "no firm" in capsys.readouterr().err
    assert main(["report", "year", "--org", "04595257", "--year", "2019", "-o", str(out)]) == 2
    assert "no inspection in 2019" in capsys.readouterr().err
    assert main(["report", "year", "--org", "04595257", "--year", "2026"]) == 2  # no -o
    assert not out.exists()
