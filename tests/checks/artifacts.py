"""Builders of realistic artifacts in the formats the real tools write, for the check tests.

Shadow hashes come from ``openssl passwd`` (sha512/sha256/md5-crypt) and the ``bcrypt``/``argon2``
libraries; the secedit INF is UTF-16 LE with a BOM and CRLF as ``secedit /export`` writes it; the AD
CSV is PowerShell ``Export-Csv -NoTypeInformation`` style (every field quoted, FILETIME integers,
culture-formatted whenCreated).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import subprocess
from pathlib import Path
from typing import Any

import yaml

from brokersec.checks.parsers.dates import to_filetime

AS_OF = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 11, 30, 9, 0, 0)


def openssl_hash(scheme: str, password: str, salt: str = "Ab3dEf7h") -> str:
    """A crypt(3) hash made by the real ``openssl passwd`` (``-6``, ``-5``, ``-1``)."""
    out = subprocess.run(
        ["openssl", "passwd", f"-{scheme}", "-salt", salt, "-stdin"],
        input=password,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def bcrypt_hash(password: str, rounds: int = 4) -> str:
    import bcrypt

    return bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds)).decode()


def argon2_hash(password: str) -> str:
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(password)


def shadow_line(name: str, hashed: str, lastchg: int = 20400, max_days: str = "90") -> str:
    return f"{name}:{hashed}:{lastchg}:0:{max_days}:7:::"


def write(path: Path, text: str | bytes, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode(encoding))
    return path


def secedit_inf(min_len: int = 8, complexity: int = 1, lockout: int = 3, max_age: int = 90) -> bytes:
    """As ``secedit /export /cfg policy.inf`` writes it: UTF-16 LE, BOM, CRLF."""
    text = (
        "[Unicode]\r\nUnicode=yes\r\n[System Access]\r\n"
        f"MinimumPasswordAge = 1\r\nMaximumPasswordAge = {max_age}\r\nMinimumPasswordLength = {min_len}\r\n"
        f"PasswordComplexity = {complexity}\r\nPasswordHistorySize = 24\r\nLockoutBadCount = {lockout}\r\n"
        "ResetLockoutCount = 30\r\nLockoutDuration = 30\r\nRequireLogonToChangePassword = 0\r\n"
        'ForceLogoffWhenHourExpire = 0\r\nNewAdministratorName = "ops-admin"\r\nNewGuestName = "Guest"\r\n'
        "ClearTextPassword = 0\r\nLSAAnonymousNameLookup = 0\r\nEnableAdminAccount = 0\r\nEnableGuestAccount = 0\r\n"
        '[Event Audit]\r\nAuditSystemEvents = 3\r\n[Version]\r\nsignature="$CHICAGO$"\r\nRevision=1\r\n'
    )
    return b"\xff\xfe" + text.encode("utf-16-le")


def powershell_csv(header: list[str], rows: list[list[Any]]) -> str:
    """``Export-Csv -NoTypeInformation``: every field double-quoted, CRLF line ends."""
    buf = io.StringIO()
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def plain_csv(header: list[str], rows: list[list[Any]]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return buf.getvalue()


def ft(days_ago: float | None) -> int | str:
    if days_ago is None:
        return 0
    return to_filetime(NOW - dt.timedelta(days=days_ago))


def us_date(days_ago: float) -> str:
    """whenCreated as en-US PowerShell writes it: ``11/30/2026 9:00:00 AM``."""
    d = NOW - dt.timedelta(days=days_ago)
    return f"{d.month}/{d.day}/{d.year} {d.strftime('%I').lstrip('0')}:{d:%M:%S} {d:%p}"


AD_HEADER = [
    "DistinguishedName",
    "Enabled",
    "lastLogonTimestamp",
    "Name",
    "pwdLastSet",
    "sAMAccountName",
    "userAccountControl",
    "whenCreated",
]


def ad_user(
    sam: str,
    *,
    enabled: bool = True,
    logon: float | None = 3,
    pwd: float | None = 30,
    created: float = 800,
    uac: int | None = None,
) -> list[Any]:
    uac = uac if uac is not None else (512 if enabled else 514)
    return [
        f"CN={sam},OU=Staff,DC=corp,DC=example,DC=tw",
        "True" if enabled else "False",
        ft(logon),
        sam,
        ft(pwd),
        sam,
        uac,
        us_date(created),
    ]


ROSTER_HEADER = [
    "employee_id",
    "name",
    "account",
    "department",
    "job_title",
    "status",
    "hire_date",
    "leave_date",
    "contractor",
    "contract_end",
]


def bundle_yaml(folder: Path, data: dict[str, Any]) -> Path:
    data = {"as_of": AS_OF.isoformat(), **data}
    return write(folder / "bundle.yaml", yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
