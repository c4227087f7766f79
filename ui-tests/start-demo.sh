#!/usr/bin/env bash
# Starts the real demo (emulator + JupyterLab) for Galata, with Galata's in-page helpers
# added through jupyter_server_test_config.py. The token stays on: the tests send it.
# Usage: start-demo.sh PORT EMULATOR_PORT SCENARIO [DOCKER]
# DOCKER (enabled|disabled, default disabled, as the demo's): Studio's Docker in the demo's
# domain; only the 'local' project enables it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
port="${1:-8888}"
emulator_port="${2:-0}"
scenario="${3:-self-service}"
docker="${4:-disabled}"
export JUPYTER_TOKEN="${JUPYTER_TOKEN:-galata-token}"
exec "$here/../.venv/bin/sm-studio-setup" demo --no-browser --port "$port" \
  --emulator-port "$emulator_port" --scenario "$scenario" --docker "$docker" --build-seconds 2 \
  -- --config="$here/jupyter_server_test_config.py"
