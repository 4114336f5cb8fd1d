"""查核明細表 (inspection checklist) as an XLSX workbook, and its import back.

Writing: one row per item of an inspection (or, for an empty checklist, per item a firm owes in a
period, straight from scoping), with a header row that is frozen, filtered and repeated on every
printed page, a drop-down on the result column, A4 landscape fitted to the page width, an English
sheet beside the Chinese one, and a hidden, protected ``_brokersec`` sheet that says which firm,
inspection, period and catalog version the workbook belongs to.

Reading back (an inspector fills the workbook offline): the file is treated as hostile. It must be
a ZIP of bounded size and compression ratio, sheets are read in openpyxl's read-only mode with a cap
on rows and columns, formulas are never evaluated (a formula where a value belongs is an error), and
every problem is reported with its sheet, row and column. ``plan_import`` compares the rows with the
inspection's current results and keeps only those that changed; ``import_checklist`` applies them in
one transaction through ``Records.apply_results`` — or nothing at all when any row is wrong.

Pure apart from ``import_checklist``, which only calls the records object it is given.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import unicodedata
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from brokersec import calendar as cal
from brokersec.catalog import load_catalog_ref
from brokersec.catalog.models import FREQUENCY_LABELS, Catalog
from brokersec.errors import InputError, Problem
from brokersec.profile import FirmProfile
from brokersec.scoping import scope

FORMAT = "brokersec-checklist"
FORMAT_VERSION = 1
SHEET = "查核明細表"
SHEET_EN = "Checklist (EN)"
META_SHEET = "_brokersec"
HEADER_ROW = 4  # rows 1-3: title, firm and period, instructions

# result codes and their labels; the workbook shows the zh label, the import accepts any of the three
STATUS_LABELS: dict[str, tuple[str, str]] = {
    "conform": ("符合", "conform"),
    "nonconform": ("不符合", "nonconform"),
    "partial": ("部分符合", "partial"),
    "not_applicable": ("不適用", "not applicable"),
    "not_checked": ("未查核", "not checked"),
}
REVIEW_LABELS: dict[str, tuple[str, str]] = {
    "pending": ("待覆核", "pending review"),
    "approved": ("已覆核", "approved"),
    "returned": ("退回", "returned"),
}

# import limits: a checklist has a few hundred rows; anything far bigger is not one
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 32 * 1024 * 1024  # a real one is well under 1 MiB
MAX_MEMBER_RATIO = 200  # uncompressed / compressed, for members over 1 MiB
MAX_MEMBERS = 200
MAX_ROWS = 2000
MAX_COLS = 40
MAX_TEXT = 4000


@dataclass(frozen=True)
class Column:
    key: str
    zh: str
    en: str
    width: float
    editable: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("item", "項目編號", "Item", 13),
    Column("text", "查核項目", "Inspection item", 44),
    Column("scope", "適用性", "Applicability", 20),
    Column("frequency", "查核頻率", "Frequency", 9),
    Column("status", "查核結果", "Result", 10, editable=True),
    Column("note", "說明", "Note", 28, editable=True),
    Column("na_reason", "不適用理由", "Reason not applicable", 16, editable=True),
    Column("evidence", "佐證資料（名稱／SHA-256）", "Evidence (name / SHA-256)", 34),
    Column("inspector", "查核人員", "Inspector", 9),
    Column("recorded", "查核日期", "Recorded", 11),
    Column("reviewer", "覆核人員", "Reviewer", 9),
    Column("reviewed", "覆核日期", "Reviewed", 11),
    Column("review", "覆核狀態", "Review", 8),
)
COL = {c.key: n for n, c in enumerate(COLUMNS, 1)}


@dataclass(frozen=True)
class Row:
    """One line of the checklist, in the neutral form both writers share."""

    item: str
    text_zh: str
    text_en: str
    applicable: bool
    reasons_zh: str
    reasons_en: str
    status: str | None = None
    note: str = ""
    na_reason: str = ""
    evidence: tuple[tuple[str, str], ...] = ()  # (original name, sha256)
    inspector: str = ""
    recorded: str = ""
    reviewer: str = ""
    reviewed: str = ""
    review_state: str = ""


# ---------------------------------------------------------------- writing


def _clean(text: Any) -> str:
    """Text as a cell can hold it: no control characters openpyxl refuses, bounded length."""
    if text is None:
        return ""
    return ILLEGAL_CHARACTERS_RE.sub("", str(text))[:32000]


def _day(iso: str | None) -> str:
    return (iso or "")[:10]


def _person(p: dict[str, Any] | None) -> str:
    if not p:
        return ""
    return p.get("name") or p.get("username") or ""


def _reasons(reasons: Iterable[dict[str, Any]], lang: str) -> str:
    sep = "；" if lang == "zh" else "; "
    return sep.join(str(r.get(lang) or r.get("zh") or "") for r in reasons)


def rows_from_inspection(inspection: dict[str, Any]) -> list[Row]:
    """Checklist rows from ``Records.get_inspection`` output."""
    out = []
    for it in inspection["items"]:
        res = it.get("result") or {}
        out.append(
            Row(
                item=it["item"],
                text_zh=it.get("text_zh") or "",
                text_en=it.get("text_en") or "",
                applicable=bool(it.get("applicable")),
                reasons_zh=_reasons(it.get("reasons") or [], "zh"),
                reasons_en=_reasons(it.get("reasons") or [], "en"),
                status=res.get("status"),
                note=res.get("note") or "",
                na_reason=res.get("na_reason") or "",
                evidence=tuple((e.get("original_name") or "", e.get("sha256") or "") for e in it.get("evidence") or []),
                inspector=_person(res.get("inspector")),
                recorded=_day(res.get("recorded_at")),
                reviewer=_person(res.get("reviewer")),
                reviewed=_day(res.get("reviewed_at")),
                review_state=res.get("review_state") or "",
            )
        )
    return out


def build_checklist(
    inspection: dict[str, Any], org: dict[str, Any], *, generated_at: dt.datetime | None = None
) -> bytes:
    """The checklist workbook of one inspection (``Records.get_inspection``) of ``org`` (``Records.get_org``)."""
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "org_id": org.get("id"),
        "firm": org.get("name"),
        "tax_id": org.get("tax_id"),
        "inspection_id": inspection["id"],
        "period": inspection["period_id"],
        "frequency": inspection["frequency"],
        "period_start": str(inspection.get("period_start") or ""),
        "period_end": str(inspection.get("period_end") or ""),
        "catalog_version": inspection["catalog_version"],
    }
    return _render(rows_from_inspection(inspection), meta, generated_at)


def build_empty_checklist(
    catalog: Catalog, profile: FirmProfile, period: str, *, generated_at: dt.datetime | None = None
) -> bytes:
    """A blank checklist for a firm and period straight from scoping: no inspection needed.

    The items are those of the period's frequency, scoped as of the period's last day (as an
    inspection started for the period would freeze them). Imported later, it is matched to the
    firm's inspection for that period.
    """
    per = cal.parse_period(period)
    sc = scope(catalog, profile, per.end)
    rows = [
        Row(
            item=e.item.id,
            text_zh=e.item.text_zh or e.item.title_zh or "",
            text_en=e.item.text_en or e.item.title_en or "",
            applicable=e.applicable,
            reasons_zh="；".join(r.zh for r in e.reasons),
            reasons_en="; ".join(r.en for r in e.reasons),
        )
        for e in sc.entries
        if e.item.frequency == per.frequency
    ]
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "org_id": None,
        "firm": profile.name,
        "tax_id": profile.tax_id,
        "inspection_id": None,
        "period": per.id,
        "frequency": per.frequency,
        "period_start": per.start.isoformat(),
        "period_end": per.end.isoformat(),
        "catalog_version": catalog.version,
    }
    return _render(rows, meta, generated_at)


_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEAD_FILL = PatternFill("solid", fgColor="1F4E79")
_EDIT_FILL = PatternFill("solid", fgColor="FFF9E5")
_OUT_FILL = PatternFill("solid", fgColor="EEEEEE")
_WRAP = Alignment(wrap_text=True, vertical="top")
_BODY_FONT = Font(size=9)


def _set(ws: Any, row: int, col: int, value: Any) -> Any:
    """Write a value as data: text that starts with ``=`` stays text, never becomes a formula."""
    cell = ws.cell(row=row, column=col)
    if isinstance(value, str):
        cell.value = _clean(value)
        cell.data_type = "s"
    else:
        cell.value = value
    return cell


def _render(rows: list[Row], meta: dict[str, Any], generated_at: dt.datetime | None) -> bytes:
    stamp = (generated_at or dt.datetime.now(dt.UTC)).replace(microsecond=0)
    meta = {**meta, "generated_at": stamp.isoformat(), "sheet": SHEET, "header_row": HEADER_ROW, "rows": len(rows)}
    freq_zh, freq_en = FREQUENCY_LABELS.get(meta["frequency"], (meta["frequency"], meta["frequency"]))
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    en = wb.create_sheet(SHEET_EN)
    for sheet, lang in ((ws, "zh"), (en, "en")):
        title = (
            f"查核明細表　{meta['firm']}（統一編號 {meta['tax_id']}）"
            if lang == "zh"
            else f"Inspection checklist — {meta['firm']} (tax id {meta['tax_id']})"
        )
        period = (
            f"查核期間 {meta['period']}（{meta['period_start']} 至 {meta['period_end']}，{freq_zh}）　"
            f"法規版本 {meta['catalog_version']}　"
            + (f"查核編號 {meta['inspection_id']}" if meta["inspection_id"] else "空白明細表（尚未開始查核）")
            if lang == "zh"
            else f"Period {meta['period']} ({meta['period_start']} to {meta['period_end']}, {freq_en})  "
            f"catalog {meta['catalog_version']}  "
            + (f"inspection {meta['inspection_id']}" if meta["inspection_id"] else "blank checklist (not started)")
        )
        hint = (
            "請只填寫黃色欄位（查核結果、說明、不適用理由）後，以 brokersec report import-checklist 匯入；其餘欄位僅供參考。"
            if lang == "zh"
            else "Reference copy in English; fill in the Chinese sheet (result, note, reason), "
            "then import it with `brokersec report import-checklist`."
        )
        _set(sheet, 1, 1, title).font = Font(bold=True, size=14)
        _set(sheet, 2, 1, period)
        _set(sheet, 3, 1, hint).font = Font(italic=True, color="666666")
        for n, col in enumerate(COLUMNS, 1):
            label = f"{col.zh}\n{col.en}" if lang == "zh" else col.en
            cell = _set(sheet, HEADER_ROW, n, label)
            cell.font = Font(bold=True, color="FFFFFF", size=9)
            cell.fill = _HEAD_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
            cell.border = _BORDER
            sheet.column_dimensions[get_column_letter(n)].width = col.width
        sheet.row_dimensions[HEADER_ROW].height = 40
        for r, row in enumerate(rows, HEADER_ROW + 1):
            _write_row(sheet, r, row, lang, freq_zh if lang == "zh" else freq_en)
        last_col = get_column_letter(len(COLUMNS))
        last_row = HEADER_ROW + max(len(rows), 1)
        sheet.freeze_panes = f"B{HEADER_ROW + 1}"
        sheet.auto_filter.ref = f"A{HEADER_ROW}:{last_col}{last_row}"
        sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
        sheet.print_area = f"A1:{last_col}{last_row}"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
        sheet.page_setup.fitToWidth = 1
        sheet.page_setup.fitToHeight = 0
        sheet.sheet_properties.pageSetUpPr.fitToPage = True
        sheet.print_options.gridLines = False
        sheet.page_margins.left = sheet.page_margins.right = 0.4
        sheet.oddFooter.center.text = "&P / &N"
        sheet.oddHeader.right.text = f"{meta['tax_id']} {meta['period']}"
    labels = ",".join(zh for zh, _ in STATUS_LABELS.values())
    dv = DataValidation(
        type="list",
        formula1=f'"{labels}"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="查核結果",
        error=f"請選擇：{labels}",
        promptTitle="查核結果 Result",
        prompt=f"{labels}",
        showInputMessage=True,
    )
    status_col = get_column_letter(COL["status"])
    dv.add(f"{status_col}{HEADER_ROW + 1}:{status_col}{HEADER_ROW + max(len(rows), 1)}")
    ws.add_data_validation(dv)

    m = wb.create_sheet(META_SHEET)
    _set(m, 1, 1, "key")
    _set(m, 1, 2, "value")
    for r, (k, v) in enumerate(meta.items(), 2):
        _set(m, r, 1, k)
        _set(m, r, 2, "" if v is None else str(v))
    m.sheet_state = "hidden"
    m.protection.sheet = True
    m.protection.password = "brokersec"  # keeps honest people from editing it by accident, no secret
    wb.active = 0
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _write_row(ws: Any, r: int, row: Row, lang: str, freq: str) -> None:
    zh = lang == "zh"
    scope_text = ("適用" if zh else "applicable") if row.applicable else ("不適用" if zh else "not applicable")
    reasons = row.reasons_zh if zh else row.reasons_en
    status = STATUS_LABELS[row.status][0 if zh else 1] if row.status in STATUS_LABELS else ""
    review = REVIEW_LABELS[row.review_state][0 if zh else 1] if row.review_state in REVIEW_LABELS else ""
    values = {
        "item": row.item,
        "text": (row.text_zh if zh else row.text_en or row.text_zh),
        "scope": f"{scope_text}：{reasons}"
        if zh and reasons
        else f"{scope_text}: {reasons}"
        if reasons
        else scope_text,
        "frequency": freq,
        "status": status,
        "note": row.note,
        "na_reason": row.na_reason,
        "evidence": "\n".join(f"{name}\nSHA-256 {sha}" for name, sha in row.evidence),
        "inspector": row.inspector,
        "recorded": row.recorded,
        "reviewer": row.reviewer,
        "reviewed": row.reviewed,
        "review": review,
    }
    for col in COLUMNS:
        cell = _set(ws, r, COL[col.key], values[col.key])
        cell.alignment = _WRAP
        cell.border = _BORDER
        cell.font = _BODY_FONT
        if zh and col.editable:
            cell.fill = _EDIT_FILL
        elif not row.applicable:
            cell.fill = _OUT_FILL
    # readers do not grow rows for wrapped text by themselves: give each row the height its text needs
    lines = max(_lines(str(values[c.key] or ""), c.width) for c in COLUMNS)
    ws.row_dimensions[r].height = min(409, 12 * lines + 4)


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` units wide, at the 9 pt body size
    (a CJK character takes about 1.5 units, a Latin one about 0.8)."""
    per_line = max(width - 0.5, 1)
    total = 0
    for line in text.split("\n"):
        w = sum(1.5 if unicodedata.east_asian_width(ch) in "WF" else 0.8 for ch in line)
        total += max(1, math.ceil(w / per_line))
    return total


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class ImportRow:
    """One item as the workbook gives it, located for error messages."""

    row: int
    item: str
    status: str | None
    note: str
    na_reason: str


