"""A real server on loopback and a real Chromium (Debian's) driven by Playwright."""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """uvicorn serving an app in a background thread, stopped at the end of the test session."""

    def __init__(self, app) -> None:  # type: ignore[no-untyped-def]
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test server did not start within 15 s")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):  # type: ignore[no-untyped-def]
    context = browser.new_context(locale="zh-TW", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert errors == [], f"browser console errors: {errors}"


# ---------------------------------------------------------------- a seeded installation

PASSWORD = "Correct-horse-9"  # what the tests set every demo user's password to


@dataclass
class Site:
    records: object
    org_id: int
    data: Path
    url: str


def make_site(tmp: Path, months: int = 2) -> Site:
    """A demo installation seeded through the real records API, every password set to PASSWORD."""
    from brokersec.demo.seed import seed
    from brokersec.records.db import open_engine, upgrade
    from brokersec.records.service import Records

    url = f"sqlite:///{tmp / 'brokersec.db'}"
    upgrade(open_engine(url))
    records = Records.open(url, vault_root=tmp / "vault")
    seeded = seed(records, dt.date.today(), months=months)
    for username, password in seeded.passwords.items():
        records.as_user(username).change_password(password, PASSWORD)
    records.close()
    return Site(None, seeded.org_id, tmp, url)


@pytest.fixture(scope="session")
def site_template(tmp_path_factory: pytest.TempPathFactory) -> Site:
    return make_site(tmp_path_factory.mktemp("site-template"))


@pytest.fixture
def site(site_template: Site, tmp_path: Path) -> Iterator[Site]:
    """A private copy of the seeded installation: seeding once keeps the suite fast."""
    import shutil

    from brokersec.records.service import Records

    shutil.copytree(site_template.data, tmp_path / "site")
    data = tmp_path / "site"
    url = f"sqlite:///{data / 'brokersec.db'}"
    records = Records.open(url, vault_root=data / "vault")
    yield Site(records, site_template.org_id, data, url)
    records.close()


def csrf(client) -> str:  # type: ignore[no-untyped-def]
    """The CSRF token the app gave this client (fetching a page first if needed)."""
    if "brokersec_csrf" not in client.cookies:
        client.get("/login")
    return client.cookies["brokersec_csrf"]


def sign_in(client, username: str, password: str = PASSWORD, totp_secret: str | None = None):  # type: ignore[no-untyped-def]
    response = client.post(
        "/login", data={"username": username, "password": password, "csrf_token": csrf(client)}, follow_redirects=False
    )
    if totp_secret and response.headers.get("location") == "/mfa":
        import pyotp

        response = client.post(
            "/mfa", data={"code": pyotp.TOTP(totp_secret).now(), "csrf_token": csrf(client)}, follow_redirects=False
        )
    return response


def enrol_totp(client) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    """Finish an admin's mandatory TOTP set-up; returns (secret, recovery codes)."""
    import re

    import pyotp

    page = client.get("/mfa/setup")
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7]+)<', page.text).group(1)
    done = client.post("/mfa/setup", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf(client)})
    codes = re.findall(r"<li><code>([0-9a-f-]+)</code></li>", done.text)
    return secret, codes
