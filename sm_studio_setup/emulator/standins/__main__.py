"""``python -m sm_studio_setup.emulator.standins docker|aws ARGS...``: what a build's
``docker`` and ``aws`` wrappers exec."""

from __future__ import annotations

import sys

from . import main

raise SystemExit(main(sys.argv[1:]))
