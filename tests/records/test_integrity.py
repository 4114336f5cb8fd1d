"""Nothing may be lost or silently changed: bad input changes nothing, tampering is caught, crashes
leave a consistent state, and backups restore only whole and undamaged."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import tarfile
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from brokersec.errors import InputError
from brokersec.records import Records
from brokersec.records.backup import backup, restore


def _blobs(records: Records) -> list[str]:
    return list(records.vault.blobs())


def _unchanged(records: Records, action: Any, match: str) -> None:
    """``action`` must raise a clear InputError and leave every table and the vault as they were."""
    rows, blobs = records.count_rows(), _blobs(records)
    with pytest.raises(InputError, match=match):
        action()
    assert records.count_rows() == rows
    assert _blobs(records) == blobs


def test_bad_input_changes_nothing(firm: Any, tmp_path: Path) -> None:
    rec, alice, bob = firm.records, firm.alice, firm.bob
    ins = alice.start_inspection(firm.tax_id, "2026-11")
    sample = tmp_path / "sample.txt"
    sample.write_text("evidence")

    _unchanged(rec, lambda: alice.record_result(ins["id"], "CC-99999.1", "conform"), "no item 'CC-99999.1'")
    _unchanged(rec, lambda: alice.start_inspection(firm.tax_id, "2026-14"), "not a period")
    _unchanged(rec, lambda: alice.start_inspection(firm.tax_id, "2026-11"), "already has an inspection")
    _unchanged(rec, lambda: alice.record_result(ins["id"], "CC-17010.a.a", "fine"), "unknown result")
    _unchanged(
        rec,
        lambda: alice.add_evidence(
            firm.tax_id, sample, collected_at=dt.date(2026, 11, 2), links=[(ins["id"], "CC-00000.1")]
        ),
        "no item",
    )
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 2048)
    small = Records(rec.engine, rec.vault.root, max_upload_bytes=1024).as_user("alice")
    _unchanged(rec, lambda: small.add_evidence(firm.tax_id, big, collected_at=dt.date(2026, 11, 2)), "larger|more than")
    with big.open("rb") as stream:  # a stream is cut off at the limit, and its partial copy removed
        _unchanged(
            rec,
            lambda: small.add_evidence(firm.tax_id, stream, original_name="big.bin", collected_at=dt.date(2026, 11, 2)),
            "larger than the 1024 bytes",
        )
    assert not any(small.vault.tmp.iterdir())

    r = alice.record_result(ins["id"], "CC-17010.a.a", "conform")
    firm.alice.add_member(firm.tax_id, "alice", "reviewer")
    _unchanged(rec, lambda: alice.approve(r["id"]), "reviewer must be a different person")
    _unchanged(rec, lambda: bob.return_result(r["id"], "  "), "comment is required")

    ev = alice.add_evidence(firm.tax_id, sample, collected_at=dt.date(2026, 11, 2))
    _unchanged(rec, lambda: alice.delete_evidence(ev["id"], "clean-up"), "must be kept until 2029-11-02")
    alice.set_legal_hold(ev["id"], True, "訴訟保全")
    _unchanged(rec, lambda: alice.delete_evidence(ev["id"], "clean-up", today=dt.date(2030, 1, 1)), "under legal hold")
    alice.set_legal_hold(ev["id"], False, "結案")
    alice.delete_evidence(ev["id"], "retention passed", today=dt.date(2030, 1, 1))
    assert _blobs(rec) == []
    assert rec.get_evidence(ev["id"])["deleted_at"] is not None  # the record of it stays
    assert rec.verify_chain().ok


def test_item_retention_outlasts_default(firm: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from brokersec.records import evidence

    monkeypatch.setattr(evidence, "DEFAULT_RETENTION_YEARS", 1)  # so the item's 3 years is the longer one
    ins = firm.alice.start_inspection(firm.tax_id, "2026-11")
    f = tmp_path / "log.txt"
    f.write_text("privileged account log")
    ev = firm.alice.add_evidence(firm.tax_id, f, collected_at=dt.date(2026, 2, 28))
    assert ev["retain_until"] == "2027-02-28"
    firm.alice.link_evidence(ev["id"], ins["id"], "CC-17010.b.c")  # retention_years: 3
    assert firm.records.get_evidence(ev["id"])["retain_until"] == "2029-02-28"
    assert firm.records.audit_log()[-1]["action"] == "evidence.retention_extend"
    linked = firm.alice.add_evidence(
        firm.tax_id, f, collected_at=dt.date(2026, 11, 2), links=[(ins["id"], "CC-18000.4.c")]
    )
    assert linked["retain_until"] == "2029-11-02"


def test_tampered_audit_row_is_named(firm: Any) -> None:
    rec = firm.records
    assert rec.verify_chain().ok
    entries = rec.audit_log()
    target = entries[len(entries) // 2]["seq"]
    with rec.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET actor_name = 'someone else' WHERE seq = :s"), {"s": target})
    report = rec.verify_chain()
    assert not report.ok and report.broken_seq == target and "changed" in (report.reason or "")


def test_deleted_audit_tail_is_caught(firm: Any) -> None:
    rec = firm.records
    last = rec.audit_log()[-1]["seq"]
    with rec.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": last})
    report = rec.verify_chain()
    assert not report.ok and report.broken_seq == last


def test_altered_and_missing_blobs_are_reported(firm: Any, tmp_path: Path) -> None:
    rec = firm.records
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("aaa")
    b.write_text("bbb")
    ea = firm.alice.add_evidence(firm.tax_id, a, collected_at=dt.date(2026, 11, 1))
    eb = firm.alice.add_evidence(firm.tax_id, b, collected_at=dt.date(2026, 11, 1))
    again = firm.alice.add_evidence(firm.tax_id, a, collected_at=dt.date(2026, 11, 3))
    assert again["sha256"] == ea["sha256"] and len(_blobs(rec)) == 2  # deduplicated
    path = rec.vault.path(ea["sha256"])
    path.chmod(0o644)
    path.write_text("AAA")
    rec.vault.path(eb["sha256"]).unlink()
    report = rec.verify_evidence()
    assert not report["ok"]
    assert report["altered"][0]["evidence_ids"] == [ea["id"], again["id"]]
    assert report["missing"][0]["sha256"] == eb["sha256"]


CRASH_SCRIPT = textwrap.dedent(
    """
    import datetime as dt, sys, pathlib
    from brokersec.records import Records
    url, vault, work, ins = sys.argv[1:5]
    rec = Records.open(url, vault_root=vault).as_user("alice")
    items = [e["item"] for e in Records.open(url, vault_root=vault).get_inspection(int(ins))["items"] if e["applicable"]]
    n = 0
    while True:
        for item in items:
            f = pathlib.Path(work) / f"ev{n}.bin"
            f.write_bytes(bytes([n % 251]) * (64 * 1024 + n))
            rec.record_result(int(ins), item, "conform", note=f"round {n}")
            rec.add_evidence("04595257", f, collected_at=dt.date(2026, 11, 5), links=[(int(ins), item)])
            n += 1
            print(n, flush=True)
    """
)


@pytest.mark.parametrize("delay", [0.005, 0.037])
def test_sigkill_mid_write_leaves_consistent_state(firm: Any, database_url: str, tmp_path: Path, delay: float) -> None:
    rec = firm.records
    ins = firm.alice.start_inspection(firm.tax_id, "2026-11")
    work = tmp_path / "work"
    work.mkdir()
    script = tmp_path / "writer.py"
    script.write_text(CRASH_SCRIPT)
    proc = subprocess.Popen(
        [sys.executable, str(script), database_url, str(rec.vault.root), str(work), str(ins["id"])],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        done = 0
        while done < 12 and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                pytest.fail(f"writer stopped early: {proc.stderr.read() if proc.stderr else ''}")
            done = int(line)
        time.sleep(delay)  # land somewhere inside the next write
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    assert done >= 12

    assert rec.verify_chain().ok
    report = rec.verify_evidence()
    assert report["ok"], report
    with rec.engine.connect() as conn:  # every result and evidence row has its audit entry, and vice versa
        results = conn.execute(text("SELECT count(*) FROM results")).scalar_one()
        evidence = conn.execute(text("SELECT count(*) FROM evidence")).scalar_one()
        logged_results = conn.execute(text("SELECT count(*) FROM audit_log WHERE entity = 'result'")).scalar_one()
        logged_evidence = conn.execute(
            text("SELECT count(*) FROM audit_log WHERE action = 'evidence.add'")
        ).scalar_one()
        links = conn.execute(text("SELECT count(*) FROM evidence_links")).scalar_one()
    assert results == logged_results and evidence == logged_evidence == links
    assert results >= done and evidence >= done
    # and the records are still writable afterwards
    firm.alice.record_result(ins["id"], "CC-17010.a.a", "partial", note="after the crash")
    assert rec.verify_chain().ok


def test_backup_while_writing(firm: Any, tmp_path: Path) -> None:
    import threading

    rec = firm.records
    ins = firm.alice.start_inspection(firm.tax_id, "2026-11")
    items = [r["item"] for r in rec.get_inspection(ins["id"])["items"] if r["applicable"]]
    stop = threading.Event()

    def writer() -> None:
        n = 0
        while not stop.is_set():
            f = tmp_path / f"w{n}.txt"
            f.write_text(f"write {n}")
            firm.alice.record_result(ins["id"], items[n % len(items)], "conform", note=str(n))
            firm.alice.add_evidence(firm.tax_id, f, collected_at=dt.date(2026, 11, 5))
            n += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        time.sleep(0.3)
        manifests = [backup(rec, tmp_path / f"b{i}.tar") for i in range(3)]
    finally:
        stop.set()
        thread.join()
    from brokersec.records import open_engine, upgrade

    for i, manifest in enumerate(manifests):
        url = f"sqlite:///{tmp_path / f'r{i}.db'}"
        upgrade(open_engine(url))
        target = Records.open(url, vault_root=tmp_path / f"v{i}")
        restore(target, tmp_path / f"b{i}.tar")
        assert target.verify_chain().ok and target.verify_evidence()["ok"]
        assert target.count_rows()["evidence"] == manifest["tables"]["evidence"]
        target.close()


def test_backup_restore_roundtrip_and_damage(
    firm: Any, tmp_path: Path, database_url: str, request: pytest.FixtureRequest
) -> None:
    rec = firm.records
    ins = firm.alice.start_inspection(firm.tax_id, "2026-11")
    r = firm.alice.record_result(ins["id"], "CC-17010.a.b", "nonconform", note="未更新")
    f = tmp_path / "proof.txt"
    f.write_text("proof")
    firm.alice.add_evidence(firm.tax_id, f, collected_at=dt.date(2026, 11, 9), links=[(ins["id"], "CC-17010.a.b")])
    firm.bob.approve(r["id"])
    archive = tmp_path / "backup.tar"
    manifest = backup(rec, archive)
    assert manifest["tables"]["results"] == 1 and manifest["blobs"] == 1

    # Into a fresh installation of the other kind: SQLite → PostgreSQL and PostgreSQL → SQLite.
    from brokersec.records import open_engine, upgrade

    if database_url.startswith("sqlite"):
        server = request.getfixturevalue("pg_server")
        template = request.getfixturevalue("pg_template")
        server.admin_sql(f"CREATE DATABASE restored_{os.getpid()} TEMPLATE {template}")
        target_url = server.url(f"restored_{os.getpid()}")
    else:
        target_url = f"sqlite:///{tmp_path / 'restored.db'}"
        upgrade(open_engine(target_url))
    target = Records.open(target_url, vault_root=tmp_path / "vault2")
    restore(target, archive)
    assert target.verify_chain().ok and target.verify_evidence()["ok"]
    assert target.get_inspection(ins["id"])["approved"] == 1
    counts = {k: v for k, v in target.count_rows().items() if k != "audit_log"}
    assert counts == {k: v for k, v in rec.count_rows().items() if k != "audit_log"}
    # ids keep counting after a restore
    target.as_user("alice").record_result(ins["id"], "CC-17010.a.c", "conform")

    with pytest.raises(InputError, match="empty installation"):
        restore(target, archive)

    damaged = tmp_path / "damaged.tar"
    with tarfile.open(archive) as src, tarfile.open(damaged, "w") as dst:
        for info in src:
            data = src.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == "db/results.jsonl":
                data = data.replace(b"nonconform", b"conform   ")
            dst.addfile(info, __import__("io").BytesIO(data))
    upgrade(open_engine(f"sqlite:///{tmp_path / 'other.db'}"))
    other = Records.open(f"sqlite:///{tmp_path / 'other.db'}", vault_root=tmp_path / "vault3")
    with pytest.raises(InputError, match=r"damaged.*results\.jsonl"):
        restore(other, damaged)
    truncated = tmp_path / "truncated.tar"
    truncated.write_bytes(archive.read_bytes()[:5000])
    with pytest.raises(InputError, match="damaged"):
        restore(other, truncated)
    assert sum(other.count_rows().values()) == 1 and not list(other.vault.blobs())
    target.close()
    if not database_url.startswith("sqlite"):
        return
    request.getfixturevalue("pg_server").admin_sql(f"DROP DATABASE restored_{os.getpid()} WITH (FORCE)")


def test_concurrent_writers_keep_one_chain(firm: Any) -> None:
    from concurrent.futures import ThreadPoolExecutor

    ins = firm.alice.start_inspection(firm.tax_id, "2026-11")
    items = [r["item"] for r in firm.records.get_inspection(ins["id"])["items"] if r["applicable"]][:24]

    def write(item: str) -> int:
        return firm.alice.record_result(ins["id"], item, "conform", note="parallel")["id"]

    with ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(write, items))
    assert len(set(ids)) == len(items)
    report = firm.records.verify_chain()
    assert report.ok and report.entries == len(firm.records.audit_log(limit=10_000))


def test_a_change_without_audit_is_refused(records: Records) -> None:
    from brokersec.records.models import Org, utcnow

    with pytest.raises(RuntimeError, match="without an audit entry"), records._write() as s:
        s.add(Org(name="ghost", tax_id="00000000", created_at=utcnow()))
    assert records.count_rows()["orgs"] == 0
