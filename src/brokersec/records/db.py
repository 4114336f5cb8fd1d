"""Which database, how to connect to it, and whether its schema is current.

SQLite in the data directory needs no server and suits one firm; PostgreSQL (``BROKERSEC_DATABASE_URL``)
suits an installation serving many. Migrations ship inside the package and run through Alembic's API,
so users never see an ``alembic.ini``; the app refuses to work on a schema that is not at the head
revision rather than fail later on a missing column.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url

from brokersec.errors import InputError, Problem
from brokersec.settings import data_dir

SQLITE_NAME = "brokersec.db"


class NotMigrated(InputError):
    """The database schema is missing or behind this version of brokersec."""


def database_url() -> str:
    env = os.environ.get("BROKERSEC_DATABASE_URL")
    if env:
        return env
    return f"sqlite:///{data_dir() / SQLITE_NAME}"


def display_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # Foreign keys are off by default in SQLite; WAL lets readers (and backups) run beside a writer;
    # FULL sync because these are records a regulator may ask for years later.
    dbapi_conn.isolation_level = None  # let SQLAlchemy's BEGIN below decide when transactions start
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.close()


def _sqlite_begin(conn: Connection) -> None:
    # A writer takes the write lock at BEGIN: two deferred transactions that both read and then
    # write would otherwise dead-lock and one would fail at once instead of waiting its turn.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")


def open_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: ``database_url()``), with SQLite set up for safe concurrent use."""
    url = url or database_url()
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return create_engine(parsed, pool_pre_ping=True)
    raise InputError(
        Problem(
            f"unsupported database {display_url(url)!r}; use sqlite:///FILE or postgresql+psycopg://…",
            field="BROKERSEC_DATABASE_URL",
        )
    )


def _config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("brokersec.records") / "migrations"))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Migrate to ``revision``; returns (before, after)."""
    before = current_revision(engine)
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return before, current_revision(engine) or ""


def require_current(engine: Engine) -> None:
    """Refuse to work on a schema that is missing or not at head."""
    current = current_revision(engine)
    head = head_revision()
    if current == head:
        return
    where = display_url(str(engine.url))
    state = "has no brokersec tables" if current is None else f"is at schema {current}, this version needs {head}"
    raise NotMigrated(
        Problem(f"the database {where} {state}; run `brokersec db upgrade` first", field="BROKERSEC_DATABASE_URL")
    )
