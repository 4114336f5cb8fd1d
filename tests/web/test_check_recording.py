"""An automated check run recorded in an inspection: artifacts and report become automated evidence,
items without a result get proposed results that still await a reviewer."""

from __future__ import annotations

import json

import pytest

from brokersec.cli import main


@pytest.fixture
def bundle(tmp_path):
    root = tmp_path / "bundle"
    (root / "web01").mkdir(parents=True)
    # PASS_MAX_DAYS 180: staff passwords are not changed every three months -> fail
    (root / "web01" / "login.defs").write_text("PASS_MAX_DAYS\t180\nPASS_MIN_LEN\t12\n", encoding="utf-8")
    (root / "web01" / "common-auth").write_text(
        "auth required pam_faillock.so preauth deny=3\nauth [success=1 default=ignore] pam_unix.so\n"
        "auth [default=die] pam_faillock.so authfail deny=3\nauth requisite pam_deny.so\n",
        encoding="utf-8",
    )
    (root / "bundle.yaml").write_text(
        "as_of: 2030-05-20\nartifacts:\n"
        "  - {type: linux.login_defs, path: web01/login.defs, subject: web01}\n"
        "  - {type: linux.pam, path: web01/common-auth, subject: web01}\n",
        encoding="utf-8",
    )
    return root


def test_run_recorded_as_proposals_and_evidence(site, bundle, monkeypatch, capsys):
    monkeypatch.setenv("BROKERSEC_DATABASE_URL", site.url)
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(site.data))
    recs = site.records
    ins = recs.as_user("inspector").start_inspection(site.org_id, "2030-05")
    recs.as_user("inspector").record_result(ins["id"], "CC-18000.3.e", "partial", note="a person's own result")
    code = main(["check", "run", str(bundle), "--json", "--inspection", str(ins["id"]), "--as", "inspector"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert {r["check"] for r in report["results"]} >= {"password_policy.max_age", "password_policy.lockout"}
    rows = {row["item"]: row for row in recs.get_inspection(ins["id"])["items"]}
    proposed = rows["CC-18000.3.f"]["result"]
    assert proposed["status"] == "nonconform" and proposed["review_state"] == "pending"
    assert "password_policy.max_age" in proposed["note"]
    assert rows["CC-18000.3.e"]["result"]["note"] == "a person's own result"  # never overwritten silently
    names = {e["original_name"] for e in rows["CC-18000.3.f"]["evidence"]}
    assert names == {"web01/login.defs", "web01/common-auth", "check-run-2030-05-20.json"}
    assert all(e["source"] == "automated" for e in rows["CC-18000.3.f"]["evidence"])
    assert "CC-17020.b.d" not in rows  # a half-year item: not part of a monthly inspection
    assert recs.verify_chain().ok


def test_recording_needs_an_acting_user(site, bundle, monkeypatch, capsys):
    monkeypatch.setenv("BROKERSEC_DATABASE_URL", site.url)
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(site.data))
    before = site.records.count_rows()
    assert main(["check", "run", str(bundle), "--inspection", "1"]) == 2
    assert "--as" in capsys.readouterr().err
    assert site.records.count_rows() == before
