"""How a build is given a secret, as Docker's ``--secret`` gives one: never as plain text.

A build argument is plain text everywhere it goes: in the CodeBuild project's PLAINTEXT
variables (readable with ``BatchGetBuilds`` long after the build, by anyone allowed it on
``build/*``), in the image's history, in the local record. A secret instead reaches the
Dockerfile's ``RUN --mount=type=secret,id=ID`` through a CodeBuild variable of type
``PARAMETER_STORE`` or ``SECRETS_MANAGER``, which CodeBuild resolves itself with the build's role
(so only a name or an ARN is in the project), then BuildKit's ``--secret id=ID,env=VAR``:

- ``id=ID,src=ARN`` — an AWS Secrets Manager secret (its whole ARN);
- ``id=ID,src=NAME`` — a Parameter Store parameter (SecureString or not);
- ``id=ID,env=VAR`` (or ``id=ID`` alone, VAR = ID, as buildx reads it) — a variable of the
  environment the build starts from: its value is put in a SecureString parameter named for the
  build's project, which CodeBuild resolves, and deleted with the project when the build ends.

The spec is Docker's comma-separated ``key=value`` form, the same on every surface (the
command line's ``--secret``, REST's ``secrets`` list, the magic).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from ..aws import grammar
from ..errors import BadInput

# A mount's id is one word of the Dockerfile's --mount option: no commas, no spaces.
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
_ENV = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
MAX_SECRETS = 20
# Parameter Store's standard tier holds 4 KB (PutParameter: "Standard parameters have a value
# limit of 4 KB"); a larger secret belongs in Secrets Manager.
MAX_ENV_SECRET_BYTES = 4096
# Names of build arguments that, by their name, carry a secret.
_SECRET_WORDS = re.compile(
    r"(TOKEN|PASSWORD|PASSWD|SECRET|(?<![A-Z])KEY(?![A-Z])|APIKEY|CREDENTIAL|AUTH|PRIVATE)",
)

Kind = Literal["env", "ssm", "secretsmanager"]


@dataclass(frozen=True)
class Secret:
    id: str
    kind: Kind
    source: str  # the environment variable, the parameter name, or the secret ARN

    @property
    def codebuild_type(self) -> str:
        return "SECRETS_MANAGER" if self.kind == "secretsmanager" else "PARAMETER_STORE"


def parse_secret(spec: str) -> Secret:
    """One ``--secret`` value; BadInput naming ``secrets`` for anything else."""
    fields: dict[str, str] = {}
    for part in spec.split(","):
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or key not in ("id", "env", "src", "source", "type") or key in fields:
            raise BadInput(
                f"{grammar.shown(spec)} is not a secret: write id=ID,env=VARIABLE or "
                "id=ID,src=SECRET-ARN-OR-PARAMETER-NAME.",
                field="secrets",
            )
        fields["src" if key == "source" else key] = value
    ident = fields.get("id", "")
    if not _ID.fullmatch(ident):
        raise BadInput(
            f"{grammar.shown(ident)} is not a secret id: letters, digits and _ . -, as the "
            "Dockerfile's --mount=type=secret,id=ID names it.",
            field="secrets",
        )
    kind = fields.get("type")
    if kind not in (None, "env") or ("env" in fields and "src" in fields):
        raise BadInput(
            f"The secret {ident} must come from one place: env=VARIABLE, or src= a Secrets "
            "Manager ARN or a Parameter Store name (a local file is not uploaded).",
            field="secrets",
        )
    if "src" in fields:
        source = fields["src"]
        if source.startswith("arn:"):
            return Secret(ident, "secretsmanager", grammar.check_secret_arn(source))
        return Secret(ident, "ssm", grammar.check_parameter_name(source))
    variable = fields.get("env") or ident
    if not _ENV.fullmatch(variable):
        raise BadInput(
            f"{grammar.shown(variable)} is not an environment variable name.", field="secrets"
        )
    return Secret(ident, "env", variable)


def parse_secrets(specs: tuple[str, ...]) -> tuple[Secret, ...]:
    if len(specs) > MAX_SECRETS:
        raise BadInput(f"A build takes at most {MAX_SECRETS} secrets.", field="secrets")
    parsed = tuple(parse_secret(spec) for spec in specs)
    ids = [s.id for s in parsed]
    for ident in ids:
        if ids.count(ident) > 1:
            raise BadInput(f"The secret id {ident} is given twice.", field="secrets")
    return parsed


def env_value(secret: Secret, environ: dict[str, str]) -> str:
    """The value of an ``env=`` secret, from the environment the build starts from."""
    value = environ.get(secret.source)
    if value is None:
        raise BadInput(
            f"The secret {secret.id} takes its value from the environment variable "
            f"{secret.source}, which is not set here.",
            "Set it where the build starts (the terminal, the kernel or the server), or give "
            "the secret from Secrets Manager or Parameter Store with src=.",
            field="secrets",
        )
    if not value or len(value.encode()) > MAX_ENV_SECRET_BYTES:
        raise BadInput(
            f"The secret {secret.id} from {secret.source} is "
            + ("empty" if not value else f"over {MAX_ENV_SECRET_BYTES:,} bytes")
            + ": Parameter Store's standard tier takes 1 to 4,096.",
            "Keep a larger secret in Secrets Manager and give it with src=ARN.",
            field="secrets",
        )
    return value


def looks_secret(name: str) -> bool:
    """A build argument whose name says it holds a secret (GITHUB_TOKEN, DB_PASSWORD...)."""
    return bool(_SECRET_WORDS.search(name.upper()))
