"""One parser per artifact type; ``parse_artifact`` picks it from the type in bundle.yaml."""

from __future__ import annotations

from typing import Any

from brokersec.checks.bundle import Artifact
from brokersec.checks.engine import ArtifactError
from brokersec.checks.parsers import app_policy, app_users, keyvalue, login_defs, pam, secedit, shadow, sshd


def parse_artifact(artifact: Artifact) -> Any:
    """The parsed form of a small artifact; large tabular ones are read by their check through DuckDB."""
    f, enc = artifact.file, artifact.encoding
    if not f.exists():
        raise ArtifactError("file not found (listed in bundle.yaml)", file=str(f))
    match artifact.type:
        case "linux.login_defs":
            return login_defs.login_defs(f, enc)
        case "linux.pwquality" | "linux.faillock":
            return keyvalue.key_value_conf(f, enc)
        case "linux.pam":
            return pam.pam(f, enc)
        case "linux.shadow":
            return shadow.shadow(f, enc)
        case "linux.sshd_config":
            return sshd.sshd_config(f, enc)
        case "windows.secedit":
            return secedit.secedit(f, enc)
        case "app.password_policy":
            return app_policy.password_policy(f)
        case "app.users_csv":
            return app_users.users_csv(f, artifact.columns, enc)
    raise ArtifactError(f"no generic parser for {artifact.type}; its check reads it", file=str(f))
