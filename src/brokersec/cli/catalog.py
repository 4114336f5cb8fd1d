"""`brokersec catalog`, `profile`, `scope`, `calendar`: the regulation, a firm's scope and its calendar."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.panel import Panel
from rich.table import Table
from rich.tree import Tree

from brokersec import calendar as cal
from brokersec.catalog import builtin_versions, completeness_warnings, load_catalog, load_catalog_ref
from brokersec.catalog import export as catalog_export
from brokersec.catalog.diff import diff_catalogs
from brokersec.catalog.models import CHANNEL_LABELS, FREQUENCY_LABELS, Item
from brokersec.cli.base import (
    CalendarFormat,
    CatalogOpt,
    ExportFormat,
    JsonOpt,
    OutputOpt,
    ProfileArg,
    _emit,
    _freq,
    _item_text,
    _item_title,
    _lang,
    _parse_date,
    _print_calendar,
    _profile,
    _t,
    app,
    catalog_app,
    console,
    err,
    profile_app,
)
from brokersec.errors import InputError, Problem
from brokersec.profile import profile_template
from brokersec.scoping import scope as scope_items

# ---------------------------------------------------------------- catalog


def _matches(item: Item, area: str | None, frequency: str | None, channel: str | None, search: str | None) -> bool:
    if not item.assessable:
        return False
    if area and area not in (item.code, item.area) and not item.id.startswith(area + "."):
        return False
    if frequency and item.frequency != frequency:
        return False
    if channel and channel not in item.channels:
        return False
    if search:
        needle = search.lower()
        hay = " ".join(x or "" for x in (item.id, item.text_zh, item.text_en, item.title_zh, item.title_en)).lower()
        if needle not in hay:
            return False
    return True


@catalog_app.command("list")
def catalog_list(
    catalog: CatalogOpt = None,
    area: Annotated[str | None, typer.Option(help="area or sub-area code, e.g. CC-18000 or CC-17010")] = None,
    frequency: Annotated[str | None, typer.Option(help="monthly, semiannual or annual")] = None,
    channel: Annotated[str | None, typer.Option(help="internet, voice or traditional")] = None,
    search: Annotated[str | None, typer.Option("--search", "-s", help="text to find in zh or en")] = None,
    as_json: JsonOpt = False,
) -> None:
    """List the items as a tree, filtered by area, frequency, channel or text."""
    if frequency and frequency not in FREQUENCY_LABELS:
        raise InputError(
            Problem(f"unknown frequency {frequency!r}; use monthly, semiannual or annual", field="--frequency")
        )
    if channel and channel not in CHANNEL_LABELS:
        raise InputError(Problem(f"unknown channel {channel!r}; use internet, voice or traditional", field="--channel"))
    cat = load_catalog_ref(catalog)
    if area and area not in cat:
        raise InputError(Problem(f"no area {area!r} in catalog {cat.version}", field="--area"))
    hits = [i for i in cat if _matches(i, area, frequency, channel, search)]
    if as_json:
        _emit(catalog_export.to_json(cat, hits), None)
        return
    shown = {i.id for i in hits}
    for item in hits:
        shown.update(a.id for a in cat.ancestors(item.id))
    tree = Tree(f"[bold]{cat.regulation.title_zh if _lang() == 'zh' else cat.regulation.title_en}[/] ({cat.version})")
    nodes = {}
    for item in cat:
        if item.id not in shown:
            continue
        parent = nodes.get(item.parent, tree)
        if item.assessable:
            label = f"[cyan]{item.id}[/] {_item_text(item)} [dim]{_freq(item.frequency)}[/]"
        else:
            label = f"[bold]{item.id}[/] {_item_title(item) or _item_text(item)} [dim]{_freq(item.frequency)}[/]"
        nodes[item.id] = parent.add(label)
    console.print(tree)
    console.print(_t(f"{len(hits)} 個查核項目", f"{len(hits)} inspection items"))


@catalog_app.command("show")
def catalog_show(
    item_id: Annotated[str, typer.Argument(help="item id, e.g. CC-18000.3.e")], catalog: CatalogOpt = None
) -> None:
    """Show one item with everything the catalog knows about it."""
    cat = load_catalog_ref(catalog)
    try:
        item = cat.get(item_id)
    except KeyError as exc:
        raise InputError(Problem(exc.args[0], field="ID")) from None
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("id", item.id),
        (_t("位置", "path"), cat.path_label(item.id, _lang())),
        ("title_zh", item.title_zh),
        ("title_en", item.title_en),
        ("text_zh", item.text_zh),
        ("text_en", item.text_en),
        (_t("查核頻率", "frequency"), _freq(item.frequency)),
        (
            _t("下單管道", "channels"),
            ", ".join(item.channels) + ("" if item.channel_restricted else _t("（所有證券商）", " (every firm)")),
        ),
        (_t("適用條件", "conditions"), ", ".join(item.conditions) or "—"),
        (_t("生效日", "effective from"), item.effective_from.isoformat() if item.effective_from else "—"),
        (_t("依資安分級", "tier dependent"), _t("是", "yes") if item.tier_dependent else _t("否", "no")),
        (
            _t("佐證資料最長期限", "max evidence age"),
            f"{item.max_evidence_age_days} d" if item.max_evidence_age_days else "—",
        ),
        (_t("留存年限", "retention"), f"{item.retention_years} y" if item.retention_years else "—"),
        (_t("扣分等級", "deduction grade"), item.deduction_grade or "—"),
    ]
    for key, value in rows:
        if value:
            table.add_row(key, value)
    for n, ev in enumerate(item.evidence, 1):
        table.add_row(_t("佐證資料", "evidence") + f" {n}", f"{ev.zh}\n{ev.en}")
    if item.children:
        table.add_row(_t("子項目", "children"), ", ".join(item.children))
    console.print(Panel(table, title=f"{item.id} · {cat.version}"))


@catalog_app.command("validate")
def catalog_validate(
    files: Annotated[
        list[Path] | None, typer.Argument(help="catalog YAML files (default: every bundled version)")
    ] = None,
    strict: Annotated[
        bool, typer.Option(help="treat completeness warnings (missing English, evidence) as errors")
    ] = False,
) -> None:
    """Validate catalog files: schema, ids, parents, vocabulary, completeness."""
    catalogs = [load_catalog(f) for f in files] if files else [load_catalog_ref(v) for v in builtin_versions()]
    failed = False
    for cat in catalogs:
        warnings = completeness_warnings(cat)
        console.print(
            _t(
                f"[green]✓[/] {cat.source}：{cat.version}，{len(cat)} 個節點，{len(cat.assessable())} 個查核項目",
                f"[green]✓[/] {cat.source}: {cat.version}, {len(cat)} nodes, {len(cat.assessable())} inspection items",
            )
        )
        for w in warnings:
            err.print(f"[yellow]warning[/] {cat.source}: {w}")
        failed |= strict and bool(warnings)
    if failed:
        raise typer.Exit(2)


@catalog_app.command("diff")
def catalog_diff(
    old: Annotated[str, typer.Argument(help="older version id or file")],
    new: Annotated[str, typer.Argument(help="newer version id or file")],
    as_json: JsonOpt = False,
) -> None:
    """Items added, removed, reworded and re-scoped between two versions."""
    result = diff_catalogs(load_catalog_ref(old), load_catalog_ref(new))
    if as_json:
        _emit(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n", None)
        return
    console.print(f"[bold]{result.old_version} → {result.new_version}[/]")
    if result.empty:
        console.print(_t("兩版本查核項目相同", "no differences in inspection items"))
        return
    table = Table("", "id", _t("內容", "detail"), show_lines=False)
    for item in result.added:
        table.add_row("[green]+[/]", item.id, _item_text(item))
    for item in result.removed:
        table.add_row("[red]-[/]", item.id, _item_text(item))
    for change in result.reworded:
        table.add_row("[yellow]~[/]", change.id, f"[red]{change.old.text_zh}[/]\n[green]{change.new.text_zh}[/]")
    for change in result.rescoped:
        table.add_row("[blue]*[/]", change.id, ", ".join(change.fields))
    console.print(table)
    console.print(
        _t(
            f"新增 {len(result.added)}、刪除 {len(result.removed)}、文字修正 {len(result.reworded)}、適用範圍變動 {len(result.rescoped)}",
            f"added {len(result.added)}, removed {len(result.removed)}, reworded {len(result.reworded)}, "
            f"re-scoped {len(result.rescoped)}",
        )
    )


@catalog_app.command("export")
def catalog_export_cmd(
    fmt: Annotated[ExportFormat, typer.Option("--format", "-f", help="json, csv or xlsx")] = ExportFormat.json,
    catalog: CatalogOpt = None,
    output: OutputOpt = None,
) -> None:
    """Export the catalog (every node, areas included) as JSON, CSV or XLSX."""
    cat = load_catalog_ref(catalog)
    if fmt is ExportFormat.json:
        _emit(catalog_export.to_json(cat), output)
    elif fmt is ExportFormat.csv:
        _emit(catalog_export.to_csv(cat), output)
    else:
        _emit(catalog_export.to_xlsx(cat), output)


@catalog_app.command("versions")
def catalog_versions() -> None:
    """The bundled versions of the regulation."""
    table = Table("version", _t("公布日期", "published"), _t("名稱", "title"), _t("查核項目", "items"))
    for version in builtin_versions():
        cat = load_catalog_ref(version)
        table.add_row(
            version, cat.regulation.published.isoformat(), cat.regulation.title_zh, str(len(cat.assessable()))
        )
    console.print(table)


# ---------------------------------------------------------------- profile, scope, calendar


@profile_app.command("template")
def profile_template_cmd(catalog: CatalogOpt = None, output: OutputOpt = None) -> None:
    """Print a profile to fill in, with every condition flag of the catalog."""
    _emit(profile_template(load_catalog_ref(catalog)), output)


@profile_app.command("check")
def profile_check(profile: ProfileArg, catalog: CatalogOpt = None) -> None:
    """Validate a firm profile against the catalog's vocabulary."""
    prof, cat = _profile(profile, catalog)
    console.print(
        _t(
            f"[green]✓[/] {profile}：{prof.name}（{prof.tax_id}），依 {cat.version}",
            f"[green]✓[/] {profile}: {prof.name} ({prof.tax_id}) against {cat.version}",
        )
    )


