"""Ask a real AWS account what docs/aws-behaviours.md marks unconfirmed, and print the answers.

Each probe of the check rests on a premise no public source confirms: that the service
authorizes the call before it looks the resource up, so a caller that may not gets
AccessDenied and one that may gets NotFound (``sm_studio_setup.aws.probes.PREMISES``). This
script answers each one in a sandbox account: it creates a throw-away role that trusts the
account, assumes it, runs the probe without the permission (expected: denied), grants exactly
the permission, waits for IAM to propagate, and runs it again (expected: allowed). It then
measures how long CodeBuild takes to accept a service role after its trust is changed
(docs/aws-behaviours.md, "Propagation"). Everything it made is deleted at the end, whatever
happened; the table it prints goes into docs/aws-behaviours.md.

    scripts/aws-conformance --account 123456789012 [--region us-east-1] [--profile P]
    scripts/aws-conformance --dry-run        # the same, against the embedded emulator

Without ``--dry-run`` it refuses to start unless ``--account`` names the account the
credentials belong to: a sandbox account, given on purpose.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import secrets
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import boto3
import botocore.exceptions

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sm_studio_setup.aws.probes import PREMISES, probe
from sm_studio_setup.requirements.model import Requirement
from sm_studio_setup.requirements.params import Params
from sm_studio_setup.requirements.policy import policy_for
from sm_studio_setup.requirements.profiles import requirements_for

PREFIX = "sm-studio-setup-conformance"
POLICY = "probe"
# How long to wait for a grant (or a trust change) to reach the service being asked.
PROPAGATION_LIMIT_SECONDS = 180.0


@dataclass
class Row:
    item: str
    without: str
    with_it: str
    verdict: str


def _trust(account: str, partition: str, service: str | None = None) -> str:
    principal: dict[str, str] = {"AWS": f"arn:{partition}:iam::{account}:root"}
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    ]
    if service is not None:
        statements.append(
            {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


@contextmanager
def throwaway_role(session: boto3.Session, account: str, partition: str) -> Iterator[str]:
    """A role trusting the account (so the caller can assume it), deleted afterwards."""
    iam = session.client("iam")
    name = f"{PREFIX}-{secrets.token_hex(4)}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(account, partition))[
        "Role"
    ]["Arn"]
    try:
        yield str(arn)
    finally:
        for policy in iam.list_role_policies(RoleName=name).get("PolicyNames", []):
            iam.delete_role_policy(RoleName=name, PolicyName=policy)
        iam.delete_role(RoleName=name)


def assume(session: boto3.Session, role_arn: str, region: str) -> boto3.Session:
    sts = session.client("sts")
    deadline = time.monotonic() + PROPAGATION_LIMIT_SECONDS
    while True:
        try:
            found = sts.assume_role(RoleArn=role_arn, RoleSessionName="conformance")
            break
        except botocore.exceptions.ClientError:
            # A role is not assumable the moment it is created.
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    credentials = found["Credentials"]
    return boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name=region,
    )


def premise_rows(caller: boto3.Session, params: Params, role_arn: str, region: str) -> list[Row]:
    """Each probe's premise, without and with the permission."""
    iam = caller.client("iam")
    role_name = role_arn.rsplit("/", 1)[-1]
    every = requirements_for("image-build", params)
    # GetObject's premise is about a caller ListBucket allows as well (S3 answers others a bare
    # 403, which tells nothing): with the permission means with both.
    list_bucket = [r for r in every if r.who == "caller" and r.action.lower() == "s3:listbucket"]
    # CreateRepository is asked only after a read finds the repository: both sides have it.
    describe = [
        r for r in every if r.who == "caller" and r.action.lower() == "ecr:describerepositories"
    ]
    wanted = [
        r
        for r in every
        # The build's own needs too: a probe asks them as the caller, whose role the build's
        # is in a managed domain (service/check.py), so each premise is tried the same way.
        if r.who in ("caller", "build") and r.action.lower() in PREMISES and not r.context
    ]
    seen: set[str] = set()
    rows = []
    for req in wanted:
        if req.action.lower() in seen:
            continue
        seen.add(req.action.lower())
        text, _ = PREMISES[req.action.lower()]
        before = describe if req.action.lower() == "ecr:createrepository" else []
        iam.put_role_policy(
            RoleName=role_name,
            PolicyName=POLICY,
            PolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {"Effect": "Allow", "Action": "sts:GetCallerIdentity", "Resource": "*"},
                        *(policy_for(before)["Statement"] if before else []),
                    ],
                }
            ),
        )
        ask = partial(_ask, caller, role_arn, region, req)
        without = _settled(ask, "denied")
        granted = [req, *before]
        if req.action.lower() in ("s3:getobject", "s3:getobjectversion"):
            granted += list_bucket
        iam.put_role_policy(
            RoleName=role_name, PolicyName=POLICY, PolicyDocument=json.dumps(policy_for(granted))
        )
        with_it = _settled(ask, "allowed")
        verdict = (
            "confirmed"
            if (without, with_it) == ("denied", "allowed")
            else "contradicted"
            if "unknown" not in (without, with_it)
            else "inconclusive"
        )
        rows.append(Row(text, without, with_it, verdict))
    return rows


