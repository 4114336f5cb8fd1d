"""查核工作底稿: the ZIP an external auditor verifies offline with the real `sha256sum -c`."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from brokersec.cli import main
from brokersec.errors import InputError
from brokersec.reports import checklist_xlsx, working_papers
from brokersec.reports.working_papers import safe_name, safe_path

NASTY = [
    "../../etc/passwd",
    "C:\\Windows\\system32\\con.txt",
    "CON",
    "報告：第1版?.pdf",
    "a\x00b\nc.txt",
    " .. ",
    "x" * 300 + ".pdf",
]


def _with_evidence(site):  # type: ignore[no-untyped-def]
    """The latest inspection with evidence under hostile names, one of them linked to two items."""
    rec = site.records
    ins = rec.get_inspection(rec.list_inspections(site.org_id)[-1]["id"])
    items = [i["item"] for i in ins["items"] if i["applicable"]][:3]
    me = rec.as_user("inspector")
    blobs = {}
    for n, name in enumerate(NASTY):
        data = f"evidence {n} {name}".encode() * (n + 1)
        links = [(ins["id"], items[n % 2])] + ([(ins["id"], items[2])] if n == 0 else [])
        ev = me.add_evidence(
            site.org_id, io.BytesIO(data), original_name=name, collected_at=ins["period_end"], links=links
        )
        blobs[ev["id"]] = data
    return rec.get_inspection(ins["id"]), rec.get_org(site.org_id), blobs


def test_safe_names() -> None:
    assert safe_name("../../etc/passwd") == "passwd"
    assert safe_name("C:\\Windows\\system32\\con.txt") == "_con.txt"
    assert safe_name("CON") == "_CON" and safe_name("lpt1.log") == "_lpt1.log"
    assert safe_name("報告：第1版?.pdf") == "報告：第1版_.pdf"  # full-width colon is fine, '?' is not
    assert safe_name("a\x00b\nc.txt") == "abc.txt"
    assert safe_name(" .. ") == "file" and safe_name("") == "file"
    long = safe_name("資" * 300 + ".pdf")
    assert long.endswith(".pdf") and len(long.encode()) <= working_papers.MAX_COMPONENT_BYTES
    assert safe_path("/abs/../x/y.pdf") == "abs/x/y.pdf"
    with pytest.raises(InputError):
        safe_path("../..")


def test_package_verifies_with_sha256sum(site, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    ins, org, blobs = _with_evidence(site)
    checklist = checklist_xlsx.build_checklist(ins, org)
    seen: list[tuple[int, int]] = []
    out = io.BytesIO()
    manifest = working_papers.write_working_papers(
        out,
        ins,
        org,
        checklist=checklist,
        open_evidence=site.records.open_evidence,
        extra_files={"查核報告-test.pdf": b"%PDF-1.7 stand-in"},
        progress=lambda done, total, _label: seen.append((done, total)),
    )
    assert seen[-1][0] == seen[-1][1] == len(seen)
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as zf:
        names = zf.namelist()
        root = names[0].split("/")[0]
        assert root == f"brokersec-{org['tax_id']}-{ins['period_id']}"
        for name in names:
            assert name.startswith(root + "/") and ".." not in name.split("/") and "\\" not in name
            assert not any(ch in name for ch in '<>:"|?*') and all(ord(ch) >= 32 for ch in name)
        zf.extractall(tmp_path)
    folder = tmp_path / root
    run = subprocess.run(["sha256sum", "-c", "MANIFEST.sha256"], cwd=folder, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    listed = [line.split("  ", 1)[1] for line in (folder / "MANIFEST.sha256").read_text().splitlines()]
    on_disk = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert sorted([*listed, "MANIFEST.sha256"]) == on_disk
    assert json.loads((folder / "manifest.json").read_text()) == manifest
    evidence = [f for f in manifest["files"] if f["kind"] == "evidence"]
    assert len(evidence) == len(NASTY) + 1  # the first file is linked to two items
    for f in evidence:
        assert f["path"].startswith(f"evidence/{f['item']}/{f['evidence_id']}-")
        assert (folder / f["path"]).read_bytes() == blobs[f["evidence_id"]]
        assert f["sha256"] == hashlib.sha256(blobs[f["evidence_id"]]).hexdigest()
    assert any("報告：第1版_.pdf" in f["path"] for f in evidence)  # unicode kept
    assert (folder / "查核報告-test.pdf").read_bytes() == b"%PDF-1.7 stand-in"
    assert (folder / f"查核明細表-{ins['period_id']}.xlsx").read_bytes() == checklist
    assert manifest["inspection"]["id"] == ins["id"] and manifest["firm"]["tax_id"] == org["tax_id"]
    # a tampered file is caught by the auditor's check
    (folder / evidence[0]["path"]).write_bytes(b"changed")
    assert (
        subprocess.run(["sha256sum", "-c", "--quiet", "MANIFEST.sha256"], cwd=folder, capture_output=True).returncode
        == 1
    )


def test_evidence_is_streamed_and_checked(site) -> None:  # type: ignore[no-untyped-def]
    ins, org, _blobs = _with_evidence(site)
    reads: list[int] = []

    class Spy(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            reads.append(-1 if size is None else size)
            return super().read(size)

    def open_evidence(evidence_id: int):  # type: ignore[no-untyped-def]
        meta, fh = site.records.open_evidence(evidence_id)
        with fh:
            return meta, Spy(fh.read())

    working_papers.build_working_papers(ins, org, checklist=b"x", open_evidence=open_evidence)
    assert reads and all(0 < size <= working_papers.CHUNK for size in reads)

    def damaged(evidence_id: int):  # type: ignore[no-untyped-def]
        meta, fh = site.records.open_evidence(evidence_id)
        fh.close()
        return meta, io.BytesIO(b"bit rot")

    with pytest.raises(InputError, match="does not match the SHA-256"):
        working_papers.build_working_papers(ins, org, checklist=b"x", open_evidence=damaged)


def test_cli_working_papers(site, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    ins, _org, _blobs = _with_evidence(site)
    monkeypatch.setenv("BROKERSEC_DATABASE_URL", site.url)
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(site.data))
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7 report")
    out = tmp_path / "wp.zip"
    assert (
        main(["report", "working-papers", "--inspection", str(ins["id"]), "-o", str(out), "--report-pdf", str(pdf)])
        == 0
    )
    with zipfile.ZipFile(out) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(f"查核報告-{ins['period_id']}.pdf")]
        assert zf.read(name) == b"%PDF-1.7 report"
    # by default the report is rendered by reports.inspection_pdf
    assert main(["report", "working-papers", "--inspection", str(ins["id"]), "-o", str(out)]) == 0
    with zipfile.ZipFile(out) as zf:
        (name,) = [n for n in zf.namelist() if n.endswith(".pdf") and "/evidence/" not in n]
        assert zf.read(name).startswith(b"%PDF-")
    assert main(["report", "working-papers", "--inspection", str(ins["id"]), "-o", str(out), "--no-report"]) == 0
    with zipfile.ZipFile(out) as zf:
        assert not [n for n in zf.namelist() if "查核報告" in n]
    assert main(["report", "working-papers", "--inspection", "999", "-o", str(out)]) == 2
    assert main(["report", "working-papers", "--inspection", str(ins["id"])]) == 2
    assert "no inspection 999" in capsys.readouterr().err
