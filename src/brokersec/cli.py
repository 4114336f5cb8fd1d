"""The ``brokersec`` command: parses arguments, calls the layers, renders the answer.

Nothing here decides anything about the regulation; it only turns options into calls and results
into tables, JSON or files. Bad input of any kind ends with a message naming the file, line or
field and exit code 2 — never a traceback.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.tree import Tree

from brokersec import __version__
from brokersec import calendar as cal
from brokersec.catalog import builtin_versions, completeness_warnings, load_catalog, load_catalog_ref
from brokersec.catalog import export as catalog_export
from brokersec.catalog.diff import diff_catalogs
from brokersec.catalog.models import CHANNEL_LABELS, FREQUENCY_LABELS, Catalog, Item
from brokersec.errors import InputError, Problem
from brokersec.fileio import write_atomic
from brokersec.profile import FirmProfile, load_profile, profile_template
from brokersec.scoping import scope as scope_items
from brokersec.settings import data_dir

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)

app = typer.Typer(
    name="brokersec",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    help="brokersec — 建立證券商資通安全檢查機制 (TWSE securities-firm cybersecurity inspection).",
)
catalog_app = typer.Typer(no_args_is_help=True, help="The regulation as data: list, show, validate, diff, export.")
profile_app = typer.Typer(no_args_is_help=True, help="Firm profiles: the facts that decide scope.")
app.add_typer(catalog_app, name="catalog")
app.add_typer(profile_app, name="profile")


class Lang(StrEnum):
    zh = "zh"
    en = "en"


class ExportFormat(StrEnum):
    json = "json"
    csv = "csv"
    xlsx = "xlsx"


class CalendarFormat(StrEnum):
    table = "table"
    csv = "csv"
    ics = "ics"
    json = "json"


_state = {"lang": os.environ.get("BROKERSEC_LANG", "zh")}

CatalogOpt = Annotated[
    str | None,
    typer.Option("--catalog", "-c", help="catalog version id or YAML file (default: newest bundled)"),
]
ProfileArg = Annotated[Path, typer.Argument(help="firm profile YAML (see `brokersec profile template`)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON on stdout instead of a table")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="write to this file instead of stdout")]


def _lang() -> str:
    return _state["lang"]


def _t(zh: str, en: str) -> str:
    return en if _lang() == "en" else zh


@app.callback(invoke_without_command=True)
def _root(
    ctx: typer.Context,
    lang: Annotated[Lang, typer.Option("--lang", help="language of tables and messages")] = Lang(
        _state["lang"] if _state["lang"] in ("zh", "en") else "zh"
    ),
    version: Annotated[bool, typer.Option("--version", help="print the version and exit")] = False,
) -> None:
    _state["lang"] = lang.value
    if version:
        console.print(f"brokersec {__version__}")
        raise typer.Exit(0)
    if ctx.invoked_subcommand is None:
        console.print(ctx.get_help())
        raise typer.Exit(0)


# ---------------------------------------------------------------- helpers


def _item_text(item: Item) -> str:
    if _lang() == "en":
        return item.text_en or item.text_zh or ""
    return item.text_zh or ""


def _item_title(item: Item) -> str:
    if _lang() == "en":
        return item.title_en or item.title_zh or ""
    return item.title_zh or ""


def _freq(freq: str | None) -> str:
    if not freq:
        return ""
    zh, en = FREQUENCY_LABELS[freq]
    return _t(zh, en)


def _emit(text: str | bytes, output: Path | None) -> None:
    """Send a rendered export to a file (atomically) or stdout."""
    if output is not None:
        write_atomic(output, text)
        err.print(_t(f"已寫入 {output}", f"written to {output}"))
    elif isinstance(text, bytes):
        if sys.stdout.isatty():
            raise InputError(Problem("binary output; give --output FILE", field="--output"))
        sys.stdout.buffer.write(text)
        sys.stdout.flush()
    else:
        sys.stdout.write(text)
        sys.stdout.flush()


def _profile(path: Path, catalog_ref: str | None) -> tuple[FirmProfile, Catalog]:
    """Load a profile and the catalog it is scoped against (``--catalog`` beats the profile's pin)."""
    first = load_profile(path)
    catalog = load_catalog_ref(catalog_ref or first.catalog)
    return load_profile(path, catalog), catalog


def _parse_date(text: str | None, name: str) -> dt.date:
    if text is None:
        return dt.date.today()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(Problem(f"{text!r} is not a date; use YYYY-MM-DD", field=name)) from None


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


def _print_calendar(checks: list[cal.DueCheck], caption: str) -> None:
    table = Table(
        _t("到期日", "due"),
        _t("期間", "period"),
        _t("頻率", "frequency"),
        _t("控制類別", "areas"),
        _t("項目數", "items"),
    )
    groups: dict[tuple[dt.date, str], list[cal.DueCheck]] = {}
    for c in checks:
        groups.setdefault((c.due, c.period.id), []).append(c)
    for (due, period_id), group in groups.items():
        areas = sorted({c.item.code for c in group})
        table.add_row(due.isoformat(), period_id, _freq(group[0].period.frequency), " ".join(areas), str(len(group)))
    console.print(table)
    console.print(caption)


# ---------------------------------------------------------------- set-up and demo


def _demo_profile_path() -> Path:
    return data_dir() / "firm.yaml"


@app.command("init")
def init_cmd() -> None:
    """Prepare the data directory (BROKERSEC_DATA_DIR) with a demo firm profile."""
    from importlib import resources

    target = _demo_profile_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        write_atomic(target, (resources.files("brokersec.demo") / "firm.yaml").read_bytes())
        err.print(_t(f"已建立示範公司資料 {target}", f"created demo firm profile {target}"))
    err.print(_t(f"資料目錄：{target.parent}", f"data directory: {target.parent}"))


@app.command("demo")
def demo_cmd(
    today: Annotated[str | None, typer.Option(help="pretend today is this date, YYYY-MM-DD")] = None,
) -> None:
    """The demo firm's scope today and the checks coming due in the next 60 days."""
    day = _parse_date(today, "--today")
    prof, cat = _profile(_demo_profile_path(), None)
    result = scope_items(cat, prof, day)
    console.rule(f"{prof.name} ({prof.tax_id}) · {cat.regulation.title_zh} · {cat.version}")
    by_area = Table(_t("控制類別", "area"), _t("名稱", "title"), _t("適用", "applicable"), _t("不適用", "excluded"))
    for area in cat.areas():
        entries = [e for e in result.entries if e.item.area == area.id]
        by_area.add_row(
            area.id,
            _item_title(area),
            str(sum(e.applicable for e in entries)),
            str(sum(not e.applicable for e in entries)),
        )
    console.print(by_area)
    for entry in result.excluded():
        console.print(f"  [red]✗[/] {entry.item.id}: " + "; ".join(r.text(_lang()) for r in entry.reasons))
    horizon = day + dt.timedelta(days=60)
    upcoming = [c for y in {day.year, horizon.year} for c in cal.due_checks(cat, prof, y) if day <= c.due <= horizon]
    upcoming.sort(key=lambda c: c.due)
    _print_calendar(
        upcoming,
        _t(
            f"未來 60 天內到期之查核共 {len(upcoming)} 項次",
            f"{len(upcoming)} checks fall due in the next 60 days",
        ),
    )
    err.print(
        _t(
            f"更多：brokersec scope {_demo_profile_path()} ／ brokersec calendar {_demo_profile_path()} --format ics -o checks.ics",
            f"more: brokersec scope {_demo_profile_path()} / brokersec calendar {_demo_profile_path()} --format ics -o checks.ics",
        )
    )


# ---------------------------------------------------------------- entry point


def _guarded(command):  # type: ignore[no-untyped-def]
    """Turn ``InputError`` from any layer into a located message and exit code 2."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
        try:
            return command(*args, **kwargs)
        except InputError as exc:
            for problem in exc.problems:
                err.print(f"[red]error:[/] {escape(str(problem))}", soft_wrap=True)
            raise typer.Exit(2) from None

    return wrapper


for _app in (app, catalog_app, profile_app):
    for _info in _app.registered_commands:
        _info.callback = _guarded(_info.callback)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code (0 done, 2 bad input or usage)."""
    try:
        app(args=argv, prog_name="brokersec")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
