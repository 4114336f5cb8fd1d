"""The account-lifecycle benchmark at reduced size: the check and the pandas baseline give the same verdicts."""

from __future__ import annotations

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "account_lifecycle.py"


def test_check_and_pandas_flag_the_same_accounts(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location("bench_account_lifecycle", BENCH)
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.compare(20_000, tmp_path)  # raises if any rule's flagged accounts differ
    flagged = result["check"]["flagged"]
    assert flagged["leavers"] and flagged["dormant"] and flagged["no_owner"]
