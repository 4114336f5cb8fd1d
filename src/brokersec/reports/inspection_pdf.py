"""The inspection report (查核報告) as PDF: one inspection, or every inspection of a firm's year.

Gathering and rendering are apart. ``inspection_report_data`` / ``year_report_data`` read the
records and return plain JSON-ready dicts; ``render_inspection_report`` / ``render_year_report``
turn such a dict into PDF bytes through Jinja2 HTML templates (``reports/templates/``) and
WeasyPrint, so the renderer is tested from plain data and never touches the database.

Traditional Chinese is set in the system font “Noto Sans CJK TC” (Debian ``fonts-noto-cjk``, which
``make system-deps`` installs); WeasyPrint embeds the subset of it the document uses. The summary
chart is SVG drawn by the template (no plotting library, so text in it stays real, searchable text).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import Any

from brokersec.catalog.loader import load_catalog_ref
from brokersec.catalog.models import FREQUENCY_LABELS, Catalog
from brokersec.errors import InputError, Problem

FONT = "Noto Sans CJK TC"

STATUS_ORDER = ("conform", "partial", "nonconform", "not_applicable", "not_checked")
STATUS_ZH = {
    "conform": "符合",
    "partial": "部分符合",
    "nonconform": "不符合",
    "not_applicable": "不適用",
    "not_checked": "未查核",
}
STATUS_COLOURS = {
    "conform": "#2e7d32",
    "partial": "#f9a825",
    "nonconform": "#c62828",
    "not_applicable": "#9e9e9e",
    "not_checked": "#e0e0e0",
}
SEVERITY_ZH = {"low": "低", "medium": "中", "high": "高", "critical": "重大"}
FINDING_STATUS_ZH = {
    "open": "待改善",
    "in_progress": "改善中",
    "remediated": "已改善待驗證",
    "verified": "已驗證結案",
    "accepted_risk": "接受風險",
}
CLOSED = ("verified", "accepted_risk")
ASSESSED = ("conform", "partial", "nonconform")


# ---------------------------------------------------------------- gathering (records → plain data)


@lru_cache(maxsize=8)
def _catalog(version: str) -> Catalog:
    return load_catalog_ref(version)


def _day(value: str | None) -> str | None:
    return value[:10] if value else None


def _rate(counts: dict[str, int]) -> float | None:
    assessed = sum(counts.get(s, 0) for s in ASSESSED)
    return counts.get("conform", 0) / assessed if assessed else None


def _firm(records: Any, org: int | str) -> dict[str, Any]:
    info = records.get_org(org)
    profile = records.profile(info["id"])
    return {"id": info["id"], "name": info["name"], "name_en": profile.name_en or "", "tax_id": info["tax_id"]}


def _people(rows: Iterable[tuple[dict[str, Any] | None, str | None]]) -> list[dict[str, Any]]:
    """Distinct people (by username) with the last date they acted, in order of first appearance."""
    out: dict[str, dict[str, Any]] = {}
    for person, when in rows:
        if not person:
            continue
        seen = out.setdefault(
            person["username"], {"name": person["name"], "job_title": person["job_title"], "date": None}
        )
        day = _day(when)
        if day and (seen["date"] is None or day > seen["date"]):
            seen["date"] = day
    return list(out.values())


def _finding_row(f: dict[str, Any], catalog: Catalog) -> dict[str, Any]:
    item = catalog.items.get(f["item_id"])
    owner = f.get("owner")
    return {
        "id": f["id"],
        "item": f["item_id"],
        "text_zh": (item.text_zh or item.title_zh or "") if item else "",
        "period": f.get("period"),
        "description": f.get("description") or "",
        "severity": f.get("severity"),
        "recommendation": f.get("recommendation") or "",
        "remediation_plan": f.get("remediation_plan") or "",
        "owner": {"name": owner["name"], "job_title": owner["job_title"]} if owner else None,
        "due_date": f.get("due_date"),
        "status": f.get("status"),
        "overdue_days": f.get("overdue_days") or 0,
        "repeat_of_id": f.get("repeat_of_id"),
        "opened_on": _day(f.get("opened_at")),
        "closed_on": _day(f.get("verified_at") or f.get("accepted_at")),
    }


def inspection_report_data(
    records: Any,
    inspection: int | str,
    org: int | str | None = None,
    *,
    today: dt.date | None = None,
    findings: list[dict[str, Any]] | None = None,
    firm: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Everything the report of one inspection shows, as plain data (see ``render_inspection_report``).

    ``findings`` (the firm's findings from ``Records.list_findings``) and ``firm`` may be passed in
    when many inspections of one firm are gathered, so they are read once.
    """
    ins = records.get_inspection(inspection, org)
    today = today or dt.date.today()
    catalog = _catalog(ins["catalog_version"])
    firm = firm or _firm(records, ins["org_id"])
    if findings is None:
        findings = records.list_findings(ins["org_id"], today=today)

    excluded = []
    by_area: dict[str, Counter[str]] = {}
    results = []
    for row in ins["items"]:
        if not row["applicable"]:
            excluded.append(
                {
                    "item": row["item"],
                    "text_zh": row["text_zh"] or catalog.get(row["item"]).label("zh"),
                    "reasons": [r.get("zh") or r.get("en") or r.get("code", "") for r in row["reasons"]],
                }
            )
            continue
        status = row["result"]["status"] if row["result"] else "not_checked"
        by_area.setdefault(catalog.get(row["item"]).area, Counter())[status] += 1
        if row["result"]:
            results.append(row["result"])

    areas = []
    totals: Counter[str] = Counter()
    for code in sorted(by_area):
        counts = dict(by_area[code])
        totals.update(counts)
        area = catalog.items.get(code)
        areas.append(
            {
                "code": code,
                "title_zh": area.title_zh if area and area.title_zh else code,
                "counts": counts,
                "total": sum(counts.values()),
                "rate": _rate(counts),
            }
        )
    reviewed = [_day(r.get("reviewed_at")) for r in results if r.get("review_state") == "approved"]
    complete = ins["applicable"] > 0 and ins["approved"] == ins["applicable"]
    return {
        "kind": "inspection",
        "generated_on": today.isoformat(),
        "firm": firm,
        "inspection": {
            "id": ins["id"],
            "period_id": ins["period_id"],
            "frequency": ins["frequency"],
            "frequency_zh": FREQUENCY_LABELS[ins["frequency"]][0],
            "period_start": ins["period_start"],
            "period_end": ins["period_end"],
            "due": ins["due"],
            "catalog_version": ins["catalog_version"],
            "scoped_on": ins["scoped_on"],
            "started_on": _day(ins["started_at"]),
            "completed_on": max(d for d in reviewed if d) if complete and any(reviewed) else None,
            "applicable": ins["applicable"],
            "recorded": ins["recorded"],
            "approved": ins["approved"],
        },
        "scope": {"total": len(ins["items"]), "applicable": ins["applicable"], "excluded": excluded},
        "areas": areas,
        "totals": {"counts": dict(totals), "total": sum(totals.values()), "rate": _rate(dict(totals))},
        "findings": [_finding_row(f, catalog) for f in findings if f["inspection_id"] == ins["id"]],
        "signoff": {
            "inspectors": _people((r.get("inspector"), r.get("recorded_at")) for r in results),
            "reviewers": _people(
                (r.get("reviewer"), r.get("reviewed_at")) for r in results if r.get("review_state") == "approved"
            ),
        },
    }


