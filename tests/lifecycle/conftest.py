from __future__ import annotations

from pathlib import Path

import pytest

from .support import build_wheel


@pytest.fixture(scope="session")
def project_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A wheel of this checkout, as pip would install it from PyPI."""
    return build_wheel(tmp_path_factory.mktemp("dist"))