@dataclass
class ParsedChecklist:
    meta: dict[str, str]
    rows: list[ImportRow]
    file: str
    sheet: str = SHEET


@dataclass(frozen=True)
class Change:
    item: str
    row: int
    before: dict[str, Any] | None  # the current result's status, note, na_reason (None: no result yet)
    status: str
    note: str
    na_reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "item": self.item,
            "row": self.row,
            "before": self.before,
            "after": {"status": self.status, "note": self.note, "na_reason": self.na_reason},
        }


@dataclass
class ImportPlan:
    inspection_id: int
    period: str
    file: str
    changes: list[Change] = field(default_factory=list)
    unchanged: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "inspection": self.inspection_id,
            "period": self.period,
            "file": self.file,
            "changed": len(self.changes),
            "unchanged": self.unchanged,
            "changes": [c.to_dict() for c in self.changes],
        }


_STATUS_IN = {
    **{code: code for code in STATUS_LABELS},
    **{zh: code for code, (zh, _en) in STATUS_LABELS.items()},
    **{en: code for code, (_zh, en) in STATUS_LABELS.items()},
    "not-applicable": "not_applicable",
    "n/a": "not_applicable",
    "na": "not_applicable",
    "not-checked": "not_checked",
}


def _where(sheet: str, row: int, key: str) -> str:
    col = COLUMNS[COL[key] - 1]
    return f"{sheet}!{get_column_letter(COL[key])}{row} {col.zh}"


