"""Reading YAML that people write, safely and with line numbers.

Every YAML file brokersec accepts (catalog versions, firm profiles, evidence bundles) goes through
``read_yaml`` so that all of them refuse the same hostile constructs (aliases that expand into
"billion laughs", duplicate keys that silently drop a value, huge files) and report problems with
the file and line a person can open.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from brokersec.errors import InputError, Problem

MAX_YAML_BYTES = 20 * 1024 * 1024

try:  # the C loader is ~10x faster; fall back to pure Python where libyaml is missing
    _Loader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[attr-defined]
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

LineMap = dict[tuple[Any, ...], int]


def read_yaml(path: str | Path, *, max_bytes: int = MAX_YAML_BYTES) -> tuple[Any, LineMap]:
    """Parse a YAML file and return ``(data, lines)``.

    ``lines`` maps a path of keys/indices (``("nodes", 12, "frequency")``) to its 1-based line, so
    later validation errors can point into the file.
    """
    path = Path(path)
    name = str(path)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise InputError(Problem("file not found", file=name)) from None
    except OSError as exc:
        raise InputError(Problem(f"cannot read file: {exc.strerror}", file=name)) from None
    if path.is_dir():
        raise InputError(Problem("is a directory, expected a YAML file", file=name))
    if size > max_bytes:
        raise InputError(Problem(f"file is {size} bytes, more than the {max_bytes} allowed", file=name))
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(Problem(f"not UTF-8 text (byte {exc.start})", file=name)) from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str = "<yaml>") -> tuple[Any, LineMap]:
    _refuse_aliases(text, name)
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        if root is None:
            return None, {}
        lines: LineMap = {}
        _inspect(root, (), lines, name)
        data = loader.construct_document(root)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        msg = " ".join(x for x in (exc.context, exc.problem) if x) or "invalid YAML"
        raise InputError(Problem(f"invalid YAML: {msg}", file=name, line=line)) from None
    except yaml.YAMLError as exc:
        raise InputError(Problem(f"invalid YAML: {exc}", file=name)) from None
    finally:
        loader.dispose()
    return data, lines


def _refuse_aliases(text: str, name: str) -> None:
    """Aliases are how a few hundred bytes of YAML expand to gigabytes; no brokersec file needs them.

    Scanning the event stream finds them before anything is built, at the line they are written.
    """
    try:
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                raise InputError(
                    Problem("YAML aliases (*name) are not accepted", file=name, line=event.start_mark.line + 1)
                )
    except yaml.YAMLError:
        return  # the composer reports syntax errors with their location


def _inspect(node: yaml.Node, path: tuple[Any, ...], lines: LineMap, name: str) -> None:
    """Record line numbers; refuse duplicate keys."""
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in keys:
                raise InputError(
                    Problem(
                        f"key {key!r} appears twice in the same mapping",
                        file=name,
                        line=key_node.start_mark.line + 1,
                        field=format_path((*path, key)),
                    )
                )
            keys.add(key)
            _inspect(value_node, (*path, key), lines, name)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            _inspect(child, (*path, index), lines, name)


def format_path(path: tuple[Any, ...]) -> str:
    """``("nodes", 3, "frequency")`` -> ``nodes[3].frequency``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def nearest_line(lines: LineMap, path: tuple[Any, ...]) -> int | None:
    """The line of ``path``, or of its closest ancestor that has one."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return lines.get(())


def pydantic_problems(exc: Any, name: str, lines: LineMap, label: Any = None) -> list[Problem]:
    """Turn a pydantic ``ValidationError`` into located problems.

    ``label(path)`` may return a short context string (e.g. the node id) to prefix the message.
    """
    merged: dict[tuple[Any, ...], list[str]] = {}
    for err in exc.errors():
        # pydantic names the branches of a union in the location ("list[...]", "literal[...]"): drop them
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        msg = err["msg"]
        if err["type"] == "extra_forbidden":
            msg = "unknown field (check the spelling)"
        elif err["type"] == "missing":
            msg = "required field is missing"
        elif isinstance(err.get("input"), str | int | float | bool):
            msg = f"{msg} (got {err['input']!r})"
        msg = msg.removeprefix("Value error, ")
        merged.setdefault(loc, [])
        if msg not in merged[loc]:
            merged[loc].append(msg)
    out: list[Problem] = []
    for loc, messages in merged.items():
        context = label(loc) if label else None
        msg = "; or ".join(messages)
        out.append(
            Problem(
                f"{context}: {msg}" if context else msg,
                file=name,
                line=nearest_line(lines, loc),
                field=format_path(loc),
            )
        )
    return out
