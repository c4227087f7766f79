"""The folder the demo opens on: an example image to build, so the quick start works click by
click without writing anything.

``example-image/`` is a small JupyterLab image that follows SageMaker's "Custom image
specifications" for JupyterLab in Studio (``images/studio_spec.py`` reads it without a finding):
the app runs as UID 1000 / GID 100 (``sagemaker-user``), works in ``/home/sagemaker-user``, and
starts ``jupyter-lab`` on 0.0.0.0:8888 under ``/jupyterlab/default``. Its ``.dockerignore``
keeps notebooks' checkpoints, caches and data out of the build context, as a real project's
would. Nothing here runs Docker: the demo's CodeBuild uses a stand-in.
"""

from __future__ import annotations

from pathlib import Path

EXAMPLE = "example-image"

_DOCKERFILE = """\
# A small JupyterLab image for SageMaker Studio (SageMaker Developer Guide, "Custom image
# specifications"): UID 1000, GID 100, home /home/sagemaker-user, JupyterLab on port 8888
# under /jupyterlab/default.
FROM public.ecr.aws/docker/library/python:3.12-slim

ARG NB_USER=sagemaker-user
ARG NB_UID=1000
ARG NB_GID=100

RUN pip install --no-cache-dir "jupyterlab>=4,<5" pandas \\
 && useradd --create-home --shell /bin/bash --uid "${NB_UID}" --gid "${NB_GID}" "${NB_USER}"

COPY --chown=1000:100 requirements.txt /tmp/requirements.txt
RUN pip install --no-cache-dir -r /tmp/requirements.txt

USER 1000:100
WORKDIR /home/sagemaker-user
# No token: Studio's proxy authenticates every request before it reaches the app (as in
# AWS's example). Don't publish this port anywhere else.
ENTRYPOINT ["jupyter-lab"]
CMD ["--ServerApp.ip=0.0.0.0", "--ServerApp.port=8888", \\
     "--ServerApp.base_url=/jupyterlab/default", "--ServerApp.token=", \\
     "--ServerApp.allow_origin=*"]
"""

_DOCKERIGNORE = """\
# What the image does not need: it stays out of the upload.
.ipynb_checkpoints
**/__pycache__
*.pyc
data/
.git
.venv
"""

_REQUIREMENTS = """\
# Packages the image adds to JupyterLab.
scikit-learn
matplotlib
"""

_README = """\
# An example image

Open the shield icon in the left sidebar, then:

1. **Check** — what a build needs that the demo's role lacks.
2. **Plan the fix**, then **Apply…** — the change to the role, as a diff; Undo puts it back.
3. **Build image** — builds this folder (the file browser's) on the demo's CodeBuild.
4. **Attach to Studio…** — makes the image a JupyterLab image of the demo's Studio domain.

The demo uses no AWS account: an emulator on this machine plays AWS, as slow as AWS is
where that matters (IAM changes take a few seconds to arrive, SageMaker takes its time).
`data/` is left out of the build by `.dockerignore`.
"""

FILES = {
    "Dockerfile": _DOCKERFILE,
    ".dockerignore": _DOCKERIGNORE,
    "requirements.txt": _REQUIREMENTS,
    "README.md": _README,
    "data/sample.csv": "x,y\n1,2\n",
}


def make_workspace(root: Path) -> Path:
    """Write the example image into ``root`` (kept as it is if it is already there) and
    return its folder."""
    folder = root / EXAMPLE
    for name, text in FILES.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            path.write_text(text, encoding="utf-8")
    return folder
