"""`brokersec init`, `serve`, `notify`, `demo`: setting up and running an installation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from brokersec import calendar as cal
from brokersec.cli.base import (
    _item_title,
    _lang,
    _parse_date,
    _print_calendar,
    _profile,
    _records,
    _t,
    app,
    console,
    err,
    progress_bar,
)
from brokersec.fileio import write_atomic
from brokersec.scoping import scope as scope_items
from brokersec.settings import data_dir

# ---------------------------------------------------------------- set-up and demo


def _demo_profile_path() -> Path:
    return data_dir() / "firm.yaml"


@app.command("init")
def init_cmd(
    demo: Annotated[
        bool, typer.Option(help="seed the demo firm, its people and some history into an empty database")
    ] = True,
    months: Annotated[
        int | None, typer.Option(min=0, max=120, help="months of demo history (default: since January)")
    ] = None,
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
            today = dt.date.today()
            history = months if months is not None else max(today.month - 1, 3)
            seeded = seed(records, today, months=history, progress=update)
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
