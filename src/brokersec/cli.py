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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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


@contextmanager
def progress_bar(description: str) -> Iterator[Callable[..., None]]:
    """A Rich progress bar on stderr for long work; yields ``update(done, total=None, label=None)``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int | None = None, total: int | None = None, label: str | None = None) -> None:
            changes: dict[str, object] = {}
            if done is not None:
                changes["completed"] = done
            if total is not None:
                changes["total"] = total
            if label:
                changes["description"] = label[:40]
            bar.update(task, **changes)

        yield update


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
def init_cmd(
    demo: Annotated[
        bool, typer.Option(help="seed the demo firm, its people and some history into an empty database")
    ] = True,
    months: Annotated[int, typer.Option(min=0, max=120, help="months of demo history")] = 6,
) -> None:
    """Prepare the data directory: demo profile, migrated database, and (if empty) the demo firm."""
    from importlib import resources

    from brokersec.demo.seed import seed
    from brokersec.records.db import database_url, display_url, open_engine, upgrade

    target = _demo_profile_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        write_atomic(target, (resources.files("brokersec.demo") / "firm.yaml").read_bytes())
        err.print(_t(f"已建立示範公司資料 {target}", f"created demo firm profile {target}"))
    engine = open_engine()
    before, after = upgrade(engine)
    engine.dispose()
    if before != after:
        err.print(
            _t(
                f"資料庫已更新至 {after}：{display_url(database_url())}",
                f"database at {after}: {display_url(database_url())}",
            )
        )
    records = _records()
    if demo and not records.list_users():
        with progress_bar(_t("建立示範資料", "seeding demo data")) as update:
            seeded = seed(records, dt.date.today(), months=months, progress=update)
        console.rule(
            _t("初始帳號（只顯示這一次，首次登入須變更密碼）", "initial accounts (shown once; change at first sign-in)")
        )
        for username, password in seeded.passwords.items():
            console.print(f"  {username:10} {password}")
        console.print(
            _t("管理者（admin）首次登入後須設定兩步驟驗證。", "admin must set up two-step sign-in at first sign-in.")
        )
    err.print(_t(f"資料目錄：{target.parent}", f"data directory: {target.parent}"))


@app.command("serve")
def serve_cmd(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port")] = 8000,
) -> None:
    """Run the web application and REST API (refuses an unmigrated database)."""
    import uvicorn

    from brokersec.web.app import create_app

    application = create_app(_records())
    console.print(_t(f"brokersec 已啟動：http://{host}:{port}/", f"brokersec is serving at http://{host}:{port}/"))
    uvicorn.run(application, host=host, port=port, log_level="info", proxy_headers=True)


@app.command("notify")
def notify_cmd(
    today: Annotated[str | None, typer.Option(help="pretend today is this date, YYYY-MM-DD")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the messages instead of sending them")] = False,
    base_url: Annotated[str, typer.Option(help="address of the web application, for links")] = "http://127.0.0.1:8000",
) -> None:
    """E-mail each user their notices (checks due and overdue, reviews, findings due, evidence ageing)."""
    from brokersec.mail import digest_message, send, smtp_settings

    day = _parse_date(today, "--today")
    records = _records()
    settings = smtp_settings() if not dry_run else {"sender": "brokersec@localhost"}
    messages = []
    for user in records.list_users():
        if not user["active"]:
            continue
        notices = records.notices_for(user["username"], day)
        if notices:
            messages.append(digest_message(user, notices, settings["sender"], base_url))
    if dry_run:
        for msg in messages:
            console.print(msg.as_string())
    else:
        send(messages, settings)
    err.print(_t(f"通知 {len(messages)} 位使用者", f"{len(messages)} users notified"))


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


from brokersec.cli_report import report_app  # noqa: E402  (mounted here, defined beside)

app.add_typer(report_app, name="report")


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


# ================================================================ records (issue 3)
# db, org, user, inspection, result, evidence, review, finding, audit, backup, restore.
# The CLI has no login: commands that change records act as the user named by --as (username or
# e-mail), whose roles in the firm are checked and who is named in the audit trail. Anyone who can
# run this command on the server can therefore act as any user; the web UI is where people log in.

db_app = typer.Typer(no_args_is_help=True, help="The records database: migrate, status.")
org_app = typer.Typer(no_args_is_help=True, help="Firms served by this installation, with profile history.")
user_app = typer.Typer(no_args_is_help=True, help="Users and their roles per firm.")
inspection_app = typer.Typer(no_args_is_help=True, help="Inspections: one firm, one period, scope frozen at start.")
result_app = typer.Typer(no_args_is_help=True, help="Results per item: record, history.")
evidence_app = typer.Typer(no_args_is_help=True, help="Evidence vault: add, link, hold, delete, verify.")
review_app = typer.Typer(
    no_args_is_help=True, help="Sign-off: a reviewer other than the inspector approves or returns."
)
finding_app = typer.Typer(no_args_is_help=True, help="Findings (deficiencies) and their remediation.")
audit_app = typer.Typer(no_args_is_help=True, help="The hash-chained audit trail.")
for _name, _sub in (
    ("db", db_app),
    ("org", org_app),
    ("user", user_app),
    ("inspection", inspection_app),
    ("result", result_app),
    ("evidence", evidence_app),
    ("review", review_app),
    ("finding", finding_app),
    ("audit", audit_app),
):
    app.add_typer(_sub, name=_name)

AsOpt = Annotated[
    str | None,
    typer.Option("--as", help="act as this user (username or e-mail); the CLI has no login"),
]
AsReq = Annotated[str, typer.Option("--as", help="act as this user (username or e-mail); the CLI has no login")]
OrgOpt = Annotated[str, typer.Option("--org", help="firm id or 統一編號")]
OrgMaybe = Annotated[str | None, typer.Option("--org", help="firm id or 統一編號 (needed when naming a period)")]
InspArg = Annotated[str, typer.Argument(help="inspection id, or period (2026-11) together with --org")]
TodayOpt = Annotated[str | None, typer.Option("--today", help="pretend today is YYYY-MM-DD")]


_records_cache: dict[tuple[str, str], object] = {}


def _records(as_user: str | None = None):  # type: ignore[no-untyped-def]
    """One ``Records`` per database and data directory for the life of the process (tests call ``main`` often)."""
    import getpass
    import socket

    from brokersec.records import Records, database_url

    key = (database_url(), str(data_dir()))
    rec = _records_cache.get(key)
    if rec is None:
        rec = Records.open()
        _records_cache[key] = rec
    if as_user:
        return rec.as_user(as_user, client_addr=f"cli:{getpass.getuser()}@{socket.gethostname()}")
    return rec


def _out(data: object, as_json: bool, render=None) -> None:  # type: ignore[no-untyped-def]
    if as_json or render is None:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")
        sys.stdout.flush()
    else:
        render(data)


def _table(rows: list[dict], columns: list[str], title: str | None = None) -> None:  # type: ignore[type-arg]
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in columns))
    console.print(table)


def _kv(data: dict, title: str | None = None) -> None:  # type: ignore[type-arg]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    for key, value in data.items():
        if not isinstance(value, list | dict):
            grid.add_row(key, "" if value is None else str(value))
    console.print(Panel(grid, title=title) if title else grid)


def _profile_data(path: Path) -> dict:  # type: ignore[type-arg]
    from brokersec.yamlio import read_yaml

    data, _ = read_yaml(path)
    load_profile(path, load_catalog_ref(data.get("catalog") if isinstance(data, dict) else None))
    return data


# ---------------------------------------------------------------- db


@db_app.command("upgrade")
def db_upgrade(as_json: JsonOpt = False) -> None:
    """Create or migrate the records database (BROKERSEC_DATABASE_URL, default SQLite in the data directory)."""
    from brokersec.records.db import database_url, display_url, open_engine, upgrade

    url = database_url()
    engine = open_engine(url)
    before, after = upgrade(engine)
    engine.dispose()
    data = {"database": display_url(url), "from": before, "to": after}
    _out(data, as_json, lambda d: console.print(f"{d['database']}: {d['from'] or '(empty)'} → {d['to']}"))


@db_app.command("status")
def db_status(as_json: JsonOpt = False) -> None:
    """Schema revision and row counts."""
    from brokersec.records.db import current_revision, database_url, display_url, head_revision, open_engine

    engine = open_engine()
    current = current_revision(engine)
    data: dict = {"database": display_url(database_url()), "schema": current, "head": head_revision()}  # type: ignore[type-arg]
    if current == data["head"]:
        data["rows"] = _records().count_rows()
    engine.dispose()
    _out(
        data,
        as_json,
        lambda d: (_kv(d), _table([{"table": k, "rows": v} for k, v in d.get("rows", {}).items()], ["table", "rows"])),
    )


# ---------------------------------------------------------------- org


@org_app.command("create")
def org_create(profile: ProfileArg, as_user: AsReq, as_json: JsonOpt = False) -> None:
    """Register a firm from its profile YAML; you become its admin."""
    org = _records(as_user).create_org(_profile_data(profile))
    _out(
        org,
        as_json,
        lambda d: console.print(_t(f"已建立 {d['name']}（id {d['id']}）", f"created {d['name']} (id {d['id']})")),
    )


@org_app.command("update")
def org_update(
    org: Annotated[str, typer.Argument(help="firm id or 統一編號")],
    profile: ProfileArg,
    as_user: AsReq,
    as_json: JsonOpt = False,
) -> None:
    """A new profile version; inspections already started keep their scope."""
    pv = _records(as_user).update_profile(org, _profile_data(profile))
    _out(pv, as_json, lambda d: console.print(_t(f"公司資料第 {d['version']} 版", f"profile version {d['version']}")))


@org_app.command("list")
def org_list(as_json: JsonOpt = False) -> None:
    """The firms of this installation."""
    _out(_records().list_orgs(), as_json, lambda d: _table(d, ["id", "tax_id", "name", "profile_version"]))


@org_app.command("show")
def org_show(org: Annotated[str, typer.Argument(help="firm id or 統一編號")], as_json: JsonOpt = False) -> None:
    """A firm, its current profile and its profile history."""
    rec = _records()
    data = {
        **rec.get_org(org),
        "profile": rec.profile(org).model_dump(mode="json"),
        "history": rec.profile_history(org),
    }
    _out(data, as_json, lambda d: (_kv(d, d["name"]), _table(d["history"], ["version", "created_at", "created_by"])))


# ---------------------------------------------------------------- user


@user_app.command("create")
def user_create(
    username: Annotated[str, typer.Argument()],
    email: Annotated[str, typer.Option("--email")],
    name: Annotated[str, typer.Option("--name", help="the person's name")],
    title: Annotated[str, typer.Option("--title", help="job title, shown in records with the name")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user with a random initial password to change at first login (the first user needs no --as)."""
    user, initial = _records(as_user).create_user(username, email, name, title)
    data = {**user, "initial_password": initial}
    _out(
        data,
        as_json,
        lambda d: console.print(
            _t(
                f"已建立 {d['username']}；初始密碼（首次登入須變更）：{d['initial_password']}",
                f"created {d['username']}; initial password (must be changed at first login): {d['initial_password']}",
            )
        ),
    )


