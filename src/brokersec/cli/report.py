"""``brokersec report …``: every report and export from the command line.

Mounted on the app by ``brokersec.cli``. Like the rest of the CLI it only parses options, calls
``brokersec.reports`` and writes files atomically; bad input raises ``InputError`` (exit code 2).
"""

from __future__ import annotations

from pathlib import Path as _TPath
from typing import Annotated as _TAnn

import typer

from brokersec.cli import base as cli

report_app = typer.Typer(no_args_is_help=True, help="Reports and exports: XLSX, PDF, DOCX, ZIP, OSCAL, CSV.")

# ================================================================ tables: checklist XLSX, working papers, CSV, CISO Assistant
# 查核明細表 (XLSX) out and back in, 查核工作底稿 (ZIP), results as CSV, the catalog as a CISO Assistant
# library.


def _t_inspection(rec, inspection: str | None, org: str | None):  # type: ignore[no-untyped-def]
    from brokersec.errors import InputError, Problem

    if not inspection:
        raise InputError(
            Problem("give --inspection ID (or a period such as 2026-11 together with --org)", field="--inspection")
        )
    ins = rec.get_inspection(inspection, org)
    return ins, rec.get_org(ins["org_id"])


def _t_need_output(output: _TPath | None, what: str) -> _TPath:
    from brokersec.errors import InputError, Problem

    if output is None:
        raise InputError(Problem(f"{what} is a binary file; give -o FILE", field="--output"))
    return output


_TInsp = _TAnn[str | None, typer.Option("--inspection", "-i", help="inspection id, or a period (2026-11) with --org")]
_TOrg = _TAnn[str | None, typer.Option("--org", help="firm id or 統一編號")]
_TOut = _TAnn[_TPath | None, typer.Option("--output", "-o", help="file to write")]


@report_app.command("checklist")
def report_checklist(
    inspection: _TInsp = None,
    org: _TOrg = None,
    period: _TAnn[str | None, typer.Option("--period", help="period for --empty: 2026-11, 2026-H2, 2026")] = None,
    empty: _TAnn[bool, typer.Option("--empty", help="a blank checklist from scoping (no inspection needed)")] = False,
    output: _TOut = None,
) -> None:
    """查核明細表: the checklist workbook (XLSX) of an inspection, or a blank one for a firm and period."""
    from brokersec.catalog import load_catalog_ref
    from brokersec.errors import InputError, Problem
    from brokersec.fileio import write_atomic
    from brokersec.reports import checklist_xlsx

    out = _t_need_output(output, "the checklist")
    rec = cli._records()
    if empty:
        if inspection:
            raise InputError(Problem("--empty makes a blank checklist; leave out --inspection", field="--empty"))
        if not org or not period:
            raise InputError(Problem("--empty needs --org and --period", field="--period"))
        profile = rec.profile(org)
        data = checklist_xlsx.build_empty_checklist(load_catalog_ref(profile.catalog), profile, period)
    else:
        if period:
            raise InputError(
                Problem("--period goes with --empty; for an inspection use --inspection", field="--period")
            )
        ins, firm = _t_inspection(rec, inspection, org)
        data = checklist_xlsx.build_checklist(ins, firm)
    write_atomic(out, data)
    cli.err.print(cli._t(f"已寫入 {out}", f"written to {out}"))


