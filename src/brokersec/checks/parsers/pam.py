"""PAM stack files (``/etc/pam.d/*``): which modules run, with what control and arguments.

A lockout or password-quality setting counts only when its module is really in the stack, and
arguments on the module's line override its configuration file, so both are kept per line.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from brokersec.checks.engine import ArtifactError
from brokersec.checks.parsers.text import lines


@dataclass(frozen=True)
class PamLine:
    file: str
    line: int
    type: str
    control: str
    module: str
    args: dict[str, str] = field(default_factory=dict)

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}"


_PAM_TYPES = {"auth", "account", "password", "session"}


def pam(file: Path, encoding: str | None = None) -> list[PamLine]:
    """The active lines of a PAM file; ``@include`` lines are kept so a check can see what is pulled in."""
    out: list[PamLine] = []
    pending = ""
    start = 0
    for number, raw in lines(file, encoding):
        text = raw.split("#", 1)[0].rstrip() if not pending else raw.rstrip()
        if text.endswith("\\"):
            pending += text[:-1] + " "
            start = start or number
            continue
        text = (pending + text).strip()
        where = start or number
        pending, start = "", 0
        if not text:
            continue
        if text.startswith("@include"):
            out.append(PamLine(str(file), where, "@include", "", text.split(None, 1)[-1]))
            continue
        tokens = _pam_tokens(text)
        kind = tokens[0].lstrip("-").lower() if tokens else ""
        if kind not in _PAM_TYPES or len(tokens) < 3:
            raise ArtifactError(f"not a PAM rule: {text[:80]!r}", file=str(file), line=where)
        args: dict[str, str] = {}
        for tok in tokens[3:]:
            k, _, v = tok.partition("=")
            args[k] = v
        out.append(PamLine(str(file), where, kind, tokens[1], tokens[2].rsplit("/", 1)[-1], args))
    return out


def _pam_tokens(text: str) -> list[str]:
    """Split a PAM line, keeping ``[success=1 default=ignore]`` controls as one token."""
    tokens: list[str] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        if text[i] == "[":
            end = text.find("]", i)
            end = len(text) - 1 if end < 0 else end
            tokens.append(text[i : end + 1])
            i = end + 1
        else:
            j = i
            while j < len(text) and not text[j].isspace():
                j += 1
            tokens.append(text[i:j])
            i = j
    return tokens
