"""Short-lived signed values for the browser to carry (the OIDC sign-in state).

The key lives in the data directory (``web-secret.key``, created with mode 0600 on first use), so
every process of one installation shares it and a restart does not break a sign-in in progress.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from functools import cache
from typing import Any

from brokersec.settings import data_dir


@cache
def _key() -> bytes:
    path = data_dir() / "web-secret.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    return path.read_bytes()


def sign(data: dict[str, Any]) -> str:
    payload = base64.urlsafe_b64encode(json.dumps({**data, "_t": int(time.time())}).encode()).decode()
    mac = hmac.new(_key(), payload.encode(), hashlib.sha256).hexdigest()
    return f"{payload}.{mac}"


def unsign(token: str, max_age: int) -> dict[str, Any] | None:
    payload, _, mac = token.rpartition(".")
    if not payload or not hmac.compare_digest(mac, hmac.new(_key(), payload.encode(), hashlib.sha256).hexdigest()):
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(payload.encode()))
    except ValueError:
        return None
    if time.time() - data.get("_t", 0) > max_age:
        return None
    return data