@report_app.command("import-checklist")
def report_import_checklist(
    file: _TAnn[_TPath, typer.Argument(help="a checklist workbook filled in offline")],
    as_user: _TAnn[str, typer.Option("--as", help="act as this inspector (username or e-mail)")],
    dry_run: _TAnn[bool, typer.Option("--dry-run", help="only show what would change")] = False,
    as_json: _TAnn[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Import a filled checklist: every row checked, changed results recorded in one transaction."""
    from rich.markup import escape
    from rich.table import Table

    from brokersec.errors import InputError, Problem
    from brokersec.reports import checklist_xlsx

    try:
        size = file.stat().st_size
    except OSError as exc:
        raise InputError(Problem(f"cannot read: {exc.strerror}", file=str(file))) from None
    if size > checklist_xlsx.MAX_FILE_BYTES:
        raise InputError(Problem(f"{size} bytes is too big for a checklist", file=str(file)))
    plan = checklist_xlsx.import_checklist(cli._records(as_user), file.read_bytes(), file=file.name, dry_run=dry_run)
    data = {**plan.to_dict(), "dry_run": dry_run, "applied": 0 if dry_run else len(plan.changes)}
    if as_json:
        cli._out(data, True)
        return
    if plan.changes:
        table = Table("row", "item", cli._t("原結果", "before"), cli._t("新結果", "after"), cli._t("說明", "note"))
        for c in plan.changes:
            before = c.before["status"] if c.before else "—"
            after = c.status + (f" ({c.na_reason})" if c.na_reason else "")
            table.add_row(str(c.row), c.item, before, after, escape(c.note))
        cli.console.print(table)
    n = len(plan.changes)
    if dry_run:
        cli.console.print(
            cli._t(
                f"試算：將變更 {n} 項，{plan.unchanged} 項未變；未寫入。",
                f"dry run: {n} would change, {plan.unchanged} unchanged; nothing written.",
            )
        )
    else:
        cli.console.print(
            cli._t(
                f"已記錄 {n} 項結果（{plan.unchanged} 項未變），查核 {plan.inspection_id}。",
                f"recorded {n} results ({plan.unchanged} unchanged) in inspection {plan.inspection_id}.",
            )
        )


@report_app.command("working-papers")
def report_working_papers(
    inspection: _TInsp = None,
    org: _TOrg = None,
    output: _TOut = None,
    report_pdf: _TAnn[
        _TPath | None, typer.Option("--report-pdf", help="include this report PDF instead of rendering one")
    ] = None,
    no_report: _TAnn[bool, typer.Option("--no-report", help="leave the 查核報告 PDF out")] = False,
) -> None:
    """查核工作底稿: report, checklist, every evidence file by item, manifest (ZIP, `sha256sum -c` ready)."""

    from brokersec import __version__
    from brokersec.errors import InputError, Problem
    from brokersec.fileio import open_atomic
    from brokersec.reports import checklist_xlsx, working_papers

    out = _t_need_output(output, "the working papers ZIP")
    rec = cli._records()
    ins, firm = _t_inspection(rec, inspection, org)
    extra: dict[str, bytes] = {}
    if report_pdf is not None:
        try:
            extra[f"查核報告-{ins['period_id']}.pdf"] = report_pdf.read_bytes()
        except OSError as exc:
            raise InputError(Problem(f"cannot read: {exc.strerror}", file=str(report_pdf))) from None
    elif not no_report:
        cli.err.print(cli._t("產生查核報告 PDF…", "rendering the report PDF…"))
        pdf = _t_report_pdf(rec, ins)
        if pdf is not None:
            extra[f"查核報告-{ins['period_id']}.pdf"] = pdf
    checklist = checklist_xlsx.build_checklist(ins, firm)
    with cli.progress_bar(cli._t("查核工作底稿", "working papers")) as progress, open_atomic(out) as fh:
        manifest = working_papers.write_working_papers(
            fh,
            ins,
            firm,
            checklist=checklist,
            open_evidence=rec.open_evidence,
            extra_files=extra,
            generator=f"brokersec {__version__}",
            progress=progress,
        )
    n = sum(f["kind"] == "evidence" for f in manifest["files"])
    cli.err.print(cli._t(f"已寫入 {out}（{n} 個佐證檔案）", f"written to {out} ({n} evidence files)"))


def _t_report_pdf(rec, ins) -> bytes | None:  # type: ignore[no-untyped-def]
    """The 查核報告 PDF of the inspection, rendered by reports.inspection_pdf (None if that is absent)."""
    try:
        from brokersec.reports.inspection_pdf import inspection_report_data, render_inspection_report
    except ImportError:
        return None
    return render_inspection_report(inspection_report_data(rec, ins["id"]))


@report_app.command("results-csv")
def report_results_csv(inspection: _TInsp = None, org: _TOrg = None, output: _TOut = None) -> None:
    """An inspection's results as CSV (UTF-8 with BOM, for Excel): one row per item."""
    from brokersec.reports.results_csv import results_csv

    ins, firm = _t_inspection(cli._records(), inspection, org)
    data = results_csv(ins, firm)
    if output is None:
        cli._emit(data.decode("utf-8-sig"), None)
    else:
        cli._emit(data, output)


@report_app.command("ciso-assistant")
def report_ciso_assistant(
    output: _TOut = None,
    catalog: _TAnn[
        str | None, typer.Option("--catalog", "-c", help="catalog version (default: newest bundled)")
    ] = None,
) -> None:
    """The catalog as a CISO Assistant framework library (YAML)."""
    from brokersec.catalog import load_catalog_ref
    from brokersec.reports.ciso_assistant import ciso_assistant_yaml

    cli._emit(ciso_assistant_yaml(load_catalog_ref(catalog)), output)


# ================================================================ end of tables

# ================================================================ documents: PDF report, annual declaration
# 查核報告 (PDF) of one inspection or of a firm's whole year, and the draft 資訊安全整體執行情形聲明書
# (DOCX or PDF). brokersec.cli is imported inside the commands: it imports this module while it loads.

from pathlib import Path as _DPath  # noqa: E402
from typing import Annotated as _DAnn  # noqa: E402

_DOut = _DAnn[_DPath, typer.Option("--output", "-o", help="file to write")]
_DOrg = _DAnn[str, typer.Option("--org", help="firm id or 統一編號")]
_DYear = _DAnn[int, typer.Option("--year", help="calendar (fiscal) year, e.g. 2026")]
_DToday = _DAnn[str | None, typer.Option("--today", help="pretend today is YYYY-MM-DD (ages, overdue days)")]


@report_app.command("pdf")
def report_inspection_pdf(
    inspection: _DAnn[str, typer.Option("--inspection", "-i", help="inspection id, or a period (2026-11) with --org")],
    output: _DOut,
    org: _DAnn[str | None, typer.Option("--org", help="firm id or 統一編號 (needed when naming a period)")] = None,
    today: _DToday = None,
) -> None:
    """查核報告: one inspection's report as PDF (cover, scope, summary, deficiencies, sign-off)."""
    from brokersec.fileio import write_atomic
    from brokersec.reports.inspection_pdf import inspection_report_data, render_inspection_report

    data = inspection_report_data(cli._records(), inspection, org, today=cli._parse_date(today, "--today"))
    write_atomic(output, render_inspection_report(data))
    cli.err.print(cli._t(f"已寫入 {output}", f"written to {output}"))


@report_app.command("year")
def report_year_pdf(org: _DOrg, year: _DYear, output: _DOut, today: _DToday = None) -> None:
    """查核報告 for a whole year: every inspection of the year for one firm in one PDF."""

    from brokersec.fileio import write_atomic
    from brokersec.reports.inspection_pdf import render_year_report, year_report_data

    rec = cli._records()
    day = cli._parse_date(today, "--today")
    with cli.progress_bar(cli._t("讀取查核紀錄", "reading inspections")) as update:
        data = year_report_data(rec, org, year, today=day, progress=lambda done, total: update(done, total + 1))
        update(label=cli._t("產生 PDF", "rendering PDF"))
        pdf = render_year_report(data)
        update(len(data["inspections"]) + 1)
    write_atomic(output, pdf)
    cli.err.print(
        cli._t(
            f"已寫入 {output}（{len(data['inspections'])} 次查核）",
            f"written to {output} ({len(data['inspections'])} inspections)",
        )
    )


@report_app.command("declaration")
def report_declaration(
    org: _DOrg,
    year: _DYear,
    output: _DOut,
    fmt: _DAnn[
        str | None, typer.Option("--format", "-f", help="docx or pdf (default: from the file name's suffix)")
    ] = None,
    board_date: _DAnn[
        str | None, typer.Option("--board-date", help="board-approval date YYYY-MM-DD (default: as recorded, or blank)")
    ] = None,
    today: _DToday = None,
) -> None:
    """資訊安全整體執行情形聲明書: the annual declaration draft (DOCX to edit, or PDF)."""
    from brokersec.errors import InputError, Problem
    from brokersec.fileio import write_atomic
    from brokersec.reports.declaration import declaration_data, render_declaration_docx, render_declaration_pdf

    kind = (fmt or output.suffix.lstrip(".")).lower()
    if kind not in ("docx", "pdf"):
        raise InputError(Problem(f"format {kind or '(none)'!r}: use --format docx or --format pdf", field="--format"))
    board = cli._parse_date(board_date, "--board-date") if board_date else None
    data = declaration_data(cli._records(), org, year, today=cli._parse_date(today, "--today"), board_approved_on=board)
    write_atomic(output, render_declaration_docx(data) if kind == "docx" else render_declaration_pdf(data))
    cli.err.print(cli._t(f"已寫入 {output}", f"written to {output}"))


# ================================================================ end of documents

# ================================================================ oscal
# NIST OSCAL (JSON, docs/oscal.md): `report oscal catalog | profile | assessment-results | poam`.
# A sub-app of its own (`brokersec report oscal …`); brokersec.cli guards its commands like every other.

oscal_app = typer.Typer(no_args_is_help=True, help="NIST OSCAL (JSON): catalog, profile, assessment-results, POA&M.")
report_app.add_typer(oscal_app, name="oscal")

_OOut = _TAnn[_TPath | None, typer.Option("--output", "-o", help="JSON file to write (default: stdout)")]
_OOrg = _TAnn[str | None, typer.Option("--org", help="firm id or 統一編號")]


def _o_need_org(org: str | None, command: str) -> str:
    from brokersec.errors import InputError, Problem

    if not org:
        raise InputError(Problem(f"`report oscal {command}` needs --org (firm id or 統一編號)", field="--org"))
    return org


def _o_write(document: dict, output: _TPath | None) -> None:  # type: ignore[type-arg]
    from brokersec.reports.oscal import to_json

    cli._emit(to_json(document).decode("utf-8"), output)


@oscal_app.command("catalog")
def report_oscal_catalog(
    catalog: _TAnn[
        str | None, typer.Option("--catalog", "-c", help="catalog version or YAML file (default: newest bundled)")
    ] = None,
    output: _OOut = None,
) -> None:
    """The regulation as an OSCAL catalog: groups for areas, controls for headings and items."""
    from brokersec.catalog import load_catalog_ref
    from brokersec.reports.oscal import catalog_document

    _o_write(catalog_document(load_catalog_ref(catalog)), output)


@oscal_app.command("profile")
def report_oscal_profile(
    org: _OOrg = None,
    on: _TAnn[str | None, typer.Option("--on", help="scope as of this day, YYYY-MM-DD (default: today)")] = None,
    catalog_href: _TAnn[
        str | None,
        typer.Option(
            "--catalog-href", help="where the profile finds the catalog (default: <version>.oscal-catalog.json)"
        ),
    ] = None,
    output: _OOut = None,
) -> None:
    """A firm's scope as an OSCAL profile of the catalog, with the reason for every exclusion."""
    from brokersec.catalog import load_catalog_ref
    from brokersec.reports.oscal import profile_document
    from brokersec.scoping import scope

    firm = cli._records().profile(_o_need_org(org, "profile"))
    cat = load_catalog_ref(firm.catalog)
    day = cli._parse_date(on, "--on")
    _o_write(profile_document(cat, scope(cat, firm, day), firm, catalog_href=catalog_href), output)


@oscal_app.command("assessment-results")
def report_oscal_assessment_results(inspection: _TInsp = None, org: _TOrg = None, output: _OOut = None) -> None:
    """An inspection as OSCAL assessment-results: a finding per item, evidence with SHA-256."""
    from brokersec.catalog import load_catalog_ref
    from brokersec.reports.oscal import assessment_results_document

    rec = cli._records()
    ins, firm = _t_inspection(rec, inspection, org)
    document = assessment_results_document(
        ins,
        firm,
        load_catalog_ref(ins["catalog_version"]),
        findings=rec.list_findings(firm["id"]),
        firm_name_en=rec.profile(firm["id"]).name_en,
    )
    _o_write(document, output)


@oscal_app.command("poam")
def report_oscal_poam(
    org: _OOrg = None,
    include_closed: _TAnn[
        bool, typer.Option("--all", help="also verified and risk-accepted findings (default: open ones)")
    ] = False,
    today: _TAnn[str | None, typer.Option("--today", help="as of this day, YYYY-MM-DD (default: today)")] = None,
    output: _OOut = None,
) -> None:
    """A firm's open findings as an OSCAL plan of action and milestones (POA&M)."""
    from brokersec.catalog import load_catalog_ref
    from brokersec.reports.oscal import poam_document

    rec = cli._records()
    firm = rec.get_org(_o_need_org(org, "poam"))
    day = cli._parse_date(today, "--today")
    findings = rec.list_findings(firm["id"], open_only=not include_closed, today=day)
    evidence = {e["id"]: e for e in rec.list_evidence(firm["id"])} if any(f["evidence_ids"] for f in findings) else {}
    profile = rec.profile(firm["id"])
    document = poam_document(
        firm, findings, load_catalog_ref(profile.catalog), as_of=day, evidence=evidence, firm_name_en=profile.name_en
    )
    _o_write(document, output)


# ================================================================ end of oscal