@user_app.command("list")
def user_list(org: OrgMaybe = None, as_json: JsonOpt = False) -> None:
    """Users, optionally only those with a role in one firm."""
    rows = _records().list_users(org)
    for r in rows:
        r["role_list"] = ", ".join(f"{m['role']}@{m['org_id']}" for m in r["roles"])
    _out(rows, as_json, lambda d: _table(d, ["username", "email", "name", "job_title", "active", "role_list"]))


@user_app.command("show")
def user_show(login: Annotated[str, typer.Argument(help="username or e-mail")], as_json: JsonOpt = False) -> None:
    data = _records().get_user(login)
    _out(data, as_json, lambda d: (_kv(d, d["username"]), _table(d["roles"], ["org_id", "role"])))


@user_app.command("grant")
def user_grant(
    login: Annotated[str, typer.Argument(help="username or e-mail")],
    role: Annotated[str, typer.Option("--role", help="admin, inspector, reviewer, auditor or executive")],
    org: OrgOpt,
    as_user: AsReq,
    as_json: JsonOpt = False,
) -> None:
    """Give a user a role in a firm."""
    data = _records(as_user).add_member(org, login, role)
    _out(data, as_json, lambda d: console.print(f"{login}: {role} @ {d['org_id']}"))


@user_app.command("revoke")
def user_revoke(
    login: Annotated[str, typer.Argument(help="username or e-mail")],
    role: Annotated[str, typer.Option("--role")],
    org: OrgOpt,
    as_user: AsReq,
    as_json: JsonOpt = False,
) -> None:
    """Take a role away."""
    _records(as_user).remove_member(org, login, role)
    _out(
        {"user": login, "role": role, "org": org, "revoked": True},
        as_json,
        lambda d: console.print(f"{login}: -{role}"),
    )


