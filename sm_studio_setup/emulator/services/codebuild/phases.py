"""CodeBuild's phase vocabulary and the settings of the next builds, shared by the API side
(``responses.py``) and the thread that runs a build (``runner.py``).

Pure: no moto, no threads, no I/O, so both sides import it and neither imports the other's
module for a constant. The phase sequence and what follows a failure are AWS's (AWS CodeBuild
User Guide, "Build phase transitions"); the weights are the emulator's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from sm_studio_setup.aws.codebuild import PHASES as PHASES

from .buildspec import COMMAND_PHASES as COMMAND_PHASES

# SUBMITTED and QUEUED happen before any container exists, COMPLETED is not a step.
FAILABLE_PHASES = PHASES[2:-1]
FAIL_PHASE_VARIABLE = "SM_EMULATOR_FAIL_PHASE"

# Relative phase lengths, roughly those of a small docker build on CodeBuild. SUBMITTED is 0
# because AWS reports it with durationInSeconds 0 and StartBuild already answers in QUEUED.
WEIGHTS = {
    "SUBMITTED": 0.0,
    "QUEUED": 1.0,
    "PROVISIONING": 3.0,
    "DOWNLOAD_SOURCE": 1.0,
    "INSTALL": 1.0,
    "PRE_BUILD": 2.0,
    "BUILD": 6.0,
    "POST_BUILD": 2.0,
    "UPLOAD_ARTIFACTS": 0.5,
    "FINALIZING": 1.5,
}
# What still runs after a failed phase (AWS: POST_BUILD and UPLOAD_ARTIFACTS are attempted
# after a BUILD failure; any earlier failure goes straight to FINALIZING).
AFTER_FAILURE = {
    "BUILD": ("POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING"),
    "POST_BUILD": ("UPLOAD_ARTIFACTS", "FINALIZING"),
    "UPLOAD_ARTIFACTS": ("FINALIZING",),
    "FINALIZING": (),
}
EMPTY_CONTEXT = {"statusCode": "", "message": ""}


# A bound on provisioning_seconds, so that a typo cannot hold every build for days.
MAX_PROVISIONING_SECONDS = 3600.0


@dataclass
class BuildSettings:
    duration_seconds: float = 20.0
    fail_phase: str | None = None
    # The least PROVISIONING lasts; 0: only its share of duration_seconds (WEIGHTS).
    provisioning_seconds: float = 0.0


settings = BuildSettings()


def configure(
    duration_seconds: float | None = None,
    fail_phase: str | None = None,
    provisioning_seconds: float | None = None,
) -> BuildSettings:
    """Change how the next builds run. None leaves a value as it is; ``fail_phase=""`` (or
    "NONE") clears an injected failure, ``provisioning_seconds=0`` a provisioning delay.
    Running builds keep the settings they started with."""
    if duration_seconds is not None:
        if duration_seconds <= 0:
            raise ValueError("duration_seconds must be positive")
        settings.duration_seconds = float(duration_seconds)
    if provisioning_seconds is not None:
        if not 0 <= provisioning_seconds <= MAX_PROVISIONING_SECONDS:
            raise ValueError(
                f"provisioning_seconds must be 0 to {MAX_PROVISIONING_SECONDS:g} seconds"
            )
        settings.provisioning_seconds = float(provisioning_seconds)
    if fail_phase is not None:
        settings.fail_phase = parse_fail_phase(fail_phase, strict=True)
    return settings


def parse_fail_phase(value: str, *, strict: bool) -> str | None:
    phase = value.strip().upper()
    if phase in ("", "NONE"):
        return None
    if phase not in FAILABLE_PHASES:
        if strict:
            raise ValueError(f"fail_phase must be one of {', '.join(FAILABLE_PHASES)}")
        return settings.fail_phase
    return phase


def failure_context(kind: str) -> dict[str, str]:
    """The context of a failure injected into a phase that runs no commands (the runner words
    the command phases' own: the command and its exit status)."""
    return {
        "statusCode": "CLIENT_ERROR",
        "message": f"Failure injected by the emulator ({FAIL_PHASE_VARIABLE}={kind})",
    }
