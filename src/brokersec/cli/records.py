"""`brokersec db|org|user|inspection|result|evidence|review|finding|audit`, `backup`, `restore`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from brokersec.cli.base import (
    AsOpt,
    AsReq,
    InspArg,
    JsonOpt,
    OrgMaybe,
    OrgOpt,
    ProfileArg,
    TodayOpt,
    _kv,
    _out,
    _parse_date,
    _profile_data,
    _records,
    _t,
    _table,
    app,
    console,
    err,
)
from brokersec.errors import InputError, Problem
from brokersec.fileio import write_atomic

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
