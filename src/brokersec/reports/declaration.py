"""The annual declaration (資訊安全整體執行情形聲明書) draft, as DOCX and PDF, from a year's records.

Each year the head of information security (負責資訊安全之最高主管), the chairman (董事長), the
president (總經理) and the chief auditor (稽核主管) sign a statement on the overall execution of
information security in the fiscal year, and the board approves it within three months after the
fiscal year ends (``deadlines.declaration_deadline``). brokersec drafts it: the inspections done per
frequency, conformity, deficiencies opened, closed and still open, escalations, the open
deficiencies one by one, the board-approval date (recorded, or a blank to fill in) and the four
signature lines.

``declaration_data`` gathers plain data from the records; ``render_declaration_docx`` (python-docx,
so the firm can edit the wording in Word) and ``render_declaration_pdf`` (WeasyPrint) render it.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import Counter
from typing import Any

from brokersec import calendar as cal
from brokersec.catalog.models import FREQUENCY_LABELS
from brokersec.errors import InputError, Problem
from brokersec.reports.deadlines import declaration_deadline, fiscal_year, roc_date, roc_year
from brokersec.reports.inspection_pdf import (
    CLOSED,
    FINDING_STATUS_ZH,
    SEVERITY_ZH,
    STATUS_ZH,
    _catalog,
    _env,
    _firm,
    _pdf,
    _rate,
)

SIGNATORIES = (
    ("ciso", "負責資訊安全之最高主管"),
    ("chairman", "董事長"),
    ("president", "總經理"),
    ("chief_auditor", "稽核主管"),
)
FREQUENCIES = ("annual", "semiannual", "monthly")
DOCX_FONT_ZH = "標楷體"  # what Taiwanese board papers are set in; Word substitutes where it is missing
DOCX_FONT_LATIN = "Times New Roman"


# ---------------------------------------------------------------- gathering


def declaration_data(
    records: Any,
    org: int | str,
    year: int,
    *,
    today: dt.date | None = None,
    fiscal_year_end_month: int = 12,
    board_approved_on: dt.date | None = None,
) -> dict[str, Any]:
    """What the declaration of fiscal year ``year`` states, as plain data.

    The board-approval date is ``board_approved_on`` if given, else the one recorded for the year
    (``Records.record_declaration``), else left blank to be filled in. Raises ``InputError`` when
    the firm has no inspection in the fiscal year.
    """
    today = today or dt.date.today()
    firm = _firm(records, org)
    if not 1912 <= year <= 9998:
        raise InputError(Problem(f"{year} is not a fiscal year", field="year"))
    start, end = fiscal_year(year, fiscal_year_end_month)
    stats = [
        s
        for s in records.inspection_stats(firm["id"])
        if dt.date.fromisoformat(s["period_start"]) >= start and dt.date.fromisoformat(s["period_end"]) <= end
    ]
    if not stats:
        raise InputError(Problem(f"{firm['name']} has no inspection in fiscal year {year}", field="year"))

    by_period = {s["period_id"]: s for s in stats}
    execution = []
    for freq in FREQUENCIES:
        owed = [
            p
            for y in sorted({start.year, end.year})
            for p in cal.periods_in_year(y, freq)  # type: ignore[arg-type]
            if p.start >= start and p.end <= end
        ]
        done = [p.id for p in owed if _complete(by_period.get(p.id))]
        started = [p.id for p in owed if p.id in by_period]
        execution.append(
            {
                "frequency": freq,
                "frequency_zh": FREQUENCY_LABELS[freq][0],
                "owed": len(owed),
                "started": len(started),
                "completed": len(done),
                "missing": [p.id for p in owed if p.id not in by_period],
                "unfinished": [pid for pid in started if pid not in done],
            }
        )

    counts: Counter[str] = Counter()
    for s in stats:
        counts.update(s["counts"])
    ids = {s["id"] for s in stats}
    all_findings = records.list_findings(firm["id"], today=today)
    year_findings = [f for f in all_findings if f["inspection_id"] in ids]
    open_findings = [f for f in all_findings if f["status"] not in CLOSED]
    escalations = records.escalations(firm["id"], today)
    versions = {i["id"]: i["catalog_version"] for i in records.list_inspections(firm["id"])}
    why = {e["id"]: [_escalation_zh(w) for w in e.get("escalation", [])] for e in escalations}

    recorded = None
    if board_approved_on is None and hasattr(records, "declarations"):
        recorded = records.declarations(firm["id"]).get(year)
    approved_on = board_approved_on.isoformat() if board_approved_on else (recorded or {}).get("board_approved_on")

    return {
        "kind": "declaration",
        "firm": firm,
        "year": year,
        "roc_year": roc_year(year),
        "fiscal_year_start": start.isoformat(),
        "fiscal_year_end": end.isoformat(),
        "deadline": declaration_deadline(year, fiscal_year_end_month).isoformat(),
        "board_approved_on": approved_on,
        "disclosed_on": (recorded or {}).get("disclosed_on"),
        "generated_on": today.isoformat(),
        "execution": execution,
        "inspections": len(stats),
        "conformity": {
            "counts": dict(counts),
            "assessed": sum(counts[s] for s in ("conform", "partial", "nonconform")),
            "rate": _rate(dict(counts)),
        },
        "findings": {
            "opened": len(year_findings),
            "closed": sum(f["status"] in CLOSED for f in year_findings),
            "open": sum(f["status"] not in CLOSED for f in year_findings),
            "open_all": len(open_findings),
            "overdue": sum(f["overdue_days"] > 0 for f in open_findings),
            "escalations": len(escalations),
        },
        "open_deficiencies": [
            {**_deficiency(f, versions.get(f["inspection_id"])), "escalation": why.get(f["id"], [])}
            for f in open_findings
        ],
        "escalations": [
            {"id": e["id"], "item": e["item_id"], "period": e["period"], "why": why[e["id"]]} for e in escalations
        ],
        "signatories": [{"role": role, "title_zh": title} for role, title in SIGNATORIES],
        "audit_anchor": _audit_anchor(records),
    }


def _audit_anchor(records: Any) -> dict[str, Any] | None:
    """The audit trail's tip as of the draft: written into a board-approved document, it anchors the
    hash chain outside the system, so a later rewrite of the whole chain would no longer match."""
    if not hasattr(records, "verify_chain"):
        return None
    report = records.verify_chain()
    return {"ok": report.ok, "entries": report.entries, "hash": report.head_hash}


def _escalation_zh(reason: str) -> str:
    """Records give escalation reasons in English (``overdue more than 30 days``, ``high severity``,
    ``repeat finding``); the declaration states them in Chinese."""
    import re

    if m := re.fullmatch(r"overdue more than (\d+) days", reason):
        return f"逾期超過 {m.group(1)} 天"
    if m := re.fullmatch(r"(\w+) severity", reason):
        return f"嚴重程度{SEVERITY_ZH.get(m.group(1), m.group(1))}"
    return {"repeat finding": "重複缺失"}.get(reason, reason)


def _complete(stat: dict[str, Any] | None) -> bool:
    return bool(stat) and stat["applicable"] > 0 and stat["approved"] >= stat["applicable"]  # type: ignore[index]


def _deficiency(f: dict[str, Any], catalog_version: str | None) -> dict[str, Any]:
    owner = f.get("owner")
    item = _catalog(catalog_version).items.get(f["item_id"]) if catalog_version else None
    text = (item.text_zh or item.title_zh or "") if item else ""
    return {
        "id": f["id"],
        "period": f.get("period"),
        "item": f["item_id"],
        "text_zh": text,
        "description": f.get("description") or "",
        "severity": f.get("severity"),
        "owner": {"name": owner["name"], "job_title": owner["job_title"]} if owner else None,
        "due_date": f.get("due_date"),
        "status": f.get("status"),
        "overdue_days": f.get("overdue_days") or 0,
        "repeat_of_id": f.get("repeat_of_id"),
    }


# ---------------------------------------------------------------- wording shared by DOCX and PDF


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f}%"


def statements(data: dict[str, Any]) -> dict[str, Any]:
    """The declaration's sentences, built once so the DOCX and the PDF say exactly the same."""
    firm, year = data["firm"], data["year"]
    period = f"{roc_date(data['fiscal_year_start'])}至{roc_date(data['fiscal_year_end'])}"
    c = data["conformity"]["counts"]
    f = data["findings"]
    done = "、".join(f"{e['frequency_zh']} {e['completed']}/{e['owed']} 期" for e in data["execution"])
    return {
        "title": "資訊安全整體執行情形聲明書",
        "subtitle": f"民國{data['roc_year']}年度（{period}）",
        "intro": (
            f"本公司依臺灣證券交易所「建立證券商資通安全檢查機制」，於民國{data['roc_year']}年度（西元{year}年）"
            f"辦理資訊安全自行檢查，謹就本年度資訊安全整體執行情形聲明如下："
        ),
        "execution": f"一、查核辦理情形：本年度應辦理之查核已完成覆核者為{done}（詳下表）。",
        "conformity": (
            f"二、查核結果：本年度共辦理查核 {data['inspections']} 次，已評定項目 {data['conformity']['assessed']} 項，"
            f"其中{STATUS_ZH['conform']} {c.get('conform', 0)} 項、{STATUS_ZH['partial']} {c.get('partial', 0)} 項、"
            f"{STATUS_ZH['nonconform']} {c.get('nonconform', 0)} 項，符合率 {_pct(data['conformity']['rate'])}。"
        ),
        "findings": (
            f"三、缺失改善：本年度查核發現缺失 {f['opened']} 項，已改善結案 {f['closed']} 項，尚未結案 {f['open']} 項；"
            f"截至{roc_date(data['generated_on'])}，全部尚未結案之缺失共 {f['open_all']} 項，其中逾期 {f['overdue']} 項，"
            f"應陳報之缺失 {f['escalations']} 項。"
        ),
        "open_heading": "四、尚未改善之缺失",
        "no_open": "截至本聲明書製作日，無尚未改善之缺失。",
        "conclusion": (
            f"本公司已依前述機制辦理資訊安全檢查，並就所發現之缺失訂定改善計畫、持續追蹤改善情形。"
            f"本聲明書將作為本公司{firm['name']}民國{data['roc_year']}年度資訊安全整體執行情形之說明。"
        ),
        "board": f"本聲明書經本公司{roc_date(data['board_approved_on'])}董事會通過。",
        "deadline": (
            f"依規定應於會計年度終了後三個月內提報董事會，本年度期限為{roc_date(data['deadline'])}"
            f"（{data['deadline']}）。"
        ),
        "audit": _audit_sentence(data.get("audit_anchor")),
        "addressee": "謹致　董事會",
        "signature_date": f"聲明日期：{roc_date(None)}",
    }


