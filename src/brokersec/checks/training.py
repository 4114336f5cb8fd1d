"""Training (CC-13000 (3), CC-15000 (3), (4)) from training records against the HR roster.

The year is the 365 days up to ``as_of``, so the verdict means the same whether the inspection
runs in January or December. People hired within that year, contractors and leavers are not
judged; security staff are named in bundle.yaml (``security_staff`` ids or accounts, or
``security_departments``) because no roster says it reliably.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from brokersec.checks.account_lifecycle import ACTIVE_WORDS, LEFT_WORDS, ROSTER_ALIASES
from brokersec.checks.engine import ArtifactError, Check, Context, Verdict, register
from brokersec.checks.parsers.dates import parse_date
from brokersec.checks.parsers.text import parse_bool, records

SECURITY_HOURS = 15.0
STAFF_HOURS = 3.0
YEAR = dt.timedelta(days=365)

KINDS = {
    "session": ("awareness_session", "session", "宣導講習", "資安宣導講習", "年度宣導", "資訊安全宣導講習"),
    "awareness": ("awareness", "資安認知", "資安宣導", "通識", "認知訓練"),
    "professional": ("professional", "專業", "專業課程", "職能訓練", "functional", "資安專業課程"),
}
_KIND = {word.lower(): kind for kind, words in KINDS.items() for word in words}
TRAINING_ALIASES = {
    "employee_id": ("員工編號", "工號"),
    "account": ("帳號",),
    "date": ("training_date", "日期", "上課日期"),
    "hours": ("時數", "訓練時數"),
    "kind": ("type", "category", "類別", "課程類別"),
    "passed": ("assessment_passed", "評量", "評量結果", "通過評量"),
    "course": ("title", "課程名稱"),
}


@dataclass
class Person:
    key: str
    name: str
    department: str
    security: bool
    hours: float = 0.0
    passed: bool = False
    session: bool = False
    courses: list[str] = field(default_factory=list)


@dataclass
class Year:
    people: dict[str, Person]
    not_judged: int
    sessions_held: int
    start: dt.date


def _load(ctx: Context) -> Year:
    start = ctx.as_of - YEAR
    staff_ids = {s.lower() for s in ctx.bundle.security_staff}
    depts = {d.lower() for d in ctx.bundle.security_departments}
    people: dict[str, Person] = {}
    aliases: dict[str, str] = {}
    not_judged = 0
    for art in ctx.artifacts("hr.roster_csv"):
        if not art.file.exists():
            raise ArtifactError("file not found (listed in bundle.yaml)", file=str(art.file))
        for line, row in records(
            art.file,
            ("status",),
            ("employee_id", "account", "name", "department", "hire_date", "contractor"),
            columns=art.columns,
            aliases=ROSTER_ALIASES,
            encoding=art.encoding,
        ):
            status = row["status"].lower()
            if status not in LEFT_WORDS and status not in ACTIVE_WORDS:
                raise ArtifactError(
                    f"status: {row['status']!r} is not active/left (在職/離職)", file=str(art.file), line=line
                )
            contractor = bool(row.get("contractor")) and parse_bool(
                row["contractor"], file=art.file, line=line, column="contractor"
            )
            try:
                hired = parse_date(row.get("hire_date", ""))
            except ValueError as exc:
                raise ArtifactError(f"hire_date: {exc}", file=str(art.file), line=line) from None
            key = (row.get("employee_id") or row.get("account") or "").lower()
            if not key:
                raise ArtifactError("a roster row needs employee_id or account", file=str(art.file), line=line)
            if status in LEFT_WORDS or contractor:
                continue
            if hired is not None and hired > start:
                not_judged += 1
                continue
            ids = {key, row.get("account", "").lower(), row.get("employee_id", "").lower()} - {""}
            people[key] = Person(
                key,
                row.get("name", ""),
                row.get("department", ""),
                bool(ids & staff_ids) or row.get("department", "").lower() in depts,
            )
            for i in ids:
                aliases[i] = key
    sessions = 0
    for art in ctx.artifacts("training_csv"):
        if not art.file.exists():
            raise ArtifactError("file not found (listed in bundle.yaml)", file=str(art.file))
        for line, row in records(
            art.file,
            ("date", "hours", "kind"),
            ("employee_id", "account", "passed", "course"),
            columns=art.columns,
            aliases=TRAINING_ALIASES,
            encoding=art.encoding,
        ):
            who = (row.get("employee_id") or row.get("account") or "").lower()
            if not who:
                raise ArtifactError("a training row needs employee_id or account", file=str(art.file), line=line)
            try:
                day = parse_date(row["date"])
                hours = float(row["hours"])
            except ValueError as exc:
                raise ArtifactError(f"date/hours: {exc}", file=str(art.file), line=line) from None
            if day is None or hours < 0 or hours > 24 * 31:
                raise ArtifactError(
                    f"date {row['date']!r} / hours {row['hours']!r} out of range", file=str(art.file), line=line
                )
            kind = _KIND.get(row["kind"].strip().lower())
            if kind is None:
                raise ArtifactError(
                    f"kind: {row['kind']!r} is not one of {', '.join(KINDS)} (or 宣導講習/資安認知/專業課程)",
                    file=str(art.file),
                    line=line,
                )
            if not (start < day <= ctx.as_of):
                continue
            passed = bool(row.get("passed")) and parse_bool(row["passed"], file=art.file, line=line, column="passed")
            person = people.get(aliases.get(who, who))
            if kind == "session":
                sessions += 1
            if person is None:
                continue
            person.hours += hours
            person.passed |= passed and kind == "professional"
            person.session |= kind == "session"
            person.courses.append(row.get("course", kind))
    return Year(people, not_judged, sessions, start)


def _year(ctx: Context) -> Year:
    return ctx.shared("training", lambda: _load(ctx))


def _verdicts(ctx: Context, rule: str) -> Iterator[Verdict]:
    subject = "training"
    if not ctx.artifacts("hr.roster_csv"):
        yield Verdict.not_applicable(subject, "needs the HR roster (hr.roster_csv) to know who must be trained")
        return
    try:
        year = _year(ctx)
    except ArtifactError as exc:
        yield Verdict.error(subject, exc)
        return
    span = f"{year.start.isoformat()} – {ctx.as_of.isoformat()}"
    findings: list[dict[str, Any]] = []
    people = sorted(year.people.values(), key=lambda p: p.key)
    if rule == "security_staff":
        judged = [p for p in people if p.security]
        if not judged:
            yield Verdict.not_applicable(
                subject, "no security staff named: set security_staff or security_departments in bundle.yaml"
            )
            return
        for p in judged:
            if p.hours < SECURITY_HOURS or not p.passed:
                findings.append(
                    {
                        "employee": p.key,
                        "name": p.name,
                        "hours": p.hours,
                        "passed_assessment": p.passed,
                        "problem": f"needs ≥ {SECURITY_HOURS:g} h of professional training and a passed assessment in {span}",
                    }
                )
        ok, bad = (
            f"all {len(judged)} security staff trained ≥ {SECURITY_HOURS:g} h with a passed assessment",
            "{n} security staff short of training",
        )
    elif rule == "staff_hours":
        judged = [p for p in people if not p.security]
        for p in judged:
            if p.hours < STAFF_HOURS:
                findings.append(
                    {
                        "employee": p.key,
                        "name": p.name,
                        "department": p.department,
                        "hours": p.hours,
                        "problem": f"needs ≥ {STAFF_HOURS:g} h of security awareness training in {span}",
                    }
                )
        ok, bad = (
            f"all {len(judged)} staff trained ≥ {STAFF_HOURS:g} h",
            "{n} staff member(s) below 3 h of awareness training",
        )
    else:
        if not year.sessions_held:
            findings.append({"problem": f"no awareness session (宣導講習) recorded in {span}"})
        for p in people:
            if not p.session:
                findings.append(
                    {
                        "employee": p.key,
                        "name": p.name,
                        "department": p.department,
                        "problem": f"did not attend the yearly awareness session in {span}",
                    }
                )
        ok, bad = (
            f"all {len(people)} staff attended the yearly awareness session",
            "{n} gap(s) in awareness-session attendance",
        )
    note = f" ({year.not_judged} hired within the year not judged)" if year.not_judged else ""
    yield Verdict.of(subject, findings, ok + note, bad.format(n=len(findings)) + note)


def _make(rule: str, zh: str, en: str, when_zh: str, when_en: str) -> Check:
    return register(
        Check(
            f"training.{rule}",
            zh,
            en,
            ("training_csv", "hr.roster_csv"),
            when_zh,
            when_en,
            lambda ctx: _verdicts(ctx, rule),
            applies=lambda b: any(a.type == "training_csv" for a in b.artifacts),
        )
    )


CHECKS = [
    _make(
        "security_staff",
        "資安人員專業訓練",
        "Security staff training",
        "資安專責人員及主管一年內受訓 15 小時以上並通過評量",
        "security staff trained ≥ 15 h in the year and passed an assessment",
    ),
    _make(
        "staff_hours",
        "一般人員資安訓練時數",
        "Staff awareness hours",
        "其他員工一年內受資安認知訓練 3 小時以上",
        "every other employee had ≥ 3 h of security awareness training in the year",
    ),
    _make(
        "awareness_session",
        "年度資安宣導講習",
        "Yearly awareness session",
        "全體員工一年內參加資安宣導講習",
        "every employee attended the yearly awareness session",
    ),
]
