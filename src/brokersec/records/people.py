"""Firms, their profile history, users and their roles per firm.

A profile change never edits the old profile: it adds a version, so an inspection started under
version 3 can always show the facts its scope was decided on. Passwords are Argon2id hashes; a new
or reset account gets a random password and must change it at first login (the web layer's job).
"""

from __future__ import annotations

import secrets
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from brokersec.catalog import load_catalog_ref
from brokersec.errors import InputError, Problem
from brokersec.profile import FirmProfile, check_flags, parse_profile
from brokersec.records.core import Forbidden, _Core, row_dict
from brokersec.records.models import ROLES, Membership, Org, ProfileVersion, User

_hasher = PasswordHasher()  # argon2-cffi defaults are Argon2id with RFC 9106's low-memory profile
MIN_PASSWORD = 12
USER_PRIVATE = ("password_hash",)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _user_dict(user: User) -> dict[str, Any]:
    return row_dict(user, exclude=USER_PRIVATE)


def random_password() -> str:
    """A random initial password (16 characters) that itself meets the password rule."""
    while True:
        candidate = secrets.token_urlsafe(12)
        if any(c.isalpha() for c in candidate) and any(not c.isalpha() for c in candidate):
            return candidate


def _check_new_password(password: str) -> None:
    """The rule brokersec applies to itself: CC-18000 (3) f asks for letters with digits or symbols;
    twelve characters is today's floor for staff accounts (the seed's six is a 2020 minimum for customers)."""
    if len(password) < MIN_PASSWORD:
        raise InputError(Problem(f"a password needs at least {MIN_PASSWORD} characters", field="password"))
    has_letter = any(c.isalpha() for c in password)
    has_other = any(c.isdigit() or not c.isalnum() for c in password)
    if not (has_letter and has_other):
        raise InputError(Problem("a password needs letters and digits or symbols", field="password"))