def _audit_sentence(anchor: dict[str, Any] | None) -> str:
    if not anchor:
        return ""
    state = "驗證完整" if anchor["ok"] else "驗證未通過，請查明"
    return (
        f"稽核軌跡：截至本聲明書製作日，系統稽核軌跡共 {anchor['entries']} 筆，雜湊鏈{state}；"
        f"末筆雜湊值 {anchor['hash']}，請留存於董事會紀錄，供日後比對。"
    )


def _severity(v: str | None) -> str:
    return SEVERITY_ZH.get(v or "", v or "—")


def _fstatus(d: dict[str, Any]) -> str:
    s = FINDING_STATUS_ZH.get(d["status"], d["status"])
    if d["overdue_days"]:
        s += f"（逾期 {d['overdue_days']} 天）"
    if d.get("escalation"):
        s += f"；應陳報：{'、'.join(d['escalation'])}"
    return s


def _owner(d: dict[str, Any]) -> str:
    o = d["owner"]
    return f"{o['name']}（{o['job_title']}）" if o else "未指定"


# ---------------------------------------------------------------- rendering


def render_declaration_html(data: dict[str, Any]) -> str:
    return (
        _env()
        .get_template("declaration.html")
        .render(data=data, s=statements(data), severity=_severity, fstatus=_fstatus, owner=_owner)
    )


