"""查核明細表: the workbook as Excel sees it, and the round trip an inspector makes offline."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from openpyxl import Workbook, load_workbook

from brokersec.catalog import load_catalog_ref
from brokersec.errors import InputError
from brokersec.reports import checklist_xlsx as cx


def _latest(site):  # type: ignore[no-untyped-def]
    rec = site.records
    ins_id = rec.list_inspections(site.org_id)[-1]["id"]
    return rec.get_inspection(ins_id), rec.get_org(site.org_id)


def _edit(data: bytes, edits: dict[tuple[str, str], object]) -> bytes:
    """Change cells the way an inspector would in Excel: by item row and column header."""
    wb = load_workbook(io.BytesIO(data))
    ws = wb[cx.SHEET]
    col = {c.key: n for n, c in enumerate(cx.COLUMNS, 1)}
    rows = {ws.cell(r, 1).value: r for r in range(cx.HEADER_ROW + 1, ws.max_row + 1)}
    for (item, key), value in edits.items():
        r = rows.get(item)
        if r is None:  # a new line typed at the bottom
            r = ws.max_row + 1
            ws.cell(r, 1).value = item
            rows[item] = r
        ws.cell(r, col[key]).value = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _problems(exc: pytest.ExceptionInfo[InputError]) -> str:
    return "\n".join(str(p) for p in exc.value.problems)


def test_workbook_layout(site) -> None:  # type: ignore[no-untyped-def]
    ins, org = _latest(site)
    item = next(i for i in ins["items"] if i["applicable"])
    site.records.as_user("inspector").add_evidence(
        site.org_id,
        io.BytesIO(b"scan report"),
        original_name="弱點掃描報告.pdf",
        collected_at=ins["period_end"],
        links=[(ins["id"], item["item"])],
    )
    ins = site.records.get_inspection(ins["id"])
    wb = load_workbook(io.BytesIO(cx.build_checklist(ins, org)))
    assert wb.sheetnames == [cx.SHEET, cx.SHEET_EN, cx.META_SHEET]
    ws = wb[cx.SHEET]
    header = [ws.cell(cx.HEADER_ROW, n).value.split("\n")[0] for n in range(1, len(cx.COLUMNS) + 1)]
    assert header[:8] == [
        "項目編號",
        "查核項目",
        "適用性",
        "查核頻率",
        "查核結果",
        "說明",
        "不適用理由",
        "佐證資料（名稱／SHA-256）",
    ]
    assert {"查核人員", "覆核人員", "查核日期", "覆核日期"} <= set(header)
    assert ws.max_row == cx.HEADER_ROW + len(ins["items"])
    assert ws.freeze_panes == f"B{cx.HEADER_ROW + 1}"
    assert ws.auto_filter.ref == f"A{cx.HEADER_ROW}:M{cx.HEADER_ROW + len(ins['items'])}"
    assert ws.print_title_rows == f"${cx.HEADER_ROW}:${cx.HEADER_ROW}"
    assert ws.page_setup.orientation == "landscape"
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
    (dv,) = ws.data_validations.dataValidation
    assert dv.type == "list" and "符合" in dv.formula1 and "不適用" in dv.formula1
    assert str(dv.sqref) == f"E{cx.HEADER_ROW + 1}:E{cx.HEADER_ROW + len(ins['items'])}"
    row = next(r for r in range(cx.HEADER_ROW + 1, ws.max_row + 1) if ws.cell(r, 1).value == item["item"])
    ev = site.records.list_evidence(site.org_id, inspection=ins["id"], item_id=item["item"])[0]
    assert "弱點掃描報告.pdf" in ws.cell(row, 8).value and ev["sha256"] in ws.cell(row, 8).value
    assert ws.cell(row, 5).value == cx.STATUS_LABELS[item["result"]["status"]][0]
    assert ws.cell(row, 9).value == item["result"]["inspector"]["name"]
    en = wb[cx.SHEET_EN]
    assert en.cell(row, 2).value == item["text_en"]
    meta_ws = wb[cx.META_SHEET]
    assert meta_ws.sheet_state == "hidden" and meta_ws.protection.sheet
    meta = {meta_ws.cell(r, 1).value: meta_ws.cell(r, 2).value for r in range(2, meta_ws.max_row + 1)}
    assert meta["inspection_id"] == str(ins["id"]) and meta["tax_id"] == org["tax_id"]
    assert meta["period"] == ins["period_id"] and meta["catalog_version"] == ins["catalog_version"]


def test_text_that_looks_like_a_formula_stays_text(site) -> None:  # type: ignore[no-untyped-def]
    ins, org = _latest(site)
    item = next(i for i in ins["items"] if i["applicable"])["item"]
    site.records.as_user("inspector").record_result(ins["id"], item, "partial", note='=HYPERLINK("http://x","y")')
    data = cx.build_checklist(site.records.get_inspection(ins["id"]), org)
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert "<f>" not in zf.read("xl/worksheets/sheet1.xml").decode()
    plan = cx.import_checklist(site.records.as_user("inspector"), data, dry_run=True)
    assert plan.changes == []


def test_round_trip_without_edits_changes_nothing(site) -> None:  # type: ignore[no-untyped-def]
    ins, org = _latest(site)
    rec = site.records
    data = cx.build_checklist(ins, org)
    rows_before, log_before = rec.count_rows(), len(rec.audit_log())
    plan = cx.import_checklist(rec.as_user("inspector"), data, file="明細表.xlsx")
    assert plan.changes == [] and plan.unchanged == sum(1 for i in ins["items"] if i["result"])
    assert rec.count_rows() == rows_before and len(rec.audit_log()) == log_before
    assert rec.get_inspection(ins["id"]) == ins


def test_round_trip_applies_exactly_the_edits(site) -> None:  # type: ignore[no-untyped-def]
    ins, org = _latest(site)
    rec = site.records
    conform = [i["item"] for i in ins["items"] if i["result"] and i["result"]["status"] == "conform"]
    a, b, c = conform[:3]
    edited = _edit(
        cx.build_checklist(ins, org),
        {
            (a, "status"): "不符合",
            (a, "note"): "防毒病毒碼未每日更新",
            (b, "note"): "抽查 5 台，皆已更新",
            (c, "status"): "不適用",
            (c, "na_reason"): "本公司未提供此服務",
        },
    )
    dry = cx.import_checklist(rec.as_user("inspector"), edited, dry_run=True)
    assert [ch.item for ch in dry.changes] == [a, b, c]
    rows_before, log_before = rec.count_rows(), rec.audit_log()
    plan = cx.import_checklist(rec.as_user("inspector"), edited)
    assert [ch.item for ch in plan.changes] == [a, b, c]
    assert plan.changes[0].before == {"status": "conform", "note": "", "na_reason": None}
    after = {i["item"]: i["result"] for i in rec.get_inspection(ins["id"])["items"]}
    assert (after[a]["status"], after[a]["note"]) == ("nonconform", "防毒病毒碼未每日更新")
    assert (after[b]["status"], after[b]["note"]) == ("conform", "抽查 5 台，皆已更新")
    assert (after[c]["status"], after[c]["na_reason"]) == ("not_applicable", "本公司未提供此服務")
    assert all(
        after[x]["review_state"] == "pending" and after[x]["inspector"]["username"] == "inspector" for x in (a, b, c)
    )
    before = {i["item"]: i["result"] for i in ins["items"]}
    assert {k: v for k, v in after.items() if k not in (a, b, c)} == {
        k: v for k, v in before.items() if k not in (a, b, c)
    }
    assert rec.count_rows()["results"] == rows_before["results"] + 3
    new = rec.audit_log()[len(log_before) :]
    assert [e["action"] for e in new] == ["result.supersede"] * 3
    assert len({e["at"] for e in new}) >= 1 and rec.verify_chain().ok
    # the workbook written now reads back as unchanged
    again = cx.import_checklist(rec.as_user("inspector"), cx.build_checklist(rec.get_inspection(ins["id"]), org))
    assert again.changes == []


def test_any_wrong_row_applies_nothing_and_names_sheet_row_column(site) -> None:  # type: ignore[no-untyped-def]
    ins, org = _latest(site)
    rec = site.records
    items = [i["item"] for i in ins["items"] if i["result"]]
    in_this = {i["item"] for i in ins["items"]}
    other = next(
        i.id for i in load_catalog_ref(ins["catalog_version"]).assessable() if i.id not in in_this
    )  # a real item of another frequency
    edited = _edit(
        cx.build_checklist(ins, org),
        {
            (items[0], "note"): "這一列本身沒錯",
            (items[1], "status"): "OK",
            (items[2], "status"): "不適用",
            (items[3], "status"): '=IF(1,"符合")',
            ("CC-99999.9", "status"): "符合",
            (other, "status"): "符合",
        },
    )
    rows_before, log_before = rec.count_rows(), len(rec.audit_log())
    with pytest.raises(InputError) as exc:
        cx.import_checklist(rec.as_user("inspector"), edited, file="filled.xlsx")
    text = _problems(exc)
    assert "filled.xlsx" in text
    assert "查核明細表!E" in text and "unknown result 'OK'" in text
    assert "查核明細表!G" in text and "needs a reason" in text
    assert "formulas are not read" in text
    assert rec.count_rows() == rows_before and len(rec.audit_log()) == log_before
    # with the value errors fixed, the item errors remain and still nothing is applied
    edited = _edit(
        cx.build_checklist(ins, org),
        {(items[0], "note"): "這一列本身沒錯", ("CC-99999.9", "status"): "符合", (other, "status"): "符合"},
    )
    with pytest.raises(InputError) as exc:
        cx.import_checklist(rec.as_user("inspector"), edited)
    text = _problems(exc)
    assert "'CC-99999.9': unknown item id" in text and f"{other!r}: not an item of this inspection" in text
    assert "查核明細表!A" in text
    assert rec.count_rows() == rows_before


def test_removing_a_result_or_duplicating_an_item_is_refused(site) -> None:  # type: ignore[no-untyped-def]
    ins, org = _latest(site)
    items = [i["item"] for i in ins["items"] if i["result"]]
    with pytest.raises(InputError, match="the result was removed"):
        cx.import_checklist(
            site.records.as_user("inspector"), _edit(cx.build_checklist(ins, org), {(items[0], "status"): None})
        )
    data = cx.build_checklist(ins, org)
    wb = load_workbook(io.BytesIO(data))
    ws = wb[cx.SHEET]
    ws.cell(ws.max_row + 1, 1).value = items[0]
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(InputError, match="listed twice"):
        cx.parse_checklist(buf.getvalue())


def test_wrong_inspection_or_firm_is_refused(site) -> None:  # type: ignore[no-untyped-def]
    rec = site.records
    first, last = rec.list_inspections(site.org_id)[0], rec.list_inspections(site.org_id)[-1]
    org = rec.get_org(site.org_id)
    data = cx.build_checklist(rec.get_inspection(first["id"]), org)
    with pytest.raises(InputError, match=f"for inspection {first['id']}, not {last['id']}"):
        cx.import_checklist(rec.as_user("inspector"), data, inspection=last["id"])
    parsed = cx.parse_checklist(data)
    parsed.meta["tax_id"] = "12345675"
    with pytest.raises(InputError, match="for firm 12345675"):
        cx.plan_import(parsed, rec.get_inspection(first["id"]), org)
    parsed = cx.parse_checklist(data)
    parsed.meta["catalog_version"] = "twse-1999-01-01"
    with pytest.raises(InputError, match="uses catalog twse-1999-01-01"):
        cx.plan_import(parsed, rec.get_inspection(first["id"]), org)


def _zip(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (b"not a workbook at all", "not a ZIP file"),
        (b"PK\x03\x04" + b"\0" * 40, "not a ZIP file"),
        (_zip({"[Content_Types].xml": b"<x/>"}), "not a readable XLSX workbook"),
        (_zip({"xl/worksheets/sheet1.xml": b"\0" * (64 * 1024 * 1024)}), "ZIP bomb"),
        (_zip({f"f{n}.xml": b"x" for n in range(cx.MAX_MEMBERS + 1)}), "parts"),
    ],
    ids=["text", "truncated-zip", "zip-not-xlsx", "zip-bomb", "many-parts"],
)
def test_hostile_files_are_refused(payload: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message) as exc:
        cx.parse_checklist(payload, file="evil.xlsx")
    assert exc.value.problems[0].file == "evil.xlsx"


def test_a_workbook_not_written_by_brokersec_is_refused() -> None:
    buf = io.BytesIO()
    Workbook().save(buf)
    with pytest.raises(InputError, match="not a checklist written by brokersec"):
        cx.parse_checklist(buf.getvalue())


def test_huge_sheets_are_capped(site) -> None:  # type: ignore[no-untyped-def]
    ins, org = _latest(site)
    wb = load_workbook(io.BytesIO(cx.build_checklist(ins, org)))
    ws = wb[cx.SHEET]
    for r in range(ws.max_row + 1, cx.MAX_ROWS + cx.HEADER_ROW + 10):
        ws.cell(r, 2).value = "x"
    buf = io.BytesIO()
    wb.save(buf)
    with pytest.raises(InputError, match=f"more than {cx.MAX_ROWS} rows"):
        cx.parse_checklist(buf.getvalue())


def test_empty_checklist_from_scoping_imports_into_the_period_inspection(site) -> None:  # type: ignore[no-untyped-def]
    rec = site.records
    ins, org = _latest(site)
    profile = rec.profile(site.org_id)
    data = cx.build_empty_checklist(load_catalog_ref(profile.catalog), profile, ins["period_id"])
    parsed = cx.parse_checklist(data)
    assert parsed.meta["inspection_id"] == "" and parsed.meta["tax_id"] == org["tax_id"]
    assert [r.item for r in parsed.rows] == [i["item"] for i in ins["items"]]
    assert all(r.status is None for r in parsed.rows)
    wb = load_workbook(io.BytesIO(data))
    assert wb[cx.SHEET].cell(cx.HEADER_ROW + 1, 5).value is None
    # filled offline: rows left blank change nothing, the filled row is recorded
    item = next(i for i in ins["items"] if i["result"] and i["result"]["status"] == "conform")["item"]
    rows = [i["item"] for i in ins["items"] if i["result"]]
    filled = _edit(
        data,
        {(x, "status"): "符合" for x in rows if x != item}
        | {(item, "status"): "部分符合", (item, "note"): "抽查缺一份"},
    )
    plan = cx.import_checklist(rec.as_user("inspector"), filled)
    assert [c.item for c in plan.changes] == [item] or {c.item for c in plan.changes} >= {item}
    assert {i["item"]: i["result"]["status"] for i in rec.get_inspection(ins["id"])["items"] if i["result"]}[
        item
    ] == "partial"


def test_empty_checklist_needs_a_started_inspection(site) -> None:  # type: ignore[no-untyped-def]
    profile = site.records.profile(site.org_id)
    data = cx.build_empty_checklist(load_catalog_ref(profile.catalog), profile, "2030-01")
    with pytest.raises(InputError, match="has no inspection for 2030-01"):
        cx.import_checklist(site.records.as_user("inspector"), data)


def test_apply_results_is_one_transaction(site) -> None:  # type: ignore[no-untyped-def]
    ins, _org = _latest(site)
    rec = site.records
    items = [i["item"] for i in ins["items"] if i["applicable"]]
    before = rec.count_rows()
    me = rec.as_user("inspector")
    with pytest.raises(InputError, match=r"CC-99999\.1"):
        me.apply_results(ins["id"], [(items[0], "partial", "x", None), ("CC-99999.1", "conform", "", None)])
    with pytest.raises(InputError, match="given twice"):
        me.apply_results(ins["id"], [(items[0], "partial", "x", None), (items[0], "conform", "", None)])
    with pytest.raises(InputError, match="needs a reason"):
        me.apply_results(ins["id"], [(items[0], "not_applicable", "", "  ")])
    with pytest.raises(InputError, match="may not record results"):
        rec.as_user("reviewer").apply_results(ins["id"], [(items[0], "partial", "x", None)])
    assert rec.count_rows() == before
    out = me.apply_results(ins["id"], [(items[0], "partial", "x", None), (items[1], "not_applicable", "", "無此系統")])
    assert [r["item_id"] for r in out] == items[:2] and out[1]["na_reason"] == "無此系統"
    assert rec.count_rows()["results"] == before["results"] + 2


def test_cli_checklist_round_trip(site, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    from brokersec.cli import main

    monkeypatch.setenv("BROKERSEC_DATABASE_URL", site.url)
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(site.data))
    ins, org = _latest(site)
    out = tmp_path / "明細表.xlsx"
    assert main(["report", "checklist", "--inspection", str(ins["id"]), "-o", str(out)]) == 0
    item = next(i["item"] for i in ins["items"] if i["result"] and i["result"]["status"] == "conform")
    out.write_bytes(_edit(out.read_bytes(), {(item, "status"): "部分符合", (item, "note"): "缺一份"}))
    capsys.readouterr()
    assert main(["--lang", "en", "report", "import-checklist", str(out), "--as", "inspector", "--dry-run"]) == 0
    text = capsys.readouterr().out
    assert item in text and "dry run: 1 would change" in text
    assert site.records.get_inspection(ins["id"]) == ins
    assert main(["report", "import-checklist", str(out), "--as", "inspector", "--json"]) == 0
    assert '"applied": 1' in capsys.readouterr().out
    out.write_bytes(_edit(out.read_bytes(), {(item, "note"): "缺一份（已補）"}))
    assert main(["report", "import-checklist", str(out), "--as", "reviewer"]) == 2  # reviewers do not record
    assert "may not record results" in capsys.readouterr().err
    empty = tmp_path / "blank.xlsx"
    assert (
        main(["report", "checklist", "--org", org["tax_id"], "--period", "2026-12", "--empty", "-o", str(empty)]) == 0
    )
    assert main(["report", "checklist", "--org", org["tax_id"], "--empty", "-o", str(empty)]) == 2
    assert main(["report", "checklist", "-o", str(empty)]) == 2
    assert main(["report", "checklist", "--inspection", str(ins["id"])]) == 2
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"hello")
    assert main(["report", "import-checklist", str(bad), "--as", "inspector"]) == 2
    assert "not a ZIP file" in capsys.readouterr().err


def test_xml_entity_bombs_are_refused(site) -> None:  # type: ignore[no-untyped-def]
    ins, org = _latest(site)
    src = zipfile.ZipFile(io.BytesIO(cx.build_checklist(ins, org)))
    bomb = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
        '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        '<row r="4"><c r="A4" t="inlineStr"><is><t>&lol3;</t></is></c></row></sheetData></worksheet>'
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for info in src.infolist():
            data = src.read(info.filename)
            out.writestr(info, bomb.encode() if info.filename == "xl/worksheets/sheet1.xml" else data)
    with pytest.raises(InputError, match="not a readable XLSX workbook: EntitiesForbidden"):  # defusedxml
        cx.parse_checklist(buf.getvalue())


SOFFICE = "/usr/bin/soffice"


def _libreoffice(data: bytes, tmp_path, to: str) -> bytes:  # type: ignore[no-untyped-def]
    """Open the workbook in LibreOffice Calc (headless) and save it as ``to`` (xlsx or pdf)."""
    import os
    import subprocess

    if not os.access(SOFFICE, os.X_OK):
        pytest.fail(f"{SOFFICE} is missing: `make test` installs Debian's libreoffice-calc-nogui", pytrace=False)
    src = tmp_path / "lo-in" / "checklist.xlsx"
    src.parent.mkdir(exist_ok=True)
    src.write_bytes(data)
    out = tmp_path / "lo-out"
    profile = tmp_path / "lo-profile"
    filt = "xlsx:Calc MS Excel 2007 XML" if to == "xlsx" else "pdf"
    run = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            filt,
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    result = out / f"checklist.{to}"
    assert result.exists(), run.stdout + run.stderr
    return result.read_bytes()


def test_libreoffice_round_trip(site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A workbook re-saved by LibreOffice Calc imports as unchanged, and edits survive it exactly."""
    ins, org = _latest(site)
    rec = site.records
    data = cx.build_checklist(ins, org)
    resaved = _libreoffice(data, tmp_path, "xlsx")
    assert resaved != data
    assert cx.import_checklist(rec.as_user("inspector"), resaved, dry_run=True).changes == []
    item = next(i["item"] for i in ins["items"] if i["result"] and i["result"]["status"] == "conform")
    edited = _libreoffice(
        _edit(data, {(item, "status"): "部分符合", (item, "note"): "第 2 台未更新\n已通知"}), tmp_path, "xlsx"
    )
    plan = cx.import_checklist(rec.as_user("inspector"), edited)
    assert [(c.item, c.status, c.note) for c in plan.changes] == [(item, "partial", "第 2 台未更新\n已通知")]
    wb = load_workbook(io.BytesIO(resaved))
    assert wb[cx.META_SHEET].sheet_state == "hidden"  # (headless Calc drops view settings such as frozen panes)


def test_libreoffice_prints_a4_landscape_with_the_header_on_every_page(site, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess

    ins, org = _latest(site)
    pdf = tmp_path / "checklist.pdf"
    wb = load_workbook(io.BytesIO(cx.build_checklist(ins, org)))
    del wb[cx.SHEET_EN]  # print the Chinese sheet only
    buf = io.BytesIO()
    wb.save(buf)
    pdf.write_bytes(_libreoffice(buf.getvalue(), tmp_path, "pdf"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "841.89 x 595.3" in info  # A4 landscape, in points
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    assert pages > 1
    for page in range(1, pages + 1):
        text = subprocess.run(
            ["pdftotext", "-f", str(page), "-l", str(page), str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "項目編號" in text and "查核結果" in text, f"page {page} lacks the header row"
        assert re.search(rf"\b{page}\s*/\s*{pages}\b", text), f"page {page} lacks its page number"
