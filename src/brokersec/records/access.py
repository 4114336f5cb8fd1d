"""Signing in: lockout, second factor, browser sessions and API tokens.

brokersec must pass the inspection it runs (CC-18000 (3)): passwords are Argon2id hashes, three
wrong passwords lock the account (until an admin unlocks it or the lockout time passes), the random
initial password must be changed at first sign-in, and admins must use a TOTP second factor
(RFC 6238) with one-time recovery codes. Every sign-in, failure, lockout and sign-out is in the audit
trail with the client address (CC-18000 (4) a).

Session and token secrets are never stored: only their SHA-256, so a copy of the database does not
let anyone in. Touching a session on each request is bookkeeping, not a record change, so it is
written outside the audited transaction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any

import pyotp
from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, select, update
from sqlalchemy.orm import Mapped, mapped_column

from brokersec.errors import InputError, Problem
from brokersec.records.core import Forbidden, _Core
from brokersec.records.models import ROLES, Base, Membership, Org, User, UTCDateTime
from brokersec.records.people import check_password, hash_password

MAX_FAILURES = 3
RECOVERY_CODES = 10
ISSUER = "brokersec"


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def lockout_minutes() -> int:
    return int(os.environ.get("BROKERSEC_LOCKOUT_MINUTES", "15"))


def idle_minutes() -> int:
    return int(os.environ.get("BROKERSEC_SESSION_IDLE_MINUTES", "30"))


class LoginState(Base):
    """Per-user sign-in state kept apart from the user record it protects."""

    __tablename__ = "login_state"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)
    recovery_hashes: Mapped[list[str]] = mapped_column(JSON, default=list)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    last_login_addr: Mapped[str | None] = mapped_column(String(100))


class WebSession(Base):
    __tablename__ = "web_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the cookie value
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    client_addr: Mapped[str | None] = mapped_column(String(100))
    user_agent: Mapped[str | None] = mapped_column(String(300))
    mfa_passed: Mapped[bool] = mapped_column(Boolean, default=False)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


class ApiToken(Base):
    """A personal token for scripts: one firm, one of the owner's roles there, revocable."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    role: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class SignIn:
    """What a password check decided, and what the user must do next."""

    ok: bool
    user_id: int | None = None
    username: str | None = None
    locked_until: dt.datetime | None = None
    must_change_password: bool = False
    mfa_required: bool = False
    mfa_enrolled: bool = False
    reason: str = ""