def _guard_zip(data: bytes, file: str) -> None:
    """Refuse what is not a workbook-sized ZIP before any XML parser sees it."""
    if len(data) > MAX_FILE_BYTES:
        raise InputError(
            Problem(f"file is {len(data)} bytes; a checklist is at most {MAX_FILE_BYTES} bytes", file=file)
        )
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise InputError(Problem("not an XLSX workbook (not a ZIP file)", file=file))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(Problem(f"not a readable XLSX workbook: {exc}", file=file)) from None
    if len(infos) > MAX_MEMBERS:
        raise InputError(Problem(f"workbook has {len(infos)} parts; at most {MAX_MEMBERS} are accepted", file=file))
    total = 0
    for info in infos:
        total += info.file_size
        if info.file_size > 1024 * 1024 and info.file_size > MAX_MEMBER_RATIO * max(info.compress_size, 1):
            raise InputError(
                Problem(
                    f"part {info.filename!r} expands {info.file_size // max(info.compress_size, 1)}-fold "
                    "(a ZIP bomb?); refused",
                    file=file,
                )
            )
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputError(
            Problem(f"workbook expands to {total} bytes; at most {MAX_UNCOMPRESSED_BYTES} are accepted", file=file)
        )


def _unreadable(exc: BaseException, file: str) -> InputError:
    """A broken or hostile workbook, named by its root cause (openpyxl wraps the parser's error)."""
    root = exc
    while root.__cause__ is not None or root.__context__ is not None:
        root = root.__cause__ or root.__context__  # type: ignore[assignment]
    detail = f"{type(root).__name__}: {root}" if root is not exc else f"{type(exc).__name__}: {exc}"
    return InputError(Problem(f"not a readable XLSX workbook: {detail[:300]}", file=file))


