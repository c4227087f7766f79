#!/usr/bin/env bash
# Starts the real demo (emulator + JupyterLab) for Galata, with Galata's in-page helpers
# added through jupyter_server_test_config.py. The token stays on: the tests send it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
export JUPYTER_TOKEN="${JUPYTER_TOKEN:-galata-token}"
exec "$here/../.venv/bin/sm-studio-setup" demo --no-browser --port 8888 --build-seconds 2 \
  -- --config="$here/jupyter_server_test_config.py"