@user_app.command("reset-password")
def user_reset_password(login: Annotated[str, typer.Argument()], as_user: AsReq, as_json: JsonOpt = False) -> None:
    """A new random password, to be changed at next login."""
    new = _records(as_user).reset_password(login)
    _out({"user": login, "initial_password": new}, as_json, lambda d: console.print(d["initial_password"]))


@user_app.command("deactivate")
def user_deactivate(login: Annotated[str, typer.Argument()], as_user: AsReq, as_json: JsonOpt = False) -> None:
    """Stop a user from acting (their records stay)."""
    _out(_records(as_user).set_active(login, False), as_json, lambda d: console.print(f"{d['username']}: inactive"))


@user_app.command("activate")
def user_activate(login: Annotated[str, typer.Argument()], as_user: AsReq, as_json: JsonOpt = False) -> None:
    _out(_records(as_user).set_active(login, True), as_json, lambda d: console.print(f"{d['username']}: active"))


# ---------------------------------------------------------------- inspection and result


@inspection_app.command("start")
def inspection_start(
    period: Annotated[str, typer.Argument(help="2026-11 (monthly), 2026-H2 (semi-annual) or 2026 (annual)")],
    org: OrgOpt,
    as_user: AsReq,
    as_json: JsonOpt = False,
) -> None:
    """Open a period for a firm and freeze its scope (catalog version, items, reasons)."""
    data = _records(as_user).start_inspection(org, period)
    _out(
        data,
        as_json,
        lambda d: console.print(
            _t(
                f"查核 {d['id']}：{d['period_id']}，適用 {d['applicable']} 項，不適用 {d['not_applicable']} 項，{d['due']} 到期",
                f"inspection {d['id']}: {d['period_id']}, {d['applicable']} applicable, {d['not_applicable']} not, due {d['due']}",
            )
        ),
    )


