"""Notices in the in-app inbox and by e-mail through a real (local) SMTP server."""

from __future__ import annotations

import datetime as dt
import email
import email.policy

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from brokersec.cli import main
from brokersec.web.app import create_app

from .conftest import free_port, sign_in


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp(monkeypatch):
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    monkeypatch.setenv("BROKERSEC_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("BROKERSEC_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("BROKERSEC_SMTP_FROM", "brokersec@example.com.tw")
    yield handler
    controller.stop()


def test_inbox_lists_overdue_checks_and_reviews(site):
    recs = site.records
    ins = recs.as_user("inspector").start_inspection(site.org_id, "2030-04")
    recs.as_user("inspector").record_result(ins["id"], "CC-18000.1", "conform")
    client = TestClient(create_app(recs), base_url="https://testserver")
    sign_in(client, "reviewer")
    page = client.get("/inbox").text
    assert "待覆核" in page and f"/orgs/{site.org_id}/reviews" in page
    inspector = TestClient(create_app(recs), base_url="https://testserver")
    sign_in(inspector, "inspector")
    assert "逾期" in inspector.get("/inbox").text  # months before the seeded history were never started


def test_notify_sends_one_digest_per_user(site, smtp, monkeypatch, capsys):
    monkeypatch.setenv("BROKERSEC_DATABASE_URL", site.url)
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(site.data))
    today = dt.date.today().isoformat()
    assert main(["notify", "--today", today]) == 0
    recipients = {m["To"] for m in smtp.messages}
    assert "inspector@example.com.tw" in recipients
    digest = next(m for m in smtp.messages if m["To"] == "inspector@example.com.tw")
    assert "逾期未完成之查核" in digest.get_content() and "[brokersec]" in digest["Subject"]
    assert f"通知 {len(smtp.messages)} 位使用者" in capsys.readouterr().err


def test_notify_without_smtp_settings_is_a_clear_error(site, monkeypatch, capsys):
    monkeypatch.setenv("BROKERSEC_DATABASE_URL", site.url)
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(site.data))
    monkeypatch.delenv("BROKERSEC_SMTP_HOST", raising=False)
    assert main(["notify"]) == 2
    assert "BROKERSEC_SMTP_HOST" in capsys.readouterr().err
