"""A stand-in for Studio's Docker: the Engine API v1.41 on a unix socket, as a JupyterLab or
Code Editor space sees it when its domain has ``DockerSettings.EnableDockerAccess = ENABLED``
(``DOCKER_HOST=unix:///docker/proxy.sock``, a proxy in front of Docker 20.10 that refuses what
Studio refuses; docs/aws-behaviours.md, "Studio's Docker").

It runs in the emulator's process (``control.py`` starts and stops it), answers over stdlib
HTTP/1.1 (``wire.py``), and emulates what a build engine needs (``api.py``):

- ``GET|HEAD /_ping`` → ``OK`` with ``Api-Version: 1.41``; ``GET /v1.41/version``; the
  unversioned ``GET /version`` → 301; ``/v1.NN/`` above 1.41 → 400 "client version 1.NN is too
  new. Maximum supported API version is 1.41".
- ``POST /build`` (``build.py``): the classic builder only, ``networkmode=sagemaker`` only; a
  tar context (``context.py``), the Dockerfile's steps (``dockerfile.py``), pulls the domain's
  network allows, an image in the store (``store.py``) whose id follows from the context.
- ``POST /images/{name}/tag``, ``GET /images/{name}/json``, ``DELETE /images/{name}``.
- ``POST /images/{name}/push`` (``push.py``) with ``X-Registry-Auth`` holding an ECR token the
  emulator issued (``auth.py``): pushed through the ECR API as that token's principal.
- ``POST /containers/create``: Studio's refusals (privileged, a network other than
  ``sagemaker``); containers themselves are not emulated (404).

Anything else is 404 ``page not found``. Requests are counted as ``docker:<operation>`` in the
emulator's request counter (``GET /_sm_emulator/stats``).
"""

from __future__ import annotations

from .control import DockerControl
from .settings import FAILABLE

__all__ = ["FAILABLE", "DockerControl"]