@inspection_app.command("list")
def inspection_list(org: OrgOpt, as_json: JsonOpt = False) -> None:
    _out(
        _records().list_inspections(org),
        as_json,
        lambda d: _table(d, ["id", "period_id", "frequency", "due", "applicable", "recorded", "approved"]),
    )


def _render_checklist(d: dict) -> None:  # type: ignore[type-arg]
    table = Table(
        "item",
        _t("結果", "result"),
        _t("覆核", "review"),
        _t("上期", "previous"),
        _t("佐證", "evidence"),
        _t("注意", "flags"),
        title=f"{d['period_id']} ({d['catalog_version']})",
    )
    for row in d["items"]:
        res = row["result"] or {}
        prev = ((row.get("previous") or {}).get("result") or {}).get("status", "")
        status = res.get("status", "") if row["applicable"] else _t("不適用（範圍）", "out of scope")
        table.add_row(
            row["item"],
            status,
            res.get("review_state", ""),
            prev,
            str(len(row["evidence"])),
            "; ".join(f["problem"] for f in row["flags"]),
        )
    console.print(table)
    console.print(f"{d['recorded']}/{d['applicable']} recorded, {d['approved']} approved")


@inspection_app.command("show")
def inspection_show(inspection: InspArg, org: OrgMaybe = None, as_json: JsonOpt = False) -> None:
    """The checklist: each item's result, review, previous period's result, evidence and flags."""
    _out(_records().get_inspection(inspection, org), as_json, _render_checklist)


