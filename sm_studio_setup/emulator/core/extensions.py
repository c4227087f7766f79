"""Registers every addition the project makes to moto's backends.

Each module listed here exposes an idempotent ``install()`` that patches moto's response and
backend classes. Patching classes (not instances) is what lets the same additions work both
in-process under ``mock_aws`` and behind the loopback server, and state kept on moto's backend
objects is cleared by moto's own reset.
"""

from __future__ import annotations

import importlib

# Order matters only for readability: none of these depend on one another at install time.
_MODULES = (
    "sm_studio_setup.emulator.services.sagemaker",
    "sm_studio_setup.emulator.services.codebuild",
    "sm_studio_setup.emulator.services.iam",
    "sm_studio_setup.emulator.services.ecr",
    "sm_studio_setup.emulator.services.ecr_refusals",
    "sm_studio_setup.emulator.services.logs",
    "sm_studio_setup.emulator.services.s3",
)

_installed = False


def install_all() -> None:
    global _installed
    if _installed:
        return
    for name in _MODULES:
        importlib.import_module(name).install()
    _installed = True
