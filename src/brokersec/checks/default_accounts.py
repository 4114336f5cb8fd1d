"""Default and weak accounts (CC-18000 (3) g): default names with password login, guessable passwords.

Weak passwords are found the only honest way: by hashing a short bundled list of common and
default passwords (plus each account's own name) with the account's real scheme and salt, using
libpass/bcrypt/argon2-cffi rather than the ``crypt`` module Python 3.13 removed. Slow hashes are
slow on purpose, so the work is bounded by an estimated cost budget and spread round-robin over
accounts, likeliest passwords first; what the budget did not cover is reported, not hidden.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from brokersec.checks.bundle import Artifact
from brokersec.checks.engine import Check, Context, Verdict, per_subject, register
from brokersec.checks.parsers.sshd import SshdSetting
from brokersec.checks.password_storage import classify

DEFAULT_NAMES = frozenset(
    {"administrator", "admin", "root", "sa", "guest", "test", "demo", "default", "support", "sysadmin", "user", "dba"}
)
WORK_BUDGET_MS = 4000.0  # estimated hashing time for one run; a 10,000-line shadow file finishes in seconds


@cache
def common_passwords() -> tuple[str, ...]:
    text = (resources.files("brokersec.checks") / "data" / "common-passwords.txt").read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


# ---------------------------------------------------------------- default names


def _sshd_findings(art: Artifact, settings: list[tuple[str, SshdSetting]]) -> list[dict[str, Any]]:
    out = []
    global_value: SshdSetting | None = None
    for key, s in settings:
        if key != "permitrootlogin":
            continue
        if s.match is None:
            if global_value is None:  # sshd keeps the first value it obtains
                global_value = s
        elif s.value.lower() == "yes":
            out.append(
                {
                    "account": "root",
                    "setting": "PermitRootLogin",
                    "value": s.value,
                    "where": f"{art.file}:{s.line}",
                    "problem": f"root may log in with a password for connections matching '{s.match}'",
                    "fix": "PermitRootLogin no (or prohibit-password)",
                }
            )
    if global_value is not None and global_value.value.lower() == "yes":
        out.append(
            {
                "account": "root",
                "setting": "PermitRootLogin",
                "value": "yes",
                "where": f"{art.file}:{global_value.line}",
                "problem": "root may log in over SSH with a password",
                "fix": "PermitRootLogin no (or prohibit-password)",
            }
        )
    return out


def _named(name: str) -> bool:
    return name.lower() in DEFAULT_NAMES


def _default_names(ctx: Context) -> Iterator[Verdict]:
    from brokersec.checks.account_lifecycle import ACCOUNT_TYPES, default_named_accounts

    def judge(subject: str, arts: list[Artifact]) -> Verdict:
        findings: list[dict[str, Any]] = []
        for art in arts:
            if art.type in ACCOUNT_TYPES:
                findings += default_named_accounts(ctx, art, DEFAULT_NAMES)
                continue
            data = ctx.load(art)
            if art.type == "linux.sshd_config":
                findings += _sshd_findings(art, data)
            elif art.type == "linux.shadow":
                for e in data:
                    if e.name != "root" and _named(e.name) and classify(e.hash).usable:
                        findings.append(
                            {
                                "account": e.name,
                                "where": f"{art.file}:{e.line}",
                                "problem": "default account name with a password login",
                                "fix": f"usermod -L {e.name} or rename it",
                            }
                        )
            else:
                for u in data:
                    if u.enabled and _named(u.username) and classify(u.hash).usable:
                        findings.append(
                            {
                                "account": u.username,
                                "where": f"{art.file}:{u.line}",
                                "problem": "enabled default account name with a password login",
                                "fix": "disable or rename it",
                            }
                        )
        return Verdict.of(
            subject,
            findings,
            "no enabled default-named account with password login",
            f"{len(findings)} default account(s) usable with a password",
        )

    yield from per_subject(ctx, ("linux.shadow", "linux.sshd_config", "app.users_csv", *ACCOUNT_TYPES), judge)


# ---------------------------------------------------------------- weak passwords


@dataclass
class _Target:
    hash: str
    scheme: str
    accounts: list[tuple[str, str]]  # (account, where)
    candidates: list[str]
    tried: int = 0
    found: str | None = None


def _verifier(scheme: str, value: str) -> tuple[Callable[[str], bool], float] | None:
    """A function that checks one candidate against ``value``, and its estimated cost in ms."""
    from passlib import hash as ph

    if scheme == "plaintext":
        return (lambda c: c == value), 0.0
    if scheme.endswith("(hex)"):
        algo = {"md5 (hex)": "md5", "sha1 (hex)": "sha1", "sha256 (hex)": "sha256", "sha512 (hex)": "sha512"}[scheme]
        digest = value.removeprefix("0x").lower()
        return (lambda c: hashlib.new(algo, c.encode()).hexdigest() == digest), 0.0
    rounds = re.search(r"rounds=(\d+)", value)
    handlers: dict[str, tuple[Any, float]] = {
        "sha512-crypt": (ph.sha512_crypt, 3.6 * (int(rounds[1]) if rounds else 5000) / 5000),
        "sha256-crypt": (ph.sha256_crypt, 3.0 * (int(rounds[1]) if rounds else 5000) / 5000),
        "md5-crypt": (ph.md5_crypt, 0.6),
        "apr1-md5": (ph.apr_md5_crypt, 0.6),
        "des-crypt": (ph.des_crypt, 0.3),
        "bsdi-crypt": (ph.bsdi_crypt, 0.5),
        "ssha": (ph.ldap_salted_sha1, 0.01),
        "sha1": (ph.ldap_sha1, 0.01),
        "md5": (ph.ldap_md5, 0.01),
        "smd5": (ph.ldap_salted_md5, 0.01),
        "ssha256": (ph.ldap_salted_sha256, 0.01),
        "ssha512": (ph.ldap_salted_sha512, 0.01),
        "nthash": (ph.bsd_nthash, 0.01),
    }
    if scheme.startswith("bcrypt") and value.startswith("$2"):
        cost = int(value[4:6]) if value[4:6].isdigit() else 12
        return (lambda c: ph.bcrypt.verify(c, value)), 0.09 * 2**cost
    if scheme.startswith("argon2") and value.startswith("$argon2"):
        m = re.search(r"m=(\d+),t=(\d+)", value)
        mem, t = (int(m[1]), int(m[2])) if m else (65536, 3)
        return (lambda c: ph.argon2.verify(c, value)), max(1.0, mem * t / 1000)
    if scheme == "pbkdf2" and value.startswith("$pbkdf2"):
        handler = {"$pbkdf2-sha256$": ph.pbkdf2_sha256, "$pbkdf2-sha512$": ph.pbkdf2_sha512, "$pbkdf2$": ph.pbkdf2_sha1}
        for prefix, h in handler.items():
            if value.startswith(prefix):
                n = int(value.split("$")[2]) if value.split("$")[2].isdigit() else 29000
                return (lambda c, h=h: h.verify(c, value)), n / 2000
    if scheme == "pbkdf2 (Django)":
        h = ph.django_pbkdf2_sha256 if value.startswith("pbkdf2_sha256$") else ph.django_pbkdf2_sha1
        n = int(value.split("$")[1]) if value.split("$")[1].isdigit() else 260000
        return (lambda c: h.verify(c, value)), n / 2000
    if scheme in handlers:
        h, cost = handlers[scheme]
        return (lambda c: h.verify(c, value)), cost
    return None


def find_weak(
    entries: list[tuple[str, str, str]], *, budget_ms: float = WORK_BUDGET_MS, words: tuple[str, ...] | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``entries`` are ``(account, stored value, where)``; returns findings and what the budget covered."""
    words = words if words is not None else common_passwords()
    targets: dict[str, _Target] = {}
    unverifiable: dict[str, int] = {}
    for account, value, where in entries:
        s = classify(value)
        if not s.usable or s.name == "empty":
            continue
        t = targets.get(value)
        if t is None:
            candidates = list(dict.fromkeys([account, account.lower(), account + "123", *words]))
            t = targets[value] = _Target(value, s.name, [], candidates)
        else:
            t.candidates = list(dict.fromkeys([account, *t.candidates]))
        t.accounts.append((account, where))
    plan: list[tuple[_Target, Callable[[str], bool], float]] = []
    for t in targets.values():
        v = _verifier(t.scheme, t.hash)
        if v is None:
            unverifiable[t.scheme] = unverifiable.get(t.scheme, 0) + len(t.accounts)
        else:
            plan.append((t, v[0], v[1]))
    spent = 0.0
    for step in range(max((len(t.candidates) for t, _, _ in plan), default=0)):
        progressed = False
        for t, verify, cost in plan:
            if t.found is not None or step >= len(t.candidates):
                continue
            if spent + cost > budget_ms and cost > 0:
                continue
            spent += cost
            progressed = True
            t.tried += 1
            try:
                if verify(t.candidates[step]):
                    t.found = t.candidates[step]
            except (ValueError, TypeError):
                t.tried = len(t.candidates)  # malformed hash: nothing more to try
        if not progressed:
            break
    findings = []
    for t, _, _ in plan:
        if t.found is None:
            continue
        same_as_name = any(t.found.lower() in (a.lower(), a.lower() + "123") for a, _ in t.accounts)
        for account, where in t.accounts:
            findings.append(
                {
                    "account": account,
                    "scheme": t.scheme,
                    "where": where,
                    "problem": "password is the account name"
                    if same_as_name
                    else "password is on the common/default list",
                    "fix": "reset the password now and check the account's recent logins",
                }
            )
    partial = sum(len(t.accounts) for t, _, _ in plan if t.found is None and t.tried < len(t.candidates))
    coverage = {
        "hashes": len(plan),
        "accounts_not_fully_tried": partial,
        "estimated_ms": round(spent),
        "not_verifiable": unverifiable,
        "list_size": len(words),
    }
    return findings, coverage


