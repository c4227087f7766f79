"""The child process of ``build_upload``'s memory figure: zip and upload a folder as a build
does, and print the peak RSS before and after as one JSON line.

It imports only what zipping and uploading need, so its peak is theirs (a build's own process
also holds the IAM engine's data for the check, which is the same whatever the context).

    python -m benchmarks.zip_upload_child FOLDER BUCKET
"""

from __future__ import annotations

import json
import resource
import sys
import time

import boto3

from sm_studio_setup.aws import s3_upload
from sm_studio_setup.service.build.context import read_context, zip_chunks


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's VmHWM belongs to the process's own memory
    map; ru_maxrss does not do here: it carries over the peak of the parent it was forked from,
    exec or not."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KB on Linux


def main(folder: str, bucket: str) -> None:
    session = boto3.Session()
    s3_upload.upload(session, [b"warm"], bucket, "warm.zip")  # clients made, one call made
    before = peak_rss_mb()
    begin = time.perf_counter()
    context = read_context(folder, "Dockerfile")
    done = s3_upload.upload(session, zip_chunks(context), bucket, "big.zip")
    elapsed = time.perf_counter() - begin
    after = peak_rss_mb()
    print(
        json.dumps(
            {
                "context_bytes": context.size,
                "zip_bytes": done.size,
                "parts": done.parts,
                "seconds": round(elapsed, 1),
                "peak_rss_mb_before": round(before, 1),
                "peak_rss_mb": round(after, 1),
            }
        )
    )


if __name__ == "__main__":
    main(*sys.argv[1:3])
