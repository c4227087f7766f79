"""The lifecycle configuration script that installs sm-studio-setup at every start of a space.

A Studio JupyterLab or Code Editor space is rebuilt from its image at every start; only
``/home/sagemaker-user`` persists, so a ``pip install`` of the extension is gone the next day.
AWS's way to install something that lasts is a lifecycle configuration: a bash script Studio
runs at each start (docs/ADMINISTRATORS.md). This module writes that script.

What the script does, and why:

- installs ``sm-studio-setup==<version>`` (pinned: every space of the domain gets the version
  the administrator chose) into the environment the Jupyter server runs in. In SageMaker
  Distribution images that is the base environment ``/opt/conda``; ``SM_STUDIO_SETUP_CONDA_PREFIX``
  names another (a test's stand-in virtualenv, an image of one's own);
- from PyPI (or an index of the administrator's), from a CodeArtifact repository (a token from
  ``aws codeartifact get-authorization-token`` that travels in pip's environment only: never
  on a command line, never in the log), or from a wheelhouse on S3 (``aws s3 sync``, then
  ``pip install --no-index``), for domains without internet access;
- JupyterLab: enables the server extension and restarts the Jupyter server
  (``restart-jupyter-server``, SageMaker Distribution's) so that it loads it. Code Editor runs
  no Jupyter server: the command line and the ``%sm_setup`` magic are what it gets;
- logs each step with a timestamp (Studio sends the output to CloudWatch Logs) and does
  nothing heavy when the version is already there, so running it twice is harmless;
- keeps within Studio's 5 minutes: every step that waits on the network runs under
  ``timeout`` with what is left of a 270-second budget, and fails saying which step hung;
- never keeps a space from starting: whether a failing script does is not documented for
  JupyterLab and Code Editor spaces (docs/aws-behaviours.md, unconfirmed), so a failure is
  logged as ``ERROR`` and the script still exits 0.

Every value is put into the script once, at the top, through ``shlex.quote``; the body only
reads the variables, double-quoted. The values are also checked against AWS's grammar where
they enter (``service/options.py``); this module refuses what no quoting makes a value (a NUL)
and a version that is not one. The script's base64 form must fit CreateStudioLifecycleConfig's
16,384 characters.

Pure: no boto3, no I/O.
"""

from __future__ import annotations

import base64
import re
import shlex
from dataclasses import dataclass
from typing import Literal

LifecycleAppType = Literal["JupyterLab", "CodeEditor"]
LIFECYCLE_APP_TYPES: tuple[LifecycleAppType, ...] = ("JupyterLab", "CodeEditor")
# botocore's sagemaker model, StudioLifecycleConfigContent: 1 to 16,384 characters, and the
# API takes the script base64-encoded.
MAX_CONTENT = 16_384
# Studio stops a lifecycle configuration after 5 minutes; the script's own steps share a
# shorter budget, so that the server's restart still fits.
TIME_LIMIT_SECONDS = 300
BUDGET_SECONDS = 270
PREFIX_VARIABLE = "SM_STUDIO_SETUP_CONDA_PREFIX"
DEFAULT_PREFIX = "/opt/conda"
PACKAGE = "sm-studio-setup"
MODULE = "sm_studio_setup"
# PEP 440 versions as this project publishes them (a local label for a build of one's own).
_VERSION = re.compile(
    r"[0-9]+(?:\.[0-9]+)*(?:(?:a|b|rc)[0-9]+)?(?:\.post[0-9]+)?(?:\.dev[0-9]+)?"
    r"(?:\+[a-z0-9]+(?:\.[a-z0-9]+)*)?"
)


@dataclass(frozen=True)
class PyPI:
    """PyPI, or the index at ``index_url`` (a mirror of PyPI)."""

    index_url: str | None = None
    kind: Literal["pypi"] = "pypi"


@dataclass(frozen=True)
class CodeArtifact:
    """A CodeArtifact repository's pip endpoint (CodeArtifact User Guide, "Configure and use
    pip with CodeArtifact"): ``https://DOMAIN-OWNER.d.codeartifact.REGION.amazonaws.com/pypi/
    REPOSITORY/simple/``."""

    domain: str
    owner: str  # the domain owner's account id
    repository: str
    region: str
    kind: Literal["codeartifact"] = "codeartifact"

    @property
    def endpoint(self) -> str:
        """The endpoint without its scheme, as it follows ``https://aws:TOKEN@``."""
        suffix = "amazonaws.com.cn" if self.region.startswith("cn-") else "amazonaws.com"
        return (
            f"{self.domain}-{self.owner}.d.codeartifact.{self.region}.{suffix}"
            f"/pypi/{self.repository}/simple/"
        )


