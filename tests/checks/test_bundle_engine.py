"""The bundle loader refuses hostile bundles; the engine keeps going past broken artifacts; the CLI contract."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from brokersec.catalog import load_catalog_ref
from brokersec.checks import all_checks, load_bundle, run_checks
from brokersec.checks.engine import Status
from brokersec.checks.mapping import load_mapping
from brokersec.cli import main
from brokersec.errors import InputError

from .artifacts import bundle_yaml, write


def _run(bundle: Path) -> dict[tuple[str, str], dict]:
    report = run_checks(load_bundle(bundle), load_catalog_ref())
    return {(r.check, r.subject): r.to_dict() for r in report.results}


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("../outside.txt", "'..'"),
        ("web01/../../etc/shadow", "'..'"),
        ("/etc/shadow", "absolute"),
        ("C:\\Windows\\secedit.inf", "absolute"),
        ("..\\..\\boot.ini", "'..'"),
    ],
)
def test_paths_must_stay_inside_the_bundle(tmp_path: Path, path: str, message: str) -> None:
    bundle_yaml(tmp_path, {"artifacts": [{"type": "linux.shadow", "path": path, "subject": "x"}]})
    with pytest.raises(InputError) as exc:
        load_bundle(tmp_path)
    problem = exc.value.problems[0]
    assert message in problem.message
    assert problem.file.endswith("bundle.yaml") and problem.line == 4 and problem.field == "artifacts[0].path"


def test_symlink_leading_out_of_the_bundle_is_refused(tmp_path: Path) -> None:
    outside = write(tmp_path / "secret" / "shadow", "root:x:1:0:99999:7:::\n")
    b = tmp_path / "bundle"
    b.mkdir()
    os.symlink(outside.parent, b / "link")
    bundle_yaml(b, {"artifacts": [{"type": "linux.shadow", "path": "link/shadow"}]})
    with pytest.raises(InputError, match="leads outside the bundle folder"):
        load_bundle(b)


def test_bundle_yaml_with_aliases_is_refused(tmp_path: Path) -> None:
    write(
        tmp_path / "bundle.yaml",
        "as_of: 2026-11-30\nbase: &a {type: linux.shadow, path: shadow}\nartifacts:\n  - *a\n",
    )
    with pytest.raises(InputError) as exc:
        load_bundle(tmp_path)
    assert "aliases" in str(exc.value) and exc.value.problems[0].line == 4


def test_unknown_type_and_keys_are_located(tmp_path: Path) -> None:
    write(
        tmp_path / "bundle.yaml",
        "as_of: 2026-11-30\nartifacts:\n  - type: linux.shdow\n    path: a\n  - type: linux.shadow\n    pth: b\n",
    )
    with pytest.raises(InputError) as exc:
        load_bundle(tmp_path)
    text = str(exc.value)
    assert "unknown artifact type 'linux.shdow'" in text and "bundle.yaml:3" in text
    assert "unknown field" in text and "bundle.yaml:6" in text


def test_mapping_names_real_assessable_items_for_every_check() -> None:
    catalog = load_catalog_ref()
    mapping = load_mapping(catalog)
    for check in all_checks():
        assert mapping.items_for(check.id), check.id


def test_mapping_with_unknown_item_is_refused(tmp_path: Path) -> None:
    bad = write(tmp_path / "m.yaml", "versions:\n  twse-2020-12-11:\n    password_storage.hashes: [CC-18000.3.zz]\n")
    with pytest.raises(InputError) as exc:
        load_mapping(load_catalog_ref(), bad, check_ids=["password_storage.hashes"])
    assert "no item 'CC-18000.3.zz'" in str(exc.value) and exc.value.problems[0].line == 3


def test_broken_artifact_gives_error_and_the_run_goes_on(full_bundle: Path) -> None:
    write(full_bundle / "web01/shadow", "root:$6$abc$def:20000:0:99999\n")  # truncated line
    (full_bundle / "ad/users.csv").write_bytes(
        b'"sAMAccountName","Enabled"\r\n"ok","True"\r\n"\xff\xfe\xfa","True"\r\n'
    )
    results = _run(full_bundle)
    storage = results[("password_storage.hashes", "web01")]
    assert storage["status"] == "error"
    assert storage["details"]["findings"][0]["line"] == 1 and "9" in storage["details"]["summary"]
    dormant = results[("account_lifecycle.dormant", "corp-ad")]
    assert dormant["status"] == "error" and dormant["details"]["findings"][0]["line"] == 3
    assert results[("password_storage.hashes", "trading")]["status"] == "fail"  # others still judged
    assert results[("password_policy.length", "win01")]["status"] == "fail"


def test_missing_artifact_file_is_an_error_not_a_crash(full_bundle: Path) -> None:
    (full_bundle / "win01/policy.inf").unlink()
    results = _run(full_bundle)
    assert results[("password_policy.lockout", "win01")]["status"] == "error"
    assert "not found" in results[("password_policy.lockout", "win01")]["details"]["summary"]


def test_cli_json_is_pure_and_exit_codes(full_bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "run", str(full_bundle), "--json"]) == 0
    out = capsys.readouterr()
    data = json.loads(out.out)
    assert set(data) == {"as_of", "results"} and data["as_of"] == "2026-11-30"
    first = data["results"][0]
    assert set(first) == {"check", "items", "subject", "status", "details"}
    assert main(["check", "run", str(full_bundle), "--json", "--fail-on-findings"]) == 1
    capsys.readouterr()


def test_cli_bad_bundle_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle_yaml(tmp_path, {"artifacts": [{"type": "linux.shadow", "path": "../../etc/shadow"}]})
    assert main(["check", "run", str(tmp_path), "--json"]) == 2
    out = capsys.readouterr()
    assert out.out == "" and "bundle.yaml:4" in out.err


def test_cli_document_for_unknown_item_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bundle_yaml(tmp_path, {"documents": [{"item": "CC-99999.1", "date": "2026-01-01"}]})
    assert main(["check", "run", str(tmp_path)]) == 2
    assert "CC-99999.1" in capsys.readouterr().err


def test_cli_list_and_table(full_bundle: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--lang", "en", "check", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    ids = {c["check"] for c in listed["checks"]}
    assert {"password_policy.lockout", "account_lifecycle.dormant", "evidence_freshness.documents"} <= ids
    assert main(["--lang", "en", "check", "run", str(full_bundle)]) == 0
    out = capsys.readouterr()
    assert "account_lifecycle" in out.out and "fail" in out.err


def test_verdict_statuses_are_the_four(full_bundle: Path) -> None:
    report = run_checks(load_bundle(full_bundle), load_catalog_ref())
    assert {r.status for r in report.results} <= set(Status)
    assert not [r for r in report.results if "internal error" in r.summary]


def test_every_item_with_a_maximum_evidence_age_is_mapped_to_freshness() -> None:
    catalog = load_catalog_ref()
    mapped = set(load_mapping(catalog).items_for("evidence_freshness.documents"))
    assert mapped == {i.id for i in catalog.assessable() if i.max_evidence_age_days}


def test_catalog_version_without_mapping_exits_2(
    full_bundle: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from .artifacts import write as write_file

    source = Path(load_catalog_ref().source).read_text(encoding="utf-8")
    custom = write_file(
        tmp_path / "twse-2027-01-01.yaml", source.replace("id: twse-2020-12-11", "id: twse-2027-01-01", 1)
    )
    assert main(["check", "run", str(full_bundle), "--catalog", str(custom), "--json"]) == 2
    err = capsys.readouterr().err
    assert "no check mapping for catalog version 'twse-2027-01-01'" in err
