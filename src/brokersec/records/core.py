"""The machinery every records operation shares: transactions, the acting user, roles, auditing.

A mutation can only be written inside ``_write``, and the only way to describe it there is
``_audit``, which appends to the hash chain in the same transaction; a method that forgot to audit
would leave ``_write`` with nothing logged, which ``_write`` refuses. That is how "every change is in
the audit trail" is kept true as the layer grows.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session, sessionmaker

from brokersec.errors import InputError, Problem
from brokersec.records import audit
from brokersec.records.db import require_current
from brokersec.records.models import Base, Membership, Org, User, utcnow
from brokersec.records.vault import Vault
from brokersec.settings import data_dir

DEFAULT_MAX_UPLOAD_BYTES = 100 * 1024 * 1024
DEFAULT_RETENTION_YEARS = 3
SYSTEM = audit.Actor(None, "system", "brokersec", "system")


class Forbidden(InputError):
    """The acting user lacks the role the operation needs."""


def max_upload_bytes() -> int:
    env = os.environ.get("BROKERSEC_MAX_UPLOAD_BYTES")
    if not env:
        return DEFAULT_MAX_UPLOAD_BYTES
    try:
        value = int(env)
    except ValueError:
        raise InputError(Problem(f"{env!r} is not a number of bytes", field="BROKERSEC_MAX_UPLOAD_BYTES")) from None
    if value <= 0:
        raise InputError(Problem("must be a positive number of bytes", field="BROKERSEC_MAX_UPLOAD_BYTES"))
    return value


def as_date(value: dt.date | str | None, field: str) -> dt.date | None:
    """Accept ISO text too: the web hands dates over as form strings."""
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip()) if str(value).strip() else None
    except ValueError:
        raise InputError(Problem(f"{value!r} is not a date; use YYYY-MM-DD", field=field)) from None


def row_dict(obj: Base, *, exclude: Iterable[str] = ()) -> dict[str, Any]:
    """A row as JSON-ready values (dates as ISO text): the form of the audit trail, the CLI and the web."""
    out: dict[str, Any] = {}
    skip = set(exclude)
    for col in obj.__table__.columns:
        if col.key in skip:
            continue
        value = getattr(obj, col.key)
        if isinstance(value, dt.datetime | dt.date):
            value = value.isoformat()
        out[col.key] = value
    return out


def _note_changes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        session.info["changed"] = True


class _Core:
    def __init__(
        self,
        engine: Engine,
        vault_root: str | Path | None = None,
        *,
        max_upload_bytes: int | None = None,
        check_schema: bool = True,
        clock: Callable[[], dt.datetime] = utcnow,
    ) -> None:
        if check_schema:
            require_current(engine)
        self.engine = engine
        self.vault = Vault(vault_root if vault_root is not None else data_dir() / "vault")
        self.max_upload_bytes = max_upload_bytes
        self.clock = clock
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        event.listen(self._sessions, "before_flush", _note_changes)
        self._login: str | None = None
        self._client_addr: str | None = None

    # ------------------------------------------------------------ acting user

    def as_user(self, login: str, client_addr: str | None = None) -> Any:
        """A view of the same records acting as ``login`` (username or e-mail); mutations need one."""
        with self._read() as s:
            self._user(s, login)
        bound = object.__new__(type(self))
        bound.__dict__.update(self.__dict__)
        bound._login = login
        bound._client_addr = client_addr
        return bound

    def _user(self, s: Session, login: str, *, field: str = "--as") -> User:
        user = s.execute(select(User).where((User.username == login) | (User.email == login))).scalar_one_or_none()
        if user is None:
            raise InputError(Problem(f"no user {login!r} (give a username or e-mail)", field=field))
        return user

    def _me(self, s: Session) -> User:
        if self._login is None:
            raise InputError(Problem("this change needs an acting user (give --as USER)", field="--as"))
        user = self._user(s, self._login)
        if not user.active:
            raise Forbidden(Problem(f"user {user.username!r} is deactivated", field="--as"))
        return user

    def _actor(self, user: User | None) -> audit.Actor:
        if user is None:
            return audit.Actor(SYSTEM.user_id, SYSTEM.login, SYSTEM.name, SYSTEM.job_title, self._client_addr)
        return audit.Actor(user.id, user.username, user.name, user.job_title, self._client_addr)

    def roles_of(self, s: Session, user: User, org_id: int) -> set[str]:
        return set(
            s.execute(
                select(Membership.role).where(Membership.user_id == user.id, Membership.org_id == org_id)
            ).scalars()
        )

    def _require(self, s: Session, user: User, org_id: int, roles: Iterable[str], what: str) -> str:
        """The role (of ``roles``) under which ``user`` may do ``what`` in the org; else ``Forbidden``."""
        roles = tuple(roles)
        held = self.roles_of(s, user, org_id)
        for role in roles:
            if role in held:
                return role
        org = s.get(Org, org_id)
        raise Forbidden(
            Problem(
                f"{user.username} may not {what} in {org.name if org else org_id}: needs role "
                f"{' or '.join(roles)}, has {', '.join(sorted(held)) or 'no role'}",
                field="--as",
            )
        )

    def _is_admin_anywhere(self, s: Session, user: User) -> bool:
        return (
            s.execute(
                select(func.count())
                .select_from(Membership)
                .where(Membership.user_id == user.id, Membership.role == "admin")
            ).scalar_one()
            > 0
        )

    # ------------------------------------------------------------ transactions

    @contextmanager
    def _read(self) -> Iterator[Session]:
        with self._sessions() as s:
            yield s

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """One transaction per operation; commits only if the change was audited."""
        with self._sessions() as s:
            s.connection(execution_options={"write": True})
            s.info["audited"] = 0
            try:
                yield s
                s.flush()
                if s.info.get("changed") and not s.info["audited"]:
                    raise RuntimeError("records change without an audit entry; write it through _audit")
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def _audit(
        self,
        s: Session,
        user: User | None,
        role: str,
        action: str,
        entity: str,
        entity_id: Any,
        *,
        org_id: int | None = None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        s.flush()
        audit.append(
            s,
            self._actor(user),
            role,
            action,
            entity,
            entity_id,
            org_id=org_id,
            before=before,
            after=after,
            at=self.clock(),
        )
        s.info["audited"] = s.info.get("audited", 0) + 1

    # ------------------------------------------------------------ lookups

    def _org(self, s: Session, ref: int | str) -> Org:
        """An org by id, or by 統一編號 (eight digits)."""
        text = str(ref).strip()
        if len(text) == 8 and text.isdigit():
            org = s.execute(select(Org).where(Org.tax_id == text)).scalar_one_or_none()
        elif text.isdigit():
            org = s.get(Org, int(text))
        else:
            org = None
        if org is None:
            raise InputError(Problem(f"no firm {text!r} (give its id or 統一編號)", field="org"))
        return org

    def _get(self, s: Session, model: type[Any], ident: int, label: str) -> Any:
        obj = s.get(model, int(ident))
        if obj is None:
            raise InputError(Problem(f"no {label} {ident}", field=label))
        return obj

    def verify_chain(self) -> audit.ChainReport:
        with self._read() as s:
            return audit.verify_chain(s)