def _text(cell: Any) -> str:
    value = cell.value
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        value = value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def _is_formula(cell: Any) -> bool:
    return getattr(cell, "data_type", None) == "f"


def parse_checklist(data: bytes, *, file: str = "checklist.xlsx") -> ParsedChecklist:
    """Read a checklist workbook (hostile input); every problem located by sheet, row and column."""
    _guard_zip(data, file)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False, keep_links=False)
    except InputError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a broken file
        raise _unreadable(exc, file) from None
    try:
        if META_SHEET not in wb.sheetnames:
            raise InputError(
                Problem(
                    f"no {META_SHEET!r} sheet: this is not a checklist written by brokersec "
                    "(download one with `brokersec report checklist`)",
                    file=file,
                )
            )
        meta: dict[str, str] = {}
        for n, row in enumerate(wb[META_SHEET].iter_rows(min_row=2, max_col=2), 2):
            if n > 100:
                raise InputError(Problem(f"sheet {META_SHEET} is too long", file=file, line=n))
            if len(row) < 2:
                continue
            key, value = _text(row[0]), _text(row[1])
            if key:
                meta[key] = value
        if meta.get("format") != FORMAT:
            raise InputError(Problem(f"sheet {META_SHEET} does not describe a brokersec checklist", file=file))
        if meta.get("format_version") != str(FORMAT_VERSION):
            raise InputError(
                Problem(
                    f"checklist format version {meta.get('format_version')!r}; this brokersec reads {FORMAT_VERSION}",
                    file=file,
                )
            )
        for key in ("tax_id", "period", "catalog_version"):
            if not meta.get(key):
                raise InputError(Problem(f"sheet {META_SHEET} lacks {key}", file=file))
        sheet = meta.get("sheet") or SHEET
        if sheet not in wb.sheetnames:
            raise InputError(Problem(f"the sheet {sheet!r} is missing (renamed or deleted?)", file=file))
        return ParsedChecklist(meta, _parse_rows(wb[sheet], sheet, file), file, sheet)
    except InputError:
        raise
    except Exception as exc:  # read-only sheets are parsed lazily: XML bombs, bad XML surface here
        raise _unreadable(exc, file) from None
    finally:
        wb.close()


