"""Each check on realistic artifacts: what it finds, what it must not flag, and its hostile inputs."""

from __future__ import annotations

import base64
import os
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from brokersec.catalog import load_catalog_ref
from brokersec.checks import load_bundle, run_checks
from brokersec.checks.default_accounts import find_weak
from brokersec.checks.password_storage import classify

from .artifacts import AD_HEADER, ad_user, bcrypt_hash, openssl_hash, plain_csv, powershell_csv, secedit_inf, write


def run(bundle: Path) -> dict[tuple[str, str], dict[str, Any]]:
    report = run_checks(load_bundle(bundle), load_catalog_ref())
    return {(r.check, r.subject): r.to_dict() for r in report.results}


def accounts(result: dict[str, Any]) -> set[str]:
    return {f["account"] for f in result["details"]["findings"] if "account" in f}


def set_artifacts(bundle: Path, keep: set[str], extra: list[dict[str, Any]] | None = None) -> None:
    """Rewrite bundle.yaml keeping only some artifact types (and adding others)."""
    data = yaml.safe_load((bundle / "bundle.yaml").read_text(encoding="utf-8"))
    data["artifacts"] = [a for a in data["artifacts"] if a["type"] in keep] + (extra or [])
    data.pop("documents", None)
    (bundle / "bundle.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


# ---------------------------------------------------------------- password policy


def test_password_policy_on_the_full_bundle(full_bundle: Path) -> None:
    r = run(full_bundle)
    assert r[("password_policy.length", "web01")]["status"] == "pass"  # minclass = 3, minlen 10 via pam_pwquality
    lockout = r[("password_policy.lockout", "web01")]
    # preauth takes deny = 5 from faillock.conf; authfail has deny = 3 inline: the 5 is reported with its line
    assert lockout["status"] == "fail"
    assert [f["where"].rsplit("/", 1)[-1] for f in lockout["details"]["findings"]] == ["faillock.conf:3"]
    max_age = r[("password_policy.max_age", "web01")]
    assert accounts(max_age) == {"root"}  # login.defs: the last PASS_MAX_DAYS (90) wins
    win = {k[0]: v for k, v in r.items() if k[1] == "win01"}
    assert all(
        win[c]["status"] == "fail"
        for c in ("password_policy.length", "password_policy.lockout", "password_policy.max_age")
    )
    assert "policy.inf:6" in win["password_policy.length"]["details"]["findings"][0]["where"]
    assert r[("password_policy.lockout", "trading")]["status"] == "pass"


def test_lockout_counts_only_when_pam_uses_faillock(full_bundle: Path) -> None:
    write(full_bundle / "web01/faillock.conf", "deny = 3\n")
    write(
        full_bundle / "web01/common-auth",
        "auth [success=1 default=ignore] pam_unix.so nullok\nauth requisite pam_deny.so\n",
    )
    got = run(full_bundle)[("password_policy.lockout", "web01")]
    assert got["status"] == "fail"
    assert "no pam_faillock.so" in got["details"]["findings"][0]["problem"]
    assert "deny = 3" in got["details"]["findings"][0]["problem"]


def test_lockout_default_deny_and_without_pam(full_bundle: Path) -> None:
    write(full_bundle / "web01/faillock.conf", "# nothing set\n")
    write(
        full_bundle / "web01/common-auth",
        "auth required pam_faillock.so preauth\nauth required pam_unix.so\n"
        "auth [default=die] pam_faillock.so authfail\n",
    )
    assert run(full_bundle)[("password_policy.lockout", "web01")]["status"] == "pass"  # pam_faillock's default is 3
    set_artifacts(full_bundle, {"linux.faillock"})
    got = run(full_bundle)[("password_policy.lockout", "web01")]
    assert got["status"] == "fail" and "no PAM auth stack" in got["details"]["findings"][0]["problem"]


def test_pwquality_needs_pam_and_credits_shorten(full_bundle: Path) -> None:
    write(full_bundle / "web01/pwquality.conf", "minlen = 8\ndcredit = 2\nucredit = 1\nminclass = 3\n")
    got = run(full_bundle)[("password_policy.length", "web01")]
    assert got["status"] == "pass"  # 8 - 3 credits = 5, but pwquality's floor is 6
    write(
        full_bundle / "web01/common-password",
        "password requisite pam_pwquality.so retry=3 minclass=1\n"
        "password [success=1 default=ignore] pam_unix.so obscure yescrypt\n",
    )
    got = run(full_bundle)[("password_policy.length", "web01")]
    assert got["status"] == "fail" and "common-password:1" in got["details"]["findings"][0]["where"]
    write(full_bundle / "web01/common-password", "password [success=1 default=ignore] pam_unix.so obscure yescrypt\n")
    got = run(full_bundle)[("password_policy.length", "web01")]
    assert "no pam_pwquality.so" in got["details"]["findings"][0]["problem"]


def test_secedit_compliant_utf16(full_bundle: Path) -> None:
    write(full_bundle / "win01/policy.inf", secedit_inf())
    r = run(full_bundle)
    assert [
        r[(c, "win01")]["status"]
        for c in ("password_policy.length", "password_policy.lockout", "password_policy.max_age")
    ] == ["pass"] * 3


def test_secedit_truncated_and_wrong_file(full_bundle: Path) -> None:
    write(full_bundle / "win01/policy.inf", secedit_inf()[:-1])  # odd byte count: cut mid character
    got = run(full_bundle)[("password_policy.length", "win01")]
    assert got["status"] == "error" and "policy.inf" in got["details"]["summary"]
    write(full_bundle / "win01/policy.inf", b"\xff\xfe" + "[Unicode]\r\nUnicode=yes\r\n".encode("utf-16-le"))
    got = run(full_bundle)[("password_policy.length", "win01")]
    assert got["status"] == "error" and "System Access" in got["details"]["summary"]


def test_app_policy_bad_yaml_is_located(full_bundle: Path) -> None:
    write(full_bundle / "trading/policy.yaml", "min_length: 8\nmin_lenght: 6\n")
    got = run(full_bundle)[("password_policy.length", "trading")]
    assert got["status"] == "error" and "policy.yaml:2" in got["details"]["summary"]


# ---------------------------------------------------------------- storage, default and weak accounts


@pytest.mark.parametrize(
    ("value", "name", "ok"),
    [
        ("$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7", "yescrypt", True),
        ("$2b$12$abcdefghijklmnopqrstuu5n3TBn8TzM4TjV5yuvB3QRjrqlUEXG", "bcrypt", True),
        ("$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA", "argon2id", True),
        ("pbkdf2_sha256$600000$salt$hash=", "pbkdf2 (Django)", True),
        ("$1$abcdefgh$cHJi5PXp/ki/ktXzqlk6I1", "md5-crypt", False),
        ("abQ9KY.KfrYrc", "des-crypt", False),
        ("5f4dcc3b5aa765d61d8327deb882cf99", "md5 (hex)", False),
        ("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", "sha1", False),
        ("hunter2", "plaintext", False),
        ("", "empty", False),
    ],
)
def test_hash_classification(value: str, name: str, ok: bool) -> None:
    got = classify(value)
    assert (got.name, got.ok) == (name, ok)


def test_openssl_made_hashes_classify() -> None:
    assert classify(openssl_hash("6", "x")).name == "sha512-crypt"
    assert classify(openssl_hash("5", "x")).name == "sha256-crypt"
    assert not classify(openssl_hash("1", "x")).ok


def test_storage_and_default_accounts_on_the_full_bundle(full_bundle: Path) -> None:
    r = run(full_bundle)
    assert accounts(r[("password_storage.hashes", "web01")]) == {"bob", "olduser", "nopass"}
    assert accounts(r[("password_storage.hashes", "trading")]) == {"sa", "olduser"}
    assert "hunter2" not in str(r[("password_storage.hashes", "trading")])  # a plaintext password is never echoed
    names = r[("default_accounts.default_names", "web01")]
    assert accounts(names) == {"admin", "root"}
    root = next(f for f in names["details"]["findings"] if f["account"] == "root")
    assert "Match" not in root["problem"] and "10.9.0.0/16" in root["problem"]  # sshd: the first global value wins
    assert accounts(r[("default_accounts.default_names", "corp-ad")]) == {"Administrator"}


def test_weak_passwords_are_verified_with_the_real_scheme(full_bundle: Path) -> None:
    r = run(full_bundle)
    web = r[("default_accounts.weak_passwords", "web01")]
    assert accounts(web) == {"alice"}  # sha512-crypt of P@ssw0rd, made by openssl passwd -6
    assert "yescrypt" in web["details"]["summary"]  # said, not hidden
    trading = r[("default_accounts.weak_passwords", "trading")]
    assert accounts(trading) == {"trader2", "svc_report", "sa"}
    assert any("account name" in f.get("problem", "") for f in trading["details"]["findings"])


def test_weak_password_work_is_bounded() -> None:
    slow = bcrypt_hash("not-on-any-list", rounds=12)
    entries = [(f"user{i}", slow, f"shadow:{i}") for i in range(200)]  # one slow hash shared by 200 accounts
    entries += [(f"u{i}", bcrypt_hash(f"unique-{i}", rounds=12), f"x:{i}") for i in range(3)]
    started = time.perf_counter()
    findings, coverage = find_weak(entries, budget_ms=1500)
    assert time.perf_counter() - started < 5
    assert findings == [] and coverage["accounts_not_fully_tried"] > 0 and coverage["hashes"] == 4


def test_huge_line_and_truncated_shadow(full_bundle: Path) -> None:
    write(full_bundle / "web01/shadow", "root:!:20000:0:99999:7:::\n" + "x" * 200_000 + "\n")
    got = run(full_bundle)[("password_storage.hashes", "web01")]
    assert (
        got["status"] == "error" and "shadow:2" in got["details"]["summary"] and "longer" in got["details"]["summary"]
    )


# ---------------------------------------------------------------- account lifecycle


def test_account_lifecycle_on_the_full_bundle(full_bundle: Path) -> None:
    r = run(full_bundle)

    def got(rule: str) -> set[str]:
        return accounts(r[(f"account_lifecycle.{rule}", "corp-ad")])

    assert got("leavers") == {"dave"}
    assert got("ended_contractors") == {"frank"}
    assert got("dormant") == {"bob"}  # erin at 190 days is inside the 14-day replication slack
    assert got("password_age") == {"carol"}
    assert got("initial_password") == {"grace"}
    assert got("no_owner") == {"ghost"}  # svc_backup is a listed service account
    assert got("risky_flags") == {"Administrator", "svc_backup"}
    leaver = r[("account_lifecycle.leavers", "corp-ad")]
    assert leaver["items"] == ["CC-15000.2", "CC-18000.2.b"]
    assert leaver["details"]["findings"][0]["leave_date"] == "2026-10-31"


def test_ad_csv_as_utf16_and_roster_in_big5(full_bundle: Path) -> None:
    text = (full_bundle / "ad/users.csv").read_text(encoding="utf-8-sig")
    (full_bundle / "ad/users.csv").write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))  # Export-Csv -Encoding Unicode
    roster = (full_bundle / "hr/roster.csv").read_text(encoding="utf-8-sig")
    (full_bundle / "hr/roster.csv").write_bytes(roster.encode("cp950"))
    data = yaml.safe_load((full_bundle / "bundle.yaml").read_text(encoding="utf-8"))
    for a in data["artifacts"]:
        if a["type"] == "hr.roster_csv":
            a["encoding"] = "cp950"
    (full_bundle / "bundle.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = run(full_bundle)
    assert accounts(r[("account_lifecycle.leavers", "corp-ad")]) == {"dave"}
    assert accounts(r[("account_lifecycle.dormant", "corp-ad")]) == {"bob"}


def test_roster_in_big5_without_encoding_names_the_line(full_bundle: Path) -> None:
    roster = (full_bundle / "hr/roster.csv").read_text(encoding="utf-8-sig")
    (full_bundle / "hr/roster.csv").write_bytes(roster.encode("cp950"))
    r = run(full_bundle)
    leavers = r[("account_lifecycle.leavers", "corp-ad")]
    assert leavers["status"] == "error" and "roster.csv:1" in leavers["details"]["summary"]
    assert "encoding" in leavers["details"]["summary"]
    assert r[("account_lifecycle.dormant", "corp-ad")]["status"] == "fail"  # needs no roster: still judged


def test_bad_filetime_and_truncated_csv(full_bundle: Path) -> None:
    rows = [ad_user("alice"), ad_user("bob")]
    rows[1][2] = "yesterday"
    write(full_bundle / "ad/users.csv", powershell_csv(AD_HEADER, rows))
    got = run(full_bundle)[("account_lifecycle.dormant", "corp-ad")]
    assert (
        got["status"] == "error"
        and "users.csv:3" in got["details"]["summary"]
        and "FILETIME" in got["details"]["summary"]
    )
    text = powershell_csv(AD_HEADER, [ad_user("alice"), ad_user("bob")])
    write(full_bundle / "ad/users.csv", text[: len(text) - 40])  # cut inside the last record
    got = run(full_bundle)[("account_lifecycle.dormant", "corp-ad")]
    assert got["status"] == "error" and "users.csv:3" in got["details"]["summary"]


def test_missing_columns_are_named(full_bundle: Path) -> None:
    write(full_bundle / "hr/roster.csv", plain_csv(["工號", "名字"], [["E1", "x"]]))
    got = run(full_bundle)[("account_lifecycle.no_owner", "corp-ad")]
    assert got["status"] == "error" and "missing column(s) account" in got["details"]["summary"]
    assert "columns:" in got["details"]["summary"]


def test_ldif_export(full_bundle: Path) -> None:
    from .artifacts import ft

    name = base64.b64encode("林志偉".encode()).decode()
    entries = []
    for sam, uac, logon, created in [
        ("dave", 512, 3, "20200101000000.0Z"),
        ("bob", 512, 400, "20200101000000.0Z"),
        ("oldsvc", 514, 900, "20150101000000.0Z"),
    ]:
        entries.append(
            f"dn: CN={sam},OU=Staff,DC=corp,DC=example,DC=tw\nchangetype: add\nobjectClass: top\nobjectClass: person\n"
            f"objectClass: user\ndisplayName:: {name}\nsAMAccountName: {sam}\nuserAccountControl: {uac}\n"
            f"lastLogonTimestamp: {ft(logon)}\npwdLastSet: {ft(30)}\nwhenCreated: {created}\n"
        )
    write(full_bundle / "ad/users.ldf", "\n".join(entries))
    set_artifacts(
        full_bundle, {"hr.roster_csv"}, [{"type": "ad.users_ldif", "path": "ad/users.ldf", "subject": "corp-ad"}]
    )
    r = run(full_bundle)
    assert accounts(r[("account_lifecycle.leavers", "corp-ad")]) == {"dave"}
    assert accounts(r[("account_lifecycle.dormant", "corp-ad")]) == {"bob"}


def test_generic_accounts_csv_excludes_customers(full_bundle: Path) -> None:
    write(
        full_bundle / "app/accounts.csv",
        plain_csv(
            ["帳號", "啟用", "最後登入", "密碼變更日", "建立日期", "客戶"],
            [
                ["alice", "是", "2026-11-01", "2026-10-01", "2020-01-01", "否"],
                ["A123456789", "是", "2024-01-01", "2024-01-01", "2019-01-01", "是"],
                ["bob", "是", "2025-01-01", "2026-10-01", "2020-01-01", "否"],
            ],
        ),
    )
    set_artifacts(
        full_bundle,
        {"hr.roster_csv"},
        [{"type": "app.accounts_csv", "path": "app/accounts.csv", "subject": "order-system"}],
    )
    r = run(full_bundle)
    assert accounts(r[("account_lifecycle.dormant", "order-system")]) == {"bob"}
    assert r[("account_lifecycle.no_owner", "order-system")]["status"] == "pass"  # the customer needs no roster entry
    assert r[("account_lifecycle.password_age", "order-system")]["status"] == "pass"


def test_without_roster_roster_rules_are_not_applicable(full_bundle: Path) -> None:
    set_artifacts(full_bundle, {"ad.users_csv"})
    r = run(full_bundle)
    assert r[("account_lifecycle.leavers", "corp-ad")]["status"] == "not_applicable"
    assert r[("account_lifecycle.dormant", "corp-ad")]["status"] == "fail"


# ---------------------------------------------------------------- privileged access, training, freshness


def test_privileged_access(full_bundle: Path) -> None:
    r = run(full_bundle)
    web = r[("privileged_access.approval", "web01")]
    problems = {f["account"]: f["problem"] for f in web["details"]["findings"]}
    assert problems == {
        "bob": "approved by the same account (self-approval)",
        "carol": "no approval covers this session",
    }
    assert "of 3 privileged" in web["details"]["summary"]  # the failed sudo attempt is not a session
    assert accounts(r[("privileged_access.approval", "bastion")]) == {"root-ops"}
    mfa = r[("privileged_access.mfa", "entra")]
    assert [(f["account"], f["ip"]) for f in mfa["details"]["findings"]] == [("alice", "198.51.100.7")]


def test_training(full_bundle: Path) -> None:
    r = run(full_bundle)
    assert r[("training.security_staff", "training")]["status"] == "pass"
    staff = r[("training.staff_hours", "training")]
    assert [f["employee"] for f in staff["details"]["findings"]] == ["e003"]
    session = r[("training.awareness_session", "training")]
    assert [f["employee"] for f in session["details"]["findings"]] == ["e005", "e009"]  # e009's session was 2025-03


def test_training_bad_kind_is_located(full_bundle: Path) -> None:
    write(
        full_bundle / "hr/training.csv",
        plain_csv(["員工編號", "日期", "時數", "類別"], [["E001", "2026-03-01", "2", "午餐"]]),
    )
    got = run(full_bundle)[("training.staff_hours", "training")]
    assert got["status"] == "error" and "training.csv:2" in got["details"]["summary"]


def test_evidence_freshness(full_bundle: Path) -> None:
    r = run(full_bundle)
    risk = r[("evidence_freshness.documents", "CC-11000.3")]
    assert risk["status"] == "fail" and risk["items"] == ["CC-11000.3"]
    assert risk["details"]["findings"][0]["age_days"] == 425
    assert r[("evidence_freshness.documents", "CC-12000.4")]["status"] == "pass"


def test_ldif_bad_value_names_the_ldif_line(full_bundle: Path) -> None:
    write(
        full_bundle / "ad/users.ldf",
        "dn: CN=a,DC=x\nobjectClass: user\nsAMAccountName: a\n\n"
        "dn: CN=b,DC=x\nobjectClass: user\nsAMAccountName: b\nuserAccountControl: enabled\n",
    )
    set_artifacts(
        full_bundle, {"hr.roster_csv"}, [{"type": "ad.users_ldif", "path": "ad/users.ldf", "subject": "corp-ad"}]
    )
    got = run(full_bundle)[("account_lifecycle.dormant", "corp-ad")]
    assert got["status"] == "error" and "users.ldf:5" in got["details"]["summary"]


def test_huge_line_in_a_large_csv(full_bundle: Path) -> None:
    from .artifacts import AD_HEADER, ad_user, powershell_csv

    rows = [ad_user("alice"), ad_user("x" * 100_000), ad_user("bob")]
    write(full_bundle / "ad/users.csv", powershell_csv(AD_HEADER, rows))
    got = run(full_bundle)[("account_lifecycle.dormant", "corp-ad")]
    assert (
        got["status"] == "error"
        and "users.csv:3" in got["details"]["summary"]
        and "longer" in got["details"]["summary"]
    )


def test_des_hash_from_passlib_is_weak_and_cracked() -> None:
    from passlib.hash import des_crypt

    value = des_crypt.using(salt="ab").hash("admin")
    assert classify(value).name == "des-crypt"
    findings, _ = find_weak([("ops", value, "shadow:1")])
    assert [f["account"] for f in findings] == ["ops"]


def test_missing_document_file_and_mfa_without_admins(full_bundle: Path) -> None:
    data = yaml.safe_load((full_bundle / "bundle.yaml").read_text(encoding="utf-8"))
    data["documents"][0]["path"] = "docs/gone.pdf"
    data["admin_accounts"] = []
    data["artifacts"] = [
        a for a in data["artifacts"] if a["type"] not in ("auth.privileged_logins_csv", "linux.auth_log")
    ]
    (full_bundle / "bundle.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = run(full_bundle)
    assert r[("evidence_freshness.documents", "CC-11000.3")]["status"] == "error"
    assert r[("privileged_access.mfa", "entra")]["status"] == "not_applicable"


def _real_shadow(root: Path) -> Path:
    """An /etc/shadow written by useradd and chpasswd themselves, in a scratch root."""
    import subprocess

    etc = root / "etc"
    write(etc / "passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    write(etc / "group", "root:x:0:\ndaemon:x:1:\nusers:x:100:\n")
    write(etc / "shadow", "root:*:20000:0:99999:7:::\ndaemon:*:20000:0:99999:7:::\n")
    write(etc / "gshadow", "root:*::\ndaemon:*::\nusers:*::\n")
    write(
        etc / "login.defs", "PASS_MAX_DAYS 90\nPASS_MIN_DAYS 1\nUID_MIN 1000\nGID_MIN 1000\nENCRYPT_METHOD YESCRYPT\n"
    )
    for name in ("alice", "bob", "admin"):
        subprocess.run(["useradd", "--prefix", str(root), "-M", "-N", "-g", "users", name], check=True)
    for name, password, method in (
        ("alice", "P@ssw0rd", "SHA512"),
        ("bob", "c0rrect-h0rse-Battery", "YESCRYPT"),
        ("admin", "admin123", "MD5"),
    ):
        subprocess.run(["chpasswd", "-R", str(root), "-c", method], input=f"{name}:{password}\n", text=True, check=True)
    return etc / "shadow"


@pytest.mark.skipif(
    os.geteuid() != 0 or not (shutil.which("useradd") and shutil.which("chpasswd")),
    reason="useradd --prefix and chpasswd -R need root and the shadow tools (both present on the project's machines)",
)
def test_shadow_made_by_useradd_and_chpasswd(full_bundle: Path, tmp_path: Path) -> None:
    shadow = _real_shadow(tmp_path / "root")
    text = shadow.read_text()
    assert "$6$" in text and "$y$" in text and "$1$" in text
    write(full_bundle / "web01/shadow", text)
    r = run(full_bundle)
    assert accounts(r[("password_storage.hashes", "web01")]) == {"admin"}  # MD5-crypt; yescrypt/sha512 accepted
    weak = r[("default_accounts.weak_passwords", "web01")]
    assert accounts(weak) == {"alice", "admin"}
    assert "yescrypt ×1" in weak["details"]["summary"]
    assert accounts(r[("default_accounts.default_names", "web01")]) == {"admin", "root"}  # root: sshd_config
    assert r[("password_policy.max_age", "web01")]["status"] == "pass"  # useradd took PASS_MAX_DAYS 90


def test_ad_csv_exported_on_a_zh_tw_machine(full_bundle: Path) -> None:
    """Export-Csv on a zh-TW Windows writes whenCreated as ``2026/11/20 上午 09:00:00``."""
    import datetime as dt

    from .artifacts import NOW

    def zh(days_ago: float) -> str:
        d = NOW - dt.timedelta(days=days_ago)
        half = "上午" if d.hour < 12 else "下午"
        return f"{d.year}/{d.month}/{d.day} {half} {d.hour % 12 or 12:02d}:{d:%M:%S}"

    rows = [ad_user("grace", pwd=10, created=10, logon=2), ad_user("bob", logon=None, created=900)]
    for row in rows:
        row[-1] = zh(10 if row[5] == "grace" else 900)
    write(full_bundle / "ad/users.csv", powershell_csv(AD_HEADER, rows))
    r = run(full_bundle)
    assert accounts(r[("account_lifecycle.initial_password", "corp-ad")]) == {"grace"}
    dormant = r[("account_lifecycle.dormant", "corp-ad")]
    assert accounts(dormant) == {"bob"} and dormant["details"]["findings"][0]["last_logon"] is None
