#!/usr/bin/env bash
# Creates .venv-jlab40/, a virtualenv apart from the project's, as a user of SageMaker
# Distribution 1.0.0 has it: JupyterLab 4.0.7 and jupyter_server 2.8.0 with the rest of that
# image's pins (tests/fixtures/smd/1.0.0.txt, as constraints; but the AWS SDK's, which the
# demo needs newer), plus this project's wheel and its [demo] extra, for the compatibility
# smoke test in ui-tests-compat/. Then checks that
# JupyterLab 4.0.7 lists the labextension as enabled and compatible, and prints the venv's
# path on stdout (progress goes to stderr).
#
# Idempotent: the venv is made again only when the pins, the requirements or the Python
# change; the wheel is rebuilt and reinstalled on every run, as the code changes between runs.
# It is built from the working tree as it is, so run scripts/setup first (the labextension).
#
# Environment:
#   JLAB40_VENV     where to create it (default: <repo>/.venv-jlab40)
#   JLAB40_PYTHON   the interpreter (default: a Python 3.10, SMD 1.0.0's, when one is found,
#                   else python3)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${JLAB40_VENV:-$root/.venv-jlab40}"
pins="$root/tests/fixtures/smd/1.0.0.txt"
requirements=("jupyterlab==4.0.7" "jupyter_server==2.8.0")
stamp="$venv/.jlab40.sha256"
uv="$root/.venv/bin/uv"

fail() {
  echo "jlab40-venv: $*" >&2
  exit 1
}
say() { echo "jlab40-venv: $*" >&2; }

[[ -f "$pins" ]] || fail "pins file $pins is missing"
[[ -x "$uv" && -x "$root/.venv/bin/python" ]] || fail "no $root/.venv: run scripts/setup first"

find_python() {
  if [[ -n "${JLAB40_PYTHON:-}" ]]; then
    echo "$JLAB40_PYTHON"
    return
  fi
  # pyenv's shim for python3.10 fails unless 3.10 is a global version, so look behind it too.
  local candidate
  for candidate in python3.10 "$(pyenv root 2>/dev/null || echo /nonexistent)"/versions/3.10*/bin/python3.10; do
    if "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      echo "$candidate"
      return
    fi
  done
  echo python3
}
python="$(find_python)"
command -v "$python" >/dev/null || fail "no Python interpreter '$python' (set JLAB40_PYTHON)"
version="$("$python" -c 'import platform; print(platform.python_version())')"
[[ "$version" == 3.10.* ]] || say "using Python $version: no Python 3.10 (SMD 1.0.0's) was found"

# Two runs at once would rebuild the same venv; the second waits for the first.
if command -v flock >/dev/null; then
  exec 9<"$pins"
  flock 9
fi

want="$(
  {
    cat "$pins"
    printf '%s\n' "${requirements[@]}" "$version"
  } | sha256sum | cut -d' ' -f1
)"
start=$SECONDS
if [[ ! -x "$venv/bin/python" || ! -f "$stamp" || "$(cat "$stamp")" != "$want" ]]; then
  say "creating $venv (Python $version)"
  rm -rf "$venv"
  "$uv" venv --quiet --python "$python" "$venv" || fail "uv venv failed"
fi

dist="$(mktemp -d)"
trap 'rm -rf "$dist"' EXIT
# No isolation: the build back-end comes from uv.lock, as in tests/test_packaging.py.
built="$("$root/.venv/bin/python" -m build --wheel --no-isolation --outdir "$dist" "$root" 2>&1)" ||
  fail "building the wheel failed:"$'\n'"$built"
wheel="$(echo "$dist"/sm_studio_setup-*.whl)"
[[ -f "$wheel" ]] || fail "no wheel was built"

# The [demo] extra needs a newer AWS SDK than SMD 1.0.0's (pyproject.toml says why): those
# pins are lifted, every other one is kept. tests/test_smd_pins.py holds the plain wheel to
# all of them.
constraints="$dist/constraints.txt"
grep -viE '^(boto3|botocore|s3transfer)==' "$pins" >"$constraints"
"$uv" pip install --quiet --python "$venv/bin/python" --constraint "$constraints" \
  --reinstall-package sm-studio-setup "${requirements[@]}" "${wheel}[demo]" ||
  fail "installing the wheel with SMD 1.0.0's pins failed (is PyPI reachable?)"
"$uv" pip check --quiet --python "$venv/bin/python" >&2 ||
  fail "the installed set is inconsistent (uv pip check)"
echo "$want" >"$stamp"

# What a Studio user sees in a terminal: listed, enabled, and no "not compatible" verdict.
# The output is read whole before grep (pipefail: an early-closing grep -q fails the pipe).
lab="$("$venv/bin/jupyter" labextension list 2>&1 | sed 's/\x1b\[[0-9;]*m//g')"
grep -q "JupyterLab v4\.0\.7" <<<"$lab" || fail "the venv's JupyterLab is not 4.0.7:"$'\n'"$lab"
grep -Eq "sm-studio-setup v[^ ]+ enabled +OK" <<<"$lab" ||
  fail "the labextension is not enabled and OK in JupyterLab 4.0.7:"$'\n'"$lab"
if grep -q '"sm-studio-setup@[^"]*" is not compatible' <<<"$lab"; then
  fail "JupyterLab 4.0.7 finds the labextension not compatible:"$'\n'"$lab"
fi
servers="$("$venv/bin/jupyter" server extension list 2>&1 | sed 's/\x1b\[[0-9;]*m//g')"
grep -Eq "sm_studio_setup [^ ]+ OK" <<<"$servers" ||
  fail "the server extension does not load in jupyter_server 2.8.0:"$'\n'"$servers"

say "ready in $((SECONDS - start)) s: JupyterLab 4.0.7, jupyter_server 2.8.0, Python $version"
echo "$venv"