def _parse_rows(ws: Any, sheet: str, file: str) -> list[ImportRow]:
    problems: list[Problem] = []
    header: dict[str, int] | None = None
    out: list[ImportRow] = []
    seen: dict[str, int] = {}
    by_label = {c.zh: c.key for c in COLUMNS}
    for r, cells in enumerate(ws.iter_rows(max_col=MAX_COLS), 1):
        if r > MAX_ROWS + HEADER_ROW:
            raise InputError(
                Problem(f"sheet {sheet} has more than {MAX_ROWS} rows; a checklist has far fewer", file=file, line=r)
            )
        if header is None:
            found = {}
            for n, cell in enumerate(cells):
                label = _text(cell).split("\n", 1)[0].strip()
                if label in by_label:
                    found[by_label[label]] = n
            if "item" in found:
                missing = [c.zh for c in COLUMNS if c.editable and c.key not in found]
                if missing:
                    raise InputError(
                        Problem(f"sheet {sheet} row {r}: column(s) {', '.join(missing)} are missing", file=file, line=r)
                    )
                header = found
            elif r >= 20:
                break
            continue

        def cell(key: str, cells: Any = cells, header: dict[str, int] = header) -> Any:
            n = header.get(key)
            return cells[n] if n is not None and n < len(cells) else None

        item_cell = cell("item")
        item = _text(item_cell) if item_cell is not None else ""
        if not item:
            # a blank line (or a note an inspector typed below the table) carries no item
            if any(cell(k) is not None and _text(cell(k)) for k in ("status", "na_reason")):
                problems.append(Problem(f"{_where(sheet, r, 'item')}: a result without an item id", file=file, line=r))
            continue
        bad = False
        values: dict[str, str] = {}
        for key in ("status", "note", "na_reason"):
            c = cell(key)
            if c is not None and _is_formula(c):
                problems.append(
                    Problem(
                        f"{_where(sheet, r, key)}: formulas are not read (found {_text(c)[:40]!r}); type the value",
                        file=file,
                        line=r,
                    )
                )
                bad = True
            values[key] = _text(c) if c is not None else ""
            if len(values[key]) > MAX_TEXT:
                problems.append(
                    Problem(f"{_where(sheet, r, key)}: longer than {MAX_TEXT} characters", file=file, line=r)
                )
                bad = True
        if item in seen:
            problems.append(
                Problem(
                    f"{_where(sheet, r, 'item')}: {item} is listed twice (also row {seen[item]})", file=file, line=r
                )
            )
            continue
        seen[item] = r
        raw = values["status"]
        status = None
        if raw:
            status = _STATUS_IN.get(raw) or _STATUS_IN.get(raw.lower().replace("_", " ")) or _STATUS_IN.get(raw.lower())
            if status is None:
                choices = "、".join(zh for zh, _ in STATUS_LABELS.values())
                problems.append(
                    Problem(f"{_where(sheet, r, 'status')}: unknown result {raw!r}; use {choices}", file=file, line=r)
                )
                bad = True
        if status == "not_applicable" and not values["na_reason"]:
            problems.append(
                Problem(f"{_where(sheet, r, 'na_reason')}: 不適用 needs a reason in this column", file=file, line=r)
            )
            bad = True
        if status not in (None, "not_applicable") and values["na_reason"]:
            problems.append(
                Problem(
                    f"{_where(sheet, r, 'na_reason')}: a reason is only given with 不適用 (result is {raw})",
                    file=file,
                    line=r,
                )
            )
            bad = True
        if status is None and (values["note"] or values["na_reason"]):
            problems.append(
                Problem(f"{_where(sheet, r, 'status')}: a note or reason is given but no result", file=file, line=r)
            )
            bad = True
        if not bad:
            out.append(ImportRow(r, item, status, values["note"], values["na_reason"]))
    if header is None:
        raise InputError(Problem(f"sheet {sheet}: no header row with 項目編號 in the first 20 rows", file=file))
    if problems:
        raise InputError(problems)
    return out


