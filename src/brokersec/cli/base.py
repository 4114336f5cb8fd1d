"""Shared parts of the `brokersec` command: the Typer app, consoles, common options and helpers.

Nothing here decides anything about the regulation; it only turns options into calls and results
into tables, JSON or files. Bad input of any kind ends with a message naming the file, line or
field and exit code 2 — never a traceback (``guarded``)."""

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

from brokersec import __version__
from brokersec import calendar as cal
from brokersec.catalog import load_catalog_ref
from brokersec.catalog.models import FREQUENCY_LABELS, Catalog, Item
from brokersec.errors import InputError, Problem
from brokersec.fileio import write_atomic
from brokersec.profile import FirmProfile, load_profile
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


# The CLI has no login: commands that change records act as the user named by --as.
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
