"""The catalog as a CISO Assistant framework library: loads as YAML, structured as CISO Assistant expects."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from brokersec.catalog import load_catalog_ref
from brokersec.cli import main
from brokersec.reports.ciso_assistant import ciso_assistant_yaml

# CISO Assistant's own URN pattern (backend library loader)
URN = re.compile(r"^urn:([a-zA-Z0-9_-]+):([a-zA-Z0-9_-]+):([a-zA-Z0-9_-]+)(?::([a-zA-Z0-9_-]+))?:(.+)$")
LIBRARY_KEYS = {
    "urn",
    "locale",
    "ref_id",
    "name",
    "description",
    "copyright",
    "version",
    "provider",
    "packager",
    "objects",
}


def test_library_structure() -> None:
    catalog = load_catalog_ref("twse-2020-12-11")
    lib = yaml.safe_load(ciso_assistant_yaml(catalog))
    assert set(lib) >= LIBRARY_KEYS and isinstance(lib["version"], int) and lib["locale"] == "zh"
    assert lib["translations"]["en"]["name"] == catalog.regulation.title_en
    fw = lib["objects"]["framework"]
    for urn in (lib["urn"], fw["urn"]):
        assert URN.match(urn) and urn == urn.lower()
    nodes = fw["requirement_nodes"]
    urns = [n["urn"] for n in nodes]
    assert len(urns) == len(set(urns)) == len(catalog)
    assert sum(n["assessable"] for n in nodes) == 183 == len(catalog.assessable())
    groups = {g["ref_id"] for g in fw["implementation_groups_definition"]}
    seen: dict[str, dict] = {}  # type: ignore[type-arg]
    for node in nodes:
        assert URN.match(node["urn"]) and node["urn"] == node["urn"].lower()
        assert node["urn"].startswith("urn:brokersec:risk:req_node:twse-2020-12-11:")
        assert isinstance(node["assessable"], bool) and isinstance(node["depth"], int)
        assert node.get("name") or node.get("description")
        if "parent_urn" in node:
            parent = seen[node["parent_urn"]]  # parents come first, as CISO Assistant reads them
            assert node["depth"] == parent["depth"] + 1 and not parent["assessable"]
        else:
            assert node["depth"] == 1
        if node["assessable"]:
            assert set(node["implementation_groups"]) <= groups
        for lang, tr in node.get("translations", {}).items():
            assert lang == "en" and set(tr) <= {"name", "description", "annotation", "typical_evidence"}
        seen[node["urn"]] = node
    item = next(n for n in nodes if n["ref_id"] == "CC-18000.3.e")
    assert item["description"] == catalog.get("CC-18000.3.e").text_zh
    assert item["translations"]["en"]["description"] == catalog.get("CC-18000.3.e").text_en


def test_cli_ciso_assistant(tmp_path: Path) -> None:
    out = tmp_path / "lib.yaml"
    assert main(["report", "ciso-assistant", "-o", str(out), "--catalog", "twse-2020-12-11"]) == 0
    assert yaml.safe_load(out.read_text(encoding="utf-8"))["objects"]["framework"]["ref_id"] == "twse-2020-12-11"
    assert main(["report", "ciso-assistant", "--catalog", "nope"]) == 2
