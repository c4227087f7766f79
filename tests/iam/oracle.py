"""Client for the differential-testing oracle in ``tools/iam-oracle`` (a node process).

The oracle runs ``@cloud-copilot/iam-simulate`` (AGPL-3.0) as a separate development-time
process: it is installed under ``tools/``, outside the package, and never shipped or copied.
One process is started per test session and spoken to in JSON lines (see ``oracle.mjs``).

``known_divergence`` recognises exactly the divergences listed in ``docs/iam-divergences.md``;
the differential tests accept those and nothing else.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
ORACLE_DIR = REPO / "tools" / "iam-oracle"
SCRIPT = ORACLE_DIR / "oracle.mjs"
MARKER = ORACLE_DIR / "node_modules" / "@cloud-copilot" / "iam-simulate" / "package.json"

Json = dict[str, Any]


class OracleError(RuntimeError):
    """The oracle could not be installed or started, or died."""


@dataclass(frozen=True)
class OracleAnswer:
    result: str | None  # "allowed" | "implicit_deny" | "explicit_deny" | None on error
    result_type: str  # "single" | "wildcard" | "error"
    error: str | None
    ignored_context_keys: tuple[str, ...]

    @property
    def usable(self) -> bool:
        """A single, error-free decision that saw every context key it was given."""
        return (
            self.result is not None
            and self.result_type == "single"
            and not self.error
            and not self.ignored_context_keys
        )


def _jlpm() -> str:
    found = shutil.which("jlpm")
    if found:
        return found
    beside_python = Path(sys.executable).parent / "jlpm"
    if beside_python.exists():
        return str(beside_python)
    raise OracleError("jlpm not found: install the project's dev environment (scripts/setup)")


def ensure_installed() -> None:
    """Install the oracle's node_modules from its lockfile when they are missing."""
    if MARKER.exists():
        return
    if shutil.which("node") is None:
        raise OracleError("node is required for the IAM differential tests and was not found")
    done = subprocess.run(
        [_jlpm(), "install", "--immutable"],
        cwd=ORACLE_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 or not MARKER.exists():
        raise OracleError(
            f"`jlpm install --immutable` in {ORACLE_DIR} failed:\n{done.stdout}\n{done.stderr}"
        )


class Oracle:
    """One long-lived ``node oracle.mjs`` process; requests and answers are JSON lines."""

    def __init__(self) -> None:
        ensure_installed()
        node = shutil.which("node")
        if node is None:
            raise OracleError("node is required for the IAM differential tests and was not found")
        self._proc = subprocess.Popen(
            [node, str(SCRIPT)],
            cwd=ORACLE_DIR,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            bufsize=1,
            env={**os.environ, "NODE_NO_WARNINGS": "1"},
        )
        self._lock = threading.Lock()
        self._next_id = 0
        self._stderr: list[str] = []
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        pong = self._exchange([{"cmd": "ping"}])[0]
        if not pong.get("pong"):
            raise OracleError(f"oracle did not answer ping: {pong}")

    def _drain_stderr(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self._stderr.append(line)

    def _exchange(self, messages: Sequence[Json]) -> list[Json]:
        """Send every message, then read one answer per message (the oracle answers in order)."""
        assert self._proc.stdin is not None and self._proc.stdout is not None
        with self._lock:
            ids = []
            payload = []
            for message in messages:
                self._next_id += 1
                ids.append(self._next_id)
                payload.append(json.dumps({**message, "id": self._next_id}))
            try:
                self._proc.stdin.write("\n".join(payload) + "\n")
                self._proc.stdin.flush()
            except BrokenPipeError as err:
                raise OracleError(f"oracle died: {''.join(self._stderr)}") from err
            answers = []
            for expected in ids:
                line = self._proc.stdout.readline()
                if not line:
                    raise OracleError(f"oracle died: {''.join(self._stderr)}")
                answer: Json = json.loads(line)
                if answer.get("id") != expected:
                    raise OracleError(f"oracle answered {answer.get('id')} for {expected}")
                answers.append(answer)
            return answers

    def ask_many(self, cases: Iterable[Mapping[str, Any]]) -> list[OracleAnswer]:
        return [
            OracleAnswer(
                result=a.get("result"),
                result_type=str(a.get("result_type")),
                error=a.get("error"),
                ignored_context_keys=tuple(a.get("ignored_context_keys") or ()),
            )
            for a in self._exchange([dict(c) for c in cases])
        ]

    def ask(self, case: Mapping[str, Any]) -> OracleAnswer:
        return self.ask_many([case])[0]

    def bench(self, cases: Sequence[Mapping[str, Any]], *, rounds: int, warmup: int = 5) -> Json:
        """Time iam-simulate on ``cases`` inside node (no process start or IPC in the timing)."""
        message = {"cmd": "bench", "cases": [dict(c) for c in cases], "rounds": rounds}
        return self._exchange([{**message, "warmup": warmup}])[0]

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin is not None
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()


_shared: Oracle | None = None


def shared_oracle() -> Oracle:
    """The session's oracle process, started on first use and stopped at exit."""
    global _shared
    if _shared is None:
        _shared = Oracle()
        atexit.register(_shared.close)
    return _shared


# --- Known divergences (docs/iam-divergences.md) ---------------------------------------------

_VARIABLE_VERSION = "2012-10-17"


def _documents(case: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    docs: list[Mapping[str, Any]] = list(case.get("identity_policies") or [])
    for level in case.get("scps") or []:
        docs.extend(level)
    for key in ("boundary", "resource_policy", "session_policy"):
        if case.get(key):
            docs.append(case[key])
    return docs


def _has_variable(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, Mapping):
        return any(_has_variable(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_variable(v) for v in value)
    return False


def variables_in_old_version(case: Mapping[str, Any]) -> bool:
    """D1: a document without ``"Version": "2012-10-17"`` uses ``${...}``. AWS treats the text
    literally there; iam-simulate substitutes it anyway."""
    return any(
        doc.get("Version") != _VARIABLE_VERSION and _has_variable(doc.get("Statement"))
        for doc in _documents(case)
        if isinstance(doc, Mapping)
    )


def _conditions(case: Mapping[str, Any]) -> Iterable[tuple[str, str, list[str]]]:
    """(operator, key, values as text) of every condition in every document of the case."""
    for doc in _documents(case):
        statements = doc.get("Statement") if isinstance(doc, Mapping) else None
        if isinstance(statements, Mapping):
            statements = [statements]
        for statement in statements or []:
            for operator, block in (statement.get("Condition") or {}).items():
                for key, values in block.items():
                    listed = values if isinstance(values, list) else [values]
                    yield operator, key, [str(v) for v in listed]


def _context(case: Mapping[str, Any]) -> dict[str, Any]:
    return {k.lower(): v for k, v in (case["request"].get("context") or {}).items()}


_DATE_OPERATORS = ("dateequals", "datenotequals", "datelessthan", "dategreaterthan")


def _date_values(case: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
    """(condition value, request value) pairs of every Date* condition in the case."""
    context = _context(case)
    for operator, key, values in _conditions(case):
        if not operator.split(":")[-1].lower().startswith(_DATE_OPERATORS):
            continue
        request_value = context.get(key.lower())
        if request_value is None:
            continue
        request_values = request_value if isinstance(request_value, list) else [request_value]
        for p in values:
            for r in request_values:
                yield p, str(r)


def _is_epoch(text: str) -> bool:
    return text.lstrip("-").isdigit()


def date_epoch_mixed_with_iso(case: Mapping[str, Any]) -> bool:
    """D2: a Date* condition compares an epoch value with an ISO 8601 one. AWS accepts either
    form on both sides; iam-simulate compares epoch *seconds* against ISO *milliseconds*."""
    return any(_is_epoch(p) != _is_epoch(r) for p, r in _date_values(case))


def if_exists_under_for_any_value_with_key_absent(case: Mapping[str, Any]) -> bool:
    """D3: ``ForAnyValue:...IfExists`` on a key the request does not carry. AWS: with IfExists
    "if the key is not present, evaluate the condition element as true"; iam-simulate applies
    ForAnyValue's missing-key rule (false) and ignores IfExists."""
    context = _context(case)
    return any(
        operator.lower().startswith("foranyvalue:")
        and operator.lower().endswith("ifexists")
        and key.lower() not in context
        for operator, key, _values in _conditions(case)
    )


def cidr_with_prefix_zero(case: Mapping[str, Any]) -> bool:
    """D4: an IpAddress/NotIpAddress value with prefix length 0 (``0.0.0.0/0``) tested against an
    IPv4 address. The block contains every address (RFC 4632); iam-simulate matches none."""
    context = _context(case)
    for operator, key, values in _conditions(case):
        if "ipaddress" not in operator.lower():
            continue
        if not any(v.strip().endswith("/0") for v in values):
            continue
        request_value = context.get(key.lower())
        listed = request_value if isinstance(request_value, list) else [request_value]
        if any(isinstance(v, str) and v.count(".") == 3 for v in listed):
            return True
    return False


def variable_in_arn_condition_prefix(case: Mapping[str, Any]) -> bool:
    """D5: an Arn* condition value with a policy variable before the resource segment, e.g.
    ``arn:aws:codebuild:*:${aws:SourceAccount}:project/*``. AWS compares ARNs segment by segment
    after substitution; iam-simulate splits the value at every ``:``, including the one inside
    ``${aws:SourceAccount}``, and so compares the wrong segments."""
    for operator, _key, values in _conditions(case):
        if not operator.split(":")[-1].lower().startswith("arn"):
            continue
        for value in values:
            at = value.find("${")
            if at >= 0 and value[:at].count(":") < 5:
                return True
    return False


def bare_address_of_other_family_in_not_ip(case: Mapping[str, Any]) -> bool:
    """D6: ``NotIpAddress`` with a single address (no ``/prefix``) of one IP version against a
    request address of the other. AWS: the address is not that one, so the condition is true;
    iam-simulate makes it false."""
    context = _context(case)
    for operator, key, values in _conditions(case):
        if "notipaddress" not in operator.lower():
            continue
        request_value = context.get(key.lower())
        listed = request_value if isinstance(request_value, list) else [request_value]
        for value in values:
            if "/" in value:
                continue
            if any(isinstance(r, str) and (":" in r) != (":" in value) for r in listed):
                return True
    return False


def _not_resources(case: Mapping[str, Any]) -> Iterable[tuple[Mapping[str, Any], str]]:
    """(document, entry) of every NotResource entry in every document of the case."""
    for doc in _documents(case):
        statements = doc.get("Statement") if isinstance(doc, Mapping) else None
        if isinstance(statements, Mapping):
            statements = [statements]
        for statement in statements or []:
            entries = statement.get("NotResource")
            for entry in [entries] if isinstance(entries, str) else entries or []:
                yield doc, entry


def _glob(pattern: str, text: str, *, ignore_case: bool) -> bool:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.fullmatch(regex, text, flags) is not None


def _prefix_matches(pattern_parts: Sequence[str], arn_parts: Sequence[str]) -> bool:
    """Partition, service, region and account, each a case-insensitive glob."""
    return all(_glob(pattern_parts[i], arn_parts[i], ignore_case=True) for i in range(1, 5))


def _resource_type_prefix(parts: Sequence[str]) -> str:
    """The resource-type prefix of a pattern's resource part ("repository/", "log-group:"; none
    for S3), which iam-simulate compares literally before it looks at the resource id."""
    resource = ":".join(parts[5:])
    if parts[2] == "s3" and parts[3] == "" and parts[4] == "":
        return ""
    cuts = [i for i in (resource.find("/"), resource.find(":")) if i >= 0]
    return resource[: min(cuts) + 1] if cuts else ""


def _variables_without_value(entry: str, context: Mapping[str, Any]) -> bool:
    """A ``${key}`` in the resource part of ``entry`` (after its fifth colon) whose key the
    request lacks and that has no default."""
    resource_part = entry.split(":", 5)[5] if entry.count(":") >= 5 else ""
    for body in re.findall(r"\$\{([^}]*)\}", resource_part):
        if body in ("*", "?", "$") or "," in body:
            continue
        if body.strip().lower() not in context:
            return True
    return False


def not_resource_variable_without_value(case: Mapping[str, Any]) -> bool:
    """D7: a NotResource entry (Version 2012-10-17) with a variable in its resource part whose
    key the request lacks, no default, and every ARN segment before the resource id like the
    request's. AWS: "the resource that includes a policy variable with no value will not match
    any resource", so NotResource covers the request and the statement applies; iam-simulate
    does not invert that mismatch (``unresolvablePolicyVariable``) and drops the statement."""
    resource = case["request"]["resource"]
    arn_parts = resource.split(":", 5)
    if len(arn_parts) != 6:
        return False
    context = _context(case)
    for doc, entry in _not_resources(case):
        if doc.get("Version") != _VARIABLE_VERSION or not isinstance(entry, str):
            continue
        parts = entry.split(":")
        if len(parts) < 6 or not _variables_without_value(entry, context):
            continue
        if _prefix_matches(parts, arn_parts) and arn_parts[5].startswith(
            _resource_type_prefix(parts)
        ):
            return True
    return False


def short_not_resource_that_misses(case: Mapping[str, Any]) -> bool:
    """D8: a NotResource entry of fewer than six segments with a ``*`` (``arn:aws:sagemaker:
    us-east-1:1234*``) that does not match the request's resource: another ARN, neither as a
    glob across the colons nor padded with ``*`` segments, or the ``*`` of an action without
    resource types. AWS: NotResource covers the request, the statement applies; iam-simulate
    pads the pattern and does not invert the mismatch (``shortArnExpandedMismatch``), so the
    statement does not apply."""
    resource = case["request"]["resource"]
    arn_parts = resource.split(":", 5)
    if len(arn_parts) != 6 and resource != "*":
        return False
    for _doc, entry in _not_resources(case):
        if not isinstance(entry, str) or "*" not in entry or "${" in entry:
            continue
        parts = entry.split(":")
        if len(parts) >= 6 or parts[0].lower() != "arn":
            continue
        if resource == "*":
            return True
        padded = [*parts, *["*"] * (6 - len(parts))]
        if _prefix_matches(padded, arn_parts) and _glob(padded[5], arn_parts[5], ignore_case=False):
            continue
        if not _glob(entry, resource, ignore_case=True):
            return True
    return False


KNOWN_DIVERGENCES = {
    "D1": variables_in_old_version,
    "D2": date_epoch_mixed_with_iso,
    "D3": if_exists_under_for_any_value_with_key_absent,
    "D4": cidr_with_prefix_zero,
    "D5": variable_in_arn_condition_prefix,
    "D6": bare_address_of_other_family_in_not_ip,
    "D7": not_resource_variable_without_value,
    "D8": short_not_resource_that_misses,
}


def known_divergence(case: Mapping[str, Any]) -> str | None:
    """The id of the documented divergence this case falls under, or None."""
    for name, applies in KNOWN_DIVERGENCES.items():
        if applies(case):
            return name
    return None
