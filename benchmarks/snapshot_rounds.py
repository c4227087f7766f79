"""How many sequential round trips the role snapshot takes, with injected latency.

Creates a role with M managed and M inline policies plus a boundary in the emulator, reads
its snapshot with latency L per request, and prints elapsed / L: the number of rounds the
reads really took (the goal is 3), next to the number of requests (sequential would take
that many rounds).

    .venv/bin/python -m benchmarks.snapshot_rounds [--policies M] [--latency L] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from sm_studio_setup.aws.snapshot import read_role
from sm_studio_setup.emulator.core.latency import parse_latency
from sm_studio_setup.emulator.core.server import Emulator

_DOC = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}
_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "sagemaker.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def measure(policies: int, latency_ms: float) -> dict[str, float]:
    with Emulator(seed="none") as emulator:
        admin = emulator.admin_session()
        iam = admin.client("iam")
        arns = [
            iam.create_policy(PolicyName=f"bench-{i}", PolicyDocument=json.dumps(_DOC))["Policy"][
                "Arn"
            ]
            for i in range(policies + 1)
        ]
        role_arn = iam.create_role(
            RoleName="bench",
            AssumeRolePolicyDocument=json.dumps(_TRUST),
            PermissionsBoundary=arns[-1],
        )["Role"]["Arn"]
        for i, arn in enumerate(arns[:-1]):
            iam.attach_role_policy(RoleName="bench", PolicyArn=arn)
            iam.put_role_policy(
                RoleName="bench", PolicyName=f"inline{i}", PolicyDocument=json.dumps(_DOC)
            )
        read_role(admin, role_arn, refresh=True)  # load botocore's models outside the timing
        emulator.counter.reset()
        emulator.set_latency(parse_latency(f"{latency_ms:g}"))
        start = time.perf_counter()
        read_role(admin, role_arn, refresh=True)
        elapsed = time.perf_counter() - start
        requests = emulator.counter.snapshot()["total"]
    return {
        "policies": policies,
        "latency_ms": latency_ms,
        "requests": requests,
        "elapsed_s": round(elapsed, 3),
        "rounds": round(elapsed / (latency_ms / 1000), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--policies", type=int, default=10)
    parser.add_argument("--latency", type=float, default=100.0, metavar="MS")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.policies, args.latency)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"{result['policies']} managed + {result['policies']} inline policies + boundary: "
            f"{result['requests']} requests in {result['elapsed_s']} s at {args.latency:g} ms "
            f"= {result['rounds']} rounds (goal: 3; sequential: {result['requests']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