class Access(_Core):
    # ------------------------------------------------------------ helpers

    def _from(self, client_addr: str | None) -> Access:
        bound = object.__new__(type(self))
        bound.__dict__.update(self.__dict__)
        bound._client_addr = client_addr
        return bound

    def _state(self, s: Any, user: User) -> LoginState:
        state = s.get(LoginState, user.id)
        if state is None:
            state = LoginState(user_id=user.id, failed_logins=0, totp_enabled=False, totp_last_step=0)
            state.recovery_hashes = []
            s.add(state)
            s.flush()
        return state

    def _mfa_required(self, s: Any, user: User, state: LoginState) -> bool:
        return state.totp_enabled or self._is_admin_anywhere(s, user)

    # ------------------------------------------------------------ passwords and lockout

    def sign_in(self, login: str, password: str, client_addr: str | None = None) -> SignIn:
        """Check a password, counting failures; the third in a row locks the account."""
        me = self._from(client_addr)
        now = self.clock()
        with me._write() as s:
            user = s.execute(select(User).where((User.username == login) | (User.email == login))).scalar_one_or_none()
            if user is None:
                check_password(_dummy_hash(), password)  # same time as a real check: no user enumeration
                me._audit(s, None, "anonymous", "login_failed", "user", login[:80], after={"reason": "unknown user"})
                return SignIn(False, reason="invalid")
            state = me._state(s, user)
            if state.locked_until is not None and state.locked_until > now:
                me._audit(s, user, "login", "login_refused", "user", user.id, after={"reason": "locked"})
                return SignIn(False, user.id, user.username, locked_until=state.locked_until, reason="locked")
            if not user.active:
                me._audit(s, user, "login", "login_refused", "user", user.id, after={"reason": "deactivated"})
                return SignIn(False, user.id, user.username, reason="inactive")
            if not check_password(user.password_hash, password):
                state.failed_logins = (state.failed_logins or 0) + 1
                after: dict[str, Any] = {"failed_logins": state.failed_logins}
                if state.failed_logins >= MAX_FAILURES:
                    state.locked_until = now + dt.timedelta(minutes=lockout_minutes())
                    state.failed_logins = 0
                    after["locked_until"] = state.locked_until.isoformat()
                    me._audit(s, user, "login", "account_locked", "user", user.id, after=after)
                    return SignIn(False, user.id, user.username, locked_until=state.locked_until, reason="locked")
                me._audit(s, user, "login", "login_failed", "user", user.id, after=after)
                return SignIn(False, user.id, user.username, reason="invalid")
            state.failed_logins = 0
            state.locked_until = None
            state.last_login_at = now
            state.last_login_addr = client_addr
            me._audit(s, user, "login", "password_ok", "user", user.id, after={"client_addr": client_addr})
            return SignIn(
                True,
                user.id,
                user.username,
                must_change_password=user.must_change_password,
                mfa_required=me._mfa_required(s, user, state),
                mfa_enrolled=state.totp_enabled,
            )

    def sign_in_external(self, email: str, method: str, client_addr: str | None = None) -> SignIn:
        """An identity provider vouched for ``email``: admit its active brokersec user, if there is one.

        No account is created on the fly; a locked account stays locked.
        """
        me = self._from(client_addr)
        now = self.clock()
        with me._write() as s:
            user = s.execute(select(User).where(User.email == email.strip())).scalar_one_or_none() if email else None
            if user is None or not user.active:
                me._audit(s, user, "anonymous", "login_refused", "user", email[:80] or None, after={"method": method})
                return SignIn(False, reason="unknown")
            state = me._state(s, user)
            if state.locked_until is not None and state.locked_until > now:
                me._audit(
                    s, user, "login", "login_refused", "user", user.id, after={"reason": "locked", "method": method}
                )
                return SignIn(False, user.id, user.username, locked_until=state.locked_until, reason="locked")
            state.last_login_at, state.last_login_addr = now, client_addr
            me._audit(s, user, "login", "external_ok", "user", user.id, after={"method": method})
            return SignIn(
                True,
                user.id,
                user.username,
                mfa_required=me._mfa_required(s, user, state),
                mfa_enrolled=state.totp_enabled,
            )

    def unlock_user(self, login: str) -> None:
        """An admin lifts a lockout before its time is up."""
        with self._write() as s:
            me = self._me(s)
            if not self._is_admin_anywhere(s, me):
                raise Forbidden(Problem("only an admin may unlock accounts", field="--as"))
            user = self._user(s, login, field="login")
            state = self._state(s, user)
            before = {"locked_until": state.locked_until.isoformat() if state.locked_until else None}
            state.locked_until = None
            state.failed_logins = 0
            self._audit(
                s, me, "admin", "account_unlocked", "user", user.id, before=before, after={"locked_until": None}
            )

    def login_status(self, login: str) -> dict[str, Any]:
        with self._read() as s:
            user = self._user(s, login, field="login")
            state = s.get(LoginState, user.id)
            now = self.clock()
            return {
                "locked": bool(state and state.locked_until and state.locked_until > now),
                "locked_until": state.locked_until.isoformat() if state and state.locked_until else None,
                "totp_enabled": bool(state and state.totp_enabled),
                "last_login_at": state.last_login_at.isoformat() if state and state.last_login_at else None,
            }

    # ------------------------------------------------------------ TOTP

    def begin_totp(self) -> dict[str, str]:
        """A secret for the acting user to scan, not active until ``confirm_totp``.

        An unconfirmed secret is reused, so reloading the set-up page does not invalidate what the
        user already scanned.
        """
        with self._write() as s:
            me = self._me(s)
            state = self._state(s, me)
            if state.totp_enabled:
                raise InputError(Problem("two-step sign-in is already set up", field="totp"))
            if not state.totp_secret:
                state.totp_secret = pyotp.random_base32()
                self._audit(s, me, "self", "totp_begun", "user", me.id)
            uri = pyotp.TOTP(state.totp_secret).provisioning_uri(name=me.email, issuer_name=ISSUER)
            return {"secret": state.totp_secret, "uri": uri}

    def confirm_totp(self, code: str) -> list[str]:
        """Turn TOTP on once the user proves their authenticator works; returns the recovery codes once."""
        with self._write() as s:
            me = self._me(s)
            state = self._state(s, me)
            if not state.totp_secret or state.totp_enabled:
                raise InputError(Problem("start two-step set-up first", field="totp"))
            step = _totp_step(state.totp_secret, code, self.clock(), state.totp_last_step)
            if step is None:
                raise InputError(Problem("the code does not match; check the authenticator's clock", field="code"))
            codes = [
                f"{secrets.token_hex(2)}-{secrets.token_hex(2)}-{secrets.token_hex(2)}" for _ in range(RECOVERY_CODES)
            ]
            state.totp_enabled = True
            state.totp_last_step = step
            state.recovery_hashes = [_sha256(c) for c in codes]
            self._audit(s, me, "self", "totp_enabled", "user", me.id)
            return codes

    def check_second_factor(self, user_id: int, code: str, client_addr: str | None = None) -> bool:
        """A TOTP code (each usable once) or an unused recovery code; failures count towards lockout."""
        me = self._from(client_addr)
        with me._write() as s:
            user = me._get(s, User, user_id, "user")
            state = me._state(s, user)
            code = code.strip()
            step = _totp_step(state.totp_secret, code, me.clock(), state.totp_last_step) if state.totp_secret else None
            if step is not None and state.totp_enabled:
                state.totp_last_step = step
                me._audit(s, user, "login", "mfa_ok", "user", user.id)
                return True
            digest = _sha256(code.lower())
            if digest in (state.recovery_hashes or []):
                state.recovery_hashes = [h for h in state.recovery_hashes if h != digest]
                me._audit(
                    s, user, "login", "recovery_code_used", "user", user.id, after={"left": len(state.recovery_hashes)}
                )
                return True
            state.failed_logins = (state.failed_logins or 0) + 1
            if state.failed_logins >= MAX_FAILURES:
                state.locked_until = me.clock() + dt.timedelta(minutes=lockout_minutes())
                state.failed_logins = 0
                me._audit(s, user, "login", "account_locked", "user", user.id, after={"reason": "second factor"})
            else:
                me._audit(s, user, "login", "mfa_failed", "user", user.id)
            return False

    # ------------------------------------------------------------ browser sessions

    def open_session(self, user_id: int, client_addr: str | None, user_agent: str | None, mfa_passed: bool) -> str:
        """A new session; returns the cookie value (only its hash is kept)."""
        token = secrets.token_urlsafe(32)
        me = self._from(client_addr)
        now = self.clock()
        with me._write() as s:
            user = me._get(s, User, user_id, "user")
            s.add(
                WebSession(
                    id=_sha256(token),
                    user_id=user.id,
                    created_at=now,
                    last_seen_at=now,
                    client_addr=client_addr,
                    user_agent=(user_agent or "")[:300],
                    mfa_passed=mfa_passed,
                )
            )
            me._audit(s, user, "login", "login", "user", user.id, after={"mfa": mfa_passed})
        return token

    def session_user(self, token: str, *, touch: bool = True) -> dict[str, Any] | None:
        """The user of a live session (None if unknown, ended or idle too long); renews the idle timer."""
        if not token:
            return None
        now = self.clock()
        key = _sha256(token)
        with self._sessions() as s:
            row = s.get(WebSession, key)
            if row is None or row.ended_at is not None:
                return None
            if now - row.last_seen_at > dt.timedelta(minutes=idle_minutes()):
                return None
            user = s.get(User, row.user_id)
            if user is None or not user.active:
                return None
            state = s.get(LoginState, user.id)
            enrolled = bool(state and state.totp_enabled)
            mfa_required = enrolled or self._is_admin_anywhere(s, user)
            if touch and (now - row.last_seen_at).total_seconds() >= 30:
                s.execute(update(WebSession).where(WebSession.id == key).values(last_seen_at=now))
                s.commit()
            return {
                "id": user.id,
                "username": user.username,
                "email": user.email,
                "name": user.name,
                "job_title": user.job_title,
                "must_change_password": user.must_change_password,
                "mfa_passed": row.mfa_passed,
                "mfa_required": mfa_required,
                "mfa_enrolled": enrolled,
            }

    def pass_session_mfa(self, token: str) -> None:
        """Record on the session that its user has just proven the second factor."""
        with self._sessions() as s:
            s.execute(update(WebSession).where(WebSession.id == _sha256(token)).values(mfa_passed=True))
            s.commit()

    def close_session(self, token: str, client_addr: str | None = None) -> None:
        me = self._from(client_addr)
        with me._write() as s:
            row = s.get(WebSession, _sha256(token))
            if row is None or row.ended_at is not None:
                return
            row.ended_at = me.clock()
            me._audit(s, s.get(User, row.user_id), "login", "logout", "user", row.user_id)

    # ------------------------------------------------------------ API tokens

    def create_api_token(self, org: int | str, role: str, name: str) -> tuple[dict[str, Any], str]:
        """A token for the acting user in one firm, under one of their roles there; shown once."""
        if role not in ROLES:
            raise InputError(Problem(f"unknown role {role!r}; one of {', '.join(ROLES)}", field="role"))
        if not name.strip():
            raise InputError(Problem("give the token a name (what script uses it)", field="name"))
        token = "bsk_" + secrets.token_urlsafe(32)
        with self._write() as s:
            me = self._me(s)
            firm = self._org(s, org)
            self._require(s, me, firm.id, (role,), f"create a {role} token")
            row = ApiToken(
                user_id=me.id,
                org_id=firm.id,
                role=role,
                name=name.strip()[:100],
                token_hash=_sha256(token),
                prefix=token[:12],
                created_at=self.clock(),
            )
            s.add(row)
            s.flush()
            info = _token_dict(row)
            self._audit(s, me, role, "api_token_created", "api_token", row.id, org_id=firm.id, after=info)
            return info, token

    def list_api_tokens(self) -> list[dict[str, Any]]:
        with self._read() as s:
            me = self._me(s)
            rows = s.execute(select(ApiToken).where(ApiToken.user_id == me.id).order_by(ApiToken.id)).scalars()
            return [_token_dict(r) for r in rows]

    def revoke_api_token(self, token_id: int) -> None:
        with self._write() as s:
            me = self._me(s)
            row = self._get(s, ApiToken, token_id, "token")
            if row.user_id != me.id and not self._is_admin_anywhere(s, me):
                raise Forbidden(Problem("only the owner or an admin may revoke a token", field="token"))
            if row.revoked_at is None:
                row.revoked_at = self.clock()
                self._audit(s, me, "self", "api_token_revoked", "api_token", row.id, org_id=row.org_id)

    def token_identity(self, token: str) -> dict[str, Any] | None:
        """Who a bearer token speaks for: user, firm and the single role it carries."""
        if not token.startswith("bsk_"):
            return None
        with self._sessions() as s:
            row = s.execute(select(ApiToken).where(ApiToken.token_hash == _sha256(token))).scalar_one_or_none()
            if row is None or row.revoked_at is not None:
                return None
            user = s.get(User, row.user_id)
            held = s.execute(
                select(Membership).where(
                    Membership.user_id == row.user_id, Membership.org_id == row.org_id, Membership.role == row.role
                )
            ).first()
            if user is None or not user.active or held is None:
                return None
            row.last_used_at = self.clock()
            s.commit()
            org = s.get(Org, row.org_id)
            return {
                "username": user.username,
                "org_id": row.org_id,
                "tax_id": org.tax_id if org else None,
                "role": row.role,
            }


def _token_dict(row: ApiToken) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": row.prefix,
        "org_id": row.org_id,
        "role": row.role,
        "created_at": row.created_at.isoformat(),
        "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
        "revoked_at": row.revoked_at.isoformat() if row.revoked_at else None,
    }


def _totp_step(secret: str | None, code: str, now: dt.datetime, last_step: int) -> int | None:
    """The time step a code belongs to (±1 step of drift), if valid and newer than the last one used."""
    if not secret or not code.strip().isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int(now.timestamp()) // totp.interval
    for step in (current, current - 1, current + 1):
        if step > last_step and secrets.compare_digest(totp.generate_otp(step), code.strip()):
            return step
    return None


@cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))
