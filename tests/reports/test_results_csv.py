"""Results as CSV: UTF-8 with BOM for Excel, one row per item, formulas defused."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from brokersec.cli import main
from brokersec.reports.results_csv import FIELDS, results_csv


def test_one_row_per_item_with_bom(site) -> None:  # type: ignore[no-untyped-def]
    rec = site.records
    ins = rec.get_inspection(rec.list_inspections(site.org_id)[-1]["id"])
    org = rec.get_org(site.org_id)
    item = next(i for i in ins["items"] if i["applicable"])["item"]
    rec.as_user("inspector").record_result(ins["id"], item, "partial", note="=1+2 抽查")
    ins = rec.get_inspection(ins["id"])
    data = results_csv(ins, org)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == FIELDS
    assert [r["item"] for r in rows] == [i["item"] for i in ins["items"]]
    row = next(r for r in rows if r["item"] == item)
    assert (row["status"], row["status_zh"], row["review_state"]) == ("partial", "部分符合", "pending")
    assert row["note"] == "'=1+2 抽查" and row["firm"] == org["name"] and row["tax_id"] == org["tax_id"]
    assert row["inspector"] == "王小明 (inspector)" or row["inspector"].endswith("(inspector)")
    approved = next(r for r in rows if r["review_state"] == "approved")
    assert approved["reviewer"].endswith("(reviewer)") and approved["reviewed_at"]


def test_cli_results_csv(site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BROKERSEC_DATABASE_URL", site.url)
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(site.data))
    period = site.records.list_inspections(site.org_id)[-1]["period_id"]
    out = tmp_path / "r.csv"
    assert main(["report", "results-csv", "--inspection", period, "--org", str(site.org_id), "-o", str(out)]) == 0
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["report", "results-csv", "--inspection", period]) == 2
    assert "give the firm too" in capsys.readouterr().err
