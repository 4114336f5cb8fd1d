"""Privileged access (CC-17020 b (c), (e)): every privileged session approved; admin logins from outside use MFA.

Sessions come from a PAM/bastion export or from Linux auth.log sudo and su lines; each must fall
inside an approval window for the same account (and host, when the approval names one) granted by
someone else — a self-approval is no approval. Sign-ins come from the identity provider's log.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from brokersec.checks.bundle import Artifact
from brokersec.checks.engine import ArtifactError, Check, Context, Verdict, per_subject, register
from brokersec.checks.parsers import auth_log
from brokersec.checks.parsers.dates import parse_datetime
from brokersec.checks.parsers.text import records


@dataclass(frozen=True)
class Session:
    when: dt.datetime
    account: str
    host: str
    where: str


@dataclass(frozen=True)
class Approval:
    account: str
    host: str
    start: dt.datetime
    end: dt.datetime
    approver: str
    ref: str
    where: str


def _dt(value: str, file: Any, line: int, column: str, required: bool = True) -> dt.datetime | None:
    try:
        got = parse_datetime(value)
    except ValueError as exc:
        raise ArtifactError(f"{column}: {exc}", file=str(file), line=line) from None
    if got is None and required:
        raise ArtifactError(f"{column}: empty", file=str(file), line=line)
    return got


def sessions(ctx: Context, art: Artifact) -> list[Session]:
    def load() -> list[Session]:
        if art.type == "linux.auth_log":
            return [
                Session(e.when, e.account, e.host, f"{e.file}:{e.line}")
                for e in auth_log.auth_log(art.file, ctx.as_of, art.encoding)
            ]
        out = []
        aliases = {
            "time": ("login_time", "start", "timestamp", "登入時間"),
            "account": ("user", "username", "帳號"),
            "host": ("target", "system", "server", "主機"),
        }
        for line, row in records(
            art.file, ("time", "account"), ("host",), columns=art.columns, aliases=aliases, encoding=art.encoding
        ):
            when = _dt(row["time"], art.file, line, "time")
            assert when is not None
            out.append(Session(when, row["account"], row.get("host", ""), f"{art.file}:{line}"))
        return out

    if not art.file.exists():
        raise ArtifactError("file not found (listed in bundle.yaml)", file=str(art.file))
    return ctx.shared(("sessions", art.index), load)


def approvals(ctx: Context, art: Artifact) -> list[Approval]:
    def load() -> list[Approval]:
        aliases = {
            "account": ("user", "username", "帳號", "申請人帳號"),
            "host": ("system", "target", "主機", "系統"),
            "start": ("from", "valid_from", "開始時間", "核准起"),
            "end": ("to", "until", "valid_to", "結束時間", "核准迄"),
            "approver": ("approved_by", "核准人", "核准主管"),
            "ref": ("ticket", "id", "單號", "approval_id"),
        }
        out = []
        for line, row in records(
            art.file,
            ("account", "start", "end", "approver"),
            ("host", "ref"),
            columns=art.columns,
            aliases=aliases,
            encoding=art.encoding,
        ):
            start, end = _dt(row["start"], art.file, line, "start"), _dt(row["end"], art.file, line, "end")
            assert start is not None and end is not None
            if end < start:
                raise ArtifactError("end is before start", file=str(art.file), line=line)
            if end == dt.datetime.combine(end.date(), dt.time()):  # a date-only end covers the whole day
                end += dt.timedelta(days=1) - dt.timedelta(seconds=1)
            out.append(
                Approval(
                    row["account"].lower(),
                    row.get("host", "").lower(),
                    start,
                    end,
                    row["approver"],
                    row.get("ref", ""),
                    f"{art.file}:{line}",
                )
            )
        return out

    if not art.file.exists():
        raise ArtifactError("file not found (listed in bundle.yaml)", file=str(art.file))
    return ctx.shared(("approvals", art.index), load)


def unapproved(found: list[Session], granted: list[Approval]) -> list[dict[str, Any]]:
    by_account: dict[str, list[Approval]] = {}
    for a in granted:
        by_account.setdefault(a.account, []).append(a)
    out = []
    for s in found:
        candidates = [a for a in by_account.get(s.account.lower(), []) if a.host in ("", "*", s.host.lower())]
        covering = [a for a in candidates if a.start <= s.when <= a.end]
        if any(a.approver.lower() != s.account.lower() for a in covering):
            continue
        problem = "approved by the same account (self-approval)" if covering else "no approval covers this session"
        out.append(
            {
                "account": s.account,
                "host": s.host,
                "time": s.when.isoformat(sep=" "),
                "where": s.where,
                "problem": problem,
                "fix": "record the supervisor's approval before using the privileged account",
            }
        )
    return out


def _approval(ctx: Context) -> Iterator[Verdict]:
    approval_arts = ctx.artifacts("approvals_csv")

    def judge(subject: str, arts: list[Artifact]) -> Verdict:
        found = [s for art in arts for s in sessions(ctx, art)]
        if not approval_arts:
            return Verdict.not_applicable(
                subject, f"{len(found)} privileged session(s) but no approvals_csv in the bundle"
            )
        granted = [a for art in approval_arts for a in approvals(ctx, art)]
        findings = unapproved(found, granted)
        return Verdict.of(
            subject,
            findings,
            f"all {len(found)} privileged session(s) approved",
            f"{len(findings)} of {len(found)} privileged session(s) without an approval",
        )

    yield from per_subject(ctx, ("auth.privileged_logins_csv", "linux.auth_log"), judge)


_MFA_TRUE = {
    "true",
    "yes",
    "y",
    "1",
    "mfa",
    "multifactorauthentication",
    "multifactor authentication",
    "multi-factor authentication",
    "多因子",
    "多因子認證",
    "是",
}
_MFA_FALSE = {
    "false",
    "no",
    "n",
    "0",
    "singlefactorauthentication",
    "single-factor authentication",
    "single factor authentication",
    "單一因子",
    "否",
    "",
}
_FAILED = {"failure", "failed", "fail", "interrupted", "失敗"}


def _mfa(ctx: Context) -> Iterator[Verdict]:
    networks = [ipaddress.ip_network(n, strict=False) for n in ctx.bundle.internal_networks]
    admins = {a.lower() for a in ctx.bundle.admin_accounts}
    for art in ctx.artifacts("auth.privileged_logins_csv", "linux.auth_log"):
        with contextlib.suppress(ArtifactError):  # reported by privileged_access.approval
            admins |= {s.account.lower() for s in sessions(ctx, art)}

    def judge(subject: str, arts: list[Artifact]) -> Verdict:
        aliases = {
            "time": ("date (utc)", "date", "createddatetime", "時間"),
            "account": ("username", "user", "userprincipalname", "帳號"),
            "ip": ("ip address", "ipaddress", "client ip", "來源ip"),
            "mfa": ("authentication requirement", "authenticationrequirement", "多因子"),
            "result": ("status", "結果"),
            "admin": ("is_admin", "管理者"),
        }
        findings: list[dict[str, Any]] = []
        checked = 0
        for art in arts:
            for line, row in records(
                art.file,
                ("account", "ip", "mfa"),
                ("time", "result", "admin"),
                columns=art.columns,
                aliases=aliases,
                encoding=art.encoding,
            ):
                if row.get("result", "").lower() in _FAILED:
                    continue
                is_admin = row["account"].lower() in admins or row.get("admin", "").lower() in (
                    "true",
                    "yes",
                    "1",
                    "是",
                )
                if not is_admin:
                    continue
                try:
                    ip = ipaddress.ip_address(row["ip"])
                except ValueError:
                    raise ArtifactError(
                        f"ip: {row['ip']!r} is not an IP address", file=str(art.file), line=line
                    ) from None
                if any(ip in n for n in networks):
                    continue
                checked += 1
                mfa = row["mfa"].strip().lower()
                if mfa in _MFA_TRUE:
                    continue
                if mfa not in _MFA_FALSE:
                    raise ArtifactError(
                        f"mfa: {row['mfa']!r} is neither MFA nor single-factor", file=str(art.file), line=line
                    )
                findings.append(
                    {
                        "account": row["account"],
                        "ip": row["ip"],
                        "time": row.get("time", ""),
                        "where": f"{art.file}:{line}",
                        "problem": "administrator signed in from outside the internal networks without MFA",
                        "fix": "require MFA for administrators (conditional access) and review this sign-in",
                    }
                )
        return Verdict.of(
            subject,
            findings,
            f"all {checked} external administrator sign-in(s) used MFA",
            f"{len(findings)} external administrator sign-in(s) without MFA",
        )

    if not admins:
        for subject in ctx.by_subject("idp.signins_csv"):
            yield Verdict.not_applicable(
                subject, "no administrator accounts known: list them as admin_accounts in bundle.yaml"
            )
        return
    yield from per_subject(ctx, ("idp.signins_csv",), judge)


CHECKS = [
    register(
        Check(
            "privileged_access.approval",
            "最高權限帳號使用經核准",
            "Privileged use is approved",
            ("auth.privileged_logins_csv", "linux.auth_log", "approvals_csv"),
            "每次最高權限帳號使用（含 sudo、su）皆有他人核准且在核准期間內",
            "every privileged session (sudo and su included) falls inside an approval granted by someone else",
            _approval,
            applies=lambda b: any(a.type in ("auth.privileged_logins_csv", "linux.auth_log") for a in b.artifacts),
        )
    ),
    register(
        Check(
            "privileged_access.mfa",
            "管理帳號外部登入多因子認證",
            "MFA for external admin logins",
            ("idp.signins_csv",),
            "管理帳號自內部網路以外登入時皆使用多因子認證",
            "administrator sign-ins from outside the internal networks all used MFA",
            _mfa,
        )
    ),
]
