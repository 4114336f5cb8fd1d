"""Account lifecycle: an account export joined with the HR roster (CC-15000 (2), CC-18000 (2), (3)).

The join runs in DuckDB because firms have hundreds of thousands of accounts (customers included)
and the check has to finish in seconds. Every rule is one SQL predicate over one joined table, so
the pandas reference implementation in ``benchmarks/account_lifecycle.py`` can mirror it line for
line. The roster is aggregated per account before the join, so a re-hired person with two rows
neither counts as a leaver nor depends on row order.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from brokersec.checks.bundle import Artifact
from brokersec.checks.default_accounts import DEFAULT_NAMES
from brokersec.checks.engine import MAX_FINDINGS, ArtifactError, Check, Context, Verdict, register
from brokersec.checks.parsers import ldif
from brokersec.checks.parsers.dates import parse_datetime
from brokersec.checks.parsers.tabular import CsvSource, prepare_csv

DORMANT_DAYS = 180
AD_REPLICATION_SLACK_DAYS = 14  # lastLogonTimestamp is replicated only once it is ~9-14 days stale
PASSWORD_MAX_AGE_DAYS = 92
INITIAL_PASSWORD_GRACE = dt.timedelta(days=1)

UAC_DISABLED = 0x2
UAC_PASSWD_NOTREQD = 0x20
UAC_DONT_EXPIRE_PASSWORD = 0x10000

ACCOUNT_TYPES = ("ad.users_csv", "ad.users_ldif", "app.accounts_csv")
ROSTER_TYPE = "hr.roster_csv"
RULES = ("leavers", "ended_contractors", "dormant", "password_age", "initial_password", "no_owner", "risky_flags")

AD_ALIASES: dict[str, tuple[str, ...]] = {
    "sAMAccountName": ("samaccountname", "SamAccountName", "account"),
    "Enabled": ("enabled",),
    "lastLogonTimestamp": ("lastlogontimestamp", "LastLogonTimeStamp"),
    "pwdLastSet": ("pwdlastset",),
    "whenCreated": ("whencreated", "Created"),
    "userAccountControl": ("useraccountcontrol",),
}
ACCOUNT_ALIASES: dict[str, tuple[str, ...]] = {
    "account": ("username", "user", "login", "帳號", "使用者代號"),
    "enabled": ("active", "啟用"),
    "last_logon": ("last_login", "lastlogon", "最後登入", "最後登入時間"),
    "password_last_set": ("password_changed", "pwd_last_set", "密碼變更日", "密碼最後變更"),
    "created": ("created_at", "create_date", "建立日期"),
    "password_never_expires": ("pwd_never_expires", "密碼永不過期"),
    "password_not_required": ("pwd_not_required",),
    "customer": ("is_customer", "客戶"),
}
ROSTER_ALIASES: dict[str, tuple[str, ...]] = {
    "employee_id": ("員工編號", "工號", "emp_id"),
    "name": ("姓名",),
    "account": ("帳號", "使用者帳號", "ad帳號", "samaccountname", "username"),
    "department": ("部門", "單位"),
    "job_title": ("職稱",),
    "status": ("在職狀態", "狀態", "employment_status"),
    "hire_date": ("到職日", "到職日期"),
    "leave_date": ("離職日", "離職日期"),
    "contractor": ("委外", "是否委外", "委外人員", "is_contractor"),
    "contract_end": ("合約到期日", "委外期間迄日", "contract_end_date"),
}
LEFT_WORDS = ("left", "離職", "已離職", "resigned", "terminated", "inactive")
ACTIVE_WORDS = ("active", "在職", "employed", "on_leave", "留職停薪")
TRUE_SQL = ("true", "yes", "y", "1", "t", "是", "有", "啟用", "enabled")
FALSE_SQL = ("false", "no", "n", "0", "f", "否", "無", "停用", "disabled", "")

_MACROS = r"""
CREATE OR REPLACE MACRO ft(s) AS CASE
    WHEN try_cast(trim(s) AS BIGINT) > 0 AND try_cast(trim(s) AS BIGINT) < 9223372036854775807
    THEN make_timestamp(try_cast(trim(s) AS BIGINT) // 10 - 11644473600000000) END;
CREATE OR REPLACE MACRO roc(s) AS CASE WHEN regexp_full_match(trim(s), '\d{2,3}[/.-]\d{1,2}[/.-]\d{1,2}')
    THEN try_cast(make_date(CAST(regexp_extract(trim(s), '^(\d+)', 1) AS INTEGER) + 1911,
        CAST(regexp_extract(trim(s), '^\d+[/.-](\d+)', 1) AS INTEGER),
        CAST(regexp_extract(trim(s), '(\d+)$', 1) AS INTEGER)) AS TIMESTAMP) END;
CREATE OR REPLACE MACRO pdt(s) AS CASE WHEN s IS NULL OR s = '' THEN NULL ELSE coalesce(
    try_cast(s AS TIMESTAMP),
    try_strptime(s, '%m/%d/%Y %I:%M:%S %p'),
    try_strptime(s, '%m/%d/%Y %H:%M:%S'),
    try_strptime(s, '%m/%d/%Y'),
    try_strptime(replace(replace(s, '上午', 'AM'), '下午', 'PM'), '%Y/%m/%d %p %I:%M:%S'),
    try_strptime(s, '%Y/%m/%d %H:%M:%S'),
    try_strptime(s, '%Y/%m/%d'),
    try_strptime(s, '%Y%m%d%H%M%S.0Z'),
    try_strptime(s, '%Y%m%d%H%M%SZ'),
    roc(s)) END;
CREATE OR REPLACE MACRO pbool(s) AS CASE WHEN lower(trim(coalesce(s, ''))) IN @TRUE@ THEN true
    WHEN lower(trim(coalesce(s, ''))) IN @FALSE@ THEN false END;
""".replace("@TRUE@", str(TRUE_SQL)).replace("@FALSE@", str(FALSE_SQL))


@dataclass(frozen=True)
class Options:
    as_of: dt.date
    service_accounts: frozenset[str] = frozenset()

    def cutoffs(self) -> dict[str, dt.datetime]:
        day = dt.datetime.combine(self.as_of, dt.time())
        return {
            "dormant_ad": day - dt.timedelta(days=DORMANT_DAYS + AD_REPLICATION_SLACK_DAYS),
            "dormant": day - dt.timedelta(days=DORMANT_DAYS),
            "password": day - dt.timedelta(days=PASSWORD_MAX_AGE_DAYS),
            "today": day,
        }


@dataclass(frozen=True)
class RuleFindings:
    """Every flagged account (for counts and comparisons) and the first few with their details."""

    accounts: list[str]
    details: list[dict[str, Any]]


Findings = dict[str, RuleFindings]


def evaluate(
    accounts: list[Artifact], rosters: list[Artifact], options: Options, *, threads: int | None = None
) -> dict[str, Findings | ArtifactError]:
    """Every rule's full findings per account export (by subject); a broken export maps to its error.

    A broken roster is raised: without it the roster-based rules cannot say anything for anyone.
    """
    con = duckdb.connect(config={"threads": threads} if threads else {})
    sources: list[CsvSource] = []
    try:
        con.execute(_MACROS)
        has_roster = bool(rosters)
        if has_roster:
            _load_roster(con, rosters, options, sources)
        out: dict[str, Findings | ArtifactError] = {}
        for art in accounts:
            try:
                _load_accounts(con, art, sources)
                out[art.subject + "\x00" + str(art.index)] = _rules(con, options, art.type, has_roster)
            except ArtifactError as exc:
                out[art.subject + "\x00" + str(art.index)] = exc
        return out
    finally:
        for s in sources:
            s.close()
        con.close()


def _in(words: tuple[str, ...]) -> str:
    return "(" + ", ".join("'" + w.replace("'", "''") + "'" for w in words) + ")"


_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d",
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %H:%M:%S",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d",
)


def _date_sql(con: duckdb.DuckDBPyConnection, src: CsvSource, table: str, column: str) -> str:
    """A parse expression for one date column: the one format its first values use, falling back to all.

    Trying every format on every row costs seconds on a million rows (a failed cast is slow);
    exports use one format per column, so a sample decides and ``pdt`` handles the odd row.
    """
    sample = [
        r[0]
        for r in _run(
            con, src, f"SELECT trim({column}) FROM {table} WHERE trim(coalesce({column}, '')) <> '' LIMIT 20"
        ).fetchall()
    ]
    for fmt in _FORMATS:
        try:
            for value in sample:
                dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
        if sample:
            return f"coalesce(try_strptime(trim({column}), '{fmt}'), pdt(trim({column})))"
    return f"pdt(trim({column}))"


def _bad(src: CsvSource, canon: str, predicate: str) -> str:
    """A column holding the raw value where ``predicate`` says it does not parse (NULL elsewhere)."""
    if not src.header.has(canon):
        return f"NULL::VARCHAR AS bad_{canon}"
    return f"CASE WHEN {predicate} THEN raw_{canon} END AS bad_{canon}"


def _validate(con: duckdb.DuckDBPyConnection, src: CsvSource, table: str, why: dict[str, str]) -> None:
    """Refuse the first value that does not parse, naming its line; one scan over the ``bad_*`` columns."""
    cols = ", ".join(f"first(bad_{c}) FILTER (WHERE bad_{c} IS NOT NULL)" for c in why)
    firsts = con.execute(f"SELECT {cols} FROM {table}").fetchone() or ()
    for (canon, problem), value in zip(why.items(), firsts, strict=True):
        if value is not None:
            raise src.locate(canon, value, problem)


def _run(con: duckdb.DuckDBPyConnection, src: CsvSource, sql: str) -> duckdb.DuckDBPyConnection:
    """Execute SQL that reads the CSV; DuckDB's read errors become located ``ArtifactError``s."""
    try:
        return con.execute(sql)
    except duckdb.Error as exc:
        raise src.explain(exc) from None


def _read(con: duckdb.DuckDBPyConnection, src: CsvSource, view: str, canon: tuple[str, ...]) -> None:
    """A view over the CSV: the file is scanned once, by the statement that parses it into a table."""
    cols = ", ".join(f"{src.column(c)} AS raw_{c}" for c in canon if src.header.has(c))
    _run(con, src, f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT {cols} FROM {src.read_sql()}")


def _load_roster(
    con: duckdb.DuckDBPyConnection, rosters: list[Artifact], options: Options, sources: list[CsvSource]
) -> None:
    canon = ("account", "status", "leave_date", "contractor", "contract_end")
    tables = []
    for n, art in enumerate(rosters):
        src = prepare_csv(
            art.file,
            ("account", "status"),
            canon[2:],
            columns=art.columns,
            aliases=ROSTER_ALIASES,
            encoding=art.encoding,
        )
        sources.append(src)
        view, table = f"roster_csv_{n}", f"roster_rows_{n}"
        _read(con, src, view, canon)
        h = src.header.has
        leave = _date_sql(con, src, view, "raw_leave_date") if h("leave_date") else "NULL::TIMESTAMP"
        end = _date_sql(con, src, view, "raw_contract_end") if h("contract_end") else "NULL::TIMESTAMP"
        contractor = "pbool(raw_contractor)" if h("contractor") else "false"
        _run(
            con,
            src,
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
            WITH p AS (SELECT *, {leave} AS leave_date, {end} AS contract_end, {contractor} AS contractor FROM {view}
                WHERE trim(coalesce(raw_account, '')) <> '')
            SELECT lower(trim(raw_account)) AS key, lower(trim(raw_status)) IN {_in(LEFT_WORDS)} AS has_left,
                leave_date, coalesce(contractor, false) AS contractor, contract_end,
                {_bad(src, "status", f"lower(trim(raw_status)) NOT IN {_in(LEFT_WORDS + ACTIVE_WORDS)}")},
                {_bad(src, "leave_date", "trim(raw_leave_date) <> '' AND leave_date IS NULL")},
                {_bad(src, "contract_end", "trim(raw_contract_end) <> '' AND contract_end IS NULL")},
                {_bad(src, "contractor", "contractor IS NULL")}
            FROM p""",
        )
        _validate(
            con,
            src,
            table,
            {
                "status": "is not a status (active/left, 在職/離職)",
                "leave_date": "is not a date",
                "contract_end": "is not a date",
                "contractor": "is not true/false (是/否)",
            },
        )
        tables.append(f"SELECT key, has_left, leave_date, contractor, contract_end FROM {table}")
    today = options.cutoffs()["today"]
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE roster AS
        SELECT key,
            bool_and(has_left) AS all_left,
            max(leave_date) AS leave_date,
            count(*) FILTER (WHERE NOT has_left) AS active_rows,
            count(*) FILTER (WHERE NOT has_left AND NOT (contractor AND coalesce(contract_end < TIMESTAMP '{today}', false))) AS valid_rows,
            max(contract_end) FILTER (WHERE NOT has_left AND contractor) AS contract_end
        FROM ({" UNION ALL ".join(tables)}) GROUP BY key"""
    )


def _load_accounts(con: duckdb.DuckDBPyConnection, art: Artifact, sources: list[CsvSource]) -> None:
    if art.type == "app.accounts_csv":
        _load_generic(con, art, sources)
        return
    file, columns, encoding = art.file, art.columns, art.encoding
    tmp = tempfile.TemporaryDirectory(prefix="brokersec-ldif-") if art.type == "ad.users_ldif" else None
    try:
        if tmp is not None:  # flattened to the AD CSV shape; values were checked against the LDIF's own lines
            file = Path(tmp.name) / "users.csv"
            _ldif_to_csv(art, file)
            columns, encoding = {}, None
        canon = tuple(AD_ALIASES)
        src = prepare_csv(file, ("sAMAccountName",), canon[1:], columns=columns, aliases=AD_ALIASES, encoding=encoding)
    except BaseException:
        if tmp is not None:
            tmp.cleanup()
        raise
    if tmp is not None:
        src._tmp = tmp  # a UTF-8 file is never transcoded, so the source holds no other temporary folder
    sources.append(src)
    if not (src.header.has("Enabled") or src.header.has("userAccountControl")):
        raise ArtifactError(
            "needs an 'Enabled' or a 'userAccountControl' column to tell enabled accounts; "
            "export with Get-ADUser -Properties userAccountControl",
            file=str(art.file),
            line=1,
        )
    _read(con, src, "acc_raw", canon)
    h = src.header.has

    def num(c: str) -> str:
        return f"try_cast(trim(raw_{c}) AS BIGINT)" if h(c) else "NULL::BIGINT"

    def stamp(n: str) -> str:
        return f"CASE WHEN {n} > 0 AND {n} < 9223372036854775807 THEN make_timestamp({n} // 10 - 11644473600000000) END"

    created = _date_sql(con, src, "acc_raw", "raw_whenCreated") if h("whenCreated") else "NULL::TIMESTAMP"
    enabled = "pbool(raw_Enabled)" if h("Enabled") else f"(coalesce(n_uac, 0) & {UAC_DISABLED}) = 0"
    _run(
        con,
        src,
        f"""CREATE OR REPLACE TEMP TABLE acc AS
        WITH n AS (SELECT *, {num("lastLogonTimestamp")} AS n_logon, {num("pwdLastSet")} AS n_pwd,
            {num("userAccountControl")} AS n_uac, {created} AS created
            FROM acc_raw WHERE trim(coalesce(raw_sAMAccountName, '')) <> '')
        SELECT lower(trim(raw_sAMAccountName)) AS key, trim(raw_sAMAccountName) AS account, {enabled} AS enabled,
            {stamp("n_logon")} AS last_logon, {stamp("n_pwd")} AS pwd_last_set, created,
            (coalesce(n_uac, 0) & {UAC_PASSWD_NOTREQD}) <> 0 AS pwd_not_required,
            (coalesce(n_uac, 0) & {UAC_DONT_EXPIRE_PASSWORD}) <> 0 AS pwd_never_expires,
            false AS customer,
            {_bad(src, "Enabled", "pbool(raw_Enabled) IS NULL")},
            {_bad(src, "userAccountControl", "trim(raw_userAccountControl) <> '' AND n_uac IS NULL")},
            {_bad(src, "lastLogonTimestamp", "trim(raw_lastLogonTimestamp) <> '' AND n_logon IS NULL")},
            {_bad(src, "pwdLastSet", "trim(raw_pwdLastSet) <> '' AND n_pwd IS NULL")},
            {_bad(src, "whenCreated", "trim(raw_whenCreated) <> '' AND created IS NULL")}
        FROM n""",
    )
    _validate(
        con,
        src,
        "acc",
        {
            "Enabled": "is not True/False",
            "userAccountControl": "is not a number",
            "lastLogonTimestamp": "is not a FILETIME number",
            "pwdLastSet": "is not a FILETIME number",
            "whenCreated": "is not a date",
        },
    )


def _load_generic(con: duckdb.DuckDBPyConnection, art: Artifact, sources: list[CsvSource]) -> None:
    canon = tuple(ACCOUNT_ALIASES)
    src = prepare_csv(
        art.file, ("account",), canon[1:], columns=art.columns, aliases=ACCOUNT_ALIASES, encoding=art.encoding
    )
    sources.append(src)
    _read(con, src, "acc_raw", canon)
    h = src.header.has
    dates = {
        c: _date_sql(con, src, "acc_raw", f"raw_{c}") for c in ("last_logon", "password_last_set", "created") if h(c)
    }
    flags = ("enabled", "password_never_expires", "password_not_required", "customer")

    def b(c: str, default: str) -> str:
        return f"coalesce(pbool(raw_{c}), {default})" if h(c) else default

    bad = [_bad(src, c, f"pbool(raw_{c}) IS NULL") for c in flags]
    bad += [
        _bad(src, c, f"trim(raw_{c}) <> '' AND {c}_at IS NULL") for c in ("last_logon", "password_last_set", "created")
    ]
    parsed = ", ".join(
        f"{dates.get(c, 'NULL::TIMESTAMP')} AS {c}_at" for c in ("last_logon", "password_last_set", "created")
    )
    _run(
        con,
        src,
        f"""CREATE OR REPLACE TEMP TABLE acc AS
        WITH p AS (SELECT *, {parsed} FROM acc_raw WHERE trim(coalesce(raw_account, '')) <> '')
        SELECT lower(trim(raw_account)) AS key, trim(raw_account) AS account, {b("enabled", "true")} AS enabled,
            last_logon_at AS last_logon, password_last_set_at AS pwd_last_set, created_at AS created,
            {b("password_not_required", "false")} AS pwd_not_required,
            {b("password_never_expires", "false")} AS pwd_never_expires,
            {b("customer", "false")} AS customer, {", ".join(bad)}
        FROM p""",
    )
    _validate(con, src, "acc", {**dict.fromkeys(flags, "is not true/false"), **dict.fromkeys(dates, "is not a date")})


def _ldif_to_csv(art: Artifact, target: Path) -> None:
    """Flatten LDIF user entries to the AD CSV shape so one SQL path serves both."""
    names = list(AD_ALIASES)
    with open(target, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(names)
        for line, rec in ldif.records(art.file, art.encoding):
            classes = {c.lower() for c in rec.get("objectclass", [])}
            if classes and not classes & {"user", "person", "inetorgperson", "posixaccount"}:
                continue
            if "computer" in classes:
                continue
            account = (rec.get("samaccountname") or rec.get("uid") or [""])[0]
            uac = (rec.get("useraccountcontrol") or [""])[0]
            _ldif_values(art, line, rec)
            enabled = not uac.strip().isdigit() or not int(uac) & UAC_DISABLED
            writer.writerow(
                [account, "True" if enabled else "False", *((rec.get(k.lower()) or [""])[0] for k in names[2:5]), uac]
            )
    # An LDIF without userAccountControl cannot say who is disabled: treat every entry as enabled.


def _ldif_values(art: Artifact, line: int, rec: ldif.Record) -> None:
    """Check an LDIF entry's values here, where its line is known (the flattened CSV has other lines)."""
    for attr in ("useraccountcontrol", "lastlogontimestamp", "pwdlastset"):
        value = (rec.get(attr) or [""])[0].strip()
        if value and not value.lstrip("-").isdigit():
            raise ArtifactError(f"{attr}: {value!r} is not a number", file=str(art.file), line=line)
    created = (rec.get("whencreated") or [""])[0]
    try:
        parse_datetime(created)
    except ValueError as exc:
        raise ArtifactError(f"whenCreated: {exc}", file=str(art.file), line=line) from None


def _rules(con: duckdb.DuckDBPyConnection, options: Options, kind: str, has_roster: bool) -> Findings:
    """Every rule as one predicate over the joined table; one pass keeps only the rows some rule flags."""
    c = options.cutoffs()
    dormant_cut = c["dormant_ad"] if kind.startswith("ad.") else c["dormant"]
    service = _in(tuple(sorted(options.service_accounts)) or ("",))
    join = "LEFT JOIN roster r USING (key)" if has_roster else ""
    r = (lambda col: f"r.{col}") if has_roster else (lambda col: "NULL")
    today = f"TIMESTAMP '{c['today']}'"
    grace = f"INTERVAL '{INITIAL_PASSWORD_GRACE.days} day'"
    predicates = {
        "leavers": f"all_left AND (leave_date IS NULL OR leave_date <= {today})",
        "ended_contractors": "active_rows > 0 AND valid_rows = 0",
        "dormant": f"NOT customer AND coalesce(last_logon, created, TIMESTAMP '1601-01-01') < TIMESTAMP '{dormant_cut}'",
        "password_age": f"NOT customer AND pwd_last_set < TIMESTAMP '{c['password']}'",
        "initial_password": f"""pwd_last_set IS NOT NULL AND created IS NOT NULL
            AND pwd_last_set <= created + {grace} AND last_logon > created + {grace}""",
        "no_owner": f"NOT in_roster AND NOT customer AND key NOT IN {service}",
        "risky_flags": "pwd_not_required OR pwd_never_expires",
        "default_names": f"key IN {_in(tuple(sorted(DEFAULT_NAMES)))}",
    }
    if not has_roster:
        for rule in ("leavers", "ended_contractors", "no_owner"):
            predicates.pop(rule)
    columns = {
        "leavers": "account, leave_date",
        "ended_contractors": "account, contract_end",
        "dormant": "account, last_logon, created",
        "password_age": "account, pwd_last_set",
        "initial_password": "account, pwd_last_set, last_logon",
        "no_owner": "account",
        "risky_flags": "account, pwd_not_required, pwd_never_expires",
        "default_names": "account",
    }
    flags = ", ".join(f"coalesce({p}, false) AS r_{rule}" for rule, p in predicates.items())
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE flagged AS
        WITH j AS (SELECT a.key, a.account, a.last_logon, a.pwd_last_set, a.created,
            a.pwd_not_required, a.pwd_never_expires, a.customer,
            {r("key")} IS NOT NULL AS in_roster, {r("all_left")} AS all_left, {r("leave_date")} AS leave_date,
            {r("active_rows")} AS active_rows, {r("valid_rows")} AS valid_rows, {r("contract_end")} AS contract_end
            FROM acc a {join} WHERE a.enabled),
        f AS (SELECT *, {flags} FROM j)
        SELECT * FROM f WHERE {" OR ".join(f"r_{rule}" for rule in predicates)}"""
    )
    out: Findings = {}
    for rule in predicates:
        names = [
            row[0] for row in con.execute(f"SELECT account FROM flagged WHERE r_{rule} ORDER BY account").fetchall()
        ]
        cur = con.execute(f"SELECT {columns[rule]} FROM flagged WHERE r_{rule} ORDER BY account LIMIT {MAX_FINDINGS}")
        cols = [d[0] for d in cur.description]
        details = [_finding(rule, dict(zip(cols, row, strict=True))) for row in cur.fetchall()]
        out[rule] = RuleFindings(names, details)
    return out


def _day(value: Any) -> str | None:
    return value.date().isoformat() if isinstance(value, dt.datetime) else None


def _finding(rule: str, row: dict[str, Any]) -> dict[str, Any]:
    acct = row["account"]
    match rule:
        case "leavers":
            return {"account": acct, "leave_date": _day(row["leave_date"]), "action": "disable the account of a leaver"}
        case "ended_contractors":
            return {
                "account": acct,
                "contract_end": _day(row["contract_end"]),
                "action": "revoke: the contract has ended",
            }
        case "dormant":
            last = _day(row["last_logon"])
            return {"account": acct, "last_logon": last, "created": _day(row["created"]), "action": "review or disable"}
        case "password_age":
            return {
                "account": acct,
                "password_last_set": _day(row["pwd_last_set"]),
                "action": "password older than 92 days",
            }
        case "initial_password":
            return {
                "account": acct,
                "password_last_set": _day(row["pwd_last_set"]),
                "last_logon": _day(row["last_logon"]),
                "action": "in use with the initial password: force a change at next logon",
            }
        case "no_owner":
            return {"account": acct, "action": "no owner in the HR roster: assign an owner or disable"}
        case "default_names":
            return {"account": acct, "problem": "enabled default account name", "fix": "disable or rename it"}
        case _:
            flags = [
                f
                for f, on in (
                    ("password not required", row["pwd_not_required"]),
                    ("password never expires", row["pwd_never_expires"]),
                )
                if on
            ]
            return {"account": acct, "flags": flags, "action": "clear the userAccountControl flag(s)"}


# ---------------------------------------------------------------- checks

_TEXT: dict[str, tuple[str, str, str, str, str, str]] = {
    # rule: title zh, title en, passes when zh, passes when en, ok, bad
    "leavers": (
        "離職人員帳號已停用",
        "Leavers' accounts are disabled",
        "名冊上離職者無啟用中帳號",
        "no enabled account belongs to someone the roster lists as left",
        "no enabled account of a leaver",
        "{n} enabled account(s) of leavers",
    ),
    "ended_contractors": (
        "委外期滿帳號已收回",
        "Ended contractors' access is revoked",
        "委外期間結束者無啟用中帳號",
        "no enabled account of a contractor whose contract has ended",
        "no enabled account of an ended contractor",
        "{n} enabled account(s) of ended contractors",
    ),
    "dormant": (
        "久未使用帳號",
        "Dormant accounts",
        "無 180 天以上未使用之啟用帳號（客戶除外；AD 另加 14 天複寫延遲）",
        "no enabled non-customer account unused for 180 days (plus 14 days of AD replication slack)",
        "no dormant enabled account",
        "{n} enabled account(s) unused for 180 days or more",
    ),
    "password_age": (
        "密碼每三個月更新",
        "Passwords changed every 3 months",
        "非客戶帳號密碼皆於 92 天內變更",
        "every non-customer password was changed in the last 92 days",
        "no password older than 92 days",
        "{n} account(s) with a password older than 92 days",
    ),
    "initial_password": (
        "初始密碼已更新",
        "Initial passwords changed",
        "無以初始密碼登入使用中之帳號",
        "no account is in use with the password it was created with",
        "no account in use with its initial password",
        "{n} account(s) in use with the initial password",
    ),
    "no_owner": (
        "帳號皆有對應人員",
        "Every account has an owner",
        "每個啟用帳號都對應名冊上的人員（服務帳號另列）",
        "every enabled account maps to a person in the roster (service accounts listed in bundle.yaml)",
        "every enabled account has an owner",
        "{n} enabled account(s) with no owner in the roster",
    ),
    "risky_flags": (
        "帳號密碼旗標",
        "Risky password flags",
        "無「不需密碼」或「密碼永不過期」之啟用帳號",
        "no enabled account with 'password not required' (0x20) or 'password never expires' (0x10000)",
        "no enabled account with risky password flags",
        "{n} enabled account(s) with risky password flags",
    ),
}
_NEEDS_ROSTER = ("leavers", "ended_contractors", "no_owner")


def _results(ctx: Context) -> tuple[dict[str, Findings | ArtifactError], ArtifactError | None]:
    """All rules for all account exports, computed once per run and shared by the checks."""
    accounts = ctx.artifacts(*ACCOUNT_TYPES)
    rosters = ctx.artifacts(ROSTER_TYPE)
    options = Options(ctx.as_of, frozenset(a.lower() for a in ctx.bundle.service_accounts))
    try:
        return ctx.shared("account_lifecycle", lambda: evaluate(accounts, rosters, options)), None
    except ArtifactError as exc:  # a broken roster: the roster rules are in error, the others still run
        return ctx.shared("account_lifecycle_no_roster", lambda: evaluate(accounts, [], options)), exc


def default_named_accounts(ctx: Context, art: Artifact, names: frozenset[str]) -> list[dict[str, Any]]:
    """Enabled accounts with a default name in one export (for default_accounts.default_names)."""
    got = _results(ctx)[0][art.subject + "\x00" + str(art.index)]
    if isinstance(got, ArtifactError):
        raise got
    return [{**f, "where": art.path} for f in got["default_names"].details if f["account"].lower() in names]


def _judge(ctx: Context, rule: str) -> Iterator[Verdict]:
    accounts = ctx.artifacts(*ACCOUNT_TYPES)
    results, roster_error = _results(ctx)
    text = _TEXT[rule]
    for art in accounts:
        got = results[art.subject + "\x00" + str(art.index)]
        if isinstance(got, ArtifactError):
            yield Verdict.error(art.subject, got)
        elif roster_error is not None and rule in _NEEDS_ROSTER:
            yield Verdict.error(art.subject, roster_error)
        elif rule not in got:
            yield Verdict.not_applicable(art.subject, f"needs the HR roster ({ROSTER_TYPE}) in the bundle")
        else:
            hits = got[rule]
            n = len(hits.accounts)
            yield Verdict.of(art.subject, hits.details, text[4], text[5].format(n=n), total=n)


def _make(rule: str) -> Check:
    t = _TEXT[rule]
    reads = (*ACCOUNT_TYPES, ROSTER_TYPE) if rule in _NEEDS_ROSTER else ACCOUNT_TYPES
    return register(
        Check(
            id=f"account_lifecycle.{rule}",
            title_zh=t[0],
            title_en=t[1],
            reads=reads,
            passes_when_zh=t[2],
            passes_when_en=t[3],
            func=lambda ctx: _judge(ctx, rule),
            applies=lambda b: any(a.type in ACCOUNT_TYPES for a in b.artifacts),
        )
    )


CHECKS = [_make(rule) for rule in RULES]
