"""The regulation as versioned, validated data (pure: no database, no web)."""

from brokersec.catalog.loader import (
    build_catalog,
    builtin_versions,
    completeness_warnings,
    load_catalog,
    load_catalog_ref,
)
from brokersec.catalog.models import CHANNELS, FREQUENCIES, Catalog, Item

__all__ = [
    "CHANNELS",
    "FREQUENCIES",
    "Catalog",
    "Item",
    "build_catalog",
    "builtin_versions",
    "completeness_warnings",
    "load_catalog",
    "load_catalog_ref",
]
