"""The catalog in the formats other people and tools read: JSON, CSV, XLSX.

The JSON form is an interface: ``{"regulation": {...}, "items": [...]}`` with one entry per node
(areas and groups included, ``assessable`` telling them apart). Its field names are stable.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from brokersec.catalog.models import Catalog, Item

CSV_COLUMNS = [
    "id",
    "parent",
    "area",
    "assessable",
    "title_zh",
    "title_en",
    "text_zh",
    "text_en",
    "frequency",
    "channels",
    "conditions",
    "effective_from",
    "tier_dependent",
    "max_evidence_age_days",
    "retention_years",
    "deduction_grade",
    "evidence_zh",
    "evidence_en",
]


def catalog_dict(catalog: Catalog, items: list[Item] | None = None) -> dict[str, Any]:
    reg = catalog.regulation
    return {
        "regulation": {
            "id": reg.id,
            "title_zh": reg.title_zh,
            "title_en": reg.title_en,
            "published": reg.published.isoformat(),
            "issuer": reg.issuer,
        },
        "conditions": {k: v.model_dump() for k, v in catalog.conditions.items()},
        "items": [i.to_dict() for i in (items if items is not None else list(catalog))],
    }


def to_json(catalog: Catalog, items: list[Item] | None = None) -> str:
    return json.dumps(catalog_dict(catalog, items), ensure_ascii=False, indent=2) + "\n"


def _row(item: Item) -> dict[str, Any]:
    d = item.to_dict()
    return {
        **{k: d[k] for k in CSV_COLUMNS if k in d},
        "channels": " ".join(item.channels),
        "conditions": " ".join(item.conditions),
        "evidence_zh": "\n".join(e.zh for e in item.evidence),
        "evidence_en": "\n".join(e.en for e in item.evidence),
    }


def to_csv(catalog: Catalog, items: list[Item] | None = None) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for item in items if items is not None else list(catalog):
        writer.writerow(_row(item))
    return out.getvalue()


def to_xlsx(catalog: Catalog, items: list[Item] | None = None) -> bytes:
    """A workbook with one sheet of items, frozen header and filters, as auditors expect."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "catalog"
    ws.append(CSV_COLUMNS)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for item in items if items is not None else list(catalog):
        row = _row(item)
        ws.append([row[c] for c in CSV_COLUMNS])
    widths = {"id": 16, "title_zh": 24, "title_en": 28, "text_zh": 60, "text_en": 60, "evidence_zh": 40}
    for n, name in enumerate(CSV_COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(n)].width = widths.get(name, 12)
        if name.startswith(("text", "evidence")):
            for cell in ws[get_column_letter(n)][1:]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = "B2"
    ws.auto_filter.ref = ws.dimensions
    info = wb.create_sheet("regulation")
    reg = catalog.regulation
    for key, value in (
        ("id", reg.id),
        ("title_zh", reg.title_zh),
        ("title_en", reg.title_en),
        ("published", reg.published.isoformat()),
        ("issuer", reg.issuer),
    ):
        info.append([key, value])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
