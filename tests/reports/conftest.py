"""Fixtures for the report tests: the seeded demo installation of tests/web (seeded once per session)."""

from __future__ import annotations

from web.conftest import site, site_template  # noqa: F401  (tests/ is on sys.path: rootdir-relative packages)
