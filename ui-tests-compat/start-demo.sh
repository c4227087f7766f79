#!/usr/bin/env bash
# Starts the real demo (emulator + JupyterLab) from .venv-jlab40 (JupyterLab 4.0.7, made by
# scripts/jlab40-venv.sh) for Galata, with Galata's in-page helpers added through
# jupyter_server_test_config.py. The token stays on: the test sends it.
# Usage: start-demo.sh PORT EMULATOR_PORT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
venv="${JLAB40_VENV:-$here/../.venv-jlab40}"
port="${1:-8898}"
emulator_port="${2:-0}"
export JUPYTER_TOKEN="${JUPYTER_TOKEN:-galata-token}"
exec "$venv/bin/sm-studio-setup" demo --no-browser --port "$port" \
  --emulator-port "$emulator_port" --scenario self-service --build-seconds 2 \
  -- --config="$here/jupyter_server_test_config.py"
