"""What every OSCAL document brokersec writes shares: version, namespace, UUIDs, props, dates, JSON.

Determinism is the rule here. Every UUID is a version-5 UUID of a stable name (a catalog version,
an item id, a firm's 統一編號 and a period), and every timestamp comes from the data, never from the
clock, so exporting the same records twice gives byte-identical files and a changed record shows
up as a small diff. A document's own ``uuid`` names its subject (a catalog version, a firm's scope
on a day, an inspection, a firm's POA&M), as OSCAL 1.2 asks: the same subject keeps its UUID
across revisions, and ``metadata/last-modified`` tells the revisions apart.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

OSCAL_VERSION = "1.2.1"
"""The OSCAL version documents declare: the newest one compliance-trestle 5.2 models (see docs/oscal.md)."""

NS = "https://brokersec.tw/ns/oscal"
"""The namespace of brokersec's own props and parts."""

TAIPEI = dt.timezone(dt.timedelta(hours=8), "Asia/Taipei")

_ROOT = uuid.uuid5(uuid.NAMESPACE_URL, NS)

RESULT_LABELS: dict[str, tuple[str, str]] = {
    "conform": ("符合", "conform"),
    "nonconform": ("不符合", "nonconform"),
    "partial": ("部分符合", "partial"),
    "not_applicable": ("不適用", "not applicable"),
    "not_checked": ("未查核", "not checked"),
}

ROLES: dict[str, tuple[str, str]] = {
    "inspector": ("查核人員", "Inspector"),
    "reviewer": ("覆核人員（主管）", "Reviewer (supervisor)"),
    "owner": ("改善負責人", "Remediation owner"),
    "assessed-organization": ("受查證券商", "Assessed securities firm"),
    "creator": ("發布機關", "Issuer"),
}


def stable_uuid(*parts: object) -> str:
    """A version-5 UUID of ``parts`` joined by ``/``: the same name always gives the same UUID."""
    return str(uuid.uuid5(_ROOT, "/".join(str(p) for p in parts)))


def one_line(text: str | None) -> str:
    """Collapse whitespace: OSCAL strings (prop values, titles) are single lines without edge spaces."""
    return " ".join((text or "").split())


def prop(name: str, value: object, *, ns: str | None = NS, cls: str | None = None, remarks: str = "") -> dict[str, Any]:
    """An OSCAL property; ``ns=None`` for the names OSCAL itself defines (``label``, ``job-title`` …)."""
    out: dict[str, Any] = {"name": name}
    if ns:
        out["ns"] = ns
    if isinstance(value, bool):
        value = "true" if value else "false"
    out["value"] = one_line(str(value))
    if cls:
        out["class"] = cls
    if remarks.strip():
        out["remarks"] = remarks.strip()
    return out


def bilingual(zh: str | None, en: str | None) -> str:
    """zh-TW first, the English after a blank line (markup-multiline)."""
    return "\n\n".join(t.strip() for t in (zh, en) if t and t.strip())


def as_datetime(value: str | dt.date | dt.datetime | None, *, end_of_day: bool = False) -> str | None:
    """An OSCAL ``date-time-with-timezone``: datetimes as given (UTC if naive), bare dates in Taipei."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value) if "T" in value else dt.date.fromisoformat(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return value.isoformat(timespec="seconds")
    time = dt.time(23, 59, 59) if end_of_day else dt.time(0, 0)
    return dt.datetime.combine(value, time, TAIPEI).isoformat()


def latest(values: list[str | None], default: str) -> str:
    """The latest of some timestamps (by instant), as OSCAL text."""
    stamps = [v for v in (as_datetime(x) for x in values) if v]
    if not stamps:
        return default
    return max(stamps, key=dt.datetime.fromisoformat)


def item_label(item_id: str) -> str:
    """The regulation's own way to cite an item: ``CC-18000.3.h.a`` → ``CC-18000 (3) h (a)``.

    Numbers are bracketed; a letter is bare below a number and bracketed below a letter, as in the
    published text (7.(1)a.(g) is ``CC-17010 a (g)``).
    """
    code, *rest = item_id.split(".")
    out = [code]
    prev_letter = False
    for seg in rest:
        if seg.isdigit():
            out.append(f"({seg})")
            prev_letter = False
        else:
            out.append(f"({seg})" if prev_letter else seg)
            prev_letter = True
    return " ".join(out)


def statement_id(item_id: str) -> str:
    """The id of an item's statement part in the catalog (the target of assessment findings)."""
    return f"{item_id}_smt"


def role_list(*ids: str) -> list[dict[str, Any]]:
    return [{"id": r, "title": ROLES[r][0], "description": ROLES[r][1]} for r in ids]


def firm_party(org: dict[str, Any], name_en: str = "") -> dict[str, Any]:
    """The securities firm as an OSCAL organization party, identified by its 統一編號."""
    party: dict[str, Any] = {
        "uuid": stable_uuid("party", "firm", org["tax_id"]),
        "type": "organization",
        "name": one_line(org["name"]),
    }
    party["external-ids"] = [{"scheme": f"{NS}/tax-id", "id": org["tax_id"]}]
    party["props"] = [prop("tax_id", org["tax_id"])]
    if name_en:
        party["props"].append(prop("name_en", name_en))
    return party


def person_party(person: dict[str, Any], org_uuid: str | None = None) -> dict[str, Any]:
    """A brokersec user (inspector, reviewer, owner) as an OSCAL person party."""
    party: dict[str, Any] = {
        "uuid": stable_uuid("party", "user", person["username"]),
        "type": "person",
        "name": one_line(person.get("name") or person["username"]),
        "props": [prop("username", person["username"])],
    }
    if person.get("job_title"):
        party["props"].insert(0, prop("job-title", person["job_title"], ns=None))
    if org_uuid:
        party["member-of-organizations"] = [org_uuid]
    return party


def metadata(
    title: str,
    *,
    last_modified: str,
    version: str,
    published: str | None = None,
    props: list[dict[str, Any]] | None = None,
    roles: list[dict[str, Any]] | None = None,
    parties: list[dict[str, Any]] | None = None,
    responsible: dict[str, list[str]] | None = None,
    remarks: str = "",
) -> dict[str, Any]:
    """OSCAL metadata in the order the schema documents its fields."""
    out: dict[str, Any] = {"title": one_line(title)}
    if published:
        out["published"] = published
    out["last-modified"] = last_modified
    out["version"] = version
    out["oscal-version"] = OSCAL_VERSION
    if props:
        out["props"] = props
    if roles:
        out["roles"] = roles
    if parties:
        out["parties"] = parties
    if responsible:
        out["responsible-parties"] = [
            {"role-id": role, "party-uuids": uuids} for role, uuids in responsible.items() if uuids
        ]
    if remarks.strip():
        out["remarks"] = remarks.strip()
    return out


def wrap(kind: str, body: dict[str, Any], *subject: object) -> dict[str, Any]:
    """``{kind: {"uuid": …, **body}}``; the UUID names the subject (OSCAL 1.2: one UUID per subject
    across revisions), e.g. a firm's POA&M keeps its UUID while its items change."""
    return {kind: {"uuid": stable_uuid(kind, *subject), **body}}


def to_json(document: dict[str, Any]) -> bytes:
    """The document as UTF-8 JSON (中文 kept readable), two-space indent, newline at the end."""
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