@app.command("scope")
def scope_cmd(
    profile: ProfileArg,
    on: Annotated[str | None, typer.Option(help="scope as of this date, YYYY-MM-DD (default today)")] = None,
    catalog: CatalogOpt = None,
    excluded: Annotated[bool, typer.Option("--excluded", help="show only the items out of scope")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Which items apply to the firm, and why each excluded one does not."""
    prof, cat = _profile(profile, catalog)
    result = scope_items(cat, prof, _parse_date(on, "--on"))
    if as_json:
        _emit(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n", None)
        return
    entries = result.excluded() if excluded else list(result.entries)
    table = Table("id", _t("查核項目", "item"), _t("頻率", "freq."), _t("適用", "applies"), _t("理由", "why"))
    for entry in entries:
        mark = "[green]✓[/]" if entry.applicable else "[red]✗[/]"
        table.add_row(
            entry.item.id,
            _item_text(entry.item),
            _freq(entry.item.frequency),
            mark,
            "\n".join(r.text(_lang()) for r in entry.reasons),
        )
    console.print(table)
    console.print(
        _t(
            f"{prof.name}：{cat.version}，{result.on.isoformat()} 適用 {len(result.applicable())} 項，不適用 {len(result.excluded())} 項",
            f"{prof.name}: {cat.version} on {result.on.isoformat()}: {len(result.applicable())} applicable, "
            f"{len(result.excluded())} not applicable",
        )
    )


@app.command("calendar")
def calendar_cmd(
    profile: ProfileArg,
    year: Annotated[int, typer.Option(min=2000, max=2999, help="calendar year")] = dt.date.today().year,
    fmt: Annotated[
        CalendarFormat, typer.Option("--format", "-f", help="table, csv, ics or json")
    ] = CalendarFormat.table,
    catalog: CatalogOpt = None,
    output: OutputOpt = None,
) -> None:
    """Every check the firm owes in a year: item × period, with due dates; CSV and iCalendar export."""
    prof, cat = _profile(profile, catalog)
    checks = cal.due_checks(cat, prof, year)
    if fmt is CalendarFormat.csv:
        _emit(cal.to_csv(checks), output)
    elif fmt is CalendarFormat.ics:
        stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
        _emit(cal.to_ics(checks, cat, prof, lang=_lang(), stamp=stamp), output)
    elif fmt is CalendarFormat.json:
        data = {
            "firm": prof.name,
            "tax_id": prof.tax_id,
            "catalog": cat.version,
            "year": year,
            "checks": [c.to_dict() for c in checks],
        }
        _emit(json.dumps(data, ensure_ascii=False, indent=2) + "\n", output)
    else:
        _print_calendar(
            checks,
            _t(
                f"{prof.name} {year} 年應辦查核共 {len(checks)} 項次",
                f"{prof.name}: {len(checks)} checks owed in {year}",
            ),
        )
