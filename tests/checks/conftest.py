"""A realistic evidence bundle with known findings, shared by the check tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from .artifacts import (
    AD_HEADER,
    ad_user,
    argon2_hash,
    bcrypt_hash,
    bundle_yaml,
    openssl_hash,
    plain_csv,
    powershell_csv,
    secedit_inf,
    shadow_line,
    write,
)

LOGIN_DEFS = """#
# /etc/login.defs - Configuration control definitions for the login package.
#
MAIL_DIR        /var/mail
PASS_MAX_DAYS   99999
PASS_MIN_DAYS   0
PASS_WARN_AGE   7
# site policy
PASS_MAX_DAYS   90
UID_MIN                  1000
ENCRYPT_METHOD SHA512
"""

PWQUALITY = """# Configuration for systemwide password quality limits
# minlen = 8
minlen = 10
minclass = 3
dcredit = 0
"""

FAILLOCK = """# Configuration for locking the user after multiple failed
# authentication attempts.
deny = 5
unlock_time = 600
"""

COMMON_AUTH = """#
# /etc/pam.d/common-auth - authentication settings common to all services
#
auth    requisite                       pam_faillock.so preauth
auth    [success=1 default=ignore]      pam_unix.so nullok
auth    [default=die]                   pam_faillock.so authfail deny=3
auth    requisite                       pam_deny.so
auth    required                        pam_permit.so
auth    sufficient                      pam_faillock.so authsucc
"""

COMMON_PASSWORD = """# /etc/pam.d/common-password
password        requisite                       pam_pwquality.so retry=3
password        [success=1 default=ignore]      pam_unix.so obscure use_authtok try_first_pass yescrypt
password        requisite                       pam_deny.so
password        required                        pam_permit.so
"""

SSHD = """# This is the sshd server system-wide configuration file.
Include /etc/ssh/sshd_config.d/*.conf
PermitRootLogin prohibit-password
PasswordAuthentication yes
PermitRootLogin yes
Match Address 10.9.0.0/16
    PermitRootLogin yes
"""

AUTH_LOG = """Nov 20 10:15:01 web01 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx
Nov 20 10:15:01 web01 sudo: pam_unix(sudo:session): session opened for user root(uid=0) by alice(uid=1000)
Nov 21 23:02:44 web01 sudo:      bob : TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash
Nov 22 08:00:10 web01 su: pam_unix(su-l:session): session opened for user root(uid=0) by carol(uid=1002)
Nov 22 08:00:12 web01 sshd[912]: Accepted publickey for deploy from 10.1.2.3 port 51234 ssh2
Nov 23 09:00:00 web01 sudo:    alice : 3 incorrect password attempts ; TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/ls
"""


@pytest.fixture(scope="session")
def hashes() -> dict[str, str]:
    return {
        "sha512_strong": openssl_hash("6", "k7#Vq9!zR2pLx"),
        "sha512_weak": openssl_hash("6", "P@ssw0rd", salt="Zz9yXw8v"),
        "sha256": openssl_hash("5", "Another#Strong1"),
        "md5": openssl_hash("1", "Tr0ub4dor&3"),
        "bcrypt_weak": bcrypt_hash("123456"),
        "bcrypt_strong": bcrypt_hash("c0rrect-h0rse"),
        "argon2_name": argon2_hash("svc_report"),
    }


@pytest.fixture
def full_bundle(tmp_path: Path, hashes: dict[str, str]) -> Path:
    b = tmp_path / "bundle"
    write(b / "web01/login.defs", LOGIN_DEFS)
    write(b / "web01/pwquality.conf", PWQUALITY)
    write(b / "web01/faillock.conf", FAILLOCK)
    write(b / "web01/common-auth", COMMON_AUTH)
    write(b / "web01/common-password", COMMON_PASSWORD)
    write(b / "web01/sshd_config", SSHD)
    write(b / "web01/auth.log", AUTH_LOG)
    shadow = [
        shadow_line("root", hashes["sha512_strong"], max_days="99999"),
        "daemon:*:20000:0:99999:7:::",
        shadow_line("alice", hashes["sha512_weak"]),
        shadow_line("bob", hashes["md5"]),
        shadow_line("carol", hashes["sha256"]),
        shadow_line("admin", hashes["sha512_strong"]),
        "olduser:abQ9KY.KfrYrc:19000:0:90:7:::",
        "nopass::20400:0:90:7:::",
        "deploy:!:20400:0:90:7:::",
        shadow_line("yes1", "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$X3DX6M94c7o.9agCG9G317fhZg9SqC.5i5rd.RhAtQ7"),
    ]
    write(b / "web01/shadow", "\n".join(shadow) + "\n")
    write(b / "win01/policy.inf", secedit_inf(min_len=5, complexity=0, lockout=0, max_age=-1))
    write(
        b / "trading/policy.yaml",
        "system: 網路下單系統\nmin_length: 8\nrequire_letters: true\nrequire_digits: true\n"
        "lockout_threshold: 3\nmax_age_days: 90\n",
    )
    write(
        b / "trading/users.csv",
        plain_csv(
            ["username", "password_hash", "enabled"],
            [
                ["trader1", hashes["bcrypt_strong"], "true"],
                ["trader2", hashes["bcrypt_weak"], "true"],
                ["svc_report", hashes["argon2_name"], "true"],
                ["sa", "5f4dcc3b5aa765d61d8327deb882cf99", "true"],
                ["olduser", "hunter2", "false"],
                [
                    "pb",
                    "$pbkdf2-sha256$29000$N2bMWcsZo1SKMUYohbAW4g$x.C5P1Q6kHn8/j0qMTkzcO3QoxG8oHXcDNbl0jmn0bA",
                    "true",
                ],
            ],
        ),
    )
    now_rows = [
        ad_user("alice"),
        ad_user("bob", logon=400, created=900),  # dormant
        ad_user("carol", pwd=200),  # password too old
        ad_user("dave"),  # leaver still enabled
        ad_user("erin", logon=190),  # inside the 14-day slack: not dormant
        ad_user("frank"),  # ended contractor
        ad_user("ghost"),  # no owner
        ad_user("svc_backup", uac=512 | 0x10000),  # service account, password never expires
        ad_user("Administrator", uac=512 | 0x20),
        ad_user("grace", pwd=10, created=10, logon=2),  # initial password still in use
        ad_user("henry", enabled=False, logon=900),  # disabled: nothing to report
        ad_user("ivan", pwd=None, created=5, logon=None),  # must change at next logon: fine
    ]
    write(b / "ad/users.csv", "\ufeff" + powershell_csv(AD_HEADER, now_rows))
    write(
        b / "hr/roster.csv",
        plain_csv(
            ["員工編號", "姓名", "帳號", "部門", "職稱", "在職狀態", "到職日", "離職日", "委外", "合約到期日"],
            [
                ["E001", "王小明", "alice", "資訊安全部", "資安工程師", "在職", "110/03/01", "", "否", ""],
                ["E002", "李大華", "bob", "資訊部", "工程師", "在職", "2019-05-01", "", "否", ""],
                ["E003", "陳美玲", "carol", "資訊部", "工程師", "在職", "2020-01-01", "", "否", ""],
                ["E004", "林志偉", "dave", "業務部", "營業員", "離職", "2018-01-01", "2026-10-31", "否", ""],
                ["E005", "黃怡君", "erin", "稽核室", "稽核", "在職", "2021-01-01", "", "否", ""],
                ["C001", "張委外", "frank", "資訊部", "委外工程師", "在職", "2025-01-01", "", "是", "2026-09-30"],
                ["E006", "吳淑芬", "grace", "業務部", "營業員", "在職", "2026-11-20", "", "否", ""],
                ["E007", "周杰", "henry", "業務部", "營業員", "離職", "2015-01-01", "2024-01-01", "否", ""],
                ["E008", "蔡依林", "ivan", "業務部", "營業員", "在職", "2026-11-25", "", "否", ""],
                ["E009", "Admin owner", "administrator", "資訊部", "系統管理", "在職", "2015-01-01", "", "否", ""],
            ],
        ),
        encoding="utf-8-sig",
    )
    write(
        b / "pam/privileged.csv",
        plain_csv(
            ["time", "account", "host"],
            [
                ["2026-11-10 09:00:00", "root-ops", "db01"],
                ["2026-11-12 14:30:00", "root-ops", "db02"],
            ],
        ),
    )
    write(
        b / "pam/approvals.csv",
        plain_csv(
            ["ticket", "account", "host", "start", "end", "approver"],
            [
                ["CHG-1", "root-ops", "db01", "2026-11-10 08:00", "2026-11-10 18:00", "mgr.chen"],
                ["CHG-2", "alice", "", "2026-11-20", "2026-11-20", "mgr.chen"],
                ["CHG-3", "bob", "web01", "2026-11-21 22:00", "2026-11-22 01:00", "bob"],
            ],
        ),
    )
    write(
        b / "idp/signins.csv",
        powershell_csv(
            ["Date (UTC)", "Username", "IP address", "Authentication requirement", "Status"],
            [
                [
                    "2026-11-20T01:00:00Z",
                    "root-ops@corp.example.tw",
                    "10.1.1.5",
                    "singleFactorAuthentication",
                    "Success",
                ],
                ["2026-11-20T02:00:00Z", "alice", "203.0.113.9", "multiFactorAuthentication", "Success"],
                ["2026-11-20T03:00:00Z", "alice", "198.51.100.7", "singleFactorAuthentication", "Success"],
                ["2026-11-20T03:05:00Z", "alice", "198.51.100.7", "singleFactorAuthentication", "Failure"],
                ["2026-11-20T04:00:00Z", "someone", "198.51.100.8", "singleFactorAuthentication", "Success"],
            ],
        ),
    )
    write(
        b / "hr/training.csv",
        plain_csv(
            ["員工編號", "課程名稱", "日期", "時數", "類別", "評量"],
            [
                ["E001", "資安宣導講習", "2026-03-15", "2", "宣導講習", ""],
                ["E001", "ISO 27001 主導稽核員", "2026-05-10", "16", "專業課程", "通過"],
                ["E002", "資安宣導講習", "2026-03-15", "2", "宣導講習", ""],
                ["E002", "社交工程防範", "2026-06-01", "1.5", "資安認知", ""],
                ["E003", "資安宣導講習", "2026-03-15", "2", "宣導講習", ""],
                ["E005", "社交工程防範", "2026-06-01", "3", "資安認知", ""],
                ["E009", "資安宣導講習", "2025-03-15", "2", "宣導講習", ""],
                ["E009", "Linux 強化", "2026-02-01", "4", "資安認知", ""],
            ],
        ),
    )
    write(b / "docs/risk-2025.pdf", b"%PDF-1.7\n% risk assessment\n")
    bundle_yaml(
        b,
        {
            "admin_accounts": ["alice"],
            "service_accounts": ["svc_backup"],
            "security_staff": ["E001"],
            "artifacts": [
                {"type": "linux.login_defs", "path": "web01/login.defs", "subject": "web01"},
                {"type": "linux.pwquality", "path": "web01/pwquality.conf", "subject": "web01"},
                {"type": "linux.faillock", "path": "web01/faillock.conf", "subject": "web01"},
                {"type": "linux.pam", "path": "web01/common-auth", "subject": "web01"},
                {"type": "linux.pam", "path": "web01/common-password", "subject": "web01"},
                {"type": "linux.shadow", "path": "web01/shadow", "subject": "web01"},
                {"type": "linux.sshd_config", "path": "web01/sshd_config", "subject": "web01"},
                {"type": "linux.auth_log", "path": "web01/auth.log", "subject": "web01"},
                {"type": "windows.secedit", "path": "win01/policy.inf", "subject": "win01"},
                {"type": "app.password_policy", "path": "trading/policy.yaml", "subject": "trading"},
                {"type": "app.users_csv", "path": "trading/users.csv", "subject": "trading"},
                {"type": "ad.users_csv", "path": "ad/users.csv", "subject": "corp-ad"},
                {"type": "hr.roster_csv", "path": "hr/roster.csv", "subject": "hr"},
                {"type": "auth.privileged_logins_csv", "path": "pam/privileged.csv", "subject": "bastion"},
                {"type": "approvals_csv", "path": "pam/approvals.csv", "subject": "bastion"},
                {"type": "idp.signins_csv", "path": "idp/signins.csv", "subject": "entra"},
                {"type": "training_csv", "path": "hr/training.csv", "subject": "hr"},
            ],
            "documents": [
                {
                    "item": "CC-11000.3",
                    "title": "2025 資訊安全風險評估報告",
                    "date": "2025-10-01",
                    "path": "docs/risk-2025.pdf",
                },
                {"item": "CC-12000.4", "title": "資安政策年度評估", "date": "2026-06-30"},
            ],
        },
    )
    return b
