"""Password storage (CC-18000 (3) b, (5) c): is every stored password a slow, salted hash?

Schemes are told apart by their prefix, as crypt(3) and the common libraries write them. The
accepted ones are the slow salted schemes (yescrypt, sha512-crypt, bcrypt, argon2, pbkdf2, scrypt);
sha256-crypt is accepted too, being the same construction as sha512-crypt. Everything else that a
person can log in with (plaintext, empty, DES, MD5-crypt, bare or salted fast digests) is a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from brokersec.checks.bundle import Artifact
from brokersec.checks.engine import Check, Context, Verdict, per_subject, register
from brokersec.checks.parsers.app_users import AppUser
from brokersec.checks.parsers.shadow import ShadowEntry


@dataclass(frozen=True)
class Scheme:
    name: str
    ok: bool
    usable: bool = True  # False: locked or no password login (``!``, ``*``)
    reason: str = ""


_STRONG = [
    ("$y$", "yescrypt"),
    ("$gy$", "gost-yescrypt"),
    ("$7$", "scrypt"),
    ("$scrypt$", "scrypt"),
    ("$6$", "sha512-crypt"),
    ("$5$", "sha256-crypt"),
    ("$2a$", "bcrypt"),
    ("$2b$", "bcrypt"),
    ("$2y$", "bcrypt"),
    ("$argon2id$", "argon2id"),
    ("$argon2i$", "argon2i"),
    ("$argon2d$", "argon2d"),
    ("$pbkdf2", "pbkdf2"),
    ("pbkdf2_sha256$", "pbkdf2 (Django)"),
    ("pbkdf2_sha1$", "pbkdf2 (Django)"),
    ("argon2$argon2", "argon2 (Django)"),
    ("bcrypt$$2", "bcrypt (Django)"),
    ("{PBKDF2", "pbkdf2 (LDAP)"),
    ("{ARGON2}", "argon2 (LDAP)"),
    ("{CRYPT}$6$", "sha512-crypt (LDAP)"),
    ("{CRYPT}$y$", "yescrypt (LDAP)"),
    ("{CRYPT}$2", "bcrypt (LDAP)"),
]
_WEAK = [
    ("$1$", "md5-crypt", "MD5-based crypt"),
    ("$apr1$", "apr1-md5", "Apache MD5 crypt"),
    ("$md5", "sun-md5", "Sun MD5 crypt"),
    ("$3$", "nthash", "NT hash, unsalted MD4"),
    ("$sha1$", "sha1-crypt", "fast SHA-1 crypt"),
    ("{SSHA}", "ssha", "salted SHA-1: fast"),
    ("{SSHA256}", "ssha256", "salted SHA-256: fast"),
    ("{SSHA512}", "ssha512", "salted SHA-512: fast"),
    ("{SHA}", "sha1", "unsalted SHA-1"),
    ("{SMD5}", "smd5", "salted MD5"),
    ("{MD5}", "md5", "unsalted MD5"),
    ("{CRYPT}", "crypt", "legacy crypt"),
    ("md5$", "md5 (Django)", "salted MD5"),
    ("sha1$", "sha1 (Django)", "salted SHA-1: fast"),
    ("_", "bsdi-crypt", "BSDi extended DES"),
]
_HEX = re.compile(r"^(?:0x)?[0-9a-fA-F]+$")
_DES = re.compile(r"^[./0-9A-Za-z]{13}$")
_HEX_NAMES = {32: "md5 (hex)", 40: "sha1 (hex)", 64: "sha256 (hex)", 128: "sha512 (hex)"}


def classify(value: str) -> Scheme:
    """What kind of stored password ``value`` is."""
    if value == "":
        return Scheme("empty", False, reason="empty password field: login without a password")
    if value.startswith(("!", "*")) or value in ("x", "LK", "NP", "*LK*"):
        return Scheme("locked", True, usable=False)
    for prefix, name in _STRONG:
        if value.startswith(prefix):
            return Scheme(name, True)
    for prefix, name, why in _WEAK:
        if value.startswith(prefix):
            return Scheme(name, False, reason=why)
    if _DES.match(value):
        return Scheme("des-crypt", False, reason="traditional DES crypt: 8 characters, 12-bit salt")
    if _HEX.match(value) and len(value.removeprefix("0x")) in _HEX_NAMES:
        return Scheme(_HEX_NAMES[len(value.removeprefix("0x"))], False, reason="unsalted fast digest")
    return Scheme("plaintext", False, reason="not a recognised hash: looks like a plaintext password")


def _shadow_findings(art: Artifact, entries: list[ShadowEntry]) -> list[dict[str, object]]:
    out = []
    for e in entries:
        s = classify(e.hash)
        if not s.ok:
            out.append(
                {
                    "account": e.name,
                    "scheme": s.name,
                    "where": f"{art.file}:{e.line}",
                    "problem": s.reason,
                    "fix": "passwd -l " + e.name
                    if s.name == "empty"
                    else f"reset the password (passwd {e.name}) with ENCRYPT_METHOD YESCRYPT or SHA512",
                }
            )
    return out


def _app_findings(art: Artifact, users: list[AppUser]) -> list[dict[str, object]]:
    out = []
    for u in users:
        s = classify(u.hash)
        if not s.ok:
            # the value itself is never echoed: it may be a real password
            out.append(
                {
                    "account": u.username,
                    "scheme": s.name,
                    "where": f"{art.file}:{u.line}",
                    "problem": s.reason,
                    "fix": "store passwords with argon2, bcrypt, scrypt or pbkdf2 and rehash at next login",
                }
            )
    return out


def _judge(ctx: Context) -> Iterator[Verdict]:
    def judge(subject: str, arts: list[Artifact]) -> Verdict:
        findings: list[dict[str, object]] = []
        for art in arts:
            data = ctx.load(art)
            findings += _shadow_findings(art, data) if art.type == "linux.shadow" else _app_findings(art, data)
        return Verdict.of(
            subject,
            findings,
            "every stored password is a slow salted hash",
            f"{len(findings)} account(s) with a plaintext, empty or weak password hash",
        )

    yield from per_subject(ctx, ("linux.shadow", "app.users_csv"), judge)


CHECKS = [
    register(
        Check(
            "password_storage.hashes",
            "密碼以雜湊方式儲存",
            "Passwords stored as strong hashes",
            ("linux.shadow", "app.users_csv"),
            "所有密碼以加鹽慢速雜湊（yescrypt、SHA-512 crypt、bcrypt、argon2、pbkdf2）儲存，無明碼、空白、DES 或 MD5",
            "every password is a slow salted hash (yescrypt, sha512-crypt, bcrypt, argon2, pbkdf2); none plaintext, empty, DES or MD5",
            _judge,
        )
    ),
]
