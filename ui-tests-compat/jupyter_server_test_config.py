"""JupyterLab settings for the UI tests: Galata's helpers, with token authentication kept on."""

import os

from jupyterlab.galata import configure_jupyter_server

configure_jupyter_server(c)  # type: ignore[name-defined]  # noqa: F821
# Galata turns authentication off; the demo must be tested as users get it.
c.IdentityProvider.token = os.environ["JUPYTER_TOKEN"]  # type: ignore[name-defined]  # noqa: F821
