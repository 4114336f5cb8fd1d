"""The catalog, scope and calendar commands end to end, reading their output back with real readers."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from icalendar import Calendar
from openpyxl import load_workbook

from brokersec.cli import main

from .helpers import catalog_data, write_yaml

DEMO = Path(__file__).resolve().parents[2] / "src" / "brokersec" / "demo" / "firm.yaml"


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_export_json_is_the_documented_interface(capsys):
    code, out, _ = run_cli(capsys, "catalog", "export", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["regulation"] == {
        "id": "twse-2020-12-11",
        "title_zh": "建立證券商資通安全檢查機制",
        "title_en": "Establishing Information Security Inspection Mechanisms for Securities Firms",
        "published": "2020-12-11",
        "issuer": "twse",
    }
    items = [i for i in data["items"] if i["assessable"]]
    assert len(items) == 183
    keys = {"id", "parent", "assessable", "text_zh", "text_en", "frequency", "channels", "conditions",
            "effective_from", "tier_dependent", "evidence", "max_evidence_age_days", "deduction_grade"}  # fmt: skip
    assert keys <= set(items[0])
    slip = next(i for i in items if i["id"] == "CC-18000.3.h.a")
    assert slip["parent"] == "CC-18000.3.h" and slip["frequency"] == "monthly"


def test_export_csv_and_xlsx_files(tmp_path, capsys):
    xlsx = tmp_path / "catalog.xlsx"
    assert run_cli(capsys, "catalog", "export", "-f", "xlsx", "-o", str(xlsx))[0] == 0
    ws = load_workbook(xlsx)["catalog"]
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "id" and len(rows) == 230
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref
    csv_path = tmp_path / "catalog.csv"
    assert run_cli(capsys, "catalog", "export", "-f", "csv", "-o", str(csv_path))[0] == 0
    with open(csv_path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 229 and rows[0]["id"] == "CC-11000" and "\n" in rows[1]["evidence_zh"] + "\n"
    assert not list(tmp_path.glob(".*.tmp"))  # atomic writes leave no temp files


def test_list_filters(capsys):
    code, out, _ = run_cli(capsys, "catalog", "list", "--area", "CC-18000", "--search", "密碼", "--json")
    ids = [i["id"] for i in json.loads(out)["items"]]
    assert code == 0 and "CC-18000.3.e" in ids and all(i.startswith("CC-18000.") for i in ids)
    code, out, _ = run_cli(capsys, "catalog", "list", "--frequency", "annual", "--channel", "voice", "--json")
    items = json.loads(out)["items"]
    assert items and all(i["frequency"] == "annual" and "voice" in i["channels"] for i in items)
    assert not any(i["id"].startswith("CC-11000") for i in items)  # risk assessment: internet only
    code, out, _ = run_cli(capsys, "--lang", "en", "catalog", "list", "--search", "jailbreak")
    assert code == 0 and "CC-19000.11.b.b" in out and "1 inspection items" in out


def test_show(capsys):
    code, out, _ = run_cli(capsys, "catalog", "show", "CC-18000.3.e")
    assert code == 0 and "密碼輸入錯誤次數達三次者" in out and "每月查核" in out


def test_diff_between_versions(tmp_path, capsys):
    data = catalog_data()
    data["regulation"]["id"] = "twse-2099-01-01"
    nodes = data["nodes"]
    nodes[:] = [n for n in nodes if n["id"] != "CC-22010.i"]
    next(n for n in nodes if n["id"] == "CC-18000.3.e")["text_zh"] = "密碼輸入錯誤次數達五次者，應予中斷連線。"
    next(n for n in nodes if n["id"] == "CC-14000")["frequency"] = "annual"
    nodes.append({"id": "CC-22010.j", "parent": "CC-22010", "text_zh": "新增項目。", "text_en": "A new item."})
    newer = write_yaml(tmp_path / "twse-2099-01-01.yaml", data)
    code, out, _ = run_cli(capsys, "catalog", "diff", "twse-2020-12-11", str(newer), "--json")
    diff = json.loads(out)
    assert code == 0
    assert [i["id"] for i in diff["added"]] == ["CC-22010.j"]
    assert [i["id"] for i in diff["removed"]] == ["CC-22010.i"]
    assert [c["id"] for c in diff["reworded"]] == ["CC-18000.3.e"]
    assert {c["id"] for c in diff["rescoped"]} == {"CC-14000.1", "CC-14000.2", "CC-14000.3"}
    code, out, _ = run_cli(capsys, "catalog", "diff", "twse-2020-12-11", str(newer))
    assert code == 0 and "新增 1、刪除 1、文字修正 1、適用範圍變動 3" in out


def test_validate_bundled(capsys):
    code, out, err = run_cli(capsys, "catalog", "validate", "--strict")
    assert code == 0 and "183" in out and "warning" not in err


def test_scope_and_calendar(tmp_path, capsys):
    code, out, _ = run_cli(capsys, "scope", str(DEMO), "--on", "2026-11-24", "--json")
    data = json.loads(out)
    assert code == 0 and data["applicable"] == 177 and data["not_applicable"] == 6
    code, out, _ = run_cli(capsys, "scope", str(DEMO), "--excluded", "--on", "2026-11-24")
    assert code == 0 and "CC-21100.3.b.a" in out and "CC-11000.1" not in out
    ics = tmp_path / "checks.ics"
    assert run_cli(capsys, "calendar", str(DEMO), "--year", "2026", "-f", "ics", "-o", str(ics))[0] == 0
    events = list(Calendar.from_ical(ics.read_bytes()).walk("VEVENT"))
    code, out, _ = run_cli(capsys, "calendar", str(DEMO), "--year", "2026", "-f", "json")
    checks = json.loads(out)["checks"]
    assert len(checks) == sum(len(str(e["description"]).splitlines()) for e in events)
    code, out, _ = run_cli(capsys, "calendar", str(DEMO), "--year", "2026")
    assert code == 0 and f"共 {len(checks)} 項次" in out


def test_init_and_demo(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(tmp_path / "data"))
    assert run_cli(capsys, "init")[0] == 0
    assert (tmp_path / "data" / "firm.yaml").read_text(encoding="utf-8") == DEMO.read_text(encoding="utf-8")
    code, out, _ = run_cli(capsys, "demo", "--today", "2026-11-24")
    assert code == 0 and "範例證券股份有限公司" in out and "2026-12-10" in out


def test_console_script_runs():
    exe = Path(sys.executable).with_name("brokersec")
    result = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=os.environ, check=False)
    assert result.returncode == 0 and result.stdout.startswith("brokersec ")
