"""Role snapshot: the trust policy, boundary and every policy of a role, in 3 round trips.

The reads form three independent chains, run concurrently:

- GetRole -> trust policy and boundary ARN -> GetPolicy(boundary) -> GetPolicyVersion
  (GetRole denied -> ListRoles, whose answer carries every role's trust policy, URL-encoded);
- ListRolePolicies (all pages) -> GetRolePolicy for each name, in parallel;
- ListAttachedRolePolicies (all pages) -> GetPolicy for each ARN (its DefaultVersionId), then
  GetPolicyVersion, each policy in parallel.

So the snapshot costs at most 3 sequential round trips (more only when a list has more than one
page). Every first read needs only the role's name, so the check starts them together with
sts:GetCallerIdentity, and GetRole (or ListRoles) also tells the role's ARN as IAM knows it, path
included. AccessDenied on any read is recorded in ``denied_reads`` and leaves that part None: the
check then falls back to the simulator or probes rather than failing.

One IAM client serves every thread: botocore clients are thread-safe, sessions are not.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, TypeVar
from urllib.parse import unquote

import boto3
import botocore.exceptions

from .session import is_access_denied, raw_policy_client, translate

CACHE_SECONDS = 30.0

T = TypeVar("T")


@dataclass(frozen=True)
class RoleSnapshot:
    # IAM's ARN of the role (from GetRole or ListRoles) when ``arn_from_iam``; otherwise the
    # ARN or name it was asked for, which the caller completes.
    role_arn: str
    trust_policy: dict[str, Any] | None
    trust_source: Literal["get-role", "list-roles"] | None
    boundary_arn: str | None  # None: no boundary, or GetRole denied (see denied_reads)
    boundary: dict[str, Any] | None
    inline: dict[str, dict[str, Any]] | None  # None: could not be read
    managed: dict[str, dict[str, Any]] | None  # policy ARN -> default version document
    denied_reads: tuple[str, ...]  # e.g. ("iam:GetRole", "iam:ListRolePolicies")
    # The documents exactly as IAM stores them (URL-decoded, not re-serialised): a backup
    # restores these bytes, and the fingerprint notices any edit, whitespace included.
    trust_text: str | None = None
    inline_text: dict[str, str] | None = None
    arn_from_iam: bool = False

    @property
    def policies_readable(self) -> bool:
        return self.inline is not None and self.managed is not None

    @property
    def boundary_known(self) -> bool:
        """Whether the boundary (or its absence) and its document were both read.

        ListRoles does not return PermissionsBoundary, so without GetRole it is unknown.
        """
        if "iam:GetRole" in self.denied_reads:
            return False
        return self.boundary_arn is None or self.boundary is not None

    @property
    def fingerprint(self) -> str:
        """Changes whenever anything a fix depends on changes: the trust policy, any inline
        policy, the attached policies or the boundary."""
        state = {
            "trust": self.trust_text,
            "inline": self.inline_text,
            # The documents, not only the ARNs: a new default version changes what they grant.
            "managed": self.managed,
            "boundary": [self.boundary_arn, self.boundary],
            "denied": list(self.denied_reads),
        }
        canonical = json.dumps(state, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class _Denied(Exception):
    def __init__(self, action: str) -> None:
        super().__init__(action)
        self.action = action


def policy_text(value: Any) -> str:
    """A policy document as IAM stores it. The API returns documents URL-encoded (RFC 3986);
    boto3 would parse them and lose the author's formatting, so the client used here keeps
    the text (``raw_policy_client``)."""
    if isinstance(value, str):
        return unquote(value)
    return json.dumps(value)


def parse_document(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("IAM returned a policy document that is not a JSON object")
    return dict(value)


def _document(value: Any) -> dict[str, Any]:
    return parse_document(policy_text(value))


def _call(action: str, doing: str, fn: Callable[[], T]) -> T:
    """Run one IAM read: AccessDenied becomes _Denied, anything else a SetupError."""
    try:
        return fn()
    except botocore.exceptions.ClientError as exc:
        if is_access_denied(exc):
            raise _Denied(action) from exc
        raise translate(exc, doing) from exc
    except botocore.exceptions.BotoCoreError as exc:
        raise translate(exc, doing) from exc


def role_name_of(role: str) -> str:
    """The name in a role ARN, ``path/name`` or bare name: what IAM's role APIs take."""
    return role.rsplit("/", 1)[-1]