def render_declaration_pdf(data: dict[str, Any]) -> bytes:
    """The declaration draft as PDF bytes, from ``declaration_data``'s dict."""
    return _pdf(render_declaration_html(data))


def render_declaration_docx(data: dict[str, Any]) -> bytes:
    """The declaration draft as an editable Word document (DOCX bytes)."""
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    s = statements(data)
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin = section.bottom_margin = Cm(2.0)

    def set_font(style: Any, size: float, bold: bool | None = None) -> None:
        style.font.name = DOCX_FONT_LATIN
        style.font.size = Pt(size)
        if bold is not None:
            style.font.bold = bold
        rpr = style.element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(rfonts)
        rfonts.set(qn("w:eastAsia"), DOCX_FONT_ZH)

    set_font(doc.styles["Normal"], 12)
    for name, size in (("Title", 18), ("Heading 1", 14), ("Heading 2", 12)):
        set_font(doc.styles[name], size, True)

    core = doc.core_properties
    core.title = f"{data['firm']['name']} {s['title']}（民國{data['roc_year']}年度）"
    core.subject = s["title"]
    core.author = "brokersec"
    core.language = "zh-TW"

    draft = doc.add_paragraph("草稿（DRAFT）— 待董事會通過後用印")
    draft.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    draft.runs[0].font.size = Pt(9)
    title = doc.add_paragraph(data["firm"]["name"], style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    heading = doc.add_paragraph(s["title"], style="Title")
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(s["subtitle"])
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(f"統一編號：{data['firm']['tax_id']}")
    doc.add_paragraph(s["intro"])

    def table(header: list[str], rows: list[list[str]]) -> None:
        t = doc.add_table(rows=1, cols=len(header))
        t.style = "Table Grid"
        t.alignment = WD_TABLE_ALIGNMENT.CENTER
        for cell, text in zip(t.rows[0].cells, header, strict=True):
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run.font.bold = True
        for row in rows:
            cells = t.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = text

    doc.add_paragraph(s["execution"])
    table(
        ["查核頻率", "應辦期數", "已辦理", "已完成覆核", "未辦理／未完成期間"],
        [
            [
                e["frequency_zh"],
                str(e["owed"]),
                str(e["started"]),
                str(e["completed"]),
                "、".join(e["missing"] + e["unfinished"]) or "—",
            ]
            for e in data["execution"]
        ],
    )
    doc.add_paragraph(s["conformity"])
    doc.add_paragraph(s["findings"])
    doc.add_paragraph(s["open_heading"], style="Heading 2")
    if data["open_deficiencies"]:
        table(
            ["缺失", "查核項目／缺失說明", "嚴重程度", "負責人", "預定完成日", "改善追蹤"],
            [
                [
                    f"#{d['id']}（{d['period']}）\n{d['item']}",
                    f"{d['text_zh']}\n{d['description']}".strip(),
                    _severity(d["severity"]),
                    _owner(d),
                    d["due_date"] or "—",
                    _fstatus(d),
                ]
                for d in data["open_deficiencies"]
            ],
        )
    else:
        doc.add_paragraph(s["no_open"])
    doc.add_paragraph(s["conclusion"])
    doc.add_paragraph(s["board"])
    doc.add_paragraph(s["deadline"])
    if s["audit"]:
        doc.add_paragraph(s["audit"])
    doc.add_paragraph(s["addressee"])
    doc.add_paragraph(f"{data['firm']['name']}")
    for sig in data["signatories"]:
        p = doc.add_paragraph(f"{sig['title_zh']}：＿＿＿＿＿＿＿＿＿＿（簽章）")
        p.paragraph_format.space_before = Pt(18)
    doc.add_paragraph(s["signature_date"])
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


__all__ = [
    "SIGNATORIES",
    "declaration_data",
    "render_declaration_docx",
    "render_declaration_pdf",
    "statements",
]