@dataclass(frozen=True)
class S3Wheelhouse:
    """A folder of wheels on S3 (``sm-studio-setup lifecycle-config --wheelhouse`` makes it)."""

    bucket: str
    prefix: str = ""  # "" or ending with "/"
    kind: Literal["s3"] = "s3"

    @property
    def uri(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"


Source = PyPI | CodeArtifact | S3Wheelhouse


class ScriptError(ValueError):
    """What no script can be made of; ``field`` names the input as the service API does."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def default_name(app_type: str, version: str) -> str:
    """``sm-studio-setup-<app type>-<version>``: one name per app type (a lifecycle
    configuration has one) and per version (an upgrade is a new configuration, not a changed
    one), in StudioLifecycleConfigName's grammar and lower case."""
    words = re.sub(r"[^a-z0-9]+", "-", f"{PACKAGE}-{app_type}-{version}".lower()).strip("-")
    return words[:63].rstrip("-")


def encoded(script: str) -> str:
    """The script as StudioLifecycleConfigContent takes it (and ``openssl base64 -A`` writes
    it): base64 of its UTF-8 bytes, on one line."""
    return base64.b64encode(script.encode("utf-8")).decode("ascii")


def lifecycle_script(
    version: str, app_type: str = "JupyterLab", source: Source | None = None
) -> str:
    """The bash script of a lifecycle configuration of ``app_type`` that installs
    ``sm-studio-setup==version`` from ``source`` (PyPI when None)."""
    source = source or PyPI()
    if not _VERSION.fullmatch(version):
        raise ScriptError("version", f"{version!r} is not a version of {PACKAGE}")
    if app_type not in LIFECYCLE_APP_TYPES:
        raise ScriptError(
            "app_type", f"{app_type!r} takes no lifecycle configuration of this tool's"
        )
    for value in _values(source):
        if "\0" in value:
            raise ScriptError(source.kind, "a value holds a NUL character, which bash cannot")
    jupyter = app_type == "JupyterLab"
    lines = [
        *_header(version, app_type, source),
        *_prologue(version, source, jupyter),
        *_install(source, jupyter),
        *(_enable() if jupyter else _code_editor()),
        'log "Done."',
    ]
    script = "\n".join(lines) + "\n"
    size = len(encoded(script))
    if size > MAX_CONTENT:
        raise ScriptError(
            source.kind,
            f"the script is {size:,} characters in base64, over the {MAX_CONTENT:,} "
            "CreateStudioLifecycleConfig takes",
        )
    return script


def _values(source: Source) -> list[str]:
    if isinstance(source, PyPI):
        return [source.index_url] if source.index_url else []
    if isinstance(source, CodeArtifact):
        return [source.domain, source.owner, source.repository, source.region]
    return [source.bucket, source.prefix]


def _q(value: str) -> str:
    return shlex.quote(value)


_WHERE = {
    "pypi": "PyPI",
    "codeartifact": "a CodeArtifact repository",
    "s3": "a wheelhouse on S3",
}


def _header(version: str, app_type: str, source: Source) -> list[str]:
    # No value of the source here: a comment ends at a line break, so only fixed words and
    # the checked version go into one.
    return [
        "#!/bin/bash",
        # The values below are single-quoted so that nothing in them expands: on purpose.
        "# shellcheck disable=SC2016",
        f"# {PACKAGE} {version}: a Studio {app_type} lifecycle configuration, made by",
        f"# `{PACKAGE} lifecycle-config`. At every start of a space it installs {PACKAGE}",
        f"# {version} from {_WHERE[source.kind]} into the environment of the "
        + ("Jupyter server" if app_type == "JupyterLab" else "default kernel")
        + " (only",
        "# /home/sagemaker-user persists: the rest is rebuilt from the image).",
        "# Its output is in CloudWatch Logs, group /aws/sagemaker/studio, stream",
        f"# <domain>/<space>/{app_type}/default/LifecycleConfigOnStart. Studio stops it after",
        "# 5 minutes, so every step that waits on the network has a time limit.",
        "set -euo pipefail",
        "",
    ]


def _prologue(version: str, source: Source, jupyter: bool) -> list[str]:
    values = [f"VERSION={_q(version)}"]
    if isinstance(source, PyPI) and source.index_url:
        values.append(f"INDEX_URL={_q(source.index_url)}")
    elif isinstance(source, CodeArtifact):
        values += [
            f"CA_DOMAIN={_q(source.domain)}",
            f"CA_OWNER={_q(source.owner)}",
            f"CA_REGION={_q(source.region)}",
            f"CA_ENDPOINT={_q(source.endpoint)}",
        ]
    elif isinstance(source, S3Wheelhouse):
        values.append(f"WHEELHOUSE_URI={_q(source.uri)}")
    return [
        *values,
        f'PREFIX="${{{PREFIX_VARIABLE}:-{DEFAULT_PREFIX}}}"',
        'PYTHON="$PREFIX/bin/python"',
        f"DEADLINE=$((SECONDS + {BUDGET_SECONDS}))",
        "",
        "log() {",
        '  printf \'%s sm-studio-setup: %s\\n\' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*"',
        "}",
        "",
        "# A failing lifecycle configuration may keep the space from starting (Studio's",
        "# behaviour is not documented for JupyterLab and Code Editor spaces): a failed install",
        "# is logged and the space starts without the extension, never locked.",
        "fail() {",
        '  log "ERROR: $*" >&2',
        '  log "The space starts without sm-studio-setup $VERSION." >&2',
        "  exit 0",
        "}",
        'trap \'status=$?; if [ "$status" -ne 0 ]; then log "ERROR: a step failed with '
        "exit status $status; the space starts without sm-studio-setup.\" >&2; fi; exit 0' EXIT",
        "",
        "# Runs a command within what is left of the time budget; says which step hung or failed.",
        "within() {",
        "  local what=$1",
        "  shift",
        "  local left=$((DEADLINE - SECONDS))",
        '  if [ "$left" -le 5 ]; then',
        '    fail "no time left for $what: Studio stops lifecycle configurations after 5 minutes"',
        "  fi",
        "  local status=0",
        '  timeout "$left" "$@" || status=$?',
        '  if [ "$status" -eq 124 ]; then',
        '    fail "$what did not finish within $left s (is it reachable from this space?)"',
        '  elif [ "$status" -ne 0 ]; then',
        '    fail "$what failed with exit status $status"',
        "  fi",
        "}",
        "",
        'if [ ! -x "$PYTHON" ]; then',
        f'  fail "there is no Python at $PYTHON: set {PREFIX_VARIABLE} to the environment '
        'the Jupyter server runs in"',
        "fi",
        'PIP=("$PYTHON" -m pip install --disable-pip-version-check --no-input --progress-bar off)',
        f'found="$("$PYTHON" -c \'import importlib.metadata as m; print(m.version("{PACKAGE}"))\''
        ' 2>/dev/null || true)"',
        # Whether this run installed it, so the server is restarted only then.
        *(["fresh=0"] if jupyter else []),
        "",
        'if [ "$found" = "$VERSION" ]; then',
        f'  log "{PACKAGE} $VERSION is already installed in $PREFIX: nothing to install."',
        "else",
        f'  log "Installing {PACKAGE} $VERSION into $PREFIX (installed now: ${{found:-none}})."',
    ]


def _install(source: Source, jupyter: bool) -> list[str]:
    wanted = f'"{PACKAGE}==$VERSION"'
    if isinstance(source, PyPI):
        index = ' --index-url "$INDEX_URL"' if source.index_url else ""
        where = "$INDEX_URL" if source.index_url else "PyPI"
        body = [
            f'  log "From {where}."',
            f'  within "pip install" "${{PIP[@]}}"{index} {wanted}',
        ]
    elif isinstance(source, CodeArtifact):
        body = [
            "  if ! command -v aws >/dev/null 2>&1; then",
            '    fail "the AWS CLI is needed to reach CodeArtifact and is not on PATH"',
            "  fi",
            '  log "From CodeArtifact: $CA_ENDPOINT (a token for domain $CA_DOMAIN, owner '
            '$CA_OWNER)."',
            '  token="$(within "aws codeartifact get-authorization-token" aws codeartifact '
            'get-authorization-token --domain "$CA_DOMAIN" --domain-owner "$CA_OWNER" '
            '--region "$CA_REGION" --query authorizationToken --output text)"',
            "  # The token goes to pip in its environment only: not on a command line (ps shows",
            "  # those) and not in the log (pip masks the password of an index it names).",
            '  PIP_INDEX_URL="https://aws:${token}@${CA_ENDPOINT}" \\',
            f'    within "pip install" "${{PIP[@]}}" {wanted}',
            "  unset token",
        ]
    else:
        body = [
            "  if ! command -v aws >/dev/null 2>&1; then",
            '    fail "the AWS CLI is needed to copy the wheelhouse from S3 and is not on PATH"',
            "  fi",
            '  wheelhouse="$(mktemp -d)"',
            "  trap 'rm -rf \"$wheelhouse\"' EXIT",
            '  log "From the wheelhouse $WHEELHOUSE_URI."',
            '  within "aws s3 sync" aws s3 sync --only-show-errors "$WHEELHOUSE_URI" "$wheelhouse"',
            f'  within "pip install" "${{PIP[@]}}" --no-index --find-links "$wheelhouse" {wanted}',
        ]
    done = ["  fresh=1"] if jupyter else []
    return [*body, f'  log "Installed {PACKAGE} $VERSION."', *done, "fi", ""]


def _enable() -> list[str]:
    return [
        f'log "Enabling the server extension {MODULE}."',
        f'within "enabling the server extension" "$PYTHON" -m jupyter_server extension enable '
        f"--sys-prefix {MODULE}",
        'if [ "$fresh" = 1 ]; then',
        "  if command -v restart-jupyter-server >/dev/null 2>&1; then",
        '    log "Restarting the Jupyter server so that it loads the extension."',
        '    within "restart-jupyter-server" restart-jupyter-server',
        "  else",
        '    log "There is no restart-jupyter-server here (not a SageMaker Distribution image?): '
        'the server loads the extension at its next start."',
        "  fi",
        "fi",
    ]


def _code_editor() -> list[str]:
    # Code Editor runs no Jupyter server: nothing to enable or restart.
    return [
        f'log "Code Editor runs no Jupyter server: {PACKAGE} and %sm_setup are ready in the '
        'terminal and the notebooks."',
    ]
