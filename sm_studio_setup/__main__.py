"""`python -m sm_studio_setup` is the `sm-studio-setup` command."""

import sys

from .surfaces.cli import main

sys.exit(main())
