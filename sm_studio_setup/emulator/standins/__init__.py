"""Stand-ins for ``docker`` and ``aws`` inside the emulator's CodeBuild builds.

A build's commands run on the user's machine, so the binaries a buildspec calls must never be
the real ones: a real ``docker push`` or ``aws`` call would act on whatever registry or account
the machine can reach. The runner puts a ``bin`` folder holding two small wrappers first on the
build's PATH; they exec ``python -I -m sm_studio_setup.emulator.standins docker|aws ARGS``
(``-I`` so that the source folder, which is the working directory, can never shadow a module).

Both stand-ins first write one line naming their arguments exactly,
``[docker] <JSON array>`` on stdout and ``[aws] <JSON array>`` on stderr (stdout of ``aws`` is
what buildspecs capture: ``$(aws ecr get-login ...)``, ``aws ecr get-login-password | docker
login ...``), both of which the runner streams into the build's log. What they emulate, and the
state they keep per build, is described in ``docker_cli`` and ``aws_cli``; every AWS call goes
through boto3 to the emulator with the build's own credentials, so IAM enforcement applies to
the project's service role exactly as it would to a real build.

``docker_engine/`` is the other docker the emulator offers: Studio's own, the Engine API on a
unix socket, served from the emulator's process (not a build's). What both dockers share is
here: ``references`` (docker's reference grammar), ``image_config`` (an image's config and id)
and ``registry`` (a push to the emulator's ECR).
"""

from __future__ import annotations

import sys

from .common import StandinError, warn


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("docker", "aws"):
        warn("usage: python -m sm_studio_setup.emulator.standins docker|aws ARGS...")
        return 2
    name, args = argv[0], argv[1:]
    try:
        if name == "docker":
            from . import docker_cli

            return docker_cli.main(args)
        from . import aws_cli

        return aws_cli.main(args)
    except StandinError as exc:
        warn(exc.message)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return 141
