"""Automated checks: evidence bundles in, verdicts per catalog item and subject out (pure: no database)."""

from brokersec.checks.bundle import Bundle, load_bundle
from brokersec.checks.engine import Check, Result, RunReport, Status, all_checks, run_checks

__all__ = ["Bundle", "Check", "Result", "RunReport", "Status", "all_checks", "load_bundle", "run_checks"]
