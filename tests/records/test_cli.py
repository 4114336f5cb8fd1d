"""The whole workflow from the command line, as a script would run it, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from brokersec.cli import main

DEMO = Path(__file__).parents[2] / "src" / "brokersec" / "demo" / "firm.yaml"
TAX_ID = "04595257"


@pytest.fixture
def cli(database_url: str, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BROKERSEC_DATABASE_URL", database_url)

    def run(*args: str, code: int = 0) -> Any:
        capsys.readouterr()
        rc = main(["--lang", "en", *args])
        out, err = capsys.readouterr()
        assert rc == code, f"{args}: exit {rc}\nstdout: {out}\nstderr: {err}"
        if "--json" in args and rc == 0:
            return json.loads(out)
        return out + err

    return run


def test_cli_workflow(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    assert cli("db", "upgrade", "--json")["to"]
    alice = cli(
        "user",
        "create",
        "alice",
        "--email",
        "alice@example.tw",
        "--name",
        "王小明",
        "--title",
        "資訊安全主管",
        "--json",
    )
    assert alice["initial_password"] and alice["must_change_password"]
    org = cli("org", "create", str(DEMO), "--as", "alice", "--json")
    assert org["tax_id"] == TAX_ID
    cli(
        "user",
        "create",
        "bob",
        "--email",
        "bob@example.tw",
        "--name",
        "李大同",
        "--title",
        "稽核室經理",
        "--as",
        "alice",
    )
    cli("user", "grant", "alice", "--role", "inspector", "--org", TAX_ID, "--as", "alice")
    cli("user", "grant", "bob@example.tw", "--role", "reviewer", "--org", TAX_ID, "--as", "alice")

    ins = cli("inspection", "start", "2026-11", "--org", TAX_ID, "--as", "alice", "--json")
    good = cli("result", "record", "2026-11", "CC-17010.a.a", "conform", "--org", TAX_ID, "--as", "alice", "--json")
    bad = cli(
        "result", "record", str(ins["id"]), "CC-17010.a.b", "nonconform", "--note", "病毒碼未更新", "--as", "alice",
        "--json",
    )  # fmt: skip
    proof = tmp_path / "scan.txt"
    proof.write_text("weekly scan log\n")
    ev = cli(
        "evidence", "add", str(proof), "--org", TAX_ID, "--collected", "2026-11-28",
        "--link", "2026-11:CC-17010.a.a", "--link", f"{ins['id']}:CC-17010.a.b", "--as", "alice", "--json",
    )  # fmt: skip
    assert len(ev["links"]) == 2

    cli("user", "grant", "alice", "--role", "reviewer", "--org", TAX_ID, "--as", "alice")  # may review others' work
    assert "different person" in cli("review", "approve", str(good["id"]), "--as", "alice", code=2)
    pending = cli("review", "pending", "--org", TAX_ID, "--json")
    assert {p["id"] for p in pending} == {good["id"], bad["id"]}
    cli("review", "approve", str(good["id"]), "--as", "bob")
    approved = cli("review", "approve", str(bad["id"]), "--comment", "確認", "--as", "bob", "--json")
    finding = approved["finding_id"]

    cli(
        "finding",
        "update",
        str(finding),
        "--severity",
        "high",
        "--owner",
        "alice",
        "--due",
        "2026-12-31",
        "--as",
        "alice",
    )
    cli("finding", "start", str(finding), "--as", "alice")
    cli("finding", "remediated", str(finding), "--note", "已改為每日更新", "--as", "alice")
    fix = tmp_path / "fix.txt"
    fix.write_text("daily update enabled\n")
    fix_ev = cli("evidence", "add", str(fix), "--org", TAX_ID, "--collected", "2026-12-02", "--as", "alice", "--json")
    cli("finding", "evidence", str(finding), str(fix_ev["id"]), "--as", "alice")
    done = cli("finding", "verify", str(finding), "--comment", "抽查無誤", "--as", "bob", "--json")
    assert done["status"] == "verified"

    view = cli("inspection", "show", "2026-11", "--org", TAX_ID, "--json")
    assert view["approved"] == 2
    assert cli("finding", "list", "--org", TAX_ID, "--open", "--json") == []
    assert cli("audit", "verify", "--json")["ok"] is True
    assert cli("evidence", "verify", "--json")["ok"] is True
    log = cli("audit", "log", "--org", TAX_ID, "--json")
    assert {"result.approve", "finding.verified", "evidence.add"} <= {e["action"] for e in log}
    assert all(e["job_title"] for e in log)
    assert "CC-17010.a.a" in cli("inspection", "show", str(ins["id"]))
    history = cli("result", "history", "2026-11", "CC-17010.a.b", "--org", TAX_ID, "--json")
    assert history[0]["reviewer"]["name"] == "李大同"

    out = tmp_path / "copy.txt"
    cli("evidence", "get", str(ev["id"]), "-o", str(out))
    assert out.read_text() == "weekly scan log\n"

    archive = tmp_path / "all.tar"
    assert cli("backup", str(archive), "--json")["blobs"] == 2
    assert "empty installation" in cli("restore", str(archive), code=2)
    fresh = tmp_path / "fresh"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("BROKERSEC_DATA_DIR", str(fresh))
        mp.setenv("BROKERSEC_DATABASE_URL", f"sqlite:///{fresh / 'restored.db'}")
        assert cli("restore", str(archive), "--json")["restored"] is True
        assert cli("audit", "verify", "--json")["ok"] is True
        assert cli("evidence", "verify", "--json")["checked"] == 2
        assert cli("finding", "show", str(finding), "--json")["status"] == "verified"


def test_cli_bad_input_exits_2(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    cli("db", "upgrade")
    cli("user", "create", "alice", "--email", "alice@example.tw", "--name", "A", "--title", "T")
    cli("org", "create", str(DEMO), "--as", "alice")
    cli("user", "grant", "alice", "--role", "inspector", "--org", TAX_ID, "--as", "alice")
    assert "not a period" in cli("inspection", "start", "2026-13", "--org", TAX_ID, "--as", "alice", code=2)
    cli("inspection", "start", "2026-11", "--org", TAX_ID, "--as", "alice")
    assert "no item" in cli("result", "record", "1", "CC-99999.9", "conform", "--as", "alice", code=2)
    assert "semiannual item" in cli("result", "record", "1", "CC-14000.3", "conform", "--as", "alice", code=2)
    assert "needs a reason" in cli("result", "record", "1", "CC-17010.a.a", "not_applicable", "--as", "alice", code=2)
    assert "no user" in cli("result", "record", "1", "CC-17010.a.a", "conform", "--as", "mallory", code=2)
    assert "INSPECTION:ITEM" in cli(
        "evidence", "add", str(DEMO), "--org", TAX_ID, "--collected", "2026-11-01", "--link", "x", "--as", "alice",
        code=2,
    )  # fmt: skip


def test_cli_refuses_unmigrated_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BROKERSEC_DATABASE_URL", raising=False)
    assert main(["org", "list"]) == 2
    assert "run `brokersec db upgrade` first" in capsys.readouterr().err
    assert main(["db", "upgrade"]) == 0
    assert main(["org", "list", "--json"]) == 0


def test_cli_reports_damage_with_exit_1(cli, database_url: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import create_engine, text

    cli("db", "upgrade")
    cli("user", "create", "alice", "--email", "alice@example.tw", "--name", "A", "--title", "T")
    cli("org", "create", str(DEMO), "--as", "alice")
    cli("user", "grant", "alice", "--role", "inspector", "--org", TAX_ID, "--as", "alice")
    cli("inspection", "start", "2026-10", "--org", TAX_ID, "--as", "alice")
    late = cli("inspection", "overdue", "--org", TAX_ID, "--today", "2026-11-20", "--since", "2026-10-01", "--json")
    assert {x["state"] for x in late} == {"no_result"} and {x["period"] for x in late} == {"2026-10"}
    f = tmp_path / "e.txt"
    f.write_text("e")
    ev = cli("evidence", "add", str(f), "--org", TAX_ID, "--collected", "2026-10-03", "--as", "alice", "--json")

    engine = create_engine(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET action = 'nothing.happened' WHERE seq = 3"))
    engine.dispose()
    assert "audit entry 3" in cli("audit", "verify", code=1)
    capsys_json = main(["audit", "verify", "--json"])
    assert capsys_json == 1
    Path(tmp_path / "data" / "vault" / ev["sha256"][:2] / ev["sha256"][2:4] / ev["sha256"]).unlink()
    assert "missing" in cli("evidence", "verify", code=1)
