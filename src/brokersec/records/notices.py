"""What each person should hear about: checks coming due or overdue, results awaiting their review,
findings they own that are due, evidence about to outgrow its allowed age.

Computed on demand from the records (nothing to keep in sync); the web inbox shows it and
``brokersec notify`` mails it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from brokersec import calendar as cal
from brokersec.catalog import Catalog, load_catalog_ref
from brokersec.records.core import _Core

SOON_DAYS = 7


class Notices(_Core):
    def notices_for(self, login: str, today: dt.date) -> list[dict[str, Any]]:
        """Notices for one user across every firm they have a role in, most urgent first."""
        user = self.get_user(login)  # type: ignore[attr-defined]
        roles: dict[int, set[str]] = {}
        for r in user["roles"]:
            roles.setdefault(r["org_id"], set()).add(r["role"])
        out: list[dict[str, Any]] = []
        for org_id, held in sorted(roles.items()):
            name = self.get_org(org_id)["name"]  # type: ignore[attr-defined]
            profile = self.profile(org_id)  # type: ignore[attr-defined]
            catalog = load_catalog_ref(profile.catalog)
            if held & {"inspector", "admin"}:
                for o in self.overdue(org_id, today):  # type: ignore[attr-defined]
                    out.append(
                        {
                            "kind": "overdue",
                            "org_id": org_id,
                            "org": name,
                            "ref": f"{o['item']} {o['period']}",
                            "date": o["due"],
                            "link": f"/orgs/{org_id}/calendar",
                        }
                    )
                soon: dict[tuple[str, dt.date], int] = {}
                for c in cal.due_checks(catalog, profile, today.year):
                    if today <= c.due <= today + dt.timedelta(days=SOON_DAYS):
                        soon[(c.period.id, c.due)] = soon.get((c.period.id, c.due), 0) + 1
                for (period_id, due), n in sorted(soon.items(), key=lambda kv: kv[0][1]):
                    out.append(
                        {
                            "kind": "due_soon",
                            "org_id": org_id,
                            "org": name,
                            "ref": period_id,
                            "count": n,
                            "date": due.isoformat(),
                            "link": f"/orgs/{org_id}/calendar",
                        }
                    )
            if held & {"reviewer", "admin"}:
                pending = [
                    r
                    for r in self.pending_reviews(org_id)  # type: ignore[attr-defined]
                    if not r["inspector"] or r["inspector"]["username"] != user["username"]
                ]
                if pending:
                    out.append(
                        {
                            "kind": "review",
                            "org_id": org_id,
                            "org": name,
                            "ref": "",
                            "count": len(pending),
                            "date": today.isoformat(),
                            "link": f"/orgs/{org_id}/reviews",
                        }
                    )
            for f in self.list_findings(org_id, open_only=True, today=today):  # type: ignore[attr-defined]
                mine = f["owner"] and f["owner"]["username"] == user["username"]
                if (
                    (mine or held & {"admin"})
                    and f["due_date"]
                    and dt.date.fromisoformat(f["due_date"]) <= today + dt.timedelta(days=SOON_DAYS)
                ):
                    out.append(
                        {
                            "kind": "finding_due",
                            "org_id": org_id,
                            "org": name,
                            "ref": f"#{f['id']} {f['item_id']}",
                            "date": f["due_date"],
                            "link": f"/orgs/{org_id}/findings/{f['id']}",
                        }
                    )
            if held & {"inspector", "admin"}:
                out.extend(self._ageing_evidence(org_id, name, catalog, today))
        order = {"overdue": 0, "finding_due": 1, "review": 2, "due_soon": 3, "evidence_age": 4}
        return sorted(out, key=lambda n: (order[n["kind"]], n["date"]))

    def _ageing_evidence(self, org_id: int, name: str, catalog: Catalog, today: dt.date) -> list[dict[str, Any]]:
        """Items whose newest evidence passes its maximum age within the notice window."""
        newest: dict[str, dt.date] = {}
        out = []
        for item in catalog.assessable():
            if item.max_evidence_age_days is None:
                continue
            for ev in self.list_evidence(org_id, item_id=item.id):  # type: ignore[attr-defined]
                day = dt.date.fromisoformat(ev["collected_at"])
                if item.id not in newest or day > newest[item.id]:
                    newest[item.id] = day
            if item.id in newest:
                expires = newest[item.id] + dt.timedelta(days=item.max_evidence_age_days)
                if expires <= today + dt.timedelta(days=30):
                    out.append(
                        {
                            "kind": "evidence_age",
                            "org_id": org_id,
                            "org": name,
                            "ref": item.id,
                            "date": expires.isoformat(),
                            "link": f"/orgs/{org_id}/evidence?item={item.id}",
                        }
                    )
        return out
