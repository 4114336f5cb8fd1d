"""Claim: rendering a full-year report (查核報告) for a firm takes under 5 s.

Generates (once, cached under ~/.cache/brokersec-bench/) the demo firm with one calendar year of
finished inspections (12 monthly, 2 half-year, 1 annual), seeded through the real records API.
Then, in the same run, times

- brokersec: ``year_report_data`` + ``render_year_report``: the year in one consolidated PDF, and
- baseline: the obvious way to get the year on paper: every inspection's own report
  (``inspection_report_data`` + layout), one by one, joined into one PDF (WeasyPrint's documented
  way to concatenate documents: copy all pages into one and write it),

and prints the first (cold: imports, fonts, templates) and the median of the next runs of each,
their ratio, and whether the goal is met.

    .venv/bin/python benchmarks/report_pdf.py [--year 2025] [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from seeded import seeded_site

GOAL_S = 5.0


def build(year: int) -> Path:
    # "today" is New Year's Day after the year, so the seed fills exactly that year's periods.
    return seeded_site(f"report-year-{year}", dt.date(year + 1, 1, 1), 12)


def pages_of(pdf: bytes, work: Path, name: str) -> tuple[int, str]:
    path = work / name
    path.write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return pages, text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=dt.date.today().year - 1)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    source = build(args.year)
    work = Path(tempfile.mkdtemp(prefix="brokersec-bench-"))
    shutil.copytree(source, work / "site")
    org_id = int((source / "ready").read_text())
    today = dt.date(args.year + 1, 1, 15)

    started = time.perf_counter()
    from weasyprint import HTML

    from brokersec.records.service import Records
    from brokersec.reports.inspection_pdf import (
        inspection_report_data,
        render_inspection_html,
        render_year_report,
        year_inspections,
        year_report_data,
    )

    records = Records.open(f"sqlite:///{work / 'site' / 'brokersec.db'}", vault_root=work / "site" / "vault")
    imports = time.perf_counter() - started

    def ours() -> bytes:
        return render_year_report(year_report_data(records, org_id, args.year, today=today))

    def baseline() -> bytes:
        docs = [
            HTML(string=render_inspection_html(inspection_report_data(records, ins["id"], today=today))).render()
            for ins in year_inspections(records, org_id, args.year)
        ]
        return docs[0].copy([page for doc in docs for page in doc.pages]).write_pdf()

    def timed(fn) -> tuple[float, list[float], bytes]:  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        pdf = fn()
        cold = time.perf_counter() - t
        warm = []
        for _ in range(args.runs):
            t = time.perf_counter()
            pdf = fn()
            warm.append(time.perf_counter() - t)
        return cold, warm, pdf

    # ours first, so its cold run pays for fontconfig and the templates, not the baseline's
    our_cold, our_warm, our_pdf = timed(ours)
    base_cold, base_warm, base_pdf = timed(baseline)

    inspections = year_inspections(records, org_id, args.year)
    findings = sum(1 for f in records.list_findings(org_id) if f["inspection_id"] in {i["id"] for i in inspections})
    results = sum(i["recorded"] for i in inspections)
    our_pages, our_text = pages_of(our_pdf, work, "year.pdf")
    base_pages, base_text = pages_of(base_pdf, work, "baseline.pdf")
    firm = records.get_org(org_id)["name"]
    assert firm in our_text and "年度查核報告" in our_text, "the year report lost its Chinese text"
    assert firm in base_text and "查核報告" in base_text

    print(
        f"firm with {len(inspections)} inspections in {args.year}, {results} results, {findings} findings "
        f"(imports {imports:.2f} s)"
    )
    print(
        f"brokersec year report      cold {our_cold:5.2f} s   median {statistics.median(our_warm):5.2f} s   "
        f"{our_pages} pages, {len(our_pdf) / 1024:.0f} KiB"
    )
    print(
        f"baseline (per inspection)  cold {base_cold:5.2f} s   median {statistics.median(base_warm):5.2f} s   "
        f"{base_pages} pages, {len(base_pdf) / 1024:.0f} KiB"
    )
    print(f"ratio baseline/brokersec   {statistics.median(base_warm) / statistics.median(our_warm):.1f}x")
    worst = max(our_cold, *our_warm)
    print(
        f"goal < {GOAL_S:.0f} s (slowest run, cold included): {'met' if worst < GOAL_S else 'NOT met'} ({worst:.2f} s)"
    )
    records.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
