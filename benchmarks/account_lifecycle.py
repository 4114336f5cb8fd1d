"""Benchmark: the account-lifecycle check over 1,000,000 AD accounts and a 1,000,000-row HR roster.

Generates (seeded, cached) a PowerShell-style ``Get-ADUser | Export-Csv`` file and a roster, runs
the real check (bundle loading, DuckDB joins, verdicts) and a plain pandas implementation of the
same joins and rules, each in its own child process so its peak RSS is its own, and asserts that
both flag exactly the same accounts for every rule. Goals: < 3 s, ≥ 2x faster than pandas,
peak < 1 GiB.

    .venv/bin/python benchmarks/account_lifecycle.py [--rows 1000000] [--cache DIR]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

AS_OF = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 11, 30, 9, 0, 0)
EPOCH = dt.datetime(1601, 1, 1)
SEED = 20261130
GIB = 1024**3


def filetime(when: dt.datetime | None) -> int:
    return 0 if when is None else int((when - EPOCH).total_seconds()) * 10_000_000


def generate(folder: Path, rows: int) -> Path:
    """AD CSV + roster + bundle.yaml, deterministic for (rows, SEED); reused when already there."""
    folder.mkdir(parents=True, exist_ok=True)
    done = folder / f".complete-{rows}-{SEED}"
    if done.exists():
        return folder
    rnd = random.Random(SEED)
    day = dt.timedelta(days=1)
    with (
        open(folder / "users.csv", "w", encoding="utf-8-sig", newline="") as ad,
        open(folder / "roster.csv", "w", encoding="utf-8", newline="") as hr,
    ):
        a = csv.writer(ad, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        r = csv.writer(hr, lineterminator="\n")
        a.writerow(
            [
                "DistinguishedName",
                "Enabled",
                "lastLogonTimestamp",
                "Name",
                "pwdLastSet",
                "sAMAccountName",
                "userAccountControl",
                "whenCreated",
            ]
        )
        r.writerow(
            [
                "employee_id",
                "name",
                "account",
                "department",
                "job_title",
                "status",
                "hire_date",
                "leave_date",
                "contractor",
                "contract_end",
            ]
        )
        for i in range(rows):
            sam = f"u{i:07d}"
            created = NOW - rnd.randint(1, 3000) * day
            enabled = rnd.random() > 0.1
            uac = 512 if enabled else 514
            if rnd.random() < 0.03:
                uac |= 0x10000
            if rnd.random() < 0.005:
                uac |= 0x20
            logon = (
                None
                if rnd.random() < 0.02
                else NOW - (rnd.randint(0, 30) if rnd.random() < 0.9 else rnd.randint(31, 700)) * day
            )
            pwd = None if rnd.random() < 0.02 else (created if rnd.random() < 0.02 else NOW - rnd.randint(0, 100) * day)
            when = f"{created.month}/{created.day}/{created.year} {created.strftime('%I').lstrip('0')}:{created:%M:%S} {created:%p}"
            a.writerow(
                [
                    f"CN={sam},OU=Staff,DC=corp,DC=example,DC=tw",
                    "True" if enabled else "False",
                    filetime(logon),
                    sam,
                    filetime(pwd),
                    sam,
                    uac,
                    when,
                ]
            )
            if rnd.random() < 0.03:
                continue  # no owner in the roster
            left = rnd.random() < 0.08
            contractor = rnd.random() < 0.05
            end = (NOW + rnd.randint(-200, 200) * day).date().isoformat() if contractor and rnd.random() < 0.9 else ""
            account = sam.upper() if rnd.random() < 0.1 else sam  # case differs between AD and HR
            r.writerow(
                [
                    f"E{i:07d}",
                    f"員工{i}",
                    account,
                    "業務部",
                    "營業員",
                    "left" if left else "active",
                    (created - 10 * day).date().isoformat(),
                    (NOW - rnd.randint(-30, 300) * day).date().isoformat() if left else "",
                    "true" if contractor else "false",
                    end,
                ]
            )
            if rnd.random() < 0.01:  # a re-hire: a second row for the same account
                r.writerow([f"E{i:07d}R", f"員工{i}", sam, "業務部", "營業員", "active", "2026-01-01", "", "false", ""])
    (folder / "bundle.yaml").write_text(
        f"as_of: {AS_OF.isoformat()}\nservice_accounts: [u0000001, u0000002]\nartifacts:\n"
        "  - {type: ad.users_csv, path: users.csv, subject: corp-ad}\n"
        "  - {type: hr.roster_csv, path: roster.csv, subject: hr}\n",
        encoding="utf-8",
    )
    done.touch()
    return folder


# ---------------------------------------------------------------- the two implementations (child processes)


def child_check(folder: Path, out: Path) -> None:
    """The real check, end to end, through the engine; then its full findings for the comparison."""
    from brokersec.catalog import load_catalog_ref
    from brokersec.checks import all_checks, load_bundle, run_checks
    from brokersec.checks.account_lifecycle import Options, evaluate

    catalog = load_catalog_ref()
    checks = [c for c in all_checks() if c.id.startswith("account_lifecycle.")]
    started = time.perf_counter()
    bundle = load_bundle(folder)
    report = run_checks(bundle, catalog, checks=checks)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    statuses = {r.check: (r.status.value, r.findings_total) for r in report.results}
    full = evaluate(
        bundle.artifacts[:1], bundle.artifacts[1:], Options(bundle.as_of, frozenset({"u0000001", "u0000002"}))
    )
    (result,) = full.values()
    assert not isinstance(result, Exception), result
    flagged = {rule: sorted(hits.accounts) for rule, hits in result.items()}
    out.write_text(json.dumps({"seconds": seconds, "peak": peak, "flagged": flagged, "statuses": statuses}))


def child_pandas(folder: Path, out: Path) -> None:
    """The same joins and rules written plainly in pandas: the baseline."""
    import pandas as pd

    from brokersec.checks.account_lifecycle import (
        AD_REPLICATION_SLACK_DAYS,
        DORMANT_DAYS,
        INITIAL_PASSWORD_GRACE,
        LEFT_WORDS,
        PASSWORD_MAX_AGE_DAYS,
    )
    from brokersec.checks.default_accounts import DEFAULT_NAMES

    started = time.perf_counter()
    today = pd.Timestamp(AS_OF)
    ad = pd.read_csv(folder / "users.csv", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    hr = pd.read_csv(folder / "roster.csv", dtype=str, keep_default_na=False)

    def ft(col: pd.Series) -> pd.Series:
        n = pd.to_numeric(col, errors="raise").astype("int64")
        stamp = pd.to_datetime(n // 10 - 11644473600000000, unit="us")
        return stamp.where(n > 0)

    uac = pd.to_numeric(ad["userAccountControl"]).astype("int64")
    acc = pd.DataFrame(
        {
            "key": ad["sAMAccountName"].str.strip().str.lower(),
            "account": ad["sAMAccountName"].str.strip(),
            "enabled": ad["Enabled"].str.strip().str.lower() == "true",
            "last_logon": ft(ad["lastLogonTimestamp"]),
            "pwd_last_set": ft(ad["pwdLastSet"]),
            "created": pd.to_datetime(ad["whenCreated"], format="%m/%d/%Y %I:%M:%S %p"),
            "pwd_not_required": (uac & 0x20) != 0,
            "pwd_never_expires": (uac & 0x10000) != 0,
        }
    )
    acc = acc[acc["enabled"]]
    has_left = hr["status"].str.strip().str.lower().isin(LEFT_WORDS)
    contractor = hr["contractor"].str.strip().str.lower() == "true"
    contract_end = pd.to_datetime(hr["contract_end"].replace("", None), format="%Y-%m-%d")
    roster = pd.DataFrame(
        {
            "key": hr["account"].str.strip().str.lower(),
            "has_left": has_left,
            "leave_date": pd.to_datetime(hr["leave_date"].replace("", None), format="%Y-%m-%d"),
            "active": ~has_left,
            "valid": ~has_left & ~(contractor & (contract_end < today)),
            "contract_end": contract_end.where(~has_left & contractor),
        }
    )
    agg = roster.groupby("key").agg(
        all_left=("has_left", "all"),
        leave_date=("leave_date", "max"),
        active_rows=("active", "sum"),
        valid_rows=("valid", "sum"),
        contract_end=("contract_end", "max"),
    )
    j = acc.merge(agg, how="left", left_on="key", right_index=True, indicator=True)
    in_roster = j["_merge"] == "both"
    all_left = j["all_left"].fillna(False).astype(bool)
    dormant_cut = today - pd.Timedelta(days=DORMANT_DAYS + AD_REPLICATION_SLACK_DAYS)
    grace = pd.Timedelta(days=INITIAL_PASSWORD_GRACE.days)
    reference = j["last_logon"].fillna(j["created"]).fillna(pd.Timestamp("1601-01-01"))
    service = {"u0000001", "u0000002"}
    rules = {
        "leavers": all_left & (j["leave_date"].isna() | (j["leave_date"] <= today)),
        "ended_contractors": in_roster & (j["active_rows"] > 0) & (j["valid_rows"] == 0),
        "dormant": reference < dormant_cut,
        "password_age": j["pwd_last_set"] < today - pd.Timedelta(days=PASSWORD_MAX_AGE_DAYS),
        "initial_password": j["pwd_last_set"].notna()
        & j["created"].notna()
        & (j["pwd_last_set"] <= j["created"] + grace)
        & (j["last_logon"] > j["created"] + grace),
        "no_owner": ~in_roster & ~j["key"].isin(service),
        "risky_flags": j["pwd_not_required"] | j["pwd_never_expires"],
        "default_names": j["key"].isin(DEFAULT_NAMES),
    }
    flagged = {rule: sorted(j.loc[mask.fillna(False).astype(bool), "account"].tolist()) for rule, mask in rules.items()}
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out.write_text(json.dumps({"seconds": seconds, "peak": peak, "flagged": flagged}))


# ---------------------------------------------------------------- driver


def _child(kind: str, folder: Path) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.json"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
        subprocess.run(
            [sys.executable, __file__, "--child", kind, "--cache", str(folder), "--out", str(out)], check=True, env=env
        )
        return json.loads(out.read_text())


def compare(rows: int, cache: Path) -> dict[str, Any]:
    """Run both implementations on the same data; raise if their verdicts differ."""
    folder = generate(cache / f"rows-{rows}", rows)
    check = _child("check", folder)
    baseline = _child("pandas", folder)
    if check["flagged"] != baseline["flagged"]:
        diff = {r: (len(check["flagged"].get(r, [])), len(baseline["flagged"].get(r, []))) for r in baseline["flagged"]}
        raise AssertionError(f"verdicts differ between the check and pandas (check, pandas counts): {diff}")
    return {"rows": rows, "check": check, "pandas": baseline}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--cache", type=Path, default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "brokersec-bench"
    )
    parser.add_argument("--child", choices=("check", "pandas"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        (child_check if args.child == "check" else child_pandas)(args.cache, args.out)
        return
    started = time.perf_counter()
    result = compare(args.rows, args.cache)
    c, p = result["check"], result["pandas"]
    ratio = p["seconds"] / c["seconds"]
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    )
    print(
        f"rows: {args.rows:,} accounts + roster (total run incl. generation/caching {time.perf_counter() - started:.1f} s)"
    )
    print(f"check  (DuckDB): {c['seconds']:.2f} s, peak RSS {c['peak'] / GIB:.2f} GiB")
    print(f"pandas baseline: {p['seconds']:.2f} s, peak RSS {p['peak'] / GIB:.2f} GiB")
    print(f"ratio: check is {ratio:.1f}x faster than pandas")
    print("verdicts identical: " + ", ".join(f"{r} {len(v):,}" for r, v in c["flagged"].items()))
    goals = {"under 3 s": c["seconds"] < 3, "≥ 2x pandas": ratio >= 2, "peak < 1 GiB": c["peak"] < GIB}
    print("goals: " + ", ".join(f"{k} {'met' if ok else 'MISSED'}" for k, ok in goals.items()))


if __name__ == "__main__":
    main()
