"""The whole workflow through the service layer, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from brokersec.errors import InputError
from brokersec.records import Forbidden, NotMigrated, Records, open_engine


def test_firm_to_verified_remediation(firm: Any, tmp_path: Path) -> None:
    rec, alice, bob = firm.records, firm.alice, firm.bob
    ins = alice.start_inspection(firm.tax_id, "2026-11")
    assert ins["frequency"] == "monthly" and ins["applicable"] > 50
    assert ins["due"] == "2026-12-10"  # demo firm: 10 grace days

    ok = alice.record_result(ins["id"], "CC-17010.a.a", "conform", note="版本評估紀錄已留存")
    bad = alice.record_result(ins["id"], "CC-17010.a.b", "nonconform", note="未定期更新防毒碼")
    na = alice.record_result(ins["id"], "CC-17010.a.c", "not_applicable", na_reason="無此系統")
    report = tmp_path / "av-report.pdf"
    report.write_bytes(b"%PDF-1.4 antivirus report")
    ev = alice.add_evidence(
        firm.tax_id,
        report,
        collected_at=dt.date(2026, 11, 20),
        links=[(ins["id"], "CC-17010.a.a"), (ins["id"], "CC-17010.a.b")],
    )
    assert ev["media_type"] == "application/pdf" and ev["retain_until"] == "2029-11-20"

    bob.approve(ok["id"])
    bob.approve(na["id"])
    approved = bob.approve(bad["id"], comment="同意")
    finding_id = approved["finding_id"]
    finding = rec.get_finding(finding_id)
    assert finding["status"] == "open" and finding["description"] == "未定期更新防毒碼"

    alice.update_finding(
        finding_id,
        severity="high",
        owner="alice",
        due_date=dt.date(2026, 12, 31),
        recommendation="每日自動更新病毒碼",
        remediation_plan="啟用集中派送",
    )
    alice.start_remediation(finding_id)
    alice.mark_remediated(finding_id, "已啟用每日自動更新")
    fix = tmp_path / "fix.png"
    fix.write_bytes(b"\x89PNG screenshot")
    fix_ev = alice.add_evidence(firm.tax_id, fix, collected_at=dt.date(2026, 12, 5))
    alice.add_finding_evidence(finding_id, fix_ev["id"])
    with pytest.raises(Forbidden, match="needs role reviewer"):
        alice.verify_finding(finding_id)
    alice.add_member(firm.tax_id, "alice", "reviewer")
    with pytest.raises(InputError, match=r"remediated finding .* cannot verify"):
        alice.verify_finding(finding_id)
    done = bob.verify_finding(finding_id, "已抽查確認")
    assert done["status"] == "verified" and done["verified_by"] is not None

    view = rec.get_inspection(ins["id"])
    assert view["approved"] == 3
    row = next(r for r in view["items"] if r["item"] == "CC-17010.a.a")
    assert row["result"]["reviewer"]["job_title"] == "稽核室經理"
    assert row["result"]["inspector"]["name"] == "王小明"
    assert rec.verify_chain().ok
    assert rec.verify_evidence()["ok"]
    actions = [e["action"] for e in rec.audit_log(firm.tax_id)]
    assert "result.approve" in actions and "finding.verified" in actions
    entry = next(e for e in rec.audit_log() if e["action"] == "org.create")
    assert entry["client_addr"] == "127.0.0.1" and entry["job_title"] == "資訊安全主管"


def test_correction_supersedes_approved_result(firm: Any) -> None:
    ins = firm.alice.start_inspection(firm.tax_id, "2026-H2")
    first = firm.alice.record_result(ins["id"], "CC-14000.3", "conform")
    firm.bob.approve(first["id"])
    with pytest.raises(InputError, match="already approved"):
        firm.bob.approve(first["id"])
    second = firm.alice.record_result(ins["id"], "CC-14000.3", "partial", note="盤點遺漏")
    assert second["supersedes_id"] == first["id"]
    history = firm.records.result_history(ins["id"], "CC-14000.3")
    assert [h["status"] for h in history] == ["conform", "partial"]
    assert history[0]["review_state"] == "approved"  # the signed original is kept unchanged
    with pytest.raises(InputError, match="superseded"):
        firm.bob.return_result(first["id"], "old")
    returned = firm.bob.return_result(second["id"], "請補附盤點清冊")
    assert returned["review_state"] == "returned"


def test_previous_period_and_evidence_flags(firm: Any, tmp_path: Path) -> None:
    alice = firm.alice
    oct_ = alice.start_inspection(firm.tax_id, "2026-10")
    alice.record_result(oct_["id"], "CC-17010.a.a", "conform", note="十月")
    nov = alice.start_inspection(firm.tax_id, "2026-11")
    f = tmp_path / "old.txt"
    f.write_text("from september")
    alice.add_evidence(firm.tax_id, f, collected_at=dt.date(2026, 9, 30), links=[(nov["id"], "CC-17010.a.a")])
    alice.record_result(nov["id"], "CC-17010.a.a", "conform")
    row = next(r for r in firm.records.get_inspection(nov["id"])["items"] if r["item"] == "CC-17010.a.a")
    assert row["previous"]["period"] == "2026-10"
    assert row["previous"]["result"]["note"] == "十月"
    assert "before 2026-11-01" in row["flags"][0]["problem"]


def test_repeat_finding_and_escalation(firm: Any) -> None:
    alice, bob = firm.alice, firm.bob
    first = alice.start_inspection(firm.tax_id, "2026-H1")
    r1 = alice.record_result(first["id"], "CC-14000.3", "nonconform", note="無核心系統清單")
    f1 = bob.approve(r1["id"])["finding_id"]
    second = alice.start_inspection(firm.tax_id, "2026-H2")
    r2 = alice.record_result(second["id"], "CC-14000.3", "partial", note="清單不完整")
    f2 = alice.open_finding(r2["id"], "清單不完整", severity="low", due_date=dt.date(2027, 1, 31))
    assert f2["repeat_of_id"] == f1
    late = firm.records.overdue_findings(firm.tax_id, today=dt.date(2027, 2, 5))
    assert [f["id"] for f in late] == [f2["id"]]
    esc = firm.records.escalations(firm.tax_id, today=dt.date(2027, 2, 5))
    assert esc[0]["escalation"] == ["repeat finding"]
    with pytest.raises(Forbidden, match="needs role executive or admin"):
        bob.accept_risk(f2["id"], "成本過高")
    accepted = firm.dave.accept_risk(f2["id"], "系統將於 2027 年汰換")
    assert accepted["status"] == "accepted_risk" and accepted["accepted_by"] is not None
    assert firm.records.overdue_findings(firm.tax_id, today=dt.date(2027, 2, 5)) == []


def test_overdue_checks(firm: Any) -> None:
    ins = firm.alice.start_inspection(firm.tax_id, "2026-11")
    r = firm.alice.record_result(ins["id"], "CC-17010.a.a", "conform")
    late = firm.records.overdue(firm.tax_id, today=dt.date(2026, 12, 11), since=dt.date(2026, 11, 1))
    by_item = {(x["item"], x["period"]): x["state"] for x in late}
    assert by_item[("CC-17010.a.a", "2026-11")] == "review_pending"
    assert by_item[("CC-17010.a.b", "2026-11")] == "no_result"
    firm.bob.approve(r["id"])
    late = firm.records.overdue(firm.tax_id, today=dt.date(2026, 12, 11), since=dt.date(2026, 11, 1))
    assert ("CC-17010.a.a", "2026-11") not in {(x["item"], x["period"]) for x in late}


def test_profile_versions_keep_frozen_scope(firm: Any, demo_profile: dict[str, Any]) -> None:
    ins = firm.alice.start_inspection(firm.tax_id, "2026-11")
    before = firm.records.get_inspection(ins["id"])
    prof = dict(demo_profile)
    prof["channels"] = ["traditional"]
    pv = firm.alice.update_profile(firm.tax_id, prof)
    assert pv["version"] == 2
    after = firm.records.get_inspection(ins["id"])
    assert [r["applicable"] for r in after["items"]] == [r["applicable"] for r in before["items"]]
    dec = firm.alice.start_inspection(firm.tax_id, "2026-12")
    assert dec["applicable"] < ins["applicable"]
    assert firm.records.profile(firm.tax_id, 1).channels == ["internet", "voice", "traditional"]


def test_passwords(records: Records) -> None:
    user, initial = records.create_user("erin", "erin@example.tw", "Erin", "IT")
    assert user["must_change_password"] and initial
    assert records.verify_password("erin@example.tw", initial)["username"] == "erin"
    assert records.verify_password("erin", "wrong") is None
    records.as_user("erin").change_password(initial, "a-much-better-passphrase")
    assert not records.get_user("erin")["must_change_password"]
    assert records.verify_password("erin", "a-much-better-passphrase")
    assert "password_hash" not in str(records.audit_log())


def test_roles_are_enforced(firm: Any) -> None:
    assert [r["role"] for r in firm.carol.my_roles()] == ["auditor"]
    assert firm.carol.has_role(firm.tax_id, "auditor", "admin") and not firm.carol.has_role(firm.tax_id, "inspector")
    ins = firm.alice.start_inspection(firm.tax_id, "2026-11")
    with pytest.raises(Forbidden, match="needs role inspector"):
        firm.carol.record_result(ins["id"], "CC-17010.a.a", "conform")
    r = firm.alice.record_result(ins["id"], "CC-17010.a.a", "conform")
    with pytest.raises(Forbidden, match="needs role reviewer"):
        firm.dave.approve(r["id"])


def test_unmigrated_database_is_refused(tmp_path: Path) -> None:
    with pytest.raises(NotMigrated, match="brokersec db upgrade"):
        Records(open_engine(f"sqlite:///{tmp_path / 'empty.db'}"), tmp_path / "vault")
