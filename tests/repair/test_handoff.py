"""The hand-off formats, each read back by the tool that would consume it.

The point of every format is that an administrator applies the very documents the fix would
write, so each test parses the output (shlex for bash, cfn-lint and YAML for CloudFormation,
python-hcl2 for Terraform) and compares documents, rather than looking for substrings.
"""

from __future__ import annotations

import dataclasses
import json
import re
import shlex
import string
import textwrap
from typing import Any

import botocore.session
import hcl2
import pytest
import yaml  # type: ignore[import-untyped]
from cfnlint.api import ManualArgs, lint  # type: ignore[import-untyped]
from hcl2.utils import SerializationOptions
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sm_studio_setup.repair.change import Change
from sm_studio_setup.repair.handoff import (
    FORMATS,
    render,
    render_cli,
    render_cloudformation,
    render_json,
    render_terraform,
)

ROLE_NAME = "Studio+=,.@_-Role"
ROLE_ARN = f"arn:aws:iam::123456789012:role/service-role/{ROLE_NAME}"

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        },
        {
            "Effect": "Allow",
            "Principal": {"Service": "codebuild.amazonaws.com"},
            "Action": "sts:AssumeRole",
        },
    ],
}

IMAGE_BUILD = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ImageBuild",
            "Effect": "Allow",
            "Action": ["codebuild:StartBuild", "codebuild:BatchGetBuilds"],
            "Resource": "arn:aws:codebuild:*:123456789012:project/sagemaker-studio*",
        },
        {
            "Sid": "OwnPrefix",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::sagemaker-studio-123456789012/${aws:username}/*",
        },
    ],
}

LOGS = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": "logs:GetLogEvents",
            "Resource": "arn:aws:logs:*:123456789012:log-group:/aws/codebuild/*",
            "Condition": {"StringLike": {"aws:userid": '*:it\'s "me" %{x}'}},
        }
    ],
}

FULL = Change(
    role_arn=ROLE_ARN,
    role_name=ROLE_NAME,
    trust_policy=TRUST,
    policies={"sm-studio-setup-image-build": IMAGE_BUILD, "sm-studio-setup.logs@x": LOGS},
)
POLICIES_ONLY = Change(ROLE_ARN, ROLE_NAME, policies={"sm-studio-setup-image-build": IMAGE_BUILD})
TRUST_ONLY = Change(ROLE_ARN, ROLE_NAME, trust_policy=TRUST)
EMPTY = Change(ROLE_ARN, ROLE_NAME)

CHANGES = [FULL, POLICIES_ONLY, TRUST_ONLY]


# --- readers: one per format, each returning (trust policy or None, {policy name: document}) ---


Parsed = tuple[dict[str, Any] | None, dict[str, dict[str, Any]]]


def read_json(text: str, change: Change) -> Parsed:
    data = json.loads(text)
    assert data["role_name"] == change.role_name
    assert data["role_arn"] == change.role_arn
    return data["trust_policy"], data["inline_policies"]


def _kebab(member: str) -> str:
    return "--" + re.sub(r"(?<!^)(?=[A-Z])", "-", member).lower()


def _cli_flags(operation: str) -> set[str]:
    model = botocore.session.get_session().get_service_model("iam").operation_model(operation)
    assert model.input_shape is not None
    return {_kebab(member) for member in model.input_shape.members}


def cli_commands(text: str) -> list[list[str]]:
    # Documents are one-line JSON, so once continuations are joined each line is one command.
    joined = text.replace("\\\n", " ")
    return [
        shlex.split(line)
        for line in joined.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]


def _options(argv: list[str], flags: set[str]) -> dict[str, str]:
    pairs = argv[3:]
    assert len(pairs) % 2 == 0, argv
    names = pairs[0::2]
    assert len(names) == len(set(names)), f"a flag given twice: {argv}"
    assert set(names) <= flags, f"not a flag of this operation: {set(names) - flags}"
    return dict(zip(names, pairs[1::2], strict=True))


def read_cli(text: str, change: Change) -> Parsed:
    put_flags = _cli_flags("PutRolePolicy")
    trust_flags = _cli_flags("UpdateAssumeRolePolicy")
    trust: dict[str, Any] | None = None
    policies: dict[str, dict[str, Any]] = {}
    commands = cli_commands(text)
    for argv in commands:
        assert argv[:2] == ["aws", "iam"], argv
        if argv[2] == "put-role-policy":
            assert trust is None, "the trust policy must come last"
            options = _options(argv, put_flags)
            assert set(options) == put_flags
            assert options["--role-name"] == change.role_name
            assert options["--policy-name"] not in policies
            policies[options["--policy-name"]] = json.loads(options["--policy-document"])
        elif argv[2] == "update-assume-role-policy":
            assert trust is None
            options = _options(argv, trust_flags)
            assert set(options) == trust_flags
            assert options["--role-name"] == change.role_name
            trust = json.loads(options["--policy-document"])
        else:
            pytest.fail(f"unexpected command {argv}")
    return trust, policies


def cfn_documents(text: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(template, trust fragment), each None when absent."""
    template = fragment = None
    for document in yaml.safe_load_all(text):
        if "Resources" in document:
            assert template is None and fragment is None, "the template comes first"
            template = document
        else:
            assert set(document) == {"AssumeRolePolicyDocument"}
            assert fragment is None
            fragment = document
    return template, fragment


def read_cloudformation(text: str, change: Change) -> Parsed:
    template, fragment = cfn_documents(text)
    policies: dict[str, dict[str, Any]] = {}
    if template is not None:
        assert template["AWSTemplateFormatVersion"] == "2010-09-09"
        for logical_id, resource in template["Resources"].items():
            assert re.fullmatch(r"[A-Za-z0-9]+", logical_id)
            assert resource["Type"] == "AWS::IAM::RolePolicy"
            properties = resource["Properties"]
            assert set(properties) == {"RoleName", "PolicyName", "PolicyDocument"}
            assert properties["RoleName"] == change.role_name
            assert properties["PolicyName"] not in policies
            policies[properties["PolicyName"]] = properties["PolicyDocument"]
    trust = None if fragment is None else fragment["AssumeRolePolicyDocument"]
    return trust, policies


_HCL = SerializationOptions(with_comments=False, explicit_blocks=False, strip_string_quotes=True)
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")


def _unescape_template(text: str) -> str:
    # HCL's own reading: $${ and %%{ are a literal ${ and %{.
    return re.sub(r"([$%])\1\{", r"\1{", text)


def _heredoc_json(value: str) -> Any:
    match = re.fullmatch(r"<<-EOT\n(.*\n)[ \t]*EOT", value, flags=re.DOTALL)
    assert match, value
    # <<- strips the common indentation; heredocs take no backslash escapes.
    return json.loads(_unescape_template(textwrap.dedent(match.group(1))))


def read_terraform(text: str, change: Change) -> Parsed:
    parsed = hcl2.loads(text, serialization_options=_HCL)
    assert set(parsed) <= {"resource"}
    trust: dict[str, Any] | None = None
    policies: dict[str, dict[str, Any]] = {}
    labels: set[tuple[str, str]] = set()
    for entry in parsed.get("resource", []):
        for kind, named in entry.items():
            for label, body in named.items():
                assert _LABEL.fullmatch(label), label
                assert (kind, label) not in labels
                labels.add((kind, label))
                if kind == "aws_iam_role_policy":
                    assert set(body) == {"name", "role", "policy"}
                    assert _unescape_template(body["role"]) == change.role_name
                    name = _unescape_template(body["name"])
                    assert name not in policies
                    policies[name] = _heredoc_json(body["policy"])
                else:
                    assert kind == "aws_iam_role"
                    assert trust is None
                    assert set(body) == {"name", "assume_role_policy"}
                    assert _unescape_template(body["name"]) == change.role_name
                    trust = _heredoc_json(body["assume_role_policy"])
    return trust, policies


READERS = {
    "json": read_json,
    "cli": read_cli,
    "cloudformation": read_cloudformation,
    "terraform": read_terraform,
}


# --- each format on fixed changes ---


@pytest.mark.parametrize("change", CHANGES, ids=["full", "policies-only", "trust-only"])
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_carries_the_same_documents(fmt: str, change: Change) -> None:
    trust, policies = READERS[fmt](render(change, fmt), change)
    assert trust == change.trust_policy
    assert policies == change.policies


def test_render_dispatches_to_the_named_format() -> None:
    assert render(FULL, "json") == render_json(FULL)
    assert render(FULL, "cli") == render_cli(FULL)
    assert render(FULL, "cloudformation") == render_cloudformation(FULL)
    assert render(FULL, "terraform") == render_terraform(FULL)


def test_unknown_format_names_the_valid_ones() -> None:
    with pytest.raises(ValueError, match="yaml") as raised:
        render(FULL, "yaml")
    for fmt in FORMATS:
        assert fmt in str(raised.value)


def test_json_is_the_change_as_data() -> None:
    assert json.loads(render_json(FULL)) == {
        "role_name": ROLE_NAME,
        "role_arn": ROLE_ARN,
        "trust_policy": TRUST,
        "inline_policies": {
            "sm-studio-setup-image-build": IMAGE_BUILD,
            "sm-studio-setup.logs@x": LOGS,
        },
    }
    assert json.loads(render_json(POLICIES_ONLY))["trust_policy"] is None
    assert json.loads(render_json(EMPTY))["inline_policies"] == {}


def test_cli_flags_exist_in_the_iam_model() -> None:
    # The readers check every flag against botocore; make sure that check has teeth.
    assert _cli_flags("PutRolePolicy") == {"--role-name", "--policy-name", "--policy-document"}
    assert _cli_flags("UpdateAssumeRolePolicy") == {"--role-name", "--policy-document"}
    typo = render_cli(POLICIES_ONLY).replace("--policy-name", "--policyname")
    with pytest.raises(AssertionError, match="not a flag"):
        read_cli(typo, POLICIES_ONLY)


def test_cli_starts_with_a_comment_and_puts_the_trust_policy_last() -> None:
    text = render_cli(FULL)
    assert text.startswith("# ")
    assert "complete" in text.split("\naws ")[0]
    commands = cli_commands(text)
    assert [argv[2] for argv in commands] == [
        "put-role-policy",
        "put-role-policy",
        "update-assume-role-policy",
    ]
    # Every command starts on its own line.
    assert text.count("\naws iam ") == 3


@pytest.mark.parametrize(
    "renderer", [render_cli, render_cloudformation, render_terraform], ids=lambda r: r.__name__
)
def test_empty_change_says_nothing_to_change(renderer: Any) -> None:
    text = renderer(EMPTY)
    assert all(line.startswith("#") for line in text.splitlines())
    assert "nothing to change" in text
    assert cli_commands(text) == []


@pytest.mark.parametrize("change", [FULL, POLICIES_ONLY], ids=["full", "policies-only"])
def test_cloudformation_template_passes_cfn_lint(change: Change) -> None:
    template_text = render_cloudformation(change).split("\n---\n")[0]
    template, _ = cfn_documents(template_text)
    assert template is not None
    matches = lint(template_text, config=ManualArgs(regions=["us-east-1"]))
    assert [f"{m.rule.id} {m.message}" for m in matches] == []


def test_cloudformation_writes_a_shared_document_out_in_full() -> None:
    # One dict object for two policies (and the trust): PyYAML would anchor and alias it, and
    # CloudFormation rejects YAML aliases.
    change = Change(ROLE_ARN, ROLE_NAME, IMAGE_BUILD, {"a": IMAGE_BUILD, "b": IMAGE_BUILD})
    text = render_cloudformation(change)
    assert "&id" not in text and "*id" not in text
    template_text = text.split("\n---\n")[0]
    matches = lint(template_text, config=ManualArgs(regions=["us-east-1"]))
    assert [f"{m.rule.id} {m.message}" for m in matches] == []
    assert read_cloudformation(text, change) == (IMAGE_BUILD, change.policies)


def test_cfn_lint_does_catch_a_broken_policy() -> None:
    # A lint that finds nothing in anything would make the test above meaningless.
    broken = render_cloudformation(POLICIES_ONLY).replace("Effect: Allow", "Effect: Allw")
    matches = lint(broken, config=ManualArgs(regions=["us-east-1"]))
    assert any(m.rule.severity == "error" for m in matches)


def test_cloudformation_logical_ids_are_camel_case_and_unique() -> None:
    change = Change(
        ROLE_ARN,
        ROLE_NAME,
        policies={"sm-studio-setup-image-build": IMAGE_BUILD, "sm.studio.setup.image.build": LOGS},
    )
    template, _ = cfn_documents(render_cloudformation(change))
    assert template is not None
    assert list(template["Resources"]) == ["SmStudioSetupImageBuild", "SmStudioSetupImageBuild2"]


def test_cloudformation_trust_is_a_commented_fragment_after_the_template() -> None:
    text = render_cloudformation(FULL)
    template_text, fragment_text = text.split("\n---\n")
    assert "AssumeRolePolicyDocument" not in template_text
    assert "AWS::IAM::Role" in fragment_text and "update-assume-role-policy" in fragment_text
    assert fragment_text.startswith("# ")


def test_cloudformation_trust_only_is_just_the_fragment() -> None:
    text = render_cloudformation(TRUST_ONLY)
    assert "---" not in text
    assert "Resources" not in text
    assert yaml.safe_load(text) == {"AssumeRolePolicyDocument": TRUST}


def test_terraform_escapes_policy_variables() -> None:
    text = render_terraform(FULL)
    assert "$${aws:username}" in text
    assert "%%{x}" in text
    # The unescaped forms appear only as part of the escaped ones.
    assert "${aws:username}" not in text.replace("$${", "")
    assert "%{x}" not in text.replace("%%{", "")


def test_terraform_labels_and_trust_comments() -> None:
    parsed = hcl2.loads(render_terraform(FULL), serialization_options=_HCL)
    labels = {
        (kind, label)
        for entry in parsed["resource"]
        for kind, named in entry.items()
        for label in named
    }
    assert labels == {
        ("aws_iam_role_policy", "sm_studio_setup_image_build"),
        ("aws_iam_role_policy", "sm_studio_setup_logs_x"),
        ("aws_iam_role", "studio_role"),
    }
    text = render_terraform(FULL)
    trust_comments = text.split('resource "aws_iam_role" ')[0].rsplit("}\n", 1)[1]
    assert f"terraform import aws_iam_role.studio_role {shlex.quote(ROLE_NAME)}" in trust_comments


def test_terraform_label_never_starts_with_a_digit() -> None:
    change = Change("arn:aws:iam::123456789012:role/1role", "1role", TRUST, {"2policy": LOGS})
    parsed = hcl2.loads(render_terraform(change), serialization_options=_HCL)
    for entry in parsed["resource"]:
        for named in entry.values():
            for label in named:
                assert _LABEL.fullmatch(label), label


# --- every format round-trips any change ---

_NAME_CHARS = string.ascii_letters + string.digits + "+=,.@_-"
_TRICKY = [
    '"',
    "'",
    "\\",
    "${aws:username}",
    "$${",
    "$",
    "%{x}",
    "%%{",
    "EOT",
    "\n",
    "\t",
    "é",
    "☃",
    "\u2028",
    "𝄞",
    "#",
    ": ",
    "- ",
    "--role-name",
]
_text = st.lists(
    st.one_of(
        st.sampled_from(_TRICKY),
        st.text(st.characters(exclude_categories=["Cs"]), max_size=8),
    ),
    max_size=6,
).map("".join)

_statement = st.fixed_dictionaries(
    {
        "Effect": st.sampled_from(["Allow", "Deny"]),
        "Action": st.one_of(_text, st.lists(_text, max_size=3)),
        "Resource": _text,
    },
    optional={
        "Sid": _text,
        "Condition": st.dictionaries(
            st.sampled_from(["StringLike", "StringEquals"]),
            st.dictionaries(st.sampled_from(["aws:userid", "aws:PrincipalTag/a"]), _text),
        ),
    },
)
_document = st.fixed_dictionaries(
    {"Version": st.just("2012-10-17"), "Statement": st.lists(_statement, min_size=1, max_size=3)}
)
_changes = st.builds(
    lambda name, trust, policies: Change(
        f"arn:aws:iam::123456789012:role/{name}", name, trust, policies
    ),
    st.text(_NAME_CHARS, min_size=1, max_size=64),
    st.one_of(st.none(), _document),
    st.dictionaries(st.text(_NAME_CHARS, min_size=1, max_size=128), _document, max_size=3),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(change=_changes)
def test_every_format_round_trips_any_change(change: Change) -> None:
    for fmt in FORMATS:
        text = render(change, fmt)
        if change.empty and fmt != "json":
            assert "nothing to change" in text
            continue
        trust, policies = READERS[fmt](text, change)
        assert trust == change.trust_policy, fmt
        assert policies == change.policies, fmt


WARNED = dataclasses.replace(
    FULL,
    warnings=(
        "The role's inline policy sm-studio-setup-image-build could not be read, so this "
        "document was not merged with it: merge the two before applying.",
    ),
)


@pytest.mark.parametrize("fmt", FORMATS)
def test_warnings_come_first_and_every_format_still_parses(fmt: str) -> None:
    text = render(WARNED, fmt)
    trust, policies = READERS[fmt](text, WARNED)
    assert (trust, policies) == (WARNED.trust_policy, WARNED.policies)
    if fmt == "json":
        assert json.loads(text)["warnings"] == list(WARNED.warnings)
    else:
        assert text.startswith("# WARNING: The role's inline policy")
        assert "merge the two before applying" in " ".join(
            line.lstrip("# ") for line in text.splitlines()[:4]
        )
    if fmt == "cloudformation":
        template_text = text.split("\n---\n")[0]
        assert list(lint(template_text, config=ManualArgs(regions=["us-east-1"]))) == []
