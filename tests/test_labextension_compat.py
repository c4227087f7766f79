"""The labextension asks JupyterLab for no more than it needs.

JupyterLab 4.0.7 (SageMaker Distribution 1.0.0's, the oldest image) must list it as
compatible (`jupyter labextension list` compares package.json's dependency ranges with its own
packages) and load it without a shared-module warning (module federation compares the
`requiredVersion` the bundle was built with). jupyter-builder writes the JupyterLab it builds
against as `requiredVersion` unless package.json's `jupyterlab.sharedPackages` says otherwise.
ui-tests-compat/ runs the extension in that JupyterLab; these checks are the quick ones.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = json.loads((REPO / "package.json").read_text(encoding="utf-8"))
STATIC = REPO / "sm_studio_setup" / "labextension" / "static"

# The shared modules JupyterLab 4.0.7 provides that the extension uses, at the versions its
# wheel registers them (jupyterlab-4.0.7-py3-none-any.whl, share/jupyter/lab/static/*.js).
JUPYTERLAB_4_0_7 = {
    "@jupyterlab/application": "4.0.7",
    "@jupyterlab/apputils": "4.1.7",
    "@jupyterlab/coreutils": "6.0.7",
    "@jupyterlab/filebrowser": "4.0.7",
    "@jupyterlab/services": "7.0.7",
    "@jupyterlab/settingregistry": "4.0.7",
    "@jupyterlab/ui-components": "4.0.7",
    "@lumino/coreutils": "2.1.2",
    "@lumino/signaling": "2.1.2",
    "@lumino/widgets": "2.3.0",
    "react": "18.2.0",
    "react-dom": "18.2.0",
}

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?")


def _key(version: str) -> tuple[int, int, int, int, str]:
    found = _VERSION.fullmatch(version)
    assert found, f"not a version: {version!r}"
    major, minor, patch, pre = found.groups()
    # A prerelease comes before its release (semver).
    return int(major), int(minor), int(patch), 0 if pre else 1, pre or ""


def satisfies(version: str, wanted: str) -> bool:
    """npm's semver for the forms these ranges take: ``^X.Y.Z[-pre]``, ``~X.Y.Z`` or exact."""
    if wanted.startswith(("^", "~")):
        low = _key(wanted[1:])
        major, minor = low[0], low[1]
        if wanted[0] == "~" or major == 0:
            high = (major, minor + 1, 0, 0, "")
        else:
            high = (major + 1, 0, 0, 0, "")
        return low <= _key(version) < high
    return _key(version) == _key(wanted)


def test_satisfies_reads_npm_ranges() -> None:
    assert satisfies("4.0.7", "^4.0.7")
    assert satisfies("4.6.6", "^4.0.7")
    assert not satisfies("4.0.7", "^4.2.0")
    assert not satisfies("5.0.0", "^4.0.7")
    assert not satisfies("2.3.0", "^2.3.1-alpha.1")
    assert satisfies("2.3.1", "^2.3.1-alpha.1")
    assert not satisfies("4.1.0", "~4.0.7")
    assert satisfies("4.0.7", "4.0.7")


def shared_dependencies() -> dict[str, str]:
    return {
        name: wanted for name, wanted in PACKAGE["dependencies"].items() if name in JUPYTERLAB_4_0_7
    }


def test_jupyterlab_4_0_7_satisfies_the_declared_dependencies() -> None:
    assert "@jupyterlab/application" in shared_dependencies()
    unmet = {
        name: f"{wanted} (4.0.7 has {JUPYTERLAB_4_0_7[name]})"
        for name, wanted in shared_dependencies().items()
        if not satisfies(JUPYTERLAB_4_0_7[name], wanted)
    }
    assert not unmet, f"JupyterLab 4.0.7 would list the extension as not compatible: {unmet}"


def test_the_bundle_is_built_to_require_the_declared_ranges() -> None:
    shared = PACKAGE["jupyterlab"].get("sharedPackages", {})
    differ = {
        name: (shared.get(name, {}).get("requiredVersion"), wanted)
        for name, wanted in shared_dependencies().items()
        if shared.get(name, {}).get("requiredVersion") != wanted
    }
    assert not differ, (
        "jupyterlab.sharedPackages.<name>.requiredVersion must repeat the dependency's range "
        f"(else the build's own JupyterLab is required): {differ}"
    )


def test_the_built_bundle_requires_nothing_jupyterlab_4_0_7_lacks() -> None:
    entries = sorted(STATIC.glob("remoteEntry.*.js"))
    # scripts/setup builds it before any test: no bundle is a failure, never a pass.
    assert entries, "the labextension is not built (run scripts/setup)"
    code = entries[-1].read_text(encoding="utf-8")
    required = dict(re.findall(r'shareKey:\s*"([^"]+)"[^}]*?requiredVersion:\s*"([^"]+)"', code))
    assert "@jupyterlab/application" in required, "no shared module found in the bundle"
    unknown = sorted(set(required) - set(JUPYTERLAB_4_0_7))
    assert not unknown, f"add what JupyterLab 4.0.7 ships of {unknown} to JUPYTERLAB_4_0_7"
    unmet = {
        name: f"requires {wanted}, 4.0.7 has {JUPYTERLAB_4_0_7[name]}"
        for name, wanted in required.items()
        if not satisfies(JUPYTERLAB_4_0_7[name], wanted)
    }
    assert not unmet, f"JupyterLab 4.0.7 would warn about these shared modules: {unmet}"