def _ask(caller: boto3.Session, role_arn: str, region: str, req: Requirement) -> str:
    """The probe's answer for ``req``, asked as the throw-away role in a fresh session."""
    # A build's requirement is asked as the role it names, as a managed domain's check does.
    return probe(assume(caller, role_arn, region), req, build_is_caller=req.who == "build").status


def _settled(ask: Callable[[], str], expected: str) -> str:
    """Ask until the answer is ``expected`` or propagation surely happened."""
    deadline = time.monotonic() + PROPAGATION_LIMIT_SECONDS
    answer = ask()
    while answer != expected and time.monotonic() < deadline:
        time.sleep(5)
        answer = ask()
    return answer


def codebuild_trust_row(
    caller: boto3.Session, params: Params, account: str, partition: str, region: str
) -> Row:
    """How long CreateProject refuses a service role after the role's trust admits CodeBuild,
    and with what words."""
    iam: Any = caller.client("iam")
    codebuild: Any = caller.client("codebuild")
    name = f"{PREFIX}-cb-{secrets.token_hex(4)}"
    project = f"{PREFIX}-{secrets.token_hex(4)}"
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=_trust(account, partition))[
        "Role"
    ]["Arn"]
    spec: dict[str, Any] = {
        "name": project,
        "source": {"type": "NO_SOURCE", "buildspec": "version: 0.2\nphases: {}\n"},
        "artifacts": {"type": "NO_ARTIFACTS"},
        "environment": {
            "type": "LINUX_CONTAINER",
            "image": "aws/codebuild/standard:7.0",
            "computeType": "BUILD_GENERAL1_SMALL",
        },
        "serviceRole": arn,
    }
    try:
        try:
            codebuild.create_project(**spec)
            without = "accepted"
        except botocore.exceptions.ClientError as exc:
            without = f"{exc.response['Error']['Code']}: {exc.response['Error']['Message'][:80]}"
        iam.update_assume_role_policy(
            RoleName=name, PolicyDocument=_trust(account, partition, "codebuild.amazonaws.com")
        )
        started = time.monotonic()
        with_it = "refused"
        while time.monotonic() - started < PROPAGATION_LIMIT_SECONDS:
            try:
                codebuild.create_project(**spec)
                with_it = f"accepted after {time.monotonic() - started:.0f} s"
                break
            except botocore.exceptions.ClientError as exc:
                if exc.response["Error"]["Code"] == "ResourceAlreadyExistsException":
                    with_it = f"accepted after {time.monotonic() - started:.0f} s"
                    break
                time.sleep(2)
        verdict = "confirmed" if "not authorized" in without and "accepted" in with_it else "see"
        return Row(
            "CodeBuild refuses a service role that does not trust it (InvalidInputException "
            "'not authorized to perform: sts:AssumeRole') until a trust change propagates",
            without,
            with_it,
            verdict,
        )
    finally:
        with contextlib.suppress(botocore.exceptions.ClientError):
            codebuild.delete_project(name=project)
        iam.delete_role(RoleName=name)


def table(rows: list[Row]) -> str:
    lines = [
        "| premise | without the permission | with it | verdict |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {r.item} | {r.without} | {r.with_it} | {r.verdict} |" for r in rows]
    return "\n".join(lines)


