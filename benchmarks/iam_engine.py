"""How fast sm_studio_setup.iam judges the requests of an image build, next to iam-simulate.

The ~30 requests `sm-docker build` makes (the caller's, then the CodeBuild role's while the
build runs; docs/sm-docker.md) are judged against AmazonSageMakerFullAccess
(the real managed policy, from tests/fixtures/aws-managed-policies/) plus five scoped inline
policies. Policies are compiled once (parse_policy) before timing. In the same run the same
requests go to @cloud-copilot/iam-simulate (tools/iam-oracle), timed inside node over
pre-validated policies, so neither process start nor IPC is counted.

    python -m benchmarks.iam_engine [--rounds 200] [--json] [--no-oracle]

Prints the median microseconds per request of each engine (median over rounds of the round's
time divided by the number of requests) and whether the goal holds: under 50 us per request
and faster than iam-simulate. Exit status 1 when the two engines disagree on a request.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sm_studio_setup.iam import Policy, Request, evaluate, parse_policy

GOAL_US = 50.0
FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
MANAGED = FIXTURES / "aws-managed-policies" / "AmazonSageMakerFullAccess.json"

ACCOUNT = "111122223333"
REGION = "us-east-1"
ROLE_NAME = "AmazonSageMaker-ExecutionRole-20240101T000000"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/{ROLE_NAME}"
STUDIO = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE_NAME}/SageMaker"
BUILD = f"arn:aws:sts::{ACCOUNT}:assumed-role/{ROLE_NAME}/AWSCodeBuild-7f3c2a1e"
DOMAIN = "d-abc123xyz"
PROFILE = "alice"
PROJECT = f"sagemaker-studio-{DOMAIN}-{PROFILE}-qwertyuiopasdfgh"
REPOSITORY = f"sagemaker-studio-{DOMAIN}"
BUCKET = f"sagemaker-{REGION}-{ACCOUNT}"
KEY = "codebuild-sagemaker-container-qwertyuiopasdfgh.zip"
DLC_ACCOUNT = "763104351884"

INLINE_POLICIES: dict[str, dict[str, Any]] = {
    "sm-studio-codebuild": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ImageBuildProjects",
                "Effect": "Allow",
                "Action": [
                    "codebuild:CreateProject",
                    "codebuild:DeleteProject",
                    "codebuild:StartBuild",
                    "codebuild:BatchGetBuilds",
                ],
                "Resource": "arn:aws:codebuild:*:*:project/sagemaker-studio-*",
            },
            {
                "Sid": "ReadBuildLogs",
                "Effect": "Allow",
                "Action": "logs:GetLogEvents",
                "Resource": "arn:aws:logs:*:*:log-group:/aws/codebuild/sagemaker-studio-*:*",
            },
        ],
    },
    "sm-studio-passrole": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PassSelfToCodeBuild",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": ROLE,
                "Condition": {"StringEquals": {"iam:PassedToService": "codebuild.amazonaws.com"}},
            }
        ],
    },
    "sm-studio-ecr": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "StudioRepositories",
                "Effect": "Allow",
                "Action": [
                    "ecr:CreateRepository",
                    "ecr:DescribeRepositories",
                    "ecr:BatchCheckLayerAvailability",
                    "ecr:InitiateLayerUpload",
                    "ecr:UploadLayerPart",
                    "ecr:CompleteLayerUpload",
                    "ecr:PutImage",
                    "ecr:BatchGetImage",
                    "ecr:GetDownloadUrlForLayer",
                ],
                # A variable before the fifth colon would be literal text (AWS substitutes only
                # in the resource part): the account is written out.
                "Resource": f"arn:aws:ecr:*:{ACCOUNT}:repository/sagemaker-studio-*",
            },
            {
                "Sid": "RegistryLogin",
                "Effect": "Allow",
                "Action": "ecr:GetAuthorizationToken",
                "Resource": "*",
            },
            {
                "Sid": "PullDeepLearningContainers",
                "Effect": "Allow",
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                "Resource": f"arn:aws:ecr:*:{DLC_ACCOUNT}:repository/*",
            },
        ],
    },
    "sm-studio-s3": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DefaultBucket",
                "Effect": "Allow",
                "Action": ["s3:CreateBucket", "s3:ListBucket"],
                "Resource": "arn:aws:s3:::sagemaker-*",
                "Condition": {"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}},
            },
            {
                "Sid": "BuildContexts",
                "Effect": "Allow",
                "Action": [
                    "s3:PutObject",
                    "s3:GetObject",
                    "s3:GetObjectVersion",
                    "s3:DeleteObject",
                ],
                "Resource": "arn:aws:s3:::sagemaker-*/codebuild-sagemaker-container-*",
            },
            {
                "Sid": "ListBuckets",
                "Effect": "Allow",
                "Action": "s3:ListAllMyBuckets",
                "Resource": "*",
            },
        ],
    },
    "sm-studio-build-logs-and-guards": {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "BuildLogs",
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [
                    "arn:aws:logs:*:*:log-group:/aws/codebuild/sagemaker-studio-*",
                    "arn:aws:logs:*:*:log-group:/aws/codebuild/sagemaker-studio-*:*",
                ],
            },
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Action": ["s3:*", "ecr:*"],
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyOtherRegions",
                "Effect": "Deny",
                "NotAction": ["iam:*", "sts:*", "s3:ListAllMyBuckets"],
                "Resource": "*",
                "Condition": {
                    "StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "eu-west-1"]}
                },
            },
        ],
    },
}


def _arn(service: str, resource: str, *, region: str = REGION, account: str = ACCOUNT) -> str:
    return f"arn:aws:{service}:{region}:{account}:{resource}"


PROJECT_ARN = _arn("codebuild", f"project/{PROJECT}")
REPO_ARN = _arn("ecr", f"repository/{REPOSITORY}")
# `--repository my-model:latest`: creating it is allowed, pushing to a name without
# "sagemaker" is not (the trap docs/sm-docker.md lists).
OTHER_REPO_ARN = _arn("ecr", "repository/my-model")
DLC_ARN = _arn("ecr", "repository/pytorch-training", account=DLC_ACCOUNT)
LOG_GROUP = _arn("logs", f"log-group:/aws/codebuild/{PROJECT}")
LOG_STREAM = f"{LOG_GROUP}:log-stream:7f3c2a1e-0000-4000-8000-000000000000"
OBJECT = f"arn:aws:s3:::{BUCKET}/{KEY}"

# (principal, action, resource, extra context), in the order sm-docker build makes them.
BUILD_REQUESTS: list[tuple[str, str, str, dict[str, Any]]] = [
    (
        STUDIO,
        "sagemaker:DescribeUserProfile",
        _arn("sagemaker", f"user-profile/{DOMAIN}/{PROFILE}"),
        {},
    ),
    (STUDIO, "sagemaker:DescribeDomain", _arn("sagemaker", f"domain/{DOMAIN}"), {}),
    (STUDIO, "s3:ListAllMyBuckets", "*", {}),
    (STUDIO, "s3:ListBucket", f"arn:aws:s3:::{BUCKET}", {}),
    (STUDIO, "s3:CreateBucket", f"arn:aws:s3:::{BUCKET}", {}),
    (STUDIO, "s3:PutObject", OBJECT, {}),
    (STUDIO, "codebuild:CreateProject", PROJECT_ARN, {}),
    (STUDIO, "iam:PassRole", ROLE, {"iam:PassedToService": "codebuild.amazonaws.com"}),
    (STUDIO, "ecr:CreateRepository", REPO_ARN, {}),
    (STUDIO, "codebuild:StartBuild", PROJECT_ARN, {}),
    (STUDIO, "codebuild:BatchGetBuilds", PROJECT_ARN, {}),
    (STUDIO, "logs:GetLogEvents", LOG_STREAM, {}),
    (STUDIO, "ecr:DescribeRepositories", REPO_ARN, {}),
    (STUDIO, "codebuild:DeleteProject", PROJECT_ARN, {}),
    (STUDIO, "s3:DeleteObject", OBJECT, {}),
    (STUDIO, "iam:PassRole", ROLE, {"iam:PassedToService": "sagemaker.amazonaws.com"}),
    (BUILD, "logs:CreateLogGroup", LOG_GROUP, {}),
    (BUILD, "logs:CreateLogStream", LOG_STREAM, {}),
    (BUILD, "logs:PutLogEvents", LOG_STREAM, {}),
    (BUILD, "s3:GetObject", OBJECT, {}),
    (BUILD, "s3:GetObjectVersion", OBJECT, {}),
    (BUILD, "ecr:GetAuthorizationToken", "*", {}),
    (BUILD, "ecr:BatchGetImage", DLC_ARN, {}),
    (BUILD, "ecr:GetDownloadUrlForLayer", DLC_ARN, {}),
    (BUILD, "ecr:BatchCheckLayerAvailability", REPO_ARN, {}),
    (BUILD, "ecr:InitiateLayerUpload", REPO_ARN, {}),
    (BUILD, "ecr:UploadLayerPart", REPO_ARN, {}),
    (BUILD, "ecr:CompleteLayerUpload", REPO_ARN, {}),
    (BUILD, "ecr:PutImage", REPO_ARN, {}),
    (BUILD, "ecr:BatchGetImage", REPO_ARN, {}),
    (STUDIO, "ecr:CreateRepository", OTHER_REPO_ARN, {}),
    (BUILD, "ecr:InitiateLayerUpload", OTHER_REPO_ARN, {}),
]


def _context(principal: str, extra: dict[str, Any]) -> dict[str, Any]:
    # What AWS puts in these requests' context; iam-simulate derives none of it, so both engines
    # are given it explicitly.
    return {
        "aws:PrincipalArn": ROLE,
        "aws:PrincipalAccount": ACCOUNT,
        "aws:PrincipalType": "AssumedRole",
        "aws:PrincipalIsAWSService": "false",
        "aws:ResourceAccount": ACCOUNT,
        "aws:RequestedRegion": REGION,
        "aws:SecureTransport": "true",
        "aws:CurrentTime": "2026-01-15T10:00:00Z",
        **({"aws:ViaAWSService": "false"} if principal == STUDIO else {}),
        **extra,
    }


def documents() -> dict[str, dict[str, Any]]:
    if not MANAGED.exists():
        raise SystemExit(f"fixture missing: {MANAGED} (run from a checkout of the repository)")
    managed: dict[str, Any] = json.loads(MANAGED.read_text())
    return {"AmazonSageMakerFullAccess": managed, **INLINE_POLICIES}


def requests() -> list[Request]:
    return [
        Request(
            action=action,
            resource=resource,
            principal=principal,
            context=_context(principal, extra),
        )
        for principal, action, resource, extra in BUILD_REQUESTS
    ]


@dataclass(frozen=True)
class Report:
    requests: int
    policies: int
    rounds: int
    engine_median_us: float
    engine_p90_us: float
    engine_slowest_request: str
    engine_slowest_us: float
    oracle_median_us: float | None
    speedup: float | None
    under_goal: bool
    faster_than_oracle: bool | None
    disagreements: list[str]
    results: list[dict[str, str]]


def _per_request_us(elapsed_ns: int, count: int) -> float:
    return elapsed_ns / count / 1000.0


def time_engine(
    policies: list[Policy], reqs: list[Request], rounds: int
) -> tuple[list[float], list[float], list[str]]:
    """Per-round microseconds per request, per-request medians and each request's result."""
    results: list[str] = [evaluate(r, policies, resource_account=ACCOUNT).result for r in reqs]
    for _ in range(max(5, rounds // 10)):  # warm-up: caches, branch predictors
        for r in reqs:
            evaluate(r, policies, resource_account=ACCOUNT)
    per_round: list[float] = []
    per_request: list[list[float]] = [[] for _ in reqs]
    clock = time.perf_counter_ns
    for _ in range(rounds):
        round_start = clock()
        for i, r in enumerate(reqs):
            start = clock()
            evaluate(r, policies, resource_account=ACCOUNT)
            per_request[i].append((clock() - start) / 1000.0)
        per_round.append(_per_request_us(clock() - round_start, len(reqs)))
    return per_round, [statistics.median(times) for times in per_request], results


def oracle_cases(docs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "request": {
                "principal": principal,
                "action": action,
                "resource": resource,
                "resource_account": ACCOUNT,
                "context": _context(principal, extra),
            },
            "identity_policies": list(docs.values()),
        }
        for principal, action, resource, extra in BUILD_REQUESTS
    ]


def run(rounds: int, *, with_oracle: bool) -> Report:
    docs = documents()
    policies = [parse_policy(doc, kind="identity", name=name) for name, doc in docs.items()]
    reqs = requests()
    per_round, per_request, results = time_engine(policies, reqs, rounds)
    median = statistics.median(per_round)
    slowest = max(range(len(reqs)), key=lambda i: per_request[i])

    oracle_median: float | None = None
    oracle_results: list[str | None] = [None] * len(reqs)
    if with_oracle:
        from tests.iam.oracle import shared_oracle

        answer = shared_oracle().bench(oracle_cases(docs), rounds=max(20, rounds // 4))
        oracle_median = float(answer["median_us_per_request"])
        oracle_results = [r.get("result") for r in answer["results"]]

    disagreements = [
        f"{r.action} {r.resource}: ours={ours} iam-simulate={theirs}"
        for r, ours, theirs in zip(reqs, results, oracle_results, strict=True)
        if theirs is not None and ours != theirs
    ]
    return Report(
        requests=len(reqs),
        policies=len(policies),
        rounds=rounds,
        engine_median_us=round(median, 2),
        engine_p90_us=round(statistics.quantiles(per_round, n=10)[-1], 2),
        engine_slowest_request=f"{reqs[slowest].action} {reqs[slowest].resource}",
        engine_slowest_us=round(per_request[slowest], 2),
        oracle_median_us=None if oracle_median is None else round(oracle_median, 2),
        speedup=None if oracle_median is None else round(oracle_median / median, 1),
        under_goal=median < GOAL_US,
        faster_than_oracle=None if oracle_median is None else median < oracle_median,
        disagreements=disagreements,
        results=[
            {"action": r.action, "resource": r.resource, "result": res, "iam_simulate": str(theirs)}
            for r, res, theirs in zip(reqs, results, oracle_results, strict=True)
        ],
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--no-oracle", action="store_true", help="skip iam-simulate (no node)")
    args = parser.parse_args(argv)
    report = run(args.rounds, with_oracle=not args.no_oracle)
    if args.json:
        json.dump(asdict(report), sys.stdout, indent=2)
        print()
    else:
        print(
            f"{report.requests} requests of an image build, {report.policies} policies "
            f"(AmazonSageMakerFullAccess + 5 inline), {report.rounds} rounds"
        )
        print(
            f"sm_studio_setup.iam: median {report.engine_median_us:.2f} us/request "
            f"(p90 {report.engine_p90_us:.2f}; slowest {report.engine_slowest_request} "
            f"{report.engine_slowest_us:.2f})"
        )
        if report.oracle_median_us is not None:
            print(
                f"iam-simulate:        median {report.oracle_median_us:.2f} us/request "
                f"(in node, policies pre-validated) -> {report.speedup}x"
            )
        allowed = sum(1 for r in report.results if r["result"] == "allowed")
        print(f"decisions: {allowed} allowed, {report.requests - allowed} denied")
        goal = "met" if report.under_goal and report.faster_than_oracle is not False else "MISSED"
        print(f"goal (< {GOAL_US:.0f} us and faster than iam-simulate): {goal}")
        for line in report.disagreements:
            print(f"DISAGREEMENT {line}")
    return 1 if report.disagreements else 0


if __name__ == "__main__":
    sys.exit(main())