def _norm(text: str | None) -> str:
    return (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()


def plan_import(parsed: ParsedChecklist, inspection: dict[str, Any], org: dict[str, Any] | None = None) -> ImportPlan:
    """Check the parsed rows against the inspection and keep only the rows that change its results.

    Raises ``InputError`` naming every wrong row (unknown item, item not in this inspection, a
    workbook of another firm, period or catalog version, or a result removed).
    """
    meta, file, sheet = parsed.meta, parsed.file, parsed.sheet
    problems: list[Problem] = []
    if meta.get("inspection_id") and meta["inspection_id"] != str(inspection["id"]):
        problems.append(
            Problem(f"this checklist is for inspection {meta['inspection_id']}, not {inspection['id']}", file=file)
        )
    if meta.get("period") != inspection["period_id"]:
        problems.append(
            Problem(f"this checklist is for period {meta.get('period')}, not {inspection['period_id']}", file=file)
        )
    if meta.get("catalog_version") != inspection["catalog_version"]:
        problems.append(
            Problem(
                f"this checklist uses catalog {meta.get('catalog_version')}; the inspection uses "
                f"{inspection['catalog_version']}",
                file=file,
            )
        )
    if org is not None and meta.get("tax_id") != org.get("tax_id"):
        problems.append(
            Problem(
                f"this checklist is for firm {meta.get('tax_id')}, not {org.get('tax_id')} {org.get('name')}", file=file
            )
        )
    if problems:
        raise InputError(problems)
    items = {it["item"]: it for it in inspection["items"]}
    catalog = load_catalog_ref(inspection["catalog_version"])
    plan = ImportPlan(inspection["id"], inspection["period_id"], file)
    for row in parsed.rows:
        it = items.get(row.item)
        if it is None:
            known = catalog.items.get(row.item)
            if known is None:
                hint = f"unknown item id (not in catalog {catalog.version})"
            elif not known.assessable:
                hint = "a heading, not an inspection item"
            else:
                hint = (
                    f"not an item of this inspection ({known.frequency} item; "
                    f"inspection {inspection['period_id']} covers {inspection['frequency']} items)"
                )
            problems.append(Problem(f"{_where(sheet, row.row, 'item')}: {row.item!r}: {hint}", file=file, line=row.row))
            continue
        cur = it.get("result")
        if row.status is None:
            if cur is not None:
                problems.append(
                    Problem(
                        f"{_where(sheet, row.row, 'status')}: the result was removed; a recorded result stays "
                        "(choose 未查核 instead)",
                        file=file,
                        line=row.row,
                    )
                )
            continue
        na_reason = row.na_reason or None
        if cur is not None and (
            cur["status"] == row.status
            and _norm(cur.get("note")) == _norm(row.note)
            and _norm(cur.get("na_reason")) == _norm(na_reason)
        ):
            plan.unchanged += 1
            continue
        before = (
            {"status": cur["status"], "note": cur.get("note") or "", "na_reason": cur.get("na_reason")} if cur else None
        )
        plan.changes.append(Change(row.item, row.row, before, row.status, row.note, na_reason))
    if problems:
        raise InputError(problems)
    return plan


def import_checklist(
    records: Any,
    data: bytes,
    *,
    file: str = "checklist.xlsx",
    dry_run: bool = False,
    inspection: int | str | None = None,
) -> ImportPlan:
    """Parse, check and (unless ``dry_run``) apply a filled checklist in one transaction.

    ``records`` is a ``Records`` bound to the acting inspector (``as_user``). The workbook names its
    inspection; a blank checklist (from scoping) is matched to the firm's inspection for its period.
    Passing ``inspection`` insists the workbook belongs to that one.
    """
    parsed = parse_checklist(data, file=file)
    meta = parsed.meta
    org = records.get_org(meta["tax_id"])
    if inspection is not None:
        target: int | str = inspection
    elif meta.get("inspection_id"):
        target = meta["inspection_id"]
    else:
        target = meta["period"]
    ins = records.get_inspection(target, org=org["id"])
    plan = plan_import(parsed, ins, org)
    if plan.changes and not dry_run:
        records.apply_results(ins["id"], [(c.item, c.status, c.note, c.na_reason) for c in plan.changes], org=org["id"])
    return plan


__all__ = [
    "COLUMNS",
    "FORMAT",
    "META_SHEET",
    "SHEET",
    "STATUS_LABELS",
    "Change",
    "ImportPlan",
    "ParsedChecklist",
    "build_checklist",
    "build_empty_checklist",
    "import_checklist",
    "parse_checklist",
    "plan_import",
    "rows_from_inspection",
]