def _weak(ctx: Context) -> Iterator[Verdict]:
    def judge(subject: str, arts: list[Artifact]) -> Verdict:
        entries: list[tuple[str, str, str]] = []
        for art in arts:
            data = ctx.load(art)
            if art.type == "linux.shadow":
                entries += [(e.name, e.hash, f"{art.file}:{e.line}") for e in data]
            else:
                entries += [(u.username, u.hash, f"{art.file}:{u.line}") for u in data if u.enabled]
        findings, coverage = find_weak(entries)
        note = ""
        if coverage["accounts_not_fully_tried"]:
            note += f"; {coverage['accounts_not_fully_tried']} account(s) not fully tried within the work budget"
        if coverage["not_verifiable"]:
            note += "; not verifiable here: " + ", ".join(f"{k} ×{v}" for k, v in coverage["not_verifiable"].items())
        v = Verdict.of(
            subject,
            findings,
            f"no password matched the {coverage['list_size']} common/default passwords" + note,
            f"{len(findings)} account(s) with a guessable password" + note,
        )
        return Verdict(v.subject, v.status, v.summary, [*v.findings, {"coverage": coverage}], v.findings_total)

    yield from per_subject(ctx, ("linux.shadow", "app.users_csv"), judge)


CHECKS = [
    register(
        Check(
            "default_accounts.default_names",
            "預設帳號",
            "Default accounts",
            ("linux.shadow", "linux.sshd_config", "app.users_csv", "ad.users_csv", "ad.users_ldif", "app.accounts_csv"),
            "無啟用且可用密碼登入之預設帳號（administrator、root、sa、admin、guest 等），sshd 不允許 root 密碼登入",
            "no enabled default-named account (administrator, root, sa, admin, guest, ...) with password login; sshd refuses root password logins",
            _default_names,
        )
    ),
    register(
        Check(
            "default_accounts.weak_passwords",
            "簡易密碼",
            "Weak passwords",
            ("linux.shadow", "app.users_csv"),
            "無帳號使用常見或預設密碼（以實際雜湊演算法比對）",
            "no account uses a common or default password (verified with the real hash scheme)",
            _weak,
        )
    ),
]