class _Reader:
    def __init__(self, iam: Any, role: str, fan_out: Executor) -> None:
        self.iam = iam
        self.role_name = role_name_of(role)
        self.fan_out = fan_out
        self._lock = threading.Lock()
        self.denied: set[str] = set()
        self.iam_arn: str | None = None

    def deny(self, action: str) -> None:
        with self._lock:
            self.denied.add(action)

    def _pages(self, operation: str, action: str, key: str, **params: Any) -> list[Any]:
        items: list[Any] = []
        paginator = self.iam.get_paginator(operation)

        def collect() -> None:
            for page in paginator.paginate(**params):
                items.extend(page.get(key, []))

        _call(action, f"calling {action}", collect)
        return items

    def policy_document(self, arn: str) -> dict[str, Any]:
        """Default version of a managed policy: GetPolicy, then GetPolicyVersion."""
        policy = _call(
            "iam:GetPolicy", f"reading policy {arn}", lambda: self.iam.get_policy(PolicyArn=arn)
        )["Policy"]
        version = str(policy["DefaultVersionId"])
        return _document(
            _call(
                "iam:GetPolicyVersion",
                f"reading policy {arn} {version}",
                lambda: self.iam.get_policy_version(PolicyArn=arn, VersionId=version),
            )["PolicyVersion"]["Document"]
        )

    def _all(self, fn: Callable[[str], T], keys: list[str]) -> dict[str, T] | None:
        """Run ``fn`` for every key in parallel; None (and every denial recorded) if any failed."""
        futures = {key: self.fan_out.submit(fn, key) for key in keys}
        result: dict[str, T] = {}
        complete = True
        for key, future in futures.items():
            try:
                result[key] = future.result()
            except _Denied as denied:
                self.deny(denied.action)
                complete = False
        return result if complete else None

    # -- the three chains ------------------------------------------------------------------

    def role_chain(self) -> tuple[Any, Any, str | None, dict[str, Any] | None]:
        """(trust text, trust source, boundary ARN, boundary document)."""
        try:
            role = _call(
                "iam:GetRole",
                f"reading role {self.role_name}",
                lambda: self.iam.get_role(RoleName=self.role_name),
            )["Role"]
        except _Denied as denied:
            self.deny(denied.action)
            return (*self._trust_from_list_roles(), None, None)
        self.iam_arn = str(role["Arn"])
        trust = policy_text(role["AssumeRolePolicyDocument"])
        boundary_arn = (role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        boundary = None
        if boundary_arn:
            try:
                boundary = self.policy_document(str(boundary_arn))
            except _Denied as denied:
                self.deny(denied.action)
        return trust, "get-role", str(boundary_arn) if boundary_arn else None, boundary

    def _trust_from_list_roles(self) -> tuple[str | None, str | None]:
        # AmazonSageMakerFullAccess allows iam:ListRoles on "*", and each entry carries the
        # role's AssumeRolePolicyDocument: the trust is readable when nothing else is.
        # PathPrefix would narrow it, but the path in role_arn may be missing (caller-derived).
        try:
            roles = self._pages("list_roles", "iam:ListRoles", "Roles")
        except _Denied as denied:
            self.deny(denied.action)
            return None, None
        for role in roles:
            # Role names are unique case-insensitively within an account.
            if str(role["RoleName"]).lower() == self.role_name.lower():
                self.iam_arn = str(role["Arn"])
                return policy_text(role["AssumeRolePolicyDocument"]), "list-roles"
        return None, None

    def inline_chain(self) -> dict[str, str] | None:
        try:
            names = self._pages(
                "list_role_policies", "iam:ListRolePolicies", "PolicyNames", RoleName=self.role_name
            )
        except _Denied as denied:
            self.deny(denied.action)
            return None

        def read(name: str) -> str:
            return policy_text(
                _call(
                    "iam:GetRolePolicy",
                    f"reading inline policy {name}",
                    lambda: self.iam.get_role_policy(RoleName=self.role_name, PolicyName=name),
                )["PolicyDocument"]
            )

        return self._all(read, [str(n) for n in names])

    def managed_chain(self) -> dict[str, dict[str, Any]] | None:
        try:
            attached = self._pages(
                "list_attached_role_policies",
                "iam:ListAttachedRolePolicies",
                "AttachedPolicies",
                RoleName=self.role_name,
            )
        except _Denied as denied:
            self.deny(denied.action)
            return None
        return self._all(self.policy_document, [str(p["PolicyArn"]) for p in attached])


_cache: dict[tuple[str, str, str], tuple[float, RoleSnapshot]] = {}
_cache_lock = threading.Lock()


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def _cache_key(session: boto3.Session, iam: Any, role: str) -> tuple[str, str, str]:
    # Different credentials may see different parts of the same role, and tests run several
    # emulators with the same role ARN: key on both, besides the ARN.
    credentials = session.get_credentials()
    access_key = credentials.access_key if credentials is not None else ""
    return role, str(access_key or ""), str(iam.meta.endpoint_url)


def read_role(session: boto3.Session, role: str, *, refresh: bool = False) -> RoleSnapshot:
    """The role's documents; ``role`` is its ARN or, when the ARN is not known yet, its name
    (IAM's role reads take only the name, and GetRole or ListRoles then tell the ARN)."""
    iam = raw_policy_client(session)
    key = _cache_key(session, iam, role)
    now = time.monotonic()
    if not refresh:
        with _cache_lock:
            hit = _cache.get(key)
        if hit is not None and now - hit[0] < CACHE_SECONDS:
            return hit[1]

    # Wider than botocore's connection pool, urllib3 would open (and warn about discarding)
    # extra connections: fan out only as far as the client's pool goes.
    width = max(1, min(32, int(iam.meta.config.max_pool_connections or 10)))
    with (
        ThreadPoolExecutor(max_workers=3, thread_name_prefix="snapshot") as chains,
        ThreadPoolExecutor(max_workers=width, thread_name_prefix="snapshot-read") as fan_out,
    ):
        # Chains wait on fan-out tasks, never the other way round: two pools cannot deadlock.
        reader = _Reader(iam, role, fan_out)
        role_future = chains.submit(reader.role_chain)
        inline_future = chains.submit(reader.inline_chain)
        managed_future = chains.submit(reader.managed_chain)
        trust_text, trust_source, boundary_arn, boundary = role_future.result()
        inline_text = inline_future.result()
        managed = managed_future.result()

    inline = (
        {name: parse_document(text) for name, text in inline_text.items()}
        if inline_text is not None
        else None
    )
    snapshot = RoleSnapshot(
        role_arn=reader.iam_arn or role,
        trust_policy=parse_document(trust_text) if trust_text is not None else None,
        trust_source=trust_source,
        boundary_arn=boundary_arn,
        boundary=boundary,
        inline=inline,
        managed=managed,
        denied_reads=tuple(sorted(reader.denied)),
        trust_text=trust_text,
        inline_text=inline_text,
        arn_from_iam=reader.iam_arn is not None,
    )
    with _cache_lock:
        _cache[key] = (time.monotonic(), snapshot)
    return snapshot
