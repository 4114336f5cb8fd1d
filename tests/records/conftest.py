"""Every records test runs on SQLite and on PostgreSQL.

PostgreSQL databases are cloned from a template migrated once per session, so a fresh database per
test costs a file copy, not a migration.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from brokersec.records import Records, open_engine, upgrade
from brokersec.yamlio import read_yaml

DEMO_PROFILE = Path(__file__).parents[2] / "src" / "brokersec" / "demo" / "firm.yaml"
TEMPLATE = "brokersec_template"
_names = itertools.count()


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2id with production cost takes ~0.1 s a hash; tests create many users."""
    from argon2 import PasswordHasher

    from brokersec.records import people

    monkeypatch.setattr(people, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def pg_template(pg_server: Any) -> str:
    pg_server.admin_sql(f"CREATE DATABASE {TEMPLATE}")
    engine = open_engine(pg_server.url(TEMPLATE))
    upgrade(engine)
    engine.dispose()
    return TEMPLATE


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A migrated, empty database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'records.db'}"
        engine = open_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url
        return
    server = request.getfixturevalue("pg_server")
    template = request.getfixturevalue("pg_template")
    name = f"t{next(_names)}_{request.node.name.split('[')[0][:30].lower()}".replace("-", "_")
    server.admin_sql(f"CREATE DATABASE {name} TEMPLATE {template}")
    yield server.url(name)
    server.admin_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data"
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(path))
    return path


@pytest.fixture
def records(database_url: str, data_dir: Path) -> Iterator[Records]:
    rec = Records.open(database_url, vault_root=data_dir / "vault")
    yield rec
    rec.close()


def _demo_profile() -> dict[str, Any]:
    data, _ = read_yaml(DEMO_PROFILE)
    return data


@pytest.fixture
def demo_profile() -> dict[str, Any]:
    return _demo_profile()


class Firm:
    """A firm with an admin/inspector (alice), a reviewer (bob), an auditor (carol) and an executive (dave)."""

    def __init__(self, records: Records) -> None:
        self.records = records
        records.create_user("alice", "alice@example.tw", "王小明", "資訊安全主管", password="alice-password-1")
        self.alice = records.as_user("alice", client_addr="127.0.0.1")
        self.org = self.alice.create_org(_demo_profile())
        self.tax_id = self.org["tax_id"]
        for login, name, title in (
            ("bob", "李大同", "稽核室經理"),
            ("carol", "陳美玲", "電腦稽核人員"),
            ("dave", "林志明", "總經理"),
        ):
            self.alice.create_user(login, f"{login}@example.tw", name, title, password=f"{login}-password-1")
        self.alice.add_member(self.tax_id, "alice", "inspector")
        self.alice.add_member(self.tax_id, "bob", "reviewer")
        self.alice.add_member(self.tax_id, "carol", "auditor")
        self.alice.add_member(self.tax_id, "dave", "executive")
        self.bob = records.as_user("bob")
        self.carol = records.as_user("carol")
        self.dave = records.as_user("dave")


@pytest.fixture
def firm(records: Records) -> Firm:
    return Firm(records)


NOV = dt.date(2026, 11, 15)
