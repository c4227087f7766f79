"""Issue 11, items 2 and 3 and the fuzz acceptance: nothing a user types reaches a policy, a
script or a template unchecked.

Every option (and so every REST field: they are the same CheckOptions) is given hostile but
plausible values: line breaks, quotes, ``${`` and ``%{``, Unicode line separators, wildcards,
very long values. Each is either refused with one sentence naming the option, or accepted and
then carried into every output format quoted so that parsing the output (bash's tokenizer,
YAML, HCL, JSON) gives back exactly the value, and no comment is broken out of.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sm_studio_setup.errors import BadInput, SetupError
from sm_studio_setup.repair.change import Change
from sm_studio_setup.repair.handoff import FORMATS, render
from sm_studio_setup.service.check import CheckOptions, build_params
from sm_studio_setup.service.requirements import least_privilege
from sm_studio_setup.surfaces.routes import check_options_from_json
from tests.repair.test_handoff import READERS

ACCOUNT = "123456789012"
REGION = "us-east-1"
DEFAULT_ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/StudioRole"

# What an attacker or a careless paste puts into a value.
FRAGMENTS = (
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\u2029",
    "\u0085",
    "\x00",
    "\x1b[31m",
    "'",
    '"',
    "`",
    "\\",
    "$(touch PWNED)",
    "`>PWNED`",
    "${aws:username}",
    "${*}",
    "%{if true}x%{endif}",
    "*",
    "?",
    "#",
    ";",
    "&&",
    "|",
    "{",
    "}",
    " ",
    "é",
    "\ttab",
    "x" * 600,
    "Transform: AWS::Include",
    "EOT",
)
# A valid value of each option, for the fragments to go into.
BASES: dict[str, tuple[str, ...]] = {
    "profile": ("image-build",),
    "role": ("StudioRole", "team/ml/StudioRole", DEFAULT_ROLE),
    "repository": ("my-model:v1", "team/model"),
    "bucket": ("my-build-bucket",),
    "compute_type": ("BUILD_GENERAL1_SMALL",),
    "vpc_id": ("vpc-0a1b2c3d4e5f60718",),
    "subnet_ids": ("subnet-0a1b2c3d4e5f60719",),
    "security_group_ids": ("sg-0a1b2c3d4e5f6071b",),
    "kms_key_arn": (f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",),
    "base_images": (f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/base:1",),
}
LISTS = {"subnet_ids", "security_group_ids", "base_images"}
# What a line break is to one of the formats (YAML and HCL read some Unicode separators so).
BREAKS = re.compile(r"[\r\n\u2028\u2029\u0085\x00-\x08\x0b-\x1f\x7f]")


@st.composite
def hostile(draw: Any) -> tuple[str, str]:
    field = draw(st.sampled_from(sorted(BASES)))
    base = draw(st.sampled_from(BASES[field]))
    fragment = draw(st.sampled_from(FRAGMENTS))
    at = draw(st.integers(0, len(base)))
    value = draw(
        st.sampled_from((fragment, base[:at] + fragment + base[at:], base + fragment, base))
    )
    return field, value


def options_with(field: str, value: str) -> dict[str, Any]:
    extra: dict[str, Any] = {field: (value,) if field in LISTS else value}
    if field in ("subnet_ids", "security_group_ids", "vpc_id"):
        # The VPC options go together: the others are given valid values.
        for other in ("vpc_id", "subnet_ids", "security_group_ids"):
            if other != field:
                base = BASES[other][0]
                extra[other] = (base,) if other in LISTS else base
    return extra


def assert_one_sentence(error: SetupError, field: str) -> None:
    assert error.field in (field, "vpc_id", "subnet_ids", "security_group_ids", None), error.field
    for text in (error.message, error.hint_for("cli"), error.hint_for("rest")):
        assert not BREAKS.search(text), repr(text)
        assert len(text) < 400, text


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield str(k)
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def change_for(options: CheckOptions) -> Change:
    role = options.role or DEFAULT_ROLE
    role_arn = role if role.startswith("arn:") else f"arn:aws:iam::{ACCOUNT}:role/{role.strip('/')}"
    params = build_params(
        options,
        region=REGION,
        account=ACCOUNT,
        role_arn=role_arn,
        domain_id="d-abc123",
        user_profile="alice",
        space=None,
    )
    result = least_privilege(options.profile, params)
    return Change(
        role_arn=role_arn,
        role_name=role_arn.rsplit("/", 1)[-1],
        trust_policy=result.trust_policy,
        policies={"sm-studio-setup-image-build": result.permissions_policy},
    )


@settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=hostile())
def test_every_option_is_refused_with_a_sentence_or_quoted_in_every_format(
    case: tuple[str, str],
) -> None:
    field, value = case
    given_options = options_with(field, value)
    try:
        options = CheckOptions(**given_options)
    except BadInput as refused:
        assert_one_sentence(refused, field)
        # The REST body is the same options, refused the same way.
        with pytest.raises(SetupError) as over_rest:
            check_options_from_json(
                {k: list(v) if isinstance(v, tuple) else v for k, v in given_options.items()}
            )
        assert over_rest.value.http_status == 400
        assert_one_sentence(over_rest.value, field)
        return
    # Accepted: none of these may stay in a value that reaches an output.
    assert not BREAKS.search(value) and "${" not in value and "*" not in value, repr(value)
    change = change_for(options)
    for fmt in FORMATS:
        text = render(change, fmt)
        for line in text.splitlines():
            if line.lstrip().startswith("#"):
                assert not BREAKS.search(line), (fmt, line)
        trust, policies = READERS[fmt](text, change)  # parses, and checks role names
        assert trust == change.trust_policy, fmt
        assert policies == change.policies, fmt
        if field not in ("profile", "compute_type", "base_images", "kms_key_arn", "vpc_id"):
            # What of the value a policy names: a repository's name (its tag is no resource).
            shown = value.partition(":")[0] if field == "repository" else value.strip("/")
            found = [s for s in strings([trust, policies, change.role_name]) if shown in s]
            assert found, (fmt, field, value)


def test_the_issue_s_payloads_are_refused_where_they_enter() -> None:
    payloads = {
        "role": "arn:aws:iam::123456789012:role/x\ntouch PWNED #/StudioRole",
        "kms_key_arn": "arn:aws:kms:*:*:key/*",
        "bucket": "*",
        "subnet_ids": ("*",),
        "security_group_ids": ("*",),
        "repository": "Bad:Name:x",
        "profile": "no-such-profile",
    }
    for field, value in payloads.items():
        given_options = options_with(field, value if isinstance(value, str) else value[0])
        with pytest.raises(BadInput) as refused:
            CheckOptions(**given_options)
        assert refused.value.field == field, (field, refused.value.field)
        assert_one_sentence(refused.value, field)


def test_a_role_path_of_shell_characters_runs_nothing_when_the_script_is_run(
    tmp_path: Path,
) -> None:
    """IAM allows any printable character in a path; the CLI script is run with a stand-in
    `aws` that records its arguments, and nothing the path holds may run."""
    role = f"arn:aws:iam::{ACCOUNT}:role/`>PWNED`/';>PWNED2;'/\"&&>PWNED3\"/StudioRole"
    options = CheckOptions(role=role)
    change = change_for(options)
    script = tmp_path / "handoff.sh"
    script.write_text(render(change, "cli"))
    stand_in = tmp_path / "bin" / "aws"
    stand_in.parent.mkdir()
    stand_in.write_text(
        '#!/bin/sh\nprintf "%s\\0" "$@" >> "$AWS_CALLS"\nprintf "\\n\\0" >> "$AWS_CALLS"\n'
    )
    stand_in.chmod(0o755)
    calls = tmp_path / "calls"
    work = tmp_path / "work"
    work.mkdir()
    subprocess.run(
        ["bash", str(script)],
        cwd=work,
        env={
            **os.environ,
            "PATH": f"{stand_in.parent}:{os.environ['PATH']}",
            "AWS_CALLS": str(calls),
        },
        check=True,
        timeout=30,
    )
    assert list(work.iterdir()) == [], "the script created files: something in it ran"
    argvs = [c.split("\0")[:-1] for c in calls.read_text().split("\n\0") if c]
    assert [a[:2] for a in argvs] == [
        ["iam", "put-role-policy"],
        ["iam", "update-assume-role-policy"],
    ]
    documents = [json.loads(a[a.index("--policy-document") + 1]) for a in argvs]
    assert documents == [change.policies["sm-studio-setup-image-build"], change.trust_policy]
    passrole = [
        s
        for s in documents[0]["Statement"]
        if s["Action"] == "iam:PassRole" or "iam:PassRole" in s["Action"]
    ]
    assert passrole and all(s["Resource"] == role for s in passrole)


def test_options_never_grant_a_wildcard_resource() -> None:
    """Item 3: an option names one real resource; what it reaches in a policy is that one."""
    options = CheckOptions(
        bucket="my-build-bucket",
        kms_key_arn=BASES["kms_key_arn"][0],
        vpc_id=BASES["vpc_id"][0],
        subnet_ids=BASES["subnet_ids"],
        security_group_ids=BASES["security_group_ids"],
    )
    policy = change_for(options).policies["sm-studio-setup-image-build"]
    resources = [r for s in policy["Statement"] for r in strings(s.get("Resource"))]
    assert BASES["kms_key_arn"][0] in resources
    assert not any(r.endswith((":key/*", "subnet/*", "security-group/*")) for r in resources)
    assert "arn:aws:s3:::*" not in resources
    # The same with a different but valid value changes exactly those resources.
    other = dataclasses.replace(options, bucket="another-bucket")
    assert "my-build-bucket" not in json.dumps(change_for(other).policies)
