"""Home, dashboard and calendar: where a firm stands and what is owed next."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from starlette.responses import RedirectResponse, Response

from brokersec import calendar as cal
from brokersec.catalog import load_catalog_ref
from brokersec.reports.deadlines import declaration_deadline
from brokersec.web.context import OrgView, my_orgs, org_page
from brokersec.web.deps import Viewer, signed_in
from brokersec.web.rendering import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def home(request: Request, viewer: Viewer = Depends(signed_in)) -> Response:
    orgs = my_orgs(viewer)
    if len(orgs) == 1:
        return RedirectResponse(f"/orgs/{orgs[0]['id']}", status_code=303)
    return render(request, "home.html", orgs=orgs)


def trend_points(stats: list[dict[str, Any]], width: int = 640, height: int = 160) -> dict[str, Any]:
    """Monthly compliance rates as SVG polyline points (drawn server-side: no script, CSP-safe)."""
    series = [s for s in stats if s["frequency"] == "monthly" and s["rate"] is not None][-36:]
    if not series:
        return {"points": "", "labels": [], "width": width, "height": height}
    step = width / max(len(series) - 1, 1)
    points = " ".join(f"{i * step:.1f},{height - s['rate'] * height:.1f}" for i, s in enumerate(series))
    labels = [(i * step, s["period_id"]) for i, s in enumerate(series) if i % 6 == 0 or i == len(series) - 1]
    return {"points": points, "labels": labels, "width": width, "height": height, "last": series[-1]}


@router.get("/orgs/{org_id}")
def dashboard(request: Request, ov: OrgView = Depends(org_page)) -> Response:
    recs, today = ov.records, ov.today
    stats = recs.inspection_stats(ov.id)
    current: dict[str, dict[str, Any]] = {}
    for s in stats:
        if s["period_start"] <= today.isoformat():
            current[s["frequency"]] = s  # stats are oldest first: the last one wins
    areas: dict[str, dict[str, int]] = {}
    for s in current.values():
        for code, counts in s["areas"].items():
            bucket = areas.setdefault(code, Counter())
            bucket.update({k: v for k, v in counts.items() if k != "rate"})
    area_rows = []
    profile = recs.profile(ov.id)
    catalog = load_catalog_ref(profile.catalog)
    for code, counts in sorted(areas.items()):
        assessed = counts.get("conform", 0) + counts.get("partial", 0) + counts.get("nonconform", 0)
        rate = counts.get("conform", 0) / assessed if assessed else None
        area_rows.append({"code": code, "item": catalog.get(code), "counts": counts, "rate": rate})
    overdue = recs.overdue(ov.id, today)
    week = [c for c in cal.due_checks(catalog, profile, today.year) if today <= c.due <= today + dt.timedelta(days=7)]
    findings = recs.list_findings(ov.id, open_only=True, today=today)
    automated = [e for e in recs.list_evidence(ov.id) if e["source"] == "automated"]
    severity = Counter(f["severity"] for f in findings)
    ages = Counter("0-30" if f["age_days"] <= 30 else "31-90" if f["age_days"] <= 90 else "90+" for f in findings)
    return render(
        request,
        "dashboard.html",
        ov=ov,
        current=current,
        area_rows=area_rows,
        overdue=overdue,
        week=week,
        findings=findings,
        severity=severity,
        ages=ages,
        overdue_findings=[f for f in findings if f["overdue_days"] > 0],
        trend=trend_points(stats),
        pending=len(recs.pending_reviews(ov.id)),
        declaration=declaration_status(recs.declarations(ov.id), today),
        automated={"count": len(automated), "latest": max((e["collected_at"] for e in automated), default=None)},
    )


def declaration_status(recorded: dict[int, dict[str, Any]], today: dt.date) -> dict[str, Any]:
    """The declaration that matters now: last year's until it is approved and disclosed, then this year's."""
    year = today.year - 1
    row = recorded.get(year)
    if row and row["board_approved_on"] and row["disclosed_on"]:
        year, row = today.year, recorded.get(today.year)
    deadline = declaration_deadline(year)
    return {
        "year": year,
        "deadline": deadline,
        "days_left": (deadline - today).days,
        "board_approved_on": row["board_approved_on"] if row else None,
        "disclosed_on": row["disclosed_on"] if row else None,
    }


@router.post("/orgs/{org_id}/declaration")
def record_declaration(
    request: Request,
    year: int = Form(...),
    board_approved_on: str = Form(""),
    disclosed_on: str = Form(""),
    ov: OrgView = Depends(org_page),
) -> Response:
    ov.require("admin", "executive")
    try:
        approved = dt.date.fromisoformat(board_approved_on) if board_approved_on else None
        disclosed = dt.date.fromisoformat(disclosed_on) if disclosed_on else None
        ov.records.record_declaration(ov.id, year, approved, disclosed)
    except ValueError as exc:
        raise HTTPException(400, f"not a date: {exc}") from None
    return RedirectResponse(f"/orgs/{ov.id}", status_code=303)


@router.get("/orgs/{org_id}/calendar")
def calendar_page(request: Request, year: int | None = None, ov: OrgView = Depends(org_page)) -> Response:
    recs, today = ov.records, ov.today
    year = year or today.year
    profile = recs.profile(ov.id)
    catalog = load_catalog_ref(profile.catalog)
    checks = cal.due_checks(catalog, profile, year)
    stats = {s["period_id"]: s for s in recs.inspection_stats(ov.id)}
    overdue = {(o["item"], o["period"]) for o in recs.overdue(ov.id, today, since=dt.date(year, 1, 1))}
    months: dict[int, list[dict[str, Any]]] = {m: [] for m in range(1, 13)}
    groups: dict[tuple[str, dt.date], dict[str, Any]] = {}
    for c in checks:
        key = (c.period.id, c.due)
        g = groups.get(key)
        if g is None:
            g = groups[key] = {
                "period": c.period,
                "due": c.due,
                "count": 0,
                "overdue": 0,
                "stats": stats.get(c.period.id),
            }
            months[c.period.end.month].append(g)
        g["count"] += 1
        g["overdue"] += (c.item.id, c.period.id) in overdue
    for g in groups.values():
        st = g["stats"]
        if st and st["approved"] >= st["applicable"] > 0:
            g["state"] = "done"
        elif g["overdue"]:
            g["state"] = "overdue"
        elif g["due"] < today:
            g["state"] = "done"
        else:
            g["state"] = "due"
    return render(request, "calendar.html", ov=ov, year=year, months=months, today=today)
