"""The system of record: inspections, results, evidence, sign-off, findings and their audit trail.

Everything that changes a record goes through ``Records`` (service.py), which writes the change and
its audit-log entry in one transaction; nothing else in brokersec writes these tables.
"""

from brokersec.records.core import Forbidden
from brokersec.records.db import NotMigrated, database_url, open_engine, upgrade
from brokersec.records.service import Records

__all__ = ["Forbidden", "NotMigrated", "Records", "database_url", "open_engine", "upgrade"]
