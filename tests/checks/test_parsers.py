"""Parsers on the odd corners of real exports: dates, encodings, PAM syntax, LDIF folding, hostile sizes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from brokersec.checks.engine import ArtifactError
from brokersec.checks.parsers import auth_log, ldif, pam, secedit, sshd
from brokersec.checks.parsers.dates import filetime, parse_date, parse_datetime, to_filetime
from brokersec.checks.parsers.text import lines, records

from .artifacts import secedit_inf, write


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-30", dt.datetime(2026, 11, 30)),
        ("115/11/30", dt.datetime(2026, 11, 30)),  # 民國 115
        ("1151130", dt.datetime(2026, 11, 30)),
        ("11/30/2026 3:04:05 PM", dt.datetime(2026, 11, 30, 15, 4, 5)),  # en-US Export-Csv
        ("2026/11/30 下午 03:04:05", dt.datetime(2026, 11, 30, 15, 4, 5)),  # zh-TW Export-Csv
        ("2026/11/30 上午 12:10:00", dt.datetime(2026, 11, 30, 0, 10, 0)),
        ("20261130150405.0Z", dt.datetime(2026, 11, 30, 15, 4, 5)),  # LDAP generalized time
        ("2026-11-30T07:04:05Z", dt.datetime(2026, 11, 30, 7, 4, 5)),
    ],
)
def test_dates_as_exports_write_them(text: str, expected: dt.datetime) -> None:
    assert parse_datetime(text) == expected


def test_bad_dates_and_filetime() -> None:
    with pytest.raises(ValueError):
        parse_date("next tuesday")
    assert parse_date("") is None
    assert filetime("0") is None and filetime("9223372036854775807") is None
    when = dt.datetime(2026, 11, 30, 9, 0)
    assert filetime(str(to_filetime(when))) == when


def test_secedit_reads_utf16_with_crlf(tmp_path: Path) -> None:
    inf = secedit.secedit(write(tmp_path / "p.inf", secedit_inf(min_len=12)))
    assert inf["System Access"]["MinimumPasswordLength"].value == "12"
    assert inf["System Access"]["MinimumPasswordLength"].line == 6


def test_pam_controls_continuations_and_includes(tmp_path: Path) -> None:
    f = write(
        tmp_path / "system-auth",
        "#%PAM-1.0\nauth [success=1 default=ignore] pam_unix.so \\\n  nullok\n"
        "-auth optional pam_faillock.so authfail deny=3\n@include common-account\n",
    )
    got = pam.pam(f)
    assert [(p.type, p.control, p.module, p.line) for p in got] == [
        ("auth", "[success=1 default=ignore]", "pam_unix.so", 2),
        ("auth", "optional", "pam_faillock.so", 4),
        ("@include", "", "common-account", 5),
    ]
    assert got[1].args == {"authfail": "", "deny": "3"}
    with pytest.raises(ArtifactError) as exc:
        pam.pam(write(tmp_path / "bad", "auth required\n"))
    assert exc.value.line == 1


def test_ldif_folded_and_base64(tmp_path: Path) -> None:
    f = write(
        tmp_path / "u.ldf",
        "version: 1\n\ndn: CN=a,DC=x\nsAMAccountName: al\n ice\ndisplayName:: 546L5bCP5piO\n\n"
        "dn: CN=b,DC=x\nsAMAccountName: bob\n",
    )
    got = list(ldif.records(f))
    assert [(n, r["samaccountname"], r.get("displayname")) for n, r in got] == [
        (3, ["alice"], ["王小明"]),
        (8, ["bob"], None),
    ]


def test_invalid_utf8_is_reported_on_its_own_line(tmp_path: Path) -> None:
    f = tmp_path / "login.defs"
    f.write_bytes(b"PASS_MAX_DAYS 90\n" * 1000 + "PASS_MIN_DAYS 1 # 中文\n".encode("big5"))
    with pytest.raises(ArtifactError) as exc:
        list(lines(f))
    assert exc.value.line == 1001 and "encoding" in exc.value.message


def test_nul_bytes_and_directories(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match="NUL"):
        list(lines(write(tmp_path / "x", b"abc\x00def\n")))
    with pytest.raises(ArtifactError, match="directory"):
        list(lines(tmp_path))


def test_csv_unterminated_quote_and_field_count(tmp_path: Path) -> None:
    f = write(tmp_path / "a.csv", 'account,status\nalice,active\n"bob,active\n')
    with pytest.raises(ArtifactError) as exc:
        list(records(f, ("account", "status")))
    assert exc.value.line == 3
    f = write(tmp_path / "b.csv", "account,status\nalice,active,extra\n")
    with pytest.raises(ArtifactError) as exc:
        list(records(f, ("account", "status")))
    assert exc.value.line == 2 and "3 fields" in exc.value.message


def test_powershell_type_line_is_skipped(tmp_path: Path) -> None:
    f = write(
        tmp_path / "a.csv",
        '#TYPE Microsoft.ActiveDirectory.Management.ADUser\r\n"account","status"\r\n"alice","active"\r\n',
    )
    assert list(records(f, ("account", "status"))) == [(3, {"account": "alice", "status": "active"})]


def test_sshd_keeps_match_context(tmp_path: Path) -> None:
    got = sshd.sshd_config(write(tmp_path / "s", "PermitRootLogin=no\nMatch User backup\n  PermitRootLogin yes\n"))
    assert [(k, s.value, s.match) for k, s in got] == [
        ("permitrootlogin", "no", None),
        ("permitrootlogin", "yes", "User backup"),
    ]


def test_auth_log_rfc3339_and_year_rollover(tmp_path: Path) -> None:
    f = write(
        tmp_path / "auth.log",
        "2026-11-20T10:15:01.123456+08:00 db01 sudo:   dba : TTY=pts/0 ; PWD=/ ; USER=postgres ; COMMAND=/usr/bin/psql\n"
        "Dec 30 23:59:59 db01 su[4321]: (to root) dba on pts/1\n"
        "Dec 30 23:59:59 db01 sudo:   dba : user NOT in sudoers ; TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh\n",
    )
    got = auth_log.auth_log(f, dt.date(2026, 11, 30))
    assert [(e.kind, e.account, e.target, e.when.year) for e in got] == [
        ("sudo", "dba", "postgres", 2026),
        ("su", "dba", "root", 2025),
    ]


def test_secedit_resaved_as_plain_text(tmp_path: Path) -> None:
    text = secedit_inf(min_len=9)[2:].decode("utf-16-le")
    inf = secedit.secedit(write(tmp_path / "p.inf", text))
    assert inf["System Access"]["MinimumPasswordLength"].value == "9"
