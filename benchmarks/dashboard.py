"""Claim: the dashboard of a firm with five years of monthly history renders in under 300 ms.

Generates (once, cached under ~/.cache/brokersec-bench/) a demo firm with 60 months of finished
monthly inspections plus the half-years and years they span, seeded through the real records API.
Then, in the same run, times

- brokersec: GET /orgs/{id} through the real application (sign-in, session, templates), and
- baseline: the same compliance figures computed the obvious way, by loading every inspection's
  checklist (``Records.get_inspection``) and counting,

and prints median and 95th percentile of each, and their ratio.

    .venv/bin/python benchmarks/dashboard.py [--months 60] [--runs 30]
"""

from __future__ import annotations

import argparse
import datetime as dt
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from seeded import seeded_site

PASSWORD = "Bench-mark-2026!"


def build(months: int) -> Path:
    def known_password(records, seeded) -> None:  # type: ignore[no-untyped-def]
        records.as_user("inspector").change_password(seeded.passwords["inspector"], PASSWORD)

    return seeded_site(f"dashboard-{months}", dt.date.today(), months, after=known_password)


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    fn()  # warm caches (catalog, templates, SQLite pages)
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t) * 1000)
    return out


def summary(ms: list[float]) -> str:
    p95 = sorted(ms)[max(0, int(len(ms) * 0.95) - 1)]
    return f"median {statistics.median(ms):7.1f} ms   p95 {p95:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from brokersec.records.metrics import compliance_rate
    from brokersec.records.service import Records
    from brokersec.web.app import create_app

    source = build(args.months)
    work = Path(tempfile.mkdtemp(prefix="brokersec-bench-"))
    shutil.copytree(source, work / "site")  # the benchmark's own sign-ins do not touch the cache
    url = f"sqlite:///{work / 'site' / 'brokersec.db'}"
    records = Records.open(url, vault_root=work / "site" / "vault")
    org_id = int((source / "ready").read_text())
    inspections = records.list_inspections(org_id)
    results = sum(i["recorded"] for i in inspections)

    client = TestClient(create_app(records), base_url="https://testserver")
    client.get("/login")
    client.post(
        "/login", data={"username": "inspector", "password": PASSWORD, "csrf_token": client.cookies["brokersec_csrf"]}
    )

    def dashboard() -> None:
        r = client.get(f"/orgs/{org_id}")
        assert r.status_code == 200 and "<polyline" in r.text, r.status_code

    def baseline() -> None:
        rates = []
        for ins in records.list_inspections(org_id):
            full = records.get_inspection(ins["id"])
            counts: dict[str, int] = {}
            for row in full["items"]:
                if row["result"]:
                    counts[row["result"]["status"]] = counts.get(row["result"]["status"], 0) + 1
            rates.append(compliance_rate(counts))
        assert rates

    ours = timed(dashboard, args.runs)
    base = timed(baseline, max(3, args.runs // 10))
    print(f"firm with {len(inspections)} inspections ({args.months} months), {results} results")
    print(f"brokersec dashboard page   {summary(ours)}")
    print(f"baseline (per-inspection)  {summary(base)}")
    print(f"ratio baseline/brokersec   {statistics.median(base) / statistics.median(ours):.1f}x")
    print(f"goal < 300 ms median: {'met' if statistics.median(ours) < 300 else 'NOT met'}")
    records.close()
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
