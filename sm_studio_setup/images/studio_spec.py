"""What Studio asks of a custom image, read off the Dockerfile before it is attached.

From SageMaker's "Custom image specifications" (JupyterLab and Code Editor in Studio) and
"Custom SageMaker image specifications" (KernelGateway apps):

- the space's volume is mounted at /home/sagemaker-user and the working directory should be a
  folder within it;
- the app runs as UID 1000 and GID 100 (the supported values);
- /opt/ml, /opt/.sagemakerinternal and /var/log/studio belong to SageMaker;
- JupyterLab must serve on 0.0.0.0:8888 under the base URL /jupyterlab/default, Code Editor
  under /codeeditor/default: the image's entry point (or the app image config's) starts it;
- a KernelGateway app's ENTRYPOINT and CMD are overridden and port 8888 is SageMaker's; its
  kernels are found from Jupyter kernel specs.

Each finding is a sentence saying what Studio would refuse or fail on. The reading is of the
Dockerfile's own instructions: what a base image sets is not visible here, so findings a
SageMaker Distribution base image already satisfies are not raised for one.

Pure: no boto3, no I/O.
"""

from __future__ import annotations

import re

from .attach import GID, HOME, UID, AppType

_RESERVED = ("/opt/ml", "/opt/.sagemakerinternal", "/var/log/studio")
# SageMaker Distribution images set up the user, the home folder and the app's entry point.
_DISTRIBUTION = re.compile(r"(^|/)sagemaker-distribution(:|@|$)")


def _instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of each logical line: continuations joined, comments dropped."""
    found: list[tuple[str, str]] = []
    current = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        word, _, rest = current.strip().partition(" ")
        found.append((word.upper(), rest.strip()))
        current = ""
    if current.strip():
        word, _, rest = current.strip().partition(" ")
        found.append((word.upper(), rest.strip()))
    return found


def _final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    starts = [i for i, (word, _) in enumerate(instructions) if word == "FROM"]
    return instructions[starts[-1] :] if starts else instructions


def dockerfile_findings(text: str, app_type: AppType) -> list[str]:
    """Sentences on what Studio would refuse or fail on with this Dockerfile's image."""
    stage = _final_stage(_instructions(text))
    base = stage[0][1].split()[-1] if stage and stage[0][0] == "FROM" else ""
    from_distribution = bool(_DISTRIBUTION.search(base.split(" AS ")[0]))
    users = [rest.split()[0] for word, rest in stage if word == "USER" and rest]
    workdirs = [rest for word, rest in stage if word == "WORKDIR" and rest]
    findings: list[str] = []

    user = users[-1] if users else None
    if user is None:
        if not from_distribution:
            findings.append(
                f"The Dockerfile sets no USER: Studio runs the app as UID {UID} (GID {GID}); "
                f"create that user (sagemaker-user) and end with USER {UID}."
            )
    else:
        name, _, group = user.partition(":")
        if name not in (str(UID), "sagemaker-user"):
            findings.append(
                f"The image ends as USER {user}: Studio runs the app as UID {UID}, so files that "
                f"user {name} owns may not be writable; end with USER {UID}."
            )
        elif group and group not in (str(GID), "users"):
            findings.append(f"The image ends as group {group}: Studio runs the app with GID {GID}.")
    if workdirs and not (workdirs[-1] == HOME or workdirs[-1].startswith(HOME + "/")):
        findings.append(
            f"WORKDIR {workdirs[-1]} is outside {HOME}, where Studio mounts the space's "
            "volume: work saved there is lost when the app stops."
        )
    for word, rest in stage:
        if word in ("RUN", "COPY", "ADD", "VOLUME", "WORKDIR"):
            for reserved in _RESERVED:
                if re.search(rf"(^|[\s=\"'\[]){re.escape(reserved)}(/|\s|$|\"|')", rest):
                    findings.append(
                        f"{word} touches {reserved}, which SageMaker uses itself: Studio may "
                        "replace or refuse it."
                    )
                    break
    entry = any(word in ("ENTRYPOINT", "CMD") for word, _ in stage)
    if app_type in ("JupyterLab", "CodeEditor") and not entry and not from_distribution:
        url = "/jupyterlab/default" if app_type == "JupyterLab" else "/codeeditor/default"
        server = "jupyter-lab" if app_type == "JupyterLab" else "the Code Editor server"
        findings.append(
            f"The Dockerfile has no ENTRYPOINT or CMD: Studio starts the image and waits for "
            f"{server} on 0.0.0.0:8888 under {url}; without an entry point (here or in the app "
            "image config) the app never becomes healthy."
        )
    if app_type == "JupyterLab" and not from_distribution:
        installs = " ".join(rest for word, rest in stage if word == "RUN").lower()
        if "jupyterlab" not in installs and "jupyter-lab" not in installs:
            findings.append(
                "Nothing in the Dockerfile installs JupyterLab: unless the base image has it, "
                "the JupyterLab app cannot start (pip install jupyterlab)."
            )
    if app_type == "KernelGateway":
        if entry:
            findings.append(
                "A KernelGateway app's ENTRYPOINT and CMD are overridden by SageMaker: the "
                "ones in this Dockerfile will not run."
            )
        installs = " ".join(rest for word, rest in stage if word == "RUN").lower()
        if "ipykernel" not in installs and "kernelspec" not in installs:
            findings.append(
                "Nothing in the Dockerfile installs a Jupyter kernel: unless the base image has "
                "one, Studio lists no kernel for it (pip install ipykernel, then python -m "
                "ipykernel install --sys-prefix)."
            )
    return findings
