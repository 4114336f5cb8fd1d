"""An inspection's results as CSV: one row per item, UTF-8 with a BOM so Excel shows 中文 correctly.

Text that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or
carriage return) is prefixed with ``'``, the usual guard against CSV injection.
"""

from __future__ import annotations

import csv
import io
from typing import Any

FIELDS = (
    "tax_id",
    "firm",
    "inspection",
    "period",
    "catalog_version",
    "item",
    "text_zh",
    "text_en",
    "applicable",
    "scope_reasons",
    "status",
    "status_zh",
    "note",
    "na_reason",
    "inspector",
    "recorded_at",
    "review_state",
    "reviewer",
    "reviewed_at",
    "review_comment",
    "evidence_count",
    "evidence",
    "flags",
)

STATUS_ZH = {
    "conform": "符合",
    "nonconform": "不符合",
    "partial": "部分符合",
    "not_applicable": "不適用",
    "not_checked": "未查核",
}


def _safe(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def _who(person: dict[str, Any] | None) -> str:
    if not person:
        return ""
    name, login = person.get("name") or "", person.get("username") or ""
    return f"{name} ({login})" if name and login else name or login


def results_rows(inspection: dict[str, Any], org: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows as dicts (keys ``FIELDS``), for callers that want them without CSV."""
    rows = []
    for it in inspection["items"]:
        res = it.get("result") or {}
        status = res.get("status") or ""
        rows.append(
            {
                "tax_id": org.get("tax_id") or "",
                "firm": org.get("name") or "",
                "inspection": inspection["id"],
                "period": inspection["period_id"],
                "catalog_version": inspection["catalog_version"],
                "item": it["item"],
                "text_zh": it.get("text_zh") or "",
                "text_en": it.get("text_en") or "",
                "applicable": "yes" if it.get("applicable") else "no",
                "scope_reasons": "; ".join(r.get("en") or r.get("zh") or "" for r in it.get("reasons") or []),
                "status": status,
                "status_zh": STATUS_ZH.get(status, ""),
                "note": res.get("note") or "",
                "na_reason": res.get("na_reason") or "",
                "inspector": _who(res.get("inspector")),
                "recorded_at": res.get("recorded_at") or "",
                "review_state": res.get("review_state") or "",
                "reviewer": _who(res.get("reviewer")),
                "reviewed_at": res.get("reviewed_at") or "",
                "review_comment": res.get("review_comment") or "",
                "evidence_count": len(it.get("evidence") or []),
                "evidence": "; ".join(
                    f"{e.get('original_name') or ''} sha256:{e.get('sha256') or ''}" for e in it.get("evidence") or []
                ),
                "flags": "; ".join(f.get("problem") or "" for f in it.get("flags") or []),
            }
        )
    return rows


def results_csv(inspection: dict[str, Any], org: dict[str, Any]) -> bytes:
    """The CSV bytes (UTF-8 with BOM, CRLF line ends as Excel writes them)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=FIELDS, lineterminator="\r\n")
    writer.writeheader()
    for row in results_rows(inspection, org):
        writer.writerow({k: _safe(v) for k, v in row.items()})
    return buf.getvalue().encode("utf-8-sig")


__all__ = ["FIELDS", "results_csv", "results_rows"]
