"""The annual declaration's life after it is drafted: board approval and public disclosure dates.

CC-12000 (6): each year the head of information security, chairman, president and chief auditor
sign the declaration on the previous year, the board approves it, and it is disclosed on MOPS
(公開資訊觀測站) within three months after the fiscal year ends. The draft is a report
(reports/declaration.py); what the firm must be able to show later is when each step happened.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Date, ForeignKey, Integer, String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column

from brokersec.errors import InputError, Problem
from brokersec.records.core import _Core, row_dict
from brokersec.records.models import Base, UTCDateTime


class Declaration(Base):
    __tablename__ = "declarations"
    __table_args__ = (UniqueConstraint("org_id", "year"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    year: Mapped[int] = mapped_column(Integer)
    board_approved_on: Mapped[dt.date | None] = mapped_column(Date)
    disclosed_on: Mapped[dt.date | None] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(500), default="")
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())


class Declarations(_Core):
    def record_declaration(
        self,
        org: int | str,
        year: int,
        board_approved_on: dt.date | None,
        disclosed_on: dt.date | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        """Record (or correct) the board-approval and disclosure dates of one year's declaration."""
        if not 2000 <= year <= 2999:
            raise InputError(Problem(f"{year} is not a fiscal year", field="year"))
        for name, day in (("board_approved_on", board_approved_on), ("disclosed_on", disclosed_on)):
            if day is not None and day.year < year:
                raise InputError(Problem(f"{name} {day} is before the year {year} ended", field=name))
        with self._write() as s:
            me = self._me(s)
            o = self._org(s, org)
            used = self._require(s, me, o.id, ("admin", "executive"), "record the annual declaration")
            row = s.execute(
                select(Declaration).where(Declaration.org_id == o.id, Declaration.year == year)
            ).scalar_one_or_none()
            before = row_dict(row) if row else None
            if row is None:
                row = Declaration(org_id=o.id, year=year)
                s.add(row)
            row.board_approved_on, row.disclosed_on, row.note = board_approved_on, disclosed_on, note.strip()[:500]
            row.updated_by, row.updated_at = me.id, self.clock()
            s.flush()
            self._audit(s, me, used, "declaration.record", "declaration", row.id, org_id=o.id, before=before,
                        after=row_dict(row))  # fmt: skip
            return row_dict(row)

    def declarations(self, org: int | str) -> dict[int, dict[str, Any]]:
        with self._read() as s:
            o = self._org(s, org)
            rows = s.execute(select(Declaration).where(Declaration.org_id == o.id)).scalars()
            return {r.year: row_dict(r) for r in rows}
