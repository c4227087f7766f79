"""The registry of requirement profiles: name → function of :class:`Params`.

The workflow profiles (pipelines, mlops-cicd, mlflow-deploy) take a second options object; the
registry calls them with their defaults. Their modules are imported on first use so that one
profile's import error does not take the others down.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from .image_build import image_build
from .image_use import image_use
from .model import ParamError, Requirement
from .params import Params
from .studio_kernel import studio_kernel

ProfileFn = Callable[[Params], list[Requirement]]


def _lazy(module: str, profile: str) -> ProfileFn:
    """A profile function living in ``requirements/{module}.py`` as ``requirements`` (or named
    after the module), resolved when first called."""

    def call(params: Params) -> list[Requirement]:
        mod = importlib.import_module(f"{__package__}.{module}")
        fn = getattr(mod, "requirements", None) or getattr(mod, module)
        result: list[Requirement] = fn(params)
        return result

    call.__name__ = module
    call.__doc__ = f"The {profile!r} profile with default options (requirements/{module}.py)."
    return call


PROFILES: dict[str, ProfileFn] = {
    "image-build": image_build,
    "image-use": image_use,
    "studio-kernel": studio_kernel,
    "pipelines": _lazy("pipelines", "pipelines"),
    "mlops-cicd": _lazy("mlops_cicd", "mlops-cicd"),
    "mlflow-deploy": _lazy("mlflow_deploy", "mlflow-deploy"),
    "lifecycle-config": _lazy("lifecycle_config", "lifecycle-config"),
}


def requirements_for(profile: str, params: Params) -> list[Requirement]:
    """The requirements of ``profile`` for ``params``; ``ValueError`` for an unknown profile."""
    try:
        fn = PROFILES[profile]
    except KeyError:
        known = ", ".join(sorted(PROFILES))
        raise ParamError("profile", f"unknown profile {profile!r}; known: {known}") from None
    return fn(params)
