"""Password policy (CC-18000 (3) e, f; CC-17020 b (d)) from the settings that really take effect.

A setting counts only where the system applies it: pwquality.conf only when ``pam_pwquality`` is
in the PAM password stack (and its PAM arguments override the file); faillock.conf only when
``pam_faillock`` is in the auth stack (where an inline ``deny=`` overrides it); login.defs
``PASS_MAX_DAYS`` only for accounts created later, so /etc/shadow's per-account maximum is read too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from brokersec.checks.bundle import Artifact
from brokersec.checks.engine import Check, Context, Verdict, per_subject, register
from brokersec.checks.parsers.app_policy import AppPasswordPolicy
from brokersec.checks.parsers.pam import PamLine
from brokersec.checks.parsers.shadow import ShadowEntry
from brokersec.checks.parsers.text import Setting

MIN_LENGTH = 6
MAX_FAILURES = 3
MAX_AGE_DAYS = 92  # "at least every three months"
PWQUALITY_FLOOR = 6  # libpwquality refuses passwords shorter than 6 whatever minlen says
PWQUALITY_DEFAULTS = {"minlen": 8, "dcredit": 0, "ucredit": 0, "lcredit": 0, "ocredit": 0, "minclass": 0}
CRACKLIB_DEFAULTS = {"minlen": 9, "dcredit": 1, "ucredit": 1, "lcredit": 1, "ocredit": 1, "minclass": 0}
FAILLOCK_DEFAULT_DENY = 3

Finding = dict[str, Any]


def _load_all(ctx: Context, arts: list[Artifact]) -> dict[str, list[tuple[Artifact, Any]]]:
    out: dict[str, list[tuple[Artifact, Any]]] = {}
    for art in arts:
        out.setdefault(art.type, []).append((art, ctx.load(art)))
    return out


def _pam_lines(loaded: dict[str, list[tuple[Artifact, Any]]], kind: str) -> list[PamLine]:
    return [line for _, lines in loaded.get("linux.pam", []) for line in lines if line.type == kind]


def _merged(loaded: dict[str, list[tuple[Artifact, Any]]], kind: str) -> dict[str, Setting]:
    out: dict[str, Setting] = {}
    for _, settings in loaded.get(kind, []):
        out.update(settings)
    return out


def _int(value: str, where: str, name: str, findings: list[Finding]) -> int | None:
    try:
        return int(value)
    except ValueError:
        findings.append({"setting": name, "value": value, "where": where, "problem": "not a whole number"})
        return None


# ---------------------------------------------------------------- length and complexity


def linux_length(loaded: dict[str, list[tuple[Artifact, Any]]]) -> list[Finding]:
    findings: list[Finding] = []
    modules = [p for p in _pam_lines(loaded, "password") if p.module in ("pam_pwquality.so", "pam_cracklib.so")]
    conf = _merged(loaded, "linux.pwquality")
    if "linux.pam" not in loaded:
        return [
            {
                "problem": "no PAM password stack in the bundle, so pwquality settings cannot be shown to apply",
                "fix": "add /etc/pam.d/common-password (Debian/Ubuntu) or /etc/pam.d/system-auth (RHEL) as linux.pam",
            }
        ]
    if not modules:
        where = ", ".join(sorted({p.file for _, lines in loaded["linux.pam"] for p in lines})) or "PAM files"
        return [
            {
                "where": where,
                "problem": "no pam_pwquality.so (or pam_cracklib.so) in the password stack: length and complexity are not enforced",
                "fix": "add 'password requisite pam_pwquality.so retry=3' before pam_unix.so",
            }
        ]
    module = modules[0]
    values: dict[str, tuple[int, str]] = {}
    defaults = CRACKLIB_DEFAULTS if module.module == "pam_cracklib.so" else PWQUALITY_DEFAULTS
    for key, default in defaults.items():
        values[key] = (default, "default")
        if module.module == "pam_pwquality.so" and key in conf:
            n = _int(conf[key].value, conf[key].where, key, findings)
            if n is not None:
                values[key] = (n, conf[key].where)
        if key in module.args:
            n = _int(module.args[key], module.where, key, findings)
            if n is not None:
                values[key] = (n, module.where)
    credits = sum(max(0, values[k][0]) for k in ("dcredit", "ucredit", "lcredit", "ocredit"))
    effective = max(PWQUALITY_FLOOR, values["minlen"][0] - credits)
    if effective < MIN_LENGTH:
        findings.append(
            {
                "setting": "minlen",
                "value": values["minlen"][0],
                "where": values["minlen"][1],
                "problem": f"shortest accepted password is {effective} characters (minlen minus positive credits)",
                "fix": f"set minlen = {MIN_LENGTH} or more and the credits to 0 or negative",
            }
        )
    letters = values["lcredit"][0] < 0 or values["ucredit"][0] < 0
    other = values["dcredit"][0] < 0 or values["ocredit"][0] < 0
    if not (values["minclass"][0] >= 3 or (letters and other)):
        findings.append(
            {
                "setting": "minclass / dcredit / lcredit",
                "value": {k: values[k][0] for k in ("minclass", "dcredit", "ucredit", "lcredit", "ocredit")},
                "where": values["minclass"][1],
                "problem": "letters together with digits or symbols are not required",
                "fix": "set minclass = 3 (or lcredit = -1 and dcredit = -1)",
            }
        )
    return findings


def windows_length(inf: dict[str, dict[str, Setting]]) -> list[Finding]:
    findings: list[Finding] = []
    access = inf["System Access"]
    length = access.get("MinimumPasswordLength")
    n = _int(length.value, length.where, "MinimumPasswordLength", findings) if length else 0
    if n is not None and n < MIN_LENGTH:
        findings.append(
            {
                "setting": "MinimumPasswordLength",
                "value": n,
                "where": length.where if length else "[System Access]",
                "problem": f"minimum length {n} is below {MIN_LENGTH}",
                "fix": "Computer Configuration > Windows Settings > Security Settings > Account Policies > Password Policy",
            }
        )
    complexity = access.get("PasswordComplexity")
    if complexity is None or complexity.value != "1":
        findings.append(
            {
                "setting": "PasswordComplexity",
                "value": complexity.value if complexity else None,
                "where": complexity.where if complexity else "[System Access]",
                "problem": "complexity (3 of upper, lower, digit, symbol) is not required",
                "fix": "enable 'Password must meet complexity requirements'",
            }
        )
    return findings


def app_length(policy: AppPasswordPolicy, where: str) -> list[Finding]:
    if policy.digits_only_interface:
        return []  # the regulation exempts digit-only interfaces such as voice keypad ordering
    findings: list[Finding] = []
    if policy.min_length < MIN_LENGTH:
        findings.append(
            {"setting": "min_length", "value": policy.min_length, "where": where, "problem": f"below {MIN_LENGTH}"}
        )
    if not (
        policy.require_letters and (policy.require_digits or policy.require_symbols or policy.require_digits_or_symbols)
    ):
        findings.append(
            {
                "setting": "require_letters / require_digits_or_symbols",
                "where": where,
                "problem": "letters together with digits or symbols are not required",
            }
        )
    return findings


# ---------------------------------------------------------------- lockout


def linux_lockout(loaded: dict[str, list[tuple[Artifact, Any]]]) -> list[Finding]:
    conf = _merged(loaded, "linux.faillock")
    if "linux.pam" not in loaded:
        where = conf["deny"].where if "deny" in conf else None
        return [
            {
                "where": where,
                "problem": "no PAM auth stack in the bundle: a faillock.conf setting counts only when pam_faillock.so is used",
                "fix": "add /etc/pam.d/common-auth (Debian/Ubuntu) or /etc/pam.d/system-auth (RHEL) as linux.pam",
            }
        ]
    auth = _pam_lines(loaded, "auth")
    faillock = [p for p in auth if p.module == "pam_faillock.so"]
    tally = [p for p in auth if p.module in ("pam_tally2.so", "pam_tally.so")]
    findings: list[Finding] = []
    if not faillock and not tally:
        hint = (
            f" (faillock.conf sets deny = {conf['deny'].value} at {conf['deny'].where}, unused)"
            if "deny" in conf
            else ""
        )
        return [
            {
                "problem": "no pam_faillock.so (or pam_tally2.so) in the auth stack: accounts never lock" + hint,
                "fix": "add 'auth required pam_faillock.so preauth' and 'auth [default=die] pam_faillock.so authfail'",
            }
        ]
    denies: list[tuple[int, str]] = []
    for p in faillock:
        if "deny" in p.args:
            n = _int(p.args["deny"], p.where, "deny", findings)
            if n is not None:
                denies.append((n, p.where))
        elif "deny" in conf:
            n = _int(conf["deny"].value, conf["deny"].where, "deny", findings)
            if n is not None:
                denies.append((n, conf["deny"].where))
        else:
            denies.append((FAILLOCK_DEFAULT_DENY, f"{p.where} (pam_faillock default)"))
    for p in tally:
        n = _int(p.args.get("deny", "0"), p.where, "deny", findings)
        if n is not None:
            denies.append((n, p.where))
    for n, where in dict.fromkeys(denies):
        if n == 0 or n > MAX_FAILURES:
            findings.append(
                {
                    "setting": "deny",
                    "value": n,
                    "where": where,
                    "problem": "never locks" if n == 0 else f"locks only after {n} failures",
                    "fix": f"deny = {MAX_FAILURES}",
                }
            )
    return findings


def windows_lockout(inf: dict[str, dict[str, Setting]]) -> list[Finding]:
    findings: list[Finding] = []
    s = inf["System Access"].get("LockoutBadCount")
    n = _int(s.value, s.where, "LockoutBadCount", findings) if s else 0
    if n is not None and (n == 0 or n > MAX_FAILURES):
        findings.append(
            {
                "setting": "LockoutBadCount",
                "value": n,
                "where": s.where if s else "[System Access]",
                "problem": "account lockout is off" if n == 0 else f"locks only after {n} failures",
                "fix": f"Account lockout threshold = {MAX_FAILURES}",
            }
        )
    return findings


def app_lockout(policy: AppPasswordPolicy, where: str) -> list[Finding]:
    n = policy.lockout_threshold
    if n is None or n == 0 or n > MAX_FAILURES:
        return [
            {
                "setting": "lockout_threshold",
                "value": n,
                "where": where,
                "problem": f"must lock after at most {MAX_FAILURES} failures",
            }
        ]
    return []


# ---------------------------------------------------------------- maximum age


def linux_max_age(loaded: dict[str, list[tuple[Artifact, Any]]]) -> list[Finding]:
    findings: list[Finding] = []
    defs = _merged(loaded, "linux.login_defs")
    if "linux.login_defs" in loaded:
        s = defs.get("PASS_MAX_DAYS")
        n = _int(s.value, s.where, "PASS_MAX_DAYS", findings) if s else 99999
        if n is not None and n > MAX_AGE_DAYS:
            findings.append(
                {
                    "setting": "PASS_MAX_DAYS",
                    "value": n,
                    "where": s.where if s else "login.defs (default 99999)",
                    "problem": f"new accounts' passwords may be kept {n} days",
                    "fix": f"PASS_MAX_DAYS {MAX_AGE_DAYS - 2}",
                }
            )
    for art, entries in loaded.get("linux.shadow", []):
        for e in entries:
            if not _usable(e):
                continue
            if e.max_days is None or e.max_days > MAX_AGE_DAYS:
                findings.append(
                    {
                        "account": e.name,
                        "setting": "shadow max",
                        "value": e.max_days,
                        "where": f"{art.file}:{e.line}",
                        "problem": "password never expires"
                        if e.max_days is None or e.max_days >= 99999
                        else f"expires after {e.max_days} days",
                        "fix": f"chage -M {MAX_AGE_DAYS - 2} {e.name}",
                    }
                )
    return findings


def _usable(e: ShadowEntry) -> bool:
    """A password someone can log in with: not locked (``!``/``*``) and not empty (that is another check)."""
    return bool(e.hash) and not e.hash.startswith(("!", "*"))


def windows_max_age(inf: dict[str, dict[str, Setting]]) -> list[Finding]:
    findings: list[Finding] = []
    s = inf["System Access"].get("MaximumPasswordAge")
    n = _int(s.value, s.where, "MaximumPasswordAge", findings) if s else 42
    if n is not None and (n <= 0 or n > MAX_AGE_DAYS):
        findings.append(
            {
                "setting": "MaximumPasswordAge",
                "value": n,
                "where": s.where if s else "[System Access] (Windows default 42)",
                "problem": "passwords never expire" if n <= 0 else f"passwords expire after {n} days",
                "fix": f"Maximum password age = {MAX_AGE_DAYS - 2} days",
            }
        )
    return findings


def app_max_age(policy: AppPasswordPolicy, where: str) -> list[Finding]:
    n = policy.max_age_days
    if n is None or n == 0 or n > MAX_AGE_DAYS:
        return [
            {
                "setting": "max_age_days",
                "value": n,
                "where": where,
                "problem": f"passwords must be changed within {MAX_AGE_DAYS} days",
            }
        ]
    return []


# ---------------------------------------------------------------- checks

LINUX = ("linux.login_defs", "linux.pwquality", "linux.faillock", "linux.pam", "linux.shadow")


Loaded = dict[str, list[tuple[Artifact, Any]]]
Inf = dict[str, dict[str, Setting]]


def _rule(
    ctx: Context,
    reads: tuple[str, ...],
    linux_types: tuple[str, ...],
    linux: Callable[[Loaded], list[Finding]],
    windows: Callable[[Inf], list[Finding]],
    app: Callable[[AppPasswordPolicy, str], list[Finding]],
    ok: str,
    bad: str,
) -> Iterator[Verdict]:
    """One rule over every subject: Linux settings together, each INF and each app policy on its own."""

    def judge(subject: str, arts: list[Artifact]) -> Verdict:
        loaded = _load_all(ctx, arts)
        findings: list[Finding] = []
        if any(t in loaded for t in linux_types):
            findings += linux(loaded)
        for _, inf in loaded.get("windows.secedit", []):
            findings += windows(inf)
        for art, policy in loaded.get("app.password_policy", []):
            findings += app(policy, art.path)
        return Verdict.of(subject, findings, ok, bad.format(n=len(findings)))

    yield from per_subject(ctx, reads, judge)


def _length(ctx: Context) -> Iterator[Verdict]:
    reads = ("linux.pwquality", "linux.pam", "windows.secedit", "app.password_policy")
    yield from _rule(
        ctx,
        reads,
        ("linux.pwquality", "linux.pam"),
        linux_length,
        windows_length,
        app_length,
        f"length ≥ {MIN_LENGTH} with letters and digits or symbols is enforced",
        "{n} password-quality problem(s)",
    )


def _lockout(ctx: Context) -> Iterator[Verdict]:
    reads = ("linux.faillock", "linux.pam", "windows.secedit", "app.password_policy")
    yield from _rule(
        ctx,
        reads,
        ("linux.faillock", "linux.pam"),
        linux_lockout,
        windows_lockout,
        app_lockout,
        f"accounts lock after at most {MAX_FAILURES} failed logins",
        "{n} lockout problem(s)",
    )


def _max_age(ctx: Context) -> Iterator[Verdict]:
    reads = ("linux.login_defs", "linux.shadow", "windows.secedit", "app.password_policy")
    yield from _rule(
        ctx,
        reads,
        ("linux.login_defs", "linux.shadow"),
        linux_max_age,
        windows_max_age,
        app_max_age,
        f"passwords expire within {MAX_AGE_DAYS} days",
        "{n} password-age problem(s)",
    )


CHECKS = [
    register(
        Check(
            "password_policy.length",
            "密碼長度與複雜度",
            "Password length and complexity",
            ("linux.pwquality", "linux.pam", "windows.secedit", "app.password_policy"),
            "長度 6 字元以上且須含英文字母及數字或符號，且設定確實生效（PAM 使用 pam_pwquality）",
            "at least 6 characters with letters and digits or symbols, in a setting that takes effect (pam_pwquality in the PAM stack)",
            _length,
        )
    ),
    register(
        Check(
            "password_policy.lockout",
            "密碼錯誤三次鎖定",
            "Lockout after 3 failures",
            ("linux.faillock", "linux.pam", "windows.secedit", "app.password_policy"),
            "密碼錯誤 3 次以內即鎖定（PAM 確實使用 pam_faillock）",
            "accounts lock after at most 3 failures (pam_faillock really in the auth stack)",
            _lockout,
        )
    ),
    register(
        Check(
            "password_policy.max_age",
            "密碼每三個月更新",
            "Password change every 3 months",
            ("linux.login_defs", "linux.shadow", "windows.secedit", "app.password_policy"),
            "密碼最長使用期限 92 天以內（含 /etc/shadow 各帳號設定）",
            "maximum password age 92 days or less (per account in /etc/shadow too)",
            _max_age,
        )
    ),
]
