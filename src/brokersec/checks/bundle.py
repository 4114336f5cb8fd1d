"""The evidence bundle: a folder of exported artifacts with a ``bundle.yaml`` saying what each is.

A bundle comes from outside (a firm's admin zips exports together), so it is read as hostile:
``bundle.yaml`` goes through ``read_yaml`` (no aliases, no duplicate keys, size-capped), and every
artifact path must stay inside the bundle folder — no absolute paths, no ``..``, no symlink that
leads out — so a check can never be pointed at ``/etc/shadow`` of the machine running brokersec.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path, PurePosixPath, PureWindowsPath

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from brokersec.errors import InputError, Problem
from brokersec.yamlio import nearest_line, pydantic_problems, read_yaml

BUNDLE_FILE = "bundle.yaml"

# type -> what it is; the single list both bundle validation and the docs use.
ARTIFACT_TYPES: dict[str, str] = {
    "linux.login_defs": "/etc/login.defs",
    "linux.pwquality": "/etc/security/pwquality.conf",
    "linux.faillock": "/etc/security/faillock.conf",
    "linux.pam": "a PAM stack file such as /etc/pam.d/common-auth or system-auth",
    "linux.shadow": "/etc/shadow",
    "linux.sshd_config": "/etc/ssh/sshd_config",
    "linux.auth_log": "/var/log/auth.log or /var/log/secure",
    "windows.secedit": "secedit /export /cfg policy.inf (UTF-16 INF)",
    "app.password_policy": "an application's password policy as YAML",
    "app.users_csv": "an application's user table export (username, password hash)",
    "app.accounts_csv": "an application's account list (CSV)",
    "ad.users_csv": "Get-ADUser ... | Export-Csv",
    "ad.users_ldif": "ldifde / ldapsearch LDIF export of user objects",
    "hr.roster_csv": "the HR roster (CSV)",
    "auth.privileged_logins_csv": "privileged-session log from a PAM/bastion system (CSV)",
    "approvals_csv": "approvals for privileged-account use (CSV)",
    "idp.signins_csv": "identity-provider sign-in log (CSV)",
    "training_csv": "training records (CSV)",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ArtifactSpec(_Strict):
    type: str
    path: str = Field(min_length=1)
    subject: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)
    encoding: str | None = None

    @field_validator("type")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in ARTIFACT_TYPES:
            raise ValueError(f"unknown artifact type {v!r}; known: {', '.join(ARTIFACT_TYPES)}")
        return v

    @field_validator("encoding")
    @classmethod
    def _codec(cls, v: str | None) -> str | None:
        import codecs

        if v is not None:
            try:
                codecs.lookup(v)
            except LookupError:
                raise ValueError(f"unknown encoding {v!r} (e.g. utf-8, utf-16, cp950, big5)") from None
        return v


class DocumentSpec(_Strict):
    """A document a person uploaded as evidence, for the freshness check."""

    item: str
    date: dt.date
    title: str = ""
    path: str | None = None


class BundleSpec(_Strict):
    as_of: dt.date | None = None
    artifacts: list[ArtifactSpec] = Field(default_factory=list)
    documents: list[DocumentSpec] = Field(default_factory=list)
    internal_networks: list[str] = Field(default_factory=lambda: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"])
    admin_accounts: list[str] = Field(default_factory=list)
    service_accounts: list[str] = Field(default_factory=list)
    security_staff: list[str] = Field(default_factory=list)
    security_departments: list[str] = Field(default_factory=list)

    @field_validator("internal_networks")
    @classmethod
    def _networks(cls, v: list[str]) -> list[str]:
        for net in v:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError:
                raise ValueError(f"{net!r} is not a network like 10.0.0.0/8") from None
        return v


class Artifact(BaseModel):
    """An artifact resolved against the bundle folder; ``file`` is safe to open."""

    model_config = ConfigDict(frozen=True)

    index: int
    type: str
    path: str
    file: Path
    subject: str
    columns: dict[str, str]
    encoding: str | None
    line: int | None = None


class Document(BaseModel):
    model_config = ConfigDict(frozen=True)

    item: str
    date: dt.date
    title: str
    file: Path | None
    line: int | None = None


class Bundle(BaseModel):
    model_config = ConfigDict(frozen=True)

    root: Path
    as_of: dt.date
    artifacts: list[Artifact]
    documents: list[Document]
    internal_networks: list[str]
    admin_accounts: list[str]
    service_accounts: list[str]
    security_staff: list[str]
    security_departments: list[str]
    source: str = ""


def load_bundle(folder: str | Path, *, today: dt.date | None = None) -> Bundle:
    """Read and validate ``bundle.yaml`` in ``folder`` (or the file itself); raise ``InputError``."""
    folder = Path(folder)
    yaml_path = folder if folder.is_file() else folder / BUNDLE_FILE
    if not folder.exists():
        raise InputError(Problem("bundle folder not found", file=str(folder)))
    data, lines = read_yaml(yaml_path)
    name = str(yaml_path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InputError(Problem("bundle.yaml must be a mapping with 'artifacts'", file=name, line=1))
    try:
        spec = BundleSpec.model_validate(data)
    except ValidationError as exc:
        raise InputError(pydantic_problems(exc, name, lines)) from None
    root = yaml_path.parent.resolve()
    problems: list[Problem] = []
    artifacts: list[Artifact] = []
    for i, art in enumerate(spec.artifacts):
        where = ("artifacts", i, "path")
        try:
            file = safe_path(root, art.path)
        except ValueError as exc:
            problems.append(Problem(str(exc), file=name, line=nearest_line(lines, where), field=f"artifacts[{i}].path"))
            continue
        artifacts.append(
            Artifact(
                index=i,
                type=art.type,
                path=art.path,
                file=file,
                subject=art.subject or _default_subject(art.path),
                columns=art.columns,
                encoding=art.encoding,
                line=nearest_line(lines, ("artifacts", i)),
            )
        )
    documents: list[Document] = []
    for i, doc in enumerate(spec.documents):
        file = None
        if doc.path is not None:
            try:
                file = safe_path(root, doc.path)
            except ValueError as exc:
                problems.append(
                    Problem(
                        str(exc),
                        file=name,
                        line=nearest_line(lines, ("documents", i, "path")),
                        field=f"documents[{i}].path",
                    )
                )
                continue
        documents.append(
            Document(
                item=doc.item, date=doc.date, title=doc.title, file=file, line=nearest_line(lines, ("documents", i))
            )
        )
    if problems:
        raise InputError(problems)
    return Bundle(
        root=root,
        as_of=spec.as_of or today or dt.date.today(),
        artifacts=artifacts,
        documents=documents,
        internal_networks=spec.internal_networks,
        admin_accounts=spec.admin_accounts,
        service_accounts=spec.service_accounts,
        security_staff=spec.security_staff,
        security_departments=spec.security_departments,
        source=name,
    )


def safe_path(root: Path, rel: str) -> Path:
    """``rel`` resolved under ``root``; ``ValueError`` if it is absolute, uses ``..`` or escapes by symlink."""
    if "\x00" in rel:
        raise ValueError("path contains a NUL byte")
    if PurePosixPath(rel).is_absolute() or PureWindowsPath(rel).is_absolute() or PureWindowsPath(rel).drive:
        raise ValueError(f"path {rel!r} is absolute; give it relative to the bundle folder")
    parts = PurePosixPath(rel.replace("\\", "/")).parts
    if ".." in parts:
        raise ValueError(f"path {rel!r} uses '..'; artifacts must stay inside the bundle folder")
    resolved = (root / Path(*parts)).resolve()
    if not resolved.is_relative_to(root):
        raise ValueError(f"path {rel!r} leads outside the bundle folder (through a symlink) to {resolved}")
    return resolved


def _default_subject(path: str) -> str:
    parts = PurePosixPath(path.replace("\\", "/")).parts
    return parts[0] if len(parts) > 1 else PurePosixPath(path).stem


def problems_against(bundle: Bundle, catalog_items: set[str], name: str) -> list[Problem]:
    """Bundle references the catalog cannot resolve (document items); checked once a catalog is chosen."""
    out: list[Problem] = []
    for i, doc in enumerate(bundle.documents):
        if doc.item not in catalog_items:
            out.append(
                Problem(f"no item {doc.item!r} in the catalog", file=name, line=doc.line, field=f"documents[{i}].item")
            )
    return out
