"""Bootstrap the catalog YAML from the PDF-extracted seed text of the regulation.

Run once per new version of the regulation, then review and complete the output by hand
(English text, evidence, conditions). The YAML in ``src/brokersec/catalog/data`` is the source
of truth afterwards; this script exists so that the zh-TW text is copied by a machine, not retyped.

    python tools/seed_to_yaml.py ../shared/seed/000_ec957951a2b25cb9.txt > skeleton.yaml
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field

import yaml

AREA = re.compile(r"^(\d{1,2})\.\s*(.+)$")
NUM = re.compile(r"^\((\d{1,2})\)\s*(.*)$")
LETTER = re.compile(r"^([a-z])\.\s*(.*)$")
PLETTER = re.compile(r"^\(([a-z])\)\s*(.*)$")
SUBAREA_13 = re.compile(r"^(資訊提供作業)（(CC-\d{5})）$")
CODE = re.compile(r"（(CC-\d{5})(?:，(.*))?）")
FREQ = {"年度查核": "annual", "半年查核": "semiannual", "半年度查核": "semiannual", "每月查核": "monthly"}
REMARK = re.compile(
    r"[（(]\s*(\d{3})\s*年\s*(\d{1,2})\s*月底\s*(導入)?\s*生效\s*(?:，\s*(\d{3})\s*年\s*(\d{1,2})\s*月底\s*驗證\s*生效)?\s*[)）]"
)


def squash(text: str) -> str:
    """Remove PDF line-break whitespace, keeping one space only between two ASCII word characters."""
    text = text.strip()
    return re.sub(r"\s+", lambda m: " " if _ascii_pair(text, m) else "", text)


def _ascii_pair(text: str, m: re.Match[str]) -> bool:
    before = text[m.start() - 1] if m.start() else ""
    after = text[m.end()] if m.end() < len(text) else ""
    return bool(re.match(r"[A-Za-z0-9]", before)) and bool(re.match(r"[A-Za-z0-9]", after))


@dataclass
class Node:
    id: str
    level: str
    raw: list[str] = field(default_factory=list)
    parent: str | None = None
    children: list[str] = field(default_factory=list)
    code_remark: str | None = None
    frequency: str | None = None


def parse(text: str) -> list[Node]:
    nodes: dict[str, Node] = {}
    order: list[str] = []
    area = sub = l2 = l3 = None  # current ids

    def add(node: Node) -> Node:
        nodes[node.id] = node
        order.append(node.id)
        if node.parent:
            nodes[node.parent].children.append(node.id)
        return node

    current: Node | None = None
    for s in _lines(text):
        if not s or s.startswith("法規名稱") or s.startswith("公布日期"):
            continue
        if (m := AREA.match(s)) and (c := CODE.search(s)):
            code, remark = c.group(1), c.group(2)
            current = add(Node(code, "area", [m.group(2)[: m.group(2).index("（CC-")]]))
            current.code_remark = remark
            if remark:
                for k, v in FREQ.items():
                    if remark.endswith(k):
                        current.frequency = v
            area, sub, l2, l3 = code, None, None, None
            continue
        if m := SUBAREA_13.match(s):
            current = add(Node(m.group(2), "subarea", [m.group(1)], parent=area))
            sub, l2, l3 = m.group(2), None, None
            continue
        if (m := NUM.match(s)) and (c := CODE.search(s)):
            code, remark = c.group(1), c.group(2)
            current = add(Node(code, "subarea", [m.group(2)[: m.group(2).index("（CC-")]], parent=area))
            current.code_remark = remark
            for k, v in FREQ.items():
                if remark and remark.endswith(k):
                    current.frequency = v
            sub, l2, l3 = code, None, None
            continue
        if m := NUM.match(s):
            nid = f"{area}.{m.group(1)}"
            current = add(Node(nid, "l2", [m.group(2)], parent=area))
            l2, l3 = nid, None
            continue
        if m := LETTER.match(s):
            base = sub or l2
            nid = f"{base}.{m.group(1)}"
            current = add(Node(nid, "l3", [m.group(2)], parent=base))
            l3 = nid
            continue
        if m := PLETTER.match(s):
            nid = f"{l3}.{m.group(1)}"
            current = add(Node(nid, "l4", [m.group(2)], parent=l3))
            continue
        assert current is not None, s
        current.raw.append(s)
    return [nodes[i] for i in order]


def _lines(text: str) -> list[str]:
    """Stripped lines, with a header whose 「（CC-…）」 remark wraps onto the next lines joined back."""
    out: list[str] = []
    pending = ""
    for line in text.splitlines():
        s = line.strip()
        if pending:
            pending += " " + s
            if "）" in s:
                out.append(pending)
                pending = ""
            continue
        if "（CC-" in s and "）" not in s[s.index("（CC-") :]:
            pending = s
            continue
        out.append(s)
    return out


TITLE_SPLIT = re.compile(r"^([^：，。（(]{2,24}?)(（適用[^）]*）)?：(.*)$")


def to_yaml(nodes: list[Node]) -> list[dict]:
    out = []
    for n in nodes:
        text = squash(" ".join(n.raw))
        d: dict = {"id": n.id, "parent": n.parent}
        if n.level in ("area", "subarea"):
            d["title_zh"] = text
            if n.frequency:
                d["frequency"] = n.frequency
            if n.code_remark:
                d["scope_note_zh"] = squash(n.code_remark)
            out.append(d)
            continue
        if m := REMARK.search(text):
            y1, m1, _, y2, m2 = m.groups()
            d["effective_remark_zh"] = squash(m.group(0)[1:-1])
            d["effective_from"] = f"{int(y1) + 1911}-{int(m1):02d}-31"
            if y2:
                d["milestones"] = [
                    {"date": f"{int(y1) + 1911}-{int(m1):02d}-31", "what_zh": "導入"},
                    {"date": f"{int(y2) + 1911}-{int(m2):02d}-31", "what_zh": "驗證"},
                ]
            text = (text[: m.start()] + text[m.end() :]).strip()
        if t := TITLE_SPLIT.match(text):
            d["title_zh"] = t.group(1)
            if t.group(2):
                d["scope_note_zh"] = t.group(2)[1:-1]
            text = t.group(3)
        elif n.children and "。" not in text and "：" not in text:
            d["title_zh"] = text
            text = ""
        if text:
            d["text_zh"] = text
        out.append(d)
    return out


if __name__ == "__main__":
    with open(sys.argv[1], encoding="utf-8") as fh:
        nodes = parse(fh.read())
    yaml.safe_dump(to_yaml(nodes), sys.stdout, allow_unicode=True, sort_keys=False, width=1000)
