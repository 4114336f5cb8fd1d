"""The check engine: what a check is, where checks are registered, and how a run goes.

The engine knows nothing about any regulation version or any UI. A check returns verdicts per
subject; the engine attaches the catalog items from the mapping (so a new regulation version
re-maps without touching a check), turns a broken artifact into an ``error`` verdict for the checks
that read it, and keeps going so one bad file never hides the other results.
"""

from __future__ import annotations

import datetime as dt
import traceback
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from brokersec.catalog.models import Catalog
from brokersec.checks.bundle import Artifact, Bundle

MAX_FINDINGS = 50
DOMAIN_ORDER = (
    "password_policy",
    "password_storage",
    "default_accounts",
    "account_lifecycle",
    "privileged_access",
    "training",
    "evidence_freshness",
)


class Status(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    NOT_APPLICABLE = "not_applicable"


class ArtifactError(Exception):
    """An artifact that cannot be read; carries where, so the verdict can say it."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}"
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "error": self.message}


@dataclass(frozen=True)
class Verdict:
    """What a check concludes for one subject, before the engine attaches catalog items."""

    subject: str
    status: Status
    summary: str
    findings: list[dict[str, Any]] = field(default_factory=list)
    findings_total: int | None = None
    items: tuple[str, ...] | None = None  # a subset of the check's mapped items, when the verdict is narrower

    @classmethod
    def of(cls, subject: str, findings: list[dict[str, Any]], ok: str, bad: str, **kw: Any) -> Verdict:
        """``fail`` with ``bad`` when there are findings, else ``pass`` with ``ok``; caps the list kept."""
        total = kw.pop("total", len(findings))
        if total:
            return cls(subject, Status.FAIL, bad, findings[:MAX_FINDINGS], total, **kw)
        return cls(subject, Status.PASS, ok, [], 0, **kw)

    @classmethod
    def error(cls, subject: str, exc: ArtifactError) -> Verdict:
        return cls(subject, Status.ERROR, f"cannot read artifact: {exc}", [exc.to_dict()], 1)

    @classmethod
    def not_applicable(cls, subject: str, why: str) -> Verdict:
        return cls(subject, Status.NOT_APPLICABLE, why)


@dataclass(frozen=True)
class Result:
    """A verdict for catalog items: the unit the CLI prints and the vault will record."""

    check: str
    items: tuple[str, ...]
    subject: str
    status: Status
    summary: str
    findings: list[dict[str, Any]]
    findings_total: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "check": self.check,
            "items": list(self.items),
            "subject": self.subject,
            "status": self.status.value,
            "details": {"summary": self.summary, "findings": self.findings, "findings_total": self.findings_total},
        }


@dataclass(frozen=True)
class Check:
    """One automated check: metadata for people, and a pure function from artifacts to verdicts."""

    id: str
    title_zh: str
    title_en: str
    reads: tuple[str, ...]
    passes_when_zh: str
    passes_when_en: str
    func: Callable[[Context], Iterable[Verdict]]
    applies: Callable[[Bundle], bool] | None = None

    def runs_on(self, bundle: Bundle) -> bool:
        if self.applies is not None:
            return self.applies(bundle)
        return any(a.type in self.reads for a in bundle.artifacts)


_REGISTRY: dict[str, Check] = {}


def register(check: Check) -> Check:
    if check.id in _REGISTRY:
        raise ValueError(f"check {check.id!r} registered twice")
    _REGISTRY[check.id] = check
    return check


def all_checks() -> list[Check]:
    """Every registered check, in registration order (domain modules import in a fixed order)."""
    import brokersec.checks.domains  # noqa: F401  (registers the checks)

    def rank(check: Check) -> int:
        domain = check.id.split(".", 1)[0]
        return DOMAIN_ORDER.index(domain) if domain in DOMAIN_ORDER else len(DOMAIN_ORDER)

    return sorted(_REGISTRY.values(), key=rank)


class Context:
    """What a check sees: the bundle, the judging day, and parsed artifacts cached for the whole run."""

    def __init__(self, bundle: Bundle, catalog: Catalog, cache: dict[Any, Any]) -> None:
        self.bundle = bundle
        self.catalog = catalog
        self.as_of: dt.date = bundle.as_of
        self._cache = cache

    def artifacts(self, *types: str) -> list[Artifact]:
        return [a for a in self.bundle.artifacts if a.type in types]

    def by_subject(self, *types: str) -> dict[str, list[Artifact]]:
        out: dict[str, list[Artifact]] = {}
        for art in self.artifacts(*types):
            out.setdefault(art.subject, []).append(art)
        return out

    def load(self, artifact: Artifact) -> Any:
        """The parsed artifact; a parse failure is cached too so every check reports it the same way."""
        from brokersec.checks.parsers import parse_artifact

        return self.shared(("artifact", artifact.index), lambda: parse_artifact(artifact))

    def shared(self, key: Any, factory: Callable[[], Any]) -> Any:
        """Compute once per run: several checks of one domain read the same joined data."""
        if key not in self._cache:
            try:
                self._cache[key] = factory()
            except ArtifactError as exc:
                self._cache[key] = exc
        value = self._cache[key]
        if isinstance(value, ArtifactError):
            raise value
        return value


def per_subject(
    ctx: Context, types: tuple[str, ...], judge: Callable[[str, list[Artifact]], Verdict]
) -> Iterator[Verdict]:
    """Run ``judge`` for every subject that has artifacts of ``types``; a broken one gives ``error``."""
    for subject, arts in ctx.by_subject(*types).items():
        try:
            yield judge(subject, arts)
        except ArtifactError as exc:
            yield Verdict.error(subject, exc)


@dataclass(frozen=True)
class RunReport:
    as_of: dt.date
    catalog_version: str
    results: list[Result]

    def to_dict(self) -> dict[str, Any]:
        return {"as_of": self.as_of.isoformat(), "results": [r.to_dict() for r in self.results]}

    @property
    def has_findings(self) -> bool:
        return any(r.status is Status.FAIL for r in self.results)


Progress = Callable[[int, int, str], None]


def run_checks(
    bundle: Bundle,
    catalog: Catalog,
    *,
    checks: list[Check] | None = None,
    progress: Progress | None = None,
) -> RunReport:
    """Run every check whose artifacts are in the bundle; ``progress(done, total, check_id)`` after each."""
    from brokersec.checks.mapping import load_mapping

    mapping = load_mapping(catalog)
    todo = [c for c in (checks if checks is not None else all_checks()) if c.runs_on(bundle)]
    cache: dict[Any, Any] = {}
    ctx = Context(bundle, catalog, cache)
    results: list[Result] = []
    for done, check in enumerate(todo, 1):
        items = mapping.items_for(check.id)
        for verdict in _safe_run(check, ctx):
            narrowed = tuple(i for i in verdict.items if i in items) if verdict.items is not None else items
            results.append(
                Result(
                    check=check.id,
                    items=narrowed,
                    subject=verdict.subject,
                    status=verdict.status,
                    summary=verdict.summary,
                    findings=verdict.findings,
                    findings_total=verdict.findings_total if verdict.findings_total is not None else 0,
                )
            )
        if progress is not None:
            progress(done, len(todo), check.id)
    return RunReport(bundle.as_of, catalog.version, results)


def _safe_run(check: Check, ctx: Context) -> list[Verdict]:
    """A check's verdicts; whatever escapes it becomes ``error`` so the run goes on."""
    try:
        return list(check.func(ctx))
    except ArtifactError as exc:
        return [Verdict.error(exc.file or "bundle", exc)]
    except Exception as exc:  # a bug in one check must not hide the others' results
        frame = traceback.extract_tb(exc.__traceback__)[-1]
        return [
            Verdict(
                "bundle",
                Status.ERROR,
                f"internal error in check {check.id}: {type(exc).__name__}: {exc}",
                [{"where": f"{frame.filename}:{frame.lineno}"}],
                1,
            )
        ]
