"""An application's user table export: username and stored password value, one row per account."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from brokersec.checks.parsers.text import parse_bool, records


@dataclass(frozen=True)
class AppUser:
    line: int
    username: str
    hash: str
    enabled: bool


USER_ALIASES = {
    "username": ("user", "login", "account", "帳號", "使用者代號"),
    "password_hash": ("password", "passwd", "hash", "pwd", "密碼"),
    "enabled": ("active", "status", "啟用"),
}


def users_csv(file: Path, columns: dict[str, str], encoding: str | None = None) -> list[AppUser]:
    out: list[AppUser] = []
    for number, row in records(
        file, ("username", "password_hash"), ("enabled",), columns=columns, aliases=USER_ALIASES, encoding=encoding
    ):
        enabled = parse_bool(row["enabled"], file=file, line=number, column="enabled") if row.get("enabled") else True
        out.append(AppUser(number, row["username"], row["password_hash"], enabled))
    return out
