"""A demo installation seeded once through the real records API and cached between benchmark runs.

Seeding goes through every rule and the audit chain, so it takes a minute or more for years of
history; benchmarks measure reading it, so they share this cache (~/.cache/brokersec-bench/<name>).
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

CACHE = Path.home() / ".cache" / "brokersec-bench"


def seeded_site(name: str, today: dt.date, months: int, after: Callable[[Any, Any], None] | None = None) -> Path:
    """The cached folder (``brokersec.db``, ``vault/``, ``ready`` holding the firm id), built if missing.

    ``after(records, seeded)`` runs once after seeding (e.g. to set a known password).
    """
    from brokersec.demo.seed import seed
    from brokersec.records.db import open_engine, upgrade
    from brokersec.records.service import Records

    target = CACHE / name
    url = f"sqlite:///{target / 'brokersec.db'}"
    if (target / "ready").exists():
        upgrade(open_engine(url))  # a newer brokersec may have added tables
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    upgrade(open_engine(url))
    records = Records.open(url, vault_root=target / "vault")
    started = time.perf_counter()

    def progress(n: int, total: int) -> None:
        print(f"\rseeding {n}/{total} inspections", end="", file=sys.stderr, flush=True)

    seeded = seed(records, today, months=months, progress=progress)
    if after:
        after(records, seeded)
    print(f"\nseeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    records.close()
    (target / "ready").write_text(str(seeded.org_id))
    return target