class People(_Core):
    # ------------------------------------------------------------ users

    def create_user(
        self, username: str, email: str, name: str, job_title: str, password: str | None = None
    ) -> tuple[dict[str, Any], str | None]:
        """Create a user; returns (user, initial password) — the password only when it was generated.

        The first user of an installation may be created by no one; after that an admin must do it.
        """
        username, email, name, job_title = (x.strip() for x in (username, email, name, job_title))
        problems = []
        if not username or "@" in username:
            problems.append(Problem("a username is needed and may not contain '@'", field="username"))
        if "@" not in email:
            problems.append(Problem(f"{email!r} is not an e-mail address", field="email"))
        if not name:
            problems.append(Problem("the person's name is needed", field="name"))
        if not job_title:
            problems.append(Problem("the job title is needed (records show name and title)", field="job_title"))
        if problems:
            raise InputError(problems)
        if password is not None:
            _check_new_password(password)
        initial = None if password is not None else random_password()
        with self._write() as s:
            first = s.execute(select(func.count()).select_from(User)).scalar_one() == 0
            me = None if first and self._login is None else self._me(s)
            if me is not None and not self._is_admin_anywhere(s, me):
                raise Forbidden(Problem(f"{me.username} may not create users: needs role admin", field="--as"))
            clash = s.execute(
                select(User).where(
                    (func.lower(User.username) == username.lower()) | (func.lower(User.email) == email.lower())
                )
            ).first()
            if clash is not None:
                raise InputError(Problem(f"user {username!r} or e-mail {email!r} already exists", field="username"))
            user = User(
                username=username,
                email=email,
                name=name,
                job_title=job_title,
                password_hash=hash_password(password if password is not None else initial or ""),
                must_change_password=password is None,
                active=True,
                created_at=self.clock(),
            )
            s.add(user)
            s.flush()
            self._audit(s, me, "admin" if me else "bootstrap", "user.create", "user", user.id, after=_user_dict(user))
            return _user_dict(user), initial

    def verify_password(self, login: str, password: str) -> dict[str, Any] | None:
        """The user if ``password`` is theirs and the account is active; None otherwise (no hint which)."""
        with self._read() as s:
            user = s.execute(select(User).where((User.username == login) | (User.email == login))).scalar_one_or_none()
            if user is None:
                _hasher.hash(password)  # spend the same time as a real check
                return None
            if not user.active or not check_password(user.password_hash, password):
                return None
            return _user_dict(user)

    def change_password(self, old: str, new: str) -> None:
        """The acting user changes their own password (clears must_change_password)."""
        _check_new_password(new)
        with self._write() as s:
            me = self._me(s)
            if not check_password(me.password_hash, old):
                raise InputError(Problem("the current password is wrong", field="password"))
            if old == new:
                raise InputError(Problem("the new password must differ from the current one", field="password"))
            me.password_hash = hash_password(new)
            me.must_change_password = False
            self._audit(s, me, "self", "user.password_change", "user", me.id)

    def reset_password(self, login: str) -> str:
        """An admin gives a user a new random password that must be changed at next login."""
        new = random_password()
        with self._write() as s:
            me = self._me(s)
            if not self._is_admin_anywhere(s, me):
                raise Forbidden(Problem(f"{me.username} may not reset passwords: needs role admin", field="--as"))
            user = self._user(s, login, field="user")
            user.password_hash = hash_password(new)
            user.must_change_password = True
            self._audit(s, me, "admin", "user.password_reset", "user", user.id)
        return new

    def set_active(self, login: str, active: bool) -> dict[str, Any]:
        with self._write() as s:
            me = self._me(s)
            if not self._is_admin_anywhere(s, me):
                raise Forbidden(Problem(f"{me.username} may not (de)activate users: needs role admin", field="--as"))
            user = self._user(s, login, field="user")
            before = _user_dict(user)
            user.active = active
            self._audit(
                s,
                me,
                "admin",
                "user.activate" if active else "user.deactivate",
                "user",
                user.id,
                before=before,
                after=_user_dict(user),
            )
            return _user_dict(user)

    def get_user(self, login: str) -> dict[str, Any]:
        with self._read() as s:
            user = self._user(s, login, field="user")
            out = _user_dict(user)
            out["roles"] = [
                {"org_id": m.org_id, "role": m.role}
                for m in s.execute(select(Membership).where(Membership.user_id == user.id)).scalars()
            ]
            return out

    def list_users(self, org: int | str | None = None) -> list[dict[str, Any]]:
        with self._read() as s:
            query = select(User).order_by(User.username)
            if org is not None:
                org_id = self._org(s, org).id
                query = query.where(User.id.in_(select(Membership.user_id).where(Membership.org_id == org_id)))
            users = s.execute(query).scalars().all()
            out = []
            for user in users:
                d = _user_dict(user)
                memberships = s.execute(select(Membership).where(Membership.user_id == user.id)).scalars()
                d["roles"] = [{"org_id": m.org_id, "role": m.role} for m in memberships]
                out.append(d)
            return out

    # ------------------------------------------------------------ memberships

    def add_member(self, org: int | str, login: str, role: str) -> dict[str, Any]:
        if role not in ROLES:
            raise InputError(Problem(f"unknown role {role!r}; use one of {', '.join(ROLES)}", field="role"))
        with self._write() as s:
            me = self._me(s)
            o = self._org(s, org)
            used = self._require(s, me, o.id, ("admin",), "grant roles")
            user = self._user(s, login, field="user")
            if role in self.roles_of(s, user, o.id):
                raise InputError(Problem(f"{user.username} already has role {role} in {o.name}", field="role"))
            m = Membership(user_id=user.id, org_id=o.id, role=role, created_at=self.clock())
            s.add(m)
            s.flush()
            self._audit(s, me, used, "member.add", "membership", m.id, org_id=o.id, after=row_dict(m))
            return row_dict(m)

    def remove_member(self, org: int | str, login: str, role: str) -> None:
        with self._write() as s:
            me = self._me(s)
            o = self._org(s, org)
            used = self._require(s, me, o.id, ("admin",), "revoke roles")
            user = self._user(s, login, field="user")
            m = s.execute(
                select(Membership).where(
                    Membership.user_id == user.id, Membership.org_id == o.id, Membership.role == role
                )
            ).scalar_one_or_none()
            if m is None:
                raise InputError(Problem(f"{user.username} has no role {role} in {o.name}", field="role"))
            if role == "admin" and user.id == me.id:
                raise InputError(Problem("an admin cannot revoke their own admin role", field="role"))
            before = row_dict(m)
            s.delete(m)
            self._audit(s, me, used, "member.remove", "membership", before["id"], org_id=o.id, before=before)

    # ------------------------------------------------------------ firms and profiles

    def _validated_profile(self, profile: FirmProfile | dict[str, Any]) -> FirmProfile:
        if not isinstance(profile, FirmProfile):
            profile = parse_profile(profile)
        check_flags(profile, load_catalog_ref(profile.catalog))
        return profile

    def create_org(self, profile: FirmProfile | dict[str, Any]) -> dict[str, Any]:
        """Register a firm with its first profile version; the creator becomes its admin.

        Anyone may create the installation's first firm; after that, only an admin of some firm.
        """
        prof = self._validated_profile(profile)
        with self._write() as s:
            me = self._me(s)
            first = s.execute(select(func.count()).select_from(Org)).scalar_one() == 0
            if not first and not self._is_admin_anywhere(s, me):
                raise Forbidden(Problem(f"{me.username} may not register firms: needs role admin", field="--as"))
            if s.execute(select(Org).where(Org.tax_id == prof.tax_id)).scalar_one_or_none() is not None:
                raise InputError(Problem(f"a firm with 統一編號 {prof.tax_id} already exists", field="tax_id"))
            now = self.clock()
            org = Org(name=prof.name, tax_id=prof.tax_id, created_at=now)
            s.add(org)
            s.flush()
            pv = ProfileVersion(
                org_id=org.id, version=1, profile=prof.model_dump(mode="json"), created_at=now, created_by=me.id
            )
            m = Membership(user_id=me.id, org_id=org.id, role="admin", created_at=now)
            s.add_all([pv, m])
            s.flush()
            self._audit(s, me, "admin", "org.create", "org", org.id, org_id=org.id, after=row_dict(org))
            self._audit(s, me, "admin", "profile.create", "profile_version", pv.id, org_id=org.id, after=row_dict(pv))
            self._audit(s, me, "admin", "member.add", "membership", m.id, org_id=org.id, after=row_dict(m))
            return {**row_dict(org), "profile_version": 1}

    def update_profile(self, org: int | str, profile: FirmProfile | dict[str, Any]) -> dict[str, Any]:
        """A new profile version; inspections already started keep the scope they froze."""
        prof = self._validated_profile(profile)
        with self._write() as s:
            me = self._me(s)
            o = self._org(s, org)
            used = self._require(s, me, o.id, ("admin",), "change the firm profile")
            if prof.tax_id != o.tax_id:
                raise InputError(
                    Problem(f"the profile's 統一編號 {prof.tax_id} is not this firm's ({o.tax_id})", field="tax_id")
                )
            latest = self._latest_profile(s, o.id)
            if latest.profile == prof.model_dump(mode="json"):
                raise InputError(Problem("the profile is unchanged; no new version made", field="profile"))
            pv = ProfileVersion(
                org_id=o.id,
                version=latest.version + 1,
                profile=prof.model_dump(mode="json"),
                created_at=self.clock(),
                created_by=me.id,
            )
            s.add(pv)
            before_org = row_dict(o)
            o.name = prof.name
            s.flush()
            self._audit(
                s,
                me,
                used,
                "profile.update",
                "profile_version",
                pv.id,
                org_id=o.id,
                before=row_dict(latest),
                after=row_dict(pv),
            )
            if before_org != row_dict(o):
                self._audit(s, me, used, "org.rename", "org", o.id, org_id=o.id, before=before_org, after=row_dict(o))
            return row_dict(pv)

    def _latest_profile(self, s: Session, org_id: int) -> ProfileVersion:
        return s.execute(
            select(ProfileVersion)
            .where(ProfileVersion.org_id == org_id)
            .order_by(ProfileVersion.version.desc())
            .limit(1)
        ).scalar_one()

    def profile(self, org: int | str, version: int | None = None) -> FirmProfile:
        with self._read() as s:
            o = self._org(s, org)
            if version is None:
                return FirmProfile.model_validate(self._latest_profile(s, o.id).profile)
            pv = s.execute(
                select(ProfileVersion).where(ProfileVersion.org_id == o.id, ProfileVersion.version == version)
            ).scalar_one_or_none()
            if pv is None:
                raise InputError(Problem(f"{o.name} has no profile version {version}", field="version"))
            return FirmProfile.model_validate(pv.profile)

    def profile_history(self, org: int | str) -> list[dict[str, Any]]:
        with self._read() as s:
            o = self._org(s, org)
            rows = s.execute(
                select(ProfileVersion).where(ProfileVersion.org_id == o.id).order_by(ProfileVersion.version)
            ).scalars()
            return [row_dict(pv) for pv in rows]

    def get_org(self, org: int | str) -> dict[str, Any]:
        with self._read() as s:
            o = self._org(s, org)
            return {**row_dict(o), "profile_version": self._latest_profile(s, o.id).version}

    def list_orgs(self) -> list[dict[str, Any]]:
        with self._read() as s:
            return [
                {**row_dict(o), "profile_version": self._latest_profile(s, o.id).version}
                for o in s.execute(select(Org).order_by(Org.id)).scalars()
            ]

    # ------------------------------------------------------------ what the acting user may see

    def my_roles(self) -> list[dict[str, Any]]:
        """The bound user's roles, one row per firm and role; the web shows only these firms."""
        with self._read() as s:
            me = self._me(s)
            rows = s.execute(
                select(Membership, Org).join(Org, Org.id == Membership.org_id).where(Membership.user_id == me.id)
            ).all()
            return [
                {"org_id": o.id, "tax_id": o.tax_id, "name": o.name, "role": m.role}
                for m, o in sorted(rows, key=lambda r: (r[1].id, r[0].role))
            ]

    def has_role(self, org: int | str, *roles: str) -> bool:
        """Whether the bound user holds any of ``roles`` in the firm (reads are not checked by Records)."""
        with self._read() as s:
            return bool(self.roles_of(s, self._me(s), self._org(s, org).id) & set(roles))
