"""``/var/log/auth.log`` (``/var/log/secure``): the sudo and su lines that open a privileged session.

Classic syslog stamps carry no year, so it is inferred from the judging day; rsyslog's RFC 3339
stamps are read as they are. Failed attempts ("incorrect password attempts", "NOT in sudoers")
open no session and are skipped.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from brokersec.checks.engine import ArtifactError
from brokersec.checks.parsers.text import lines


@dataclass(frozen=True)
class PrivilegedEvent:
    """One use of a privileged account: a sudo command or an su session."""

    when: dt.datetime
    account: str  # who
    target: str  # as whom
    host: str
    kind: str
    line: int
    file: str


_SYSLOG = re.compile(
    r"^(?P<mon>[A-Z][a-z]{2})\s+(?P<day>\d{1,2})\s+(?P<time>\d{2}:\d{2}:\d{2})\s+(?P<host>\S+)\s+(?P<rest>.*)$"
)
_RFC3339 = re.compile(
    r"^(?P<ts>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})?)\s+(?P<host>\S+)\s+(?P<rest>.*)$"
)
_SUDO = re.compile(r"^sudo(?:\[\d+\])?:\s+(?P<user>\S+)\s*:\s*(?P<fields>.*)$")
_SU_PAM = re.compile(
    r"^su(?:-l)?(?:\[\d+\])?:\s+pam_unix\(su(?:-l)?:session\): session opened for user (?P<target>[^\s(]+)(?:\(uid=\d+\))? by (?P<user>[^\s(]*)"
)
_SU_OLD = re.compile(r"^su(?:\[\d+\])?:\s+\(to (?P<target>[^)]+)\) (?P<user>\S+) on ")
_MONTHS = {
    m: i for i, m in enumerate(("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), 1)
}


def auth_log(file: Path, as_of: dt.date, encoding: str | None = None) -> list[PrivilegedEvent]:
    """sudo and su lines; classic syslog stamps have no year, so it is the latest one not after ``as_of``."""
    out: list[PrivilegedEvent] = []
    for number, text in lines(file, encoding):
        when: dt.datetime
        m = _RFC3339.match(text)
        if m:
            stamp = dt.datetime.fromisoformat(m["ts"].replace("Z", "+00:00"))
            when = stamp.replace(tzinfo=None)
            host, rest = m["host"], m["rest"]
        else:
            m = _SYSLOG.match(text)
            if not m:
                continue
            if m["mon"] not in _MONTHS:
                continue
            month, day = _MONTHS[m["mon"]], int(m["day"])
            year = as_of.year if (month, day) <= (as_of.month, as_of.day) else as_of.year - 1
            h, mi, se = (int(x) for x in m["time"].split(":"))
            try:
                when = dt.datetime(year, month, day, h, mi, se)
            except ValueError:
                raise ArtifactError(f"impossible date {m['mon']} {day}", file=str(file), line=number) from None
            host, rest = m["host"], m["rest"]
        s = _SUDO.match(rest)
        if s:
            parts = s["fields"].split(" ; ")
            if "=" not in parts[0]:
                continue  # "3 incorrect password attempts", "user NOT in sudoers": no session was opened
            fields: dict[str, str] = {}
            for part in parts:
                key, sep, value = part.strip().partition("=")
                if sep:
                    fields[key] = value
            if "COMMAND" not in fields:
                continue  # authentication failures, "incorrect password attempts" lines
            out.append(PrivilegedEvent(when, s["user"], fields.get("USER", "root"), host, "sudo", number, str(file)))
            continue
        s = _SU_PAM.match(rest) or _SU_OLD.match(rest)
        if s:
            out.append(PrivilegedEvent(when, s["user"] or "?", s["target"], host, "su", number, str(file)))
    return out
