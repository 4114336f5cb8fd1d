"""Sending the notices by e-mail (SMTP), configured from the environment.

BROKERSEC_SMTP_HOST (required to send), BROKERSEC_SMTP_PORT (25), BROKERSEC_SMTP_FROM,
BROKERSEC_SMTP_STARTTLS (1 to upgrade), BROKERSEC_SMTP_USER / BROKERSEC_SMTP_PASSWORD (optional).
"""

from __future__ import annotations

import os
import smtplib
from email.message import EmailMessage
from typing import Any

from brokersec.errors import InputError, Problem

KIND_ZH = {
    "overdue": "逾期未完成之查核",
    "due_soon": "即將到期之查核",
    "review": "待覆核之查核結果",
    "finding_due": "即將到期或逾期之缺失改善",
    "evidence_age": "即將逾期之佐證資料",
}


def smtp_settings() -> dict[str, Any]:
    host = os.environ.get("BROKERSEC_SMTP_HOST")
    if not host:
        raise InputError(
            Problem(
                "set BROKERSEC_SMTP_HOST (and optionally _PORT, _FROM, _USER, _PASSWORD)", field="BROKERSEC_SMTP_HOST"
            )
        )
    return {
        "host": host,
        "port": int(os.environ.get("BROKERSEC_SMTP_PORT", "25")),
        "sender": os.environ.get("BROKERSEC_SMTP_FROM", "brokersec@localhost"),
        "starttls": os.environ.get("BROKERSEC_SMTP_STARTTLS") == "1",
        "user": os.environ.get("BROKERSEC_SMTP_USER"),
        "password": os.environ.get("BROKERSEC_SMTP_PASSWORD"),
    }


def digest_message(user: dict[str, Any], notices: list[dict[str, Any]], sender: str, base_url: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = user["email"]
    msg["Subject"] = f"[brokersec] 資通安全檢查待辦 {len(notices)} 項 / {len(notices)} notices"
    lines = [f"{user['name']} 您好：", ""]
    for n in notices:
        count = f"（{n['count']} 項）" if n.get("count") else ""
        lines.append(f"- {KIND_ZH[n['kind']]}：{n['org']} {n['ref']}{count} {n['date']}  {base_url}{n['link']}")
    lines += ["", "— brokersec"]
    msg.set_content("\n".join(lines))
    return msg


def send(messages: list[EmailMessage], settings: dict[str, Any]) -> int:
    with smtplib.SMTP(settings["host"], settings["port"], timeout=30) as smtp:
        if settings["starttls"]:
            smtp.starttls()
        if settings["user"]:
            smtp.login(settings["user"], settings["password"] or "")
        for msg in messages:
            smtp.send_message(msg)
    return len(messages)