def year_inspections(records: Any, org: int | str, year: int) -> list[dict[str, Any]]:
    """The firm's inspections whose period lies in calendar year ``year``, in period order."""
    return [i for i in records.list_inspections(org) if i["period_start"][:4] == str(year)]


def year_report_data(
    records: Any,
    org: int | str,
    year: int,
    *,
    today: dt.date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Every inspection of ``year`` for one firm, gathered as for ``inspection_report_data``.

    Raises ``InputError`` when the firm has no inspection in that year.
    """
    today = today or dt.date.today()
    firm = _firm(records, org)
    chosen = year_inspections(records, firm["id"], year)
    if not chosen:
        raise InputError(Problem(f"{firm['name']} has no inspection in {year}", field="year"))
    findings = records.list_findings(firm["id"], today=today)
    sections = []
    for n, ins in enumerate(chosen, 1):
        sections.append(inspection_report_data(records, ins["id"], today=today, findings=findings, firm=firm))
        if progress:
            progress(n, len(chosen))
    return {
        "kind": "year",
        "year": year,
        "generated_on": today.isoformat(),
        "firm": firm,
        "inspections": sections,
    }


# ---------------------------------------------------------------- rendering (plain data → PDF bytes)


@lru_cache(maxsize=1)
def _env() -> Any:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("brokersec.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "svg"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = lambda v: "—" if v is None else f"{v * 100:.1f}%"
    env.filters["dash"] = lambda v: "—" if v in (None, "") else v
    env.filters["roc"] = _roc_filter
    env.globals.update(
        FONT=FONT,
        STATUS_ORDER=STATUS_ORDER,
        STATUS_ZH=STATUS_ZH,
        STATUS_COLOURS=STATUS_COLOURS,
        SEVERITY_ZH=SEVERITY_ZH,
        FINDING_STATUS_ZH=FINDING_STATUS_ZH,
        chart=chart_geometry,
    )
    return env


def _roc_filter(value: str | None) -> str:
    from brokersec.reports.deadlines import roc_date

    return roc_date(value) if value else "—"


def chart_geometry(areas: list[dict[str, Any]], width: int = 640) -> dict[str, Any]:
    """Stacked horizontal bars, one per control area, as coordinates the SVG template draws."""
    label_w, rate_w, row_h, bar_h, top = 190, 60, 22, 14, 8
    plot_w = width - label_w - rate_w
    rows = []
    for n, area in enumerate(areas):
        y = top + n * row_h
        x = float(label_w)
        segments = []
        total = area["total"] or 1
        for status in STATUS_ORDER:
            count = area["counts"].get(status, 0)
            if not count:
                continue
            w = plot_w * count / total
            segments.append({"x": round(x, 2), "w": round(w, 2), "colour": STATUS_COLOURS[status], "count": count})
            x += w
        rows.append(
            {"y": y, "bar_y": y + (row_h - bar_h) / 2, "text_y": y + row_h / 2 + 4, "area": area, "segments": segments}
        )
    legend_y = top + len(areas) * row_h + 12
    legend = [
        {"x": label_w + n * 92, "y": legend_y, "status": s, "colour": STATUS_COLOURS[s], "label": STATUS_ZH[s]}
        for n, s in enumerate(STATUS_ORDER)
    ]
    return {
        "width": width,
        "height": legend_y + 14,
        "label_w": label_w,
        "plot_w": plot_w,
        "bar_h": bar_h,
        "rows": rows,
        "legend": legend,
    }


@lru_cache(maxsize=1)
def require_font() -> None:
    """Stop with a clear message when the CJK font is missing, instead of a PDF of empty boxes."""
    import shutil
    import subprocess

    if not shutil.which("fc-match"):
        return  # no fontconfig tools to ask; WeasyPrint still finds the font through fontconfig itself
    found = subprocess.run(["fc-match", "-f", "%{family}", FONT], capture_output=True, text=True).stdout
    if FONT not in found:
        raise InputError(
            Problem(f"the font {FONT!r} is not installed (found {found!r}); run `make system-deps`", field="font")
        )


def _pdf(html: str) -> bytes:
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    require_font()
    # Reports are self-contained (inline CSS and SVG): no file or network is ever read for one.
    return HTML(string=html, url_fetcher=URLFetcher(allowed_protocols=())).write_pdf()


def render_inspection_html(data: dict[str, Any]) -> str:
    return _env().get_template("inspection_report.html").render(data=data)


def render_inspection_report(data: dict[str, Any]) -> bytes:
    """The 查核報告 of one inspection as PDF bytes, from ``inspection_report_data``'s dict."""
    return _pdf(render_inspection_html(data))


def year_overview(data: dict[str, Any]) -> dict[str, Any]:
    """The year report's consolidated view of its inspections: one overview row per inspection,
    results by area summed over the year, excluded items listed once with the periods they were
    out of scope in, every deficiency of the year, and everyone who inspected or reviewed."""
    rows = []
    areas: dict[str, dict[str, Any]] = {}
    totals: Counter[str] = Counter()
    excluded: dict[tuple[str, tuple[str, ...]], dict[str, Any]] = {}
    findings: dict[int, dict[str, Any]] = {}
    for ins in data["inspections"]:
        i = ins["inspection"]
        rows.append(
            {
                **i,
                "rate": ins["totals"]["rate"],
                "findings": len(ins["findings"]),
                "inspectors": [p["name"] for p in ins["signoff"]["inspectors"]],
                "reviewers": [p["name"] for p in ins["signoff"]["reviewers"]],
            }
        )
        totals.update(ins["totals"]["counts"])
        for area in ins["areas"]:
            agg = areas.setdefault(
                area["code"], {"code": area["code"], "title_zh": area["title_zh"], "counts": Counter()}
            )
            agg["counts"].update(area["counts"])
        for x in ins["scope"]["excluded"]:
            key = (x["item"], tuple(x["reasons"]))
            excluded.setdefault(key, {**x, "periods": []})["periods"].append(i["period_id"])
        for f in ins["findings"]:
            findings[f["id"]] = {**f, "period": f.get("period") or i["period_id"]}
    area_rows = []
    for code in sorted(areas):
        counts = dict(areas[code]["counts"])
        area_rows.append({**areas[code], "counts": counts, "total": sum(counts.values()), "rate": _rate(counts)})
    by_status = Counter(f["status"] for f in findings.values())
    return {
        "rows": rows,
        "complete": sum(1 for r in rows if r["completed_on"]),
        "areas": area_rows,
        "totals": {"counts": dict(totals), "total": sum(totals.values()), "rate": _rate(dict(totals))},
        "excluded": sorted(excluded.values(), key=lambda x: x["item"]),
        "findings": list(findings.values()),
        "finding_counts": {
            "opened": len(findings),
            "closed": sum(by_status[s] for s in CLOSED),
            "open": sum(n for s, n in by_status.items() if s not in CLOSED),
        },
        "signoff": {
            "inspectors": _merge_people(p for ins in data["inspections"] for p in ins["signoff"]["inspectors"]),
            "reviewers": _merge_people(p for ins in data["inspections"] for p in ins["signoff"]["reviewers"]),
        },
    }


def _merge_people(people: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for p in people:
        seen = out.setdefault((p["name"], p["job_title"]), dict(p))
        if p["date"] and (seen["date"] is None or p["date"] > seen["date"]):
            seen["date"] = p["date"]
    return list(out.values())


def render_year_html(data: dict[str, Any]) -> str:
    return _env().get_template("year_report.html").render(data=data, overview=year_overview(data))


def render_year_report(data: dict[str, Any]) -> bytes:
    """The year's 查核報告 (every inspection of the year in one PDF), from ``year_report_data``'s dict."""
    return _pdf(render_year_html(data))


__all__ = [
    "chart_geometry",
    "inspection_report_data",
    "render_inspection_report",
    "render_year_report",
    "year_inspections",
    "year_overview",
    "year_report_data",
]
