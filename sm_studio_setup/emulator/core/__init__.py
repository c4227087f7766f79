"""What every request to the emulator passes through, whichever AWS service it names.

The server and its control API (``server.py``), and the WSGI layers in front of moto: the
origin guard (``guard.py``), injected latency and the request counter (``latency.py``),
injected faults and stale reads (``faults.py``) and IAM enforcement (``enforcement.py``), which
asks the one decision point (``access.py``, filled by ``decider.py`` with the project's IAM
engine) about the action and resource a call is authorized against (``resources.py``).
``extensions.py`` installs the per-service additions of ``..services``.

Nothing here imports a service module at import time: the services import ``access`` from
here, and the server reaches CodeBuild's settings only when it starts or is asked to.
"""