def run(caller: boto3.Session, account: str, region: str) -> list[Row]:
    partition = "aws-cn" if region.startswith("cn-") else "aws"
    params = Params(
        region=region,
        account=account,
        partition=partition,
        role_arn=f"arn:{partition}:iam::{account}:role/{PREFIX}",
        domain_id="d-conformance",
        user_profile="probe",
        bucket=f"{PREFIX}-{account}-{region}",
        repository=f"{PREFIX}-repository:probe",
    )
    with (
        throwaway_bucket(caller, params.bucket_name, region),
        throwaway_repository(caller, params.repository_name),
        throwaway_role(caller, account, partition) as role_arn,
    ):
        rows = premise_rows(caller, params, role_arn, region)
    rows.append(codebuild_trust_row(caller, params, account, partition, region))
    return rows


@contextmanager
def throwaway_repository(session: boto3.Session, name: str) -> Iterator[None]:
    """The repository the ECR probes ask about: CreateRepository is probed only of one that
    exists (aws/probe_calls.py), and the others' premises hold for one that does."""
    ecr = session.client("ecr")
    ecr.create_repository(repositoryName=name)
    try:
        yield
    finally:
        ecr.delete_repository(repositoryName=name, force=True)


@contextmanager
def throwaway_bucket(session: boto3.Session, name: str, region: str) -> Iterator[None]:
    """The bucket the S3 probes ask about (a probe of a missing bucket tells nothing)."""
    s3 = session.client("s3")
    kwargs: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        kwargs["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**kwargs)
    try:
        yield
    finally:
        for upload in s3.list_multipart_uploads(Bucket=name).get("Uploads", []):
            s3.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
        s3.delete_bucket(Bucket=name)


def _emulated() -> tuple[Any, boto3.Session]:
    import os

    from sm_studio_setup.emulator.core.server import Emulator

    emulator = Emulator(seed="none").start()
    # Every session the script makes (the assumed role's too) must reach the emulator only.
    os.environ["AWS_ENDPOINT_URL"] = emulator.endpoint_url
    os.environ["AWS_EC2_METADATA_DISABLED"] = "true"
    return emulator, emulator.admin_session()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="aws-conformance",
        description="Answer docs/aws-behaviours.md's unconfirmed items in a sandbox account.",
    )
    parser.add_argument("--account", help="the sandbox account id: required to touch AWS")
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument("--profile", help="the AWS CLI profile of the sandbox account")
    parser.add_argument(
        "--dry-run", action="store_true", help="run against the embedded emulator, not AWS"
    )
    args = parser.parse_args(argv)
    emulator = None
    if args.dry_run:
        emulator, caller = _emulated()
        account = caller.client("sts").get_caller_identity()["Account"]
    else:
        if not args.account:
            print(
                "error: this creates and deletes a role and a CodeBuild project in an AWS "
                "account; name the sandbox account with --account ACCOUNT_ID (or use --dry-run).",
                file=sys.stderr,
            )
            return 2
        caller = boto3.Session(profile_name=args.profile, region_name=args.region)
        account = caller.client("sts").get_caller_identity()["Account"]
        if account != args.account:
            print(
                f"error: the credentials belong to account {account}, not {args.account}: "
                "nothing was done.",
                file=sys.stderr,
            )
            return 2
    try:
        rows = run(caller, account, args.region)
        left = left_behind(caller)
    finally:
        if emulator is not None:
            emulator.stop()
    where = "the embedded emulator (dry run)" if args.dry_run else f"account {account}"
    print(f"Answers from {where}, {time.strftime('%Y-%m-%d')}:\n")
    print(table(rows))
    print(f"\nLeft behind: {', '.join(left) or 'nothing'}.")
    return 0 if not left else 1


def left_behind(session: boto3.Session) -> list[str]:
    """Whatever of this script's is still in the account (nothing, unless it was killed)."""
    found = [
        f"role {r['RoleName']}"
        for page in session.client("iam").get_paginator("list_roles").paginate()
        for r in page["Roles"]
        if r["RoleName"].startswith(PREFIX)
    ]
    found += [
        f"bucket {b['Name']}"
        for b in session.client("s3").list_buckets().get("Buckets", [])
        if b["Name"].startswith(PREFIX)
    ]
    found += [
        f"repository {r['repositoryName']}"
        for r in session.client("ecr").describe_repositories().get("repositories", [])
        if r["repositoryName"].startswith(PREFIX)
    ]
    found += [
        f"project {p}"
        for p in session.client("codebuild").list_projects().get("projects", [])
        if p.startswith(PREFIX)
    ]
    return found


if __name__ == "__main__":
    sys.exit(main())
