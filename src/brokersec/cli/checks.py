"""`brokersec check`: automated checks over an evidence bundle, optionally recorded in an inspection."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from brokersec.catalog import load_catalog_ref
from brokersec.cli.base import (
    AsOpt,
    CatalogOpt,
    JsonOpt,
    OrgMaybe,
    _emit,
    _lang,
    _records,
    _t,
    app,
    console,
    err,
    progress_bar,
)
from brokersec.errors import InputError, Problem

# ================================================================ automated checks (issue 5)
# check list, check run BUNDLE. The engine (brokersec.checks) is UI-free: the progress bar lives
# here and goes to stderr, so `check run --json` keeps stdout pure JSON. `--inspection` (recording
# results as automated evidence in the vault) is not wired yet.

check_app = typer.Typer(no_args_is_help=True, help="Automated checks over an evidence bundle of exported artifacts.")
app.add_typer(check_app, name="check")

_STATUS_STYLE = {"pass": "green", "fail": "red", "error": "yellow", "not_applicable": "dim"}
_STATUS_RANK = ("fail", "error", "pass", "not_applicable")  # an item's summary is its worst verdict


def _check_item_summary(results: list) -> list[tuple[str, str, list[str]]]:
    """Per catalog item: the worst status over its verdicts and the checks that gave them."""
    by_item: dict[str, tuple[str, list[str]]] = {}
    for r in results:
        for item_id in r.items:
            status, checks = by_item.get(item_id, ("not_applicable", []))
            if _STATUS_RANK.index(r.status.value) < _STATUS_RANK.index(status):
                status = r.status.value
            if r.check not in checks:
                checks.append(r.check)
            by_item[item_id] = (status, checks)
    return [(item_id, status, checks) for item_id, (status, checks) in sorted(by_item.items())]


@check_app.command("list")
def check_list_cmd(catalog: CatalogOpt = None, as_json: JsonOpt = False) -> None:
    """The automated checks, the catalog items each gives evidence for, and the artifacts it reads."""
    from brokersec.checks import all_checks
    from brokersec.checks.mapping import load_mapping

    cat = load_catalog_ref(catalog)
    mapping = load_mapping(cat)
    rows = [
        {
            "check": c.id,
            "title": c.title_en if _lang() == "en" else c.title_zh,
            "items": list(mapping.items_for(c.id)),
            "reads": list(c.reads),
            "passes_when": c.passes_when_en if _lang() == "en" else c.passes_when_zh,
        }
        for c in all_checks()
    ]
    if as_json:
        _emit(json.dumps({"catalog": cat.version, "checks": rows}, ensure_ascii=False, indent=2) + "\n", None)
        return
    table = Table("check", _t("名稱", "title"), _t("查核項目", "items"), _t("佐證檔案類型", "artifact types"))
    for r in rows:
        table.add_row(r["check"], r["title"], "\n".join(r["items"]), "\n".join(r["reads"]))
    console.print(table)
    console.print(_t(f"{len(rows)} 項自動檢查（{cat.version}）", f"{len(rows)} automated checks ({cat.version})"))


@check_app.command("run")
def check_run_cmd(
    bundle: Annotated[Path, typer.Argument(help="evidence bundle folder (with bundle.yaml) or the bundle.yaml itself")],
    catalog: CatalogOpt = None,
    as_json: JsonOpt = False,
    fail_on_findings: Annotated[
        bool, typer.Option("--fail-on-findings", help="exit 1 when any check fails an item")
    ] = False,
    inspection: Annotated[
        str | None,
        typer.Option(
            "--inspection",
            help="record the run in this inspection (id, or period with --org): artifacts and report as "
            "automated evidence, and proposed results for items that have none (needs --as)",
        ),
    ] = None,
    org: OrgMaybe = None,
    as_user: AsOpt = None,
    overwrite: Annotated[
        bool, typer.Option("--overwrite", help="with --inspection: propose results even where a person recorded one")
    ] = False,
) -> None:
    """Run every check whose artifacts are in the bundle; one broken artifact gives `error`, the run goes on."""
    if inspection and not as_user:
        raise InputError(Problem("recording a run in an inspection needs --as USER (an inspector)", field="--as"))

    from brokersec.checks import load_bundle, run_checks
    from brokersec.checks.bundle import problems_against

    cat = load_catalog_ref(catalog)
    loaded = load_bundle(bundle)
    problems = problems_against(loaded, set(cat.items), loaded.source)
    if problems:
        raise InputError(problems)
    with progress_bar(_t("檢查中", "checking")) as update:
        report = run_checks(loaded, cat, progress=update)
    if inspection:
        recorded = _records(as_user).record_check_run(
            inspection,
            report.to_dict(),
            [(a.file, a.path) for a in loaded.artifacts],
            org=org,
            overwrite=overwrite,
        )
        err.print(
            _t(
                f"已記錄於查核 {recorded['inspection']}：佐證資料 {len(recorded['evidence'])} 件，"
                f"建議結果 {len(recorded['proposed'])} 項（待覆核），保留既有結果 {len(recorded['kept_existing'])} 項",
                f"recorded in inspection {recorded['inspection']}: {len(recorded['evidence'])} evidence files, "
                f"{len(recorded['proposed'])} proposed results (awaiting review), "
                f"{len(recorded['kept_existing'])} existing results kept",
            )
        )
    if as_json:
        _emit(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n", None)
    else:
        table = Table("check", _t("對象", "subject"), _t("結果", "status"), _t("說明", "details"))
        table.columns[0].no_wrap = True
        for r in report.results:
            style = _STATUS_STYLE[r.status.value]
            table.add_row(r.check, escape(r.subject), f"[{style}]{r.status.value}[/]", escape(r.summary))
        console.print(table)
        per_item = Table(_t("查核項目", "item"), _t("結果", "status"), _t("檢查", "checks"))
        per_item.columns[0].no_wrap = True
        for item_id, status, checks in _check_item_summary(report.results):
            per_item.add_row(item_id, f"[{_STATUS_STYLE[status]}]{status}[/]", ", ".join(checks))
        console.print(per_item)
        counts = {s: sum(r.status.value == s for r in report.results) for s in _STATUS_STYLE}
        err.print(
            _t(
                f"{report.as_of}：通過 {counts['pass']}、不符合 {counts['fail']}、錯誤 {counts['error']}、不適用 {counts['not_applicable']}",
                f"{report.as_of}: {counts['pass']} pass, {counts['fail']} fail, {counts['error']} error, "
                f"{counts['not_applicable']} not applicable",
            )
        )
    if fail_on_findings and report.has_findings:
        raise typer.Exit(1)


# ================================================================ end of automated checks (issue 5)