@inspection_app.command("overdue")
def inspection_overdue(
    org: OrgOpt,
    today: TodayOpt = None,
    since: Annotated[str | None, typer.Option("--since", help="from YYYY-MM-DD (default 1 January)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Checks past their due date without an approved result."""
    day = _parse_date(today, "--today")
    rows = _records().overdue(org, day, _parse_date(since, "--since") if since else None)
    _out(rows, as_json, lambda d: _table(d, ["item", "period", "due", "days_overdue", "state"]))


@result_app.command("record")
def result_record(
    inspection: InspArg,
    item: Annotated[str, typer.Argument(help="item id, e.g. CC-17010.a.a")],
    status: Annotated[str, typer.Argument(help="conform, nonconform, partial, not_applicable or not_checked")],
    as_user: AsReq,
    note: Annotated[str, typer.Option("--note")] = "",
    reason: Annotated[str | None, typer.Option("--reason", help="required with not_applicable")] = None,
    org: OrgMaybe = None,
    as_json: JsonOpt = False,
) -> None:
    """Record a result (it supersedes the item's current one, which is kept) for review."""
    data = _records(as_user).record_result(inspection, item, status, note, reason, org)
    _out(
        data, as_json, lambda d: console.print(f"result {d['id']}: {d['item_id']} {d['status']} ({d['review_state']})")
    )


@result_app.command("history")
def result_history(
    inspection: InspArg, item: Annotated[str, typer.Argument()], org: OrgMaybe = None, as_json: JsonOpt = False
) -> None:
    """Every result recorded for an item in an inspection, corrections included."""
    rows = _records().result_history(inspection, item, org)
    _out(
        rows,
        as_json,
        lambda d: _table(d, ["id", "status", "note", "recorded_at", "review_state", "review_comment", "supersedes_id"]),
    )


@result_app.command("show")
def result_show(result_id: Annotated[int, typer.Argument()], as_json: JsonOpt = False) -> None:
    _out(_records().get_result(result_id), as_json, lambda d: _kv(d, f"result {d['id']}"))


# ---------------------------------------------------------------- review


@review_app.command("pending")
def review_pending(org: OrgOpt, as_json: JsonOpt = False) -> None:
    """Results waiting for a reviewer."""
    _out(_records().pending_reviews(org), as_json, lambda d: _table(d, ["id", "period", "item_id", "status", "note"]))


@review_app.command("approve")
def review_approve(
    result_id: Annotated[int, typer.Argument()],
    as_user: AsReq,
    comment: Annotated[str | None, typer.Option("--comment")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Sign off a result (not your own); a nonconform or partial one opens a finding."""
    data = _records(as_user).approve(result_id, comment)
    _out(
        data,
        as_json,
        lambda d: console.print(
            f"result {d['id']}: approved" + (f"; finding {d['finding_id']}" if d.get("finding_id") else "")
        ),
    )


@review_app.command("return")
def review_return(
    result_id: Annotated[int, typer.Argument()],
    comment: Annotated[str, typer.Option("--comment", help="why it goes back")],
    as_user: AsReq,
    as_json: JsonOpt = False,
) -> None:
    """Send a result back to the inspector."""
    _out(
        _records(as_user).return_result(result_id, comment),
        as_json,
        lambda d: console.print(f"result {d['id']}: returned"),
    )


# ---------------------------------------------------------------- evidence


def _links(values: list[str] | None) -> list[tuple[str, str]]:
    out = []
    for value in values or []:
        inspection, sep, item = value.rpartition(":")
        if not sep or not inspection or not item:
            raise InputError(Problem(f"{value!r}: use INSPECTION:ITEM, e.g. 3:CC-17010.a.a", field="--link"))
        out.append((inspection, item))
    return out


@evidence_app.command("add")
def evidence_add(
    file: Annotated[Path, typer.Argument(help="the file to store")],
    org: OrgOpt,
    collected: Annotated[str, typer.Option("--collected", help="the day the evidence was produced, YYYY-MM-DD")],
    as_user: AsReq,
    link: Annotated[list[str] | None, typer.Option("--link", help="INSPECTION:ITEM it supports (repeatable)")] = None,
    source: Annotated[str, typer.Option("--source", help="uploaded or automated")] = "uploaded",
    description: Annotated[str, typer.Option("--description")] = "",
    media_type: Annotated[str | None, typer.Option("--media-type")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Store a file in the evidence vault (max size: BROKERSEC_MAX_UPLOAD_BYTES)."""
    rec = _records(as_user)
    links = _links(link)
    data = rec.add_evidence(
        org,
        file,
        collected_at=_parse_date(collected, "--collected"),
        source=source,
        description=description,
        media_type=media_type,
        links=links,
    )
    _out(
        data,
        as_json,
        lambda d: console.print(
            f"evidence {d['id']}: {d['sha256'][:12]}… {d['size']} B, kept until {d['retain_until']}"
        ),
    )


@evidence_app.command("link")
def evidence_link(
    evidence_id: Annotated[int, typer.Argument()],
    inspection: InspArg,
    item: Annotated[str, typer.Argument()],
    as_user: AsReq,
    as_json: JsonOpt = False,
) -> None:
    """Let stored evidence support another item (INSPECTION: id, or period of the evidence's firm)."""
    _out(
        _records(as_user).link_evidence(evidence_id, inspection, item),
        as_json,
        lambda d: console.print(f"evidence {evidence_id} → {item}"),
    )


@evidence_app.command("list")
def evidence_list(
    org: OrgOpt,
    inspection: Annotated[str | None, typer.Option("--inspection")] = None,
    item: Annotated[str | None, typer.Option("--item")] = None,
    as_json: JsonOpt = False,
) -> None:
    rows = _records().list_evidence(org, inspection, item)
    _out(
        rows,
        as_json,
        lambda d: _table(d, ["id", "original_name", "size", "collected_at", "source", "retain_until", "legal_hold"]),
    )


@evidence_app.command("show")
def evidence_show(evidence_id: Annotated[int, typer.Argument()], as_json: JsonOpt = False) -> None:
    _out(_records().get_evidence(evidence_id), as_json, lambda d: _kv(d, f"evidence {d['id']}"))


@evidence_app.command("get")
def evidence_get(
    evidence_id: Annotated[int, typer.Argument()], output: Annotated[Path, typer.Option("--output", "-o")]
) -> None:
    """Copy a stored file out of the vault."""
    meta, fh = _records().open_evidence(evidence_id)
    with fh:
        write_atomic(output, fh.read())
    err.print(f"{meta['original_name']} → {output}")


@evidence_app.command("hold")
def evidence_hold(
    evidence_id: Annotated[int, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason")],
    as_user: AsReq,
    release: Annotated[bool, typer.Option("--release", help="lift the hold instead")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Put evidence under legal hold (kept past retention), or lift the hold."""
    data = _records(as_user).set_legal_hold(evidence_id, not release, reason)
    _out(data, as_json, lambda d: console.print(f"evidence {d['id']}: legal hold {'on' if d['legal_hold'] else 'off'}"))


@evidence_app.command("delete")
def evidence_delete(
    evidence_id: Annotated[int, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason")],
    as_user: AsReq,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Delete evidence past its retention date (refused before it, or under legal hold)."""
    data = _records(as_user).delete_evidence(evidence_id, reason, _parse_date(today, "--today") if today else None)
    _out(data, as_json, lambda d: console.print(f"evidence {d['id']}: deleted"))


@evidence_app.command("verify")
def evidence_verify(as_json: JsonOpt = False) -> None:
    """Re-hash every stored file; report missing or altered ones (exit 1 if any)."""
    report = _records().verify_evidence()

    def render(d: dict) -> None:  # type: ignore[type-arg]
        for m in d["missing"]:
            console.print(f"[red]missing[/] {m['sha256']} (evidence {m['evidence_ids']})")
        for a in d["altered"]:
            console.print(f"[red]altered[/] {a['sha256']} (evidence {a['evidence_ids']})")
        if d["unreferenced"]:
            console.print(f"[yellow]{len(d['unreferenced'])} stored file(s) no record refers to[/]")
        console.print(("[green]✓[/] " if d["ok"] else "[red]✗[/] ") + f"{d['checked']} file(s) checked")

    _out(report, as_json, render)
    if not report["ok"]:
        raise typer.Exit(1)


# ---------------------------------------------------------------- finding


@finding_app.command("open")
def finding_open(
    result_id: Annotated[int, typer.Argument(help="a nonconform or partial result")],
    description: Annotated[str, typer.Option("--description")],
    as_user: AsReq,
    severity: Annotated[str, typer.Option("--severity", help="low, medium, high or critical")] = "medium",
    recommendation: Annotated[str, typer.Option("--recommendation")] = "",
    owner: Annotated[str | None, typer.Option("--owner", help="user responsible for remediation")] = None,
    due: Annotated[str | None, typer.Option("--due", help="remediation due date YYYY-MM-DD")] = None,
    plan: Annotated[str, typer.Option("--plan", help="remediation plan")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Open a finding (approving a nonconform/partial result opens one too)."""
    data = _records(as_user).open_finding(
        result_id, description, severity, recommendation, owner, _parse_date(due, "--due") if due else None, plan
    )
    _out(
        data,
        as_json,
        lambda d: console.print(
            f"finding {d['id']}" + (f" (repeat of {d['repeat_of_id']})" if d["repeat_of_id"] else "")
        ),
    )


@finding_app.command("update")
def finding_update(
    finding_id: Annotated[int, typer.Argument()],
    as_user: AsReq,
    description: Annotated[str | None, typer.Option("--description")] = None,
    severity: Annotated[str | None, typer.Option("--severity")] = None,
    recommendation: Annotated[str | None, typer.Option("--recommendation")] = None,
    owner: Annotated[str | None, typer.Option("--owner")] = None,
    due: Annotated[str | None, typer.Option("--due")] = None,
    plan: Annotated[str | None, typer.Option("--plan")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Set the details of an open finding."""
    changes = {
        k: v
        for k, v in {
            "description": description,
            "severity": severity,
            "recommendation": recommendation,
            "owner": owner,
            "remediation_plan": plan,
        }.items()
        if v is not None
    }
    if due is not None:
        changes["due_date"] = _parse_date(due, "--due")
    if not changes:
        raise InputError(Problem("nothing to change; give --severity, --owner, --due …", field="finding"))
    _out(_records(as_user).update_finding(finding_id, **changes), as_json, lambda d: _kv(d, f"finding {d['id']}"))


@finding_app.command("start")
def finding_start(finding_id: Annotated[int, typer.Argument()], as_user: AsReq, as_json: JsonOpt = False) -> None:
    """open → in_progress."""
    _out(
        _records(as_user).start_remediation(finding_id),
        as_json,
        lambda d: console.print(f"finding {d['id']}: {d['status']}"),
    )


@finding_app.command("remediated")
def finding_remediated(
    finding_id: Annotated[int, typer.Argument()],
    note: Annotated[str, typer.Option("--note")],
    as_user: AsReq,
    as_json: JsonOpt = False,
) -> None:
    """→ remediated, with what was done."""
    _out(
        _records(as_user).mark_remediated(finding_id, note),
        as_json,
        lambda d: console.print(f"finding {d['id']}: {d['status']}"),
    )


@finding_app.command("evidence")
def finding_evidence(
    finding_id: Annotated[int, typer.Argument()],
    evidence_id: Annotated[int, typer.Argument()],
    as_user: AsReq,
    as_json: JsonOpt = False,
) -> None:
    """Attach verification evidence to a finding."""
    _out(
        _records(as_user).add_finding_evidence(finding_id, evidence_id),
        as_json,
        lambda d: console.print(f"finding {finding_id} ← evidence {evidence_id}"),
    )


@finding_app.command("verify")
def finding_verify(
    finding_id: Annotated[int, typer.Argument()],
    as_user: AsReq,
    comment: Annotated[str, typer.Option("--comment")] = "",
    as_json: JsonOpt = False,
) -> None:
    """remediated → verified (a reviewer other than the remediator; needs evidence)."""
    _out(
        _records(as_user).verify_finding(finding_id, comment),
        as_json,
        lambda d: console.print(f"finding {d['id']}: {d['status']}"),
    )


@finding_app.command("reject")
def finding_reject(
    finding_id: Annotated[int, typer.Argument()],
    comment: Annotated[str, typer.Option("--comment")],
    as_user: AsReq,
    as_json: JsonOpt = False,
) -> None:
    """remediated → in_progress: the remediation did not hold."""
    _out(
        _records(as_user).reject_remediation(finding_id, comment),
        as_json,
        lambda d: console.print(f"finding {d['id']}: {d['status']}"),
    )


@finding_app.command("accept-risk")
def finding_accept_risk(
    finding_id: Annotated[int, typer.Argument()],
    reason: Annotated[str, typer.Option("--reason")],
    as_user: AsReq,
    as_json: JsonOpt = False,
) -> None:
    """Accept the risk instead of remediating (executive or admin; the approver is recorded)."""
    _out(
        _records(as_user).accept_risk(finding_id, reason),
        as_json,
        lambda d: console.print(f"finding {d['id']}: {d['status']}"),
    )


_FINDING_COLUMNS = [
    "id",
    "period",
    "item_id",
    "severity",
    "status",
    "due_date",
    "age_days",
    "overdue_days",
    "repeat_of_id",
]


@finding_app.command("list")
def finding_list(
    org: OrgOpt,
    status: Annotated[str | None, typer.Option("--status")] = None,
    open_only: Annotated[bool, typer.Option("--open", help="only findings not yet verified or accepted")] = False,
    today: TodayOpt = None,
    as_json: JsonOpt = False,
) -> None:
    rows = _records().list_findings(org, status, open_only, _parse_date(today, "--today"))
    _out(rows, as_json, lambda d: _table(d, _FINDING_COLUMNS))


@finding_app.command("show")
def finding_show(
    finding_id: Annotated[int, typer.Argument()], today: TodayOpt = None, as_json: JsonOpt = False
) -> None:
    _out(
        _records().get_finding(finding_id, _parse_date(today, "--today")),
        as_json,
        lambda d: _kv(d, f"finding {d['id']}"),
    )


@finding_app.command("overdue")
def finding_overdue(org: OrgOpt, today: TodayOpt = None, as_json: JsonOpt = False) -> None:
    """Open findings past their due date (CC-21000 (2) follow-up)."""
    _out(
        _records().overdue_findings(org, _parse_date(today, "--today")), as_json, lambda d: _table(d, _FINDING_COLUMNS)
    )


@finding_app.command("escalations")
def finding_escalations(
    org: OrgOpt,
    today: TodayOpt = None,
    after_days: Annotated[int, typer.Option("--after-days", min=0)] = 30,
    as_json: JsonOpt = False,
) -> None:
    """Overdue findings for the board's report: long overdue, high severity, or repeats."""
    rows = _records().escalations(org, _parse_date(today, "--today"), after_days)
    for r in rows:
        r["why"] = "; ".join(r["escalation"])
    _out(rows, as_json, lambda d: _table(d, [*_FINDING_COLUMNS, "why"]))


# ---------------------------------------------------------------- audit, backup, restore


@audit_app.command("verify")
def audit_verify(as_json: JsonOpt = False) -> None:
    """Walk the hash chain; name the first broken link (exit 1 if any)."""
    report = _records().verify_chain()
    _out(
        report.to_dict(),
        as_json,
        lambda d: console.print(
            f"[green]✓[/] {d['entries']} entries, chain intact; head {d['head_hash']}"
            if d["ok"]
            else f"[red]✗[/] audit entry {d['broken_seq']}: {d['reason']}"
        ),
    )
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("log")
def audit_log_cmd(
    org: OrgMaybe = None,
    after: Annotated[int, typer.Option("--after", help="entries after this seq")] = 0,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 200,
    as_json: JsonOpt = False,
) -> None:
    """Who did what, when, from where."""
    rows = _records().audit_log(org, after_seq=after, limit=limit)
    _out(
        rows,
        as_json,
        lambda d: _table(d, ["seq", "at", "actor", "actor_name", "job_title", "role", "action", "entity", "entity_id"]),
    )


@app.command("backup")
def backup_cmd(file: Annotated[Path, typer.Argument(help="archive to write (tar)")], as_json: JsonOpt = False) -> None:
    """One archive: database dump, evidence files, manifest of hashes (safe while the system runs)."""
    from brokersec.records.backup import backup

    manifest = backup(_records(), file)
    summary = {k: manifest[k] for k in ("created_at", "schema", "tables", "blobs", "audit_head")} | {"file": str(file)}
    _out(
        summary, as_json, lambda d: console.print(f"{d['file']}: {sum(d['tables'].values())} rows, {d['blobs']} files")
    )


@app.command("restore")
def restore_cmd(
    file: Annotated[Path, typer.Argument(help="archive made by `brokersec backup`")], as_json: JsonOpt = False
) -> None:
    """Restore an archive into an empty installation, after checking its hashes and audit chain."""
    from brokersec.records.backup import restore, verify_archive
    from brokersec.records.db import open_engine, upgrade

    verify_archive(file)  # refuse a damaged archive before touching the database
    engine = open_engine()
    upgrade(engine)
    engine.dispose()
    manifest = restore(_records(), file)
    summary = {"file": str(file), "tables": manifest["tables"], "blobs": manifest["blobs"], "restored": True}
    _out(summary, as_json, lambda d: console.print(f"restored {sum(d['tables'].values())} rows, {d['blobs']} files"))


# ================================================================ end of records (issue 3)


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


def _guard_all(typer_app: typer.Typer) -> None:
    """Wrap every command of an app and of every sub-app mounted on it, however deep."""
    for info in typer_app.registered_commands:
        if not getattr(info.callback, "__wrapped__", None):
            info.callback = _guarded(info.callback)
    for group in typer_app.registered_groups:
        if group.typer_instance is not None:
            _guard_all(group.typer_instance)


_guard_all(app)


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
