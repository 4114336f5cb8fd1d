"""Malformed and hostile catalog and profile files: a located message and exit code 2, never a traceback."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from brokersec.catalog import load_catalog
from brokersec.cli import main
from brokersec.errors import InputError
from brokersec.profile import load_profile

from .helpers import catalog_data, write_yaml

GOOD_PROFILE = """\
name: 測試證券
tax_id: "04595257"
channels: [internet]
security_tier: 2
flags:
  public_company: true
"""


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def mutate(tmp_path: Path, change) -> Path:
    data = catalog_data()
    change(data)
    return write_yaml(tmp_path / "bad.yaml", data)


def node(data, item_id):
    return next(n for n in data["nodes"] if n["id"] == item_id)


CATALOG_CASES = {
    "duplicate id": (
        lambda d: d["nodes"].append(copy.deepcopy(node(d, "CC-11000.1"))),
        "duplicate id",
        "nodes[229].id",
    ),
    "unknown parent": (lambda d: node(d, "CC-11000.2").update(parent="CC-99000"), "parent 'CC-99000'", "parent"),
    "bad frequency": (lambda d: node(d, "CC-12000").update(frequency="weekly"), "monthly", "nodes[5].frequency"),
    "unknown field": (lambda d: node(d, "CC-11000.1").update(frequncy="annual"), "unknown field", "frequncy"),
    "undeclared condition": (lambda d: node(d, "CC-11000.1").update(conditions=["has_boat"]), "has_boat", "conditions"),
    "bad id": (lambda d: node(d, "CC-11000.1").update(id="CC-11000-1"), "pattern", "nodes[1].id"),
    "bad channel": (lambda d: node(d, "CC-11000").update(channels=["fax"]), "fax", "channels"),
    "not a date": (lambda d: node(d, "CC-13000.6").update(effective_from="end of January"), "date", "effective_from"),
}


@pytest.mark.parametrize("case", CATALOG_CASES)
def test_bad_catalog_names_the_field(tmp_path, capsys, case):
    change, message, field = CATALOG_CASES[case]
    path = mutate(tmp_path, change)
    with pytest.raises(InputError) as info:
        load_catalog(path)
    text = str(info.value)
    assert str(path) in text and message in text and field in text
    code, _, err = run_cli(capsys, "catalog", "validate", str(path))
    assert code == 2 and "Traceback" not in err and message in err


@pytest.mark.parametrize(
    ("content", "message", "line"),
    [
        ("regulation: [unclosed\n", "invalid YAML", 2),
        ("- just\n- a list\n", "must be a mapping", None),
        ("a: &x [1, 2]\nb: *x\n", "aliases", 2),
        ("regulation: {}\nregulation: {}\n", "appears twice", 2),
        ("", "must be a mapping", None),
    ],
)
def test_hostile_or_broken_yaml(tmp_path, capsys, content, message, line):
    path = tmp_path / "x.yaml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message) as info:
        load_catalog(path)
    if line:
        assert f"{path}:{line}" in str(info.value)
    assert run_cli(capsys, "catalog", "validate", str(path))[0] == 2


def test_billion_laughs_is_refused_without_expanding(tmp_path):
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match="aliases"):
        load_catalog(path)


def test_not_utf8_and_missing_files(tmp_path, capsys):
    path = tmp_path / "big5.yaml"
    path.write_bytes("name: 測試證券\n".encode("big5"))
    with pytest.raises(InputError, match="not UTF-8"):
        load_profile(path)
    code, _, err = run_cli(capsys, "scope", str(tmp_path / "nope.yaml"))
    assert code == 2 and "file not found" in err and "nope.yaml" in err


@pytest.mark.parametrize(
    ("edit", "field", "message"),
    [
        (lambda t: t.replace('"04595257"', '"12345678"'), "tax_id", "統一編號"),
        (lambda t: t.replace("security_tier: 2", "security_tier: 5"), "security_tier", "less than or equal to 3"),
        (lambda t: t.replace("[internet]", "[internet, fax]"), "channels[1]", "internet"),
        (lambda t: t + "colour: blue\n", "colour", "unknown field"),
        (lambda t: t.replace("name: 測試證券\n", ""), "name", "required"),
        (lambda t: t + "brokerage: false\n", "", "brokerage is false"),
        (
            lambda t: t.replace("public_company: true", "public_company: true\n  has_yacht: true"),
            "flags.has_yacht",
            "unknown flag",
        ),
    ],
)
def test_bad_profile_names_the_field(tmp_path, capsys, edit, field, message):
    path = tmp_path / "firm.yaml"
    path.write_text(edit(GOOD_PROFILE), encoding="utf-8")
    code, out, err = run_cli(capsys, "scope", str(path))
    assert code == 2, out
    assert str(path) in err and field in err and message in err
    assert "Traceback" not in err and out == ""


def test_unknown_flag_points_at_its_line(tmp_path, capsys):
    path = tmp_path / "firm.yaml"
    path.write_text(GOOD_PROFILE + "  has_yacht: true\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "profile", "check", str(path))
    assert code == 2 and f"{path}:7 [flags.has_yacht]" in err


def test_bad_options(capsys, tmp_path):
    assert run_cli(capsys, "catalog", "show", "CC-18000.9.z")[0] == 2
    assert run_cli(capsys, "catalog", "list", "--frequency", "weekly")[0] == 2
    assert run_cli(capsys, "catalog", "list", "--catalog", "twse-1999-01-01")[0] == 2
    firm = tmp_path / "firm.yaml"
    firm.write_text(GOOD_PROFILE, encoding="utf-8")
    code, _, err = run_cli(capsys, "scope", str(firm), "--on", "2026-02-30")
    assert code == 2 and "--on" in err
