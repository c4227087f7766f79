#!/usr/bin/env bash
# Creates .venv-smdocker/, a virtualenv apart from the project's, holding the real `sm-docker`
# CLI (PyPI sagemaker-studio-image-build 0.6.0) at the exact versions locked in
# scripts/smdocker-requirements.txt, and prints the path of its `sm-docker` executable on
# stdout (progress goes to stderr). Idempotent: when the venv already matches the lockfile it
# only prints the path.
#
# Environment:
#   SMDOCKER_VENV       where to create it (default: <repo>/.venv-smdocker)
#   SMDOCKER_PYTHON     the interpreter to base it on (default: python3; 3.11 or newer, as
#                       the locked numpy and pandas require)
#   SMDOCKER_INSTALLER  uv | pip (default: uv when the project's .venv or PATH has it, as it
#                       installs in seconds where pip takes about half a minute)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${SMDOCKER_VENV:-$root/.venv-smdocker}"
lock="$root/scripts/smdocker-requirements.txt"
python="${SMDOCKER_PYTHON:-python3}"
stamp="$venv/.smdocker-lock.sha256"
exe="$venv/bin/sm-docker"

fail() {
  echo "smdocker-venv: $*" >&2
  exit 1
}
say() { echo "smdocker-venv: $*" >&2; }

[[ -f "$lock" ]] || fail "lockfile $lock is missing"
want="$(sha256sum "$lock" | cut -d' ' -f1)"

is_ready() {
  [[ -x "$exe" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] &&
    "$venv/bin/python" -c 'import sagemaker_studio_image_build.cli' 2>/dev/null
}

# Two test processes may ask at once; the second waits for the first's venv instead of
# deleting it half-built. Locking the lockfile itself leaves no stray file behind.
if command -v flock >/dev/null; then
  exec 9<"$lock"
  flock 9
fi

if is_ready; then
  echo "$exe"
  exit 0
fi

command -v "$python" >/dev/null || fail "no Python interpreter '$python' (set SMDOCKER_PYTHON)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' ||
  fail "$python is $("$python" -V 2>&1); the locked numpy/pandas need Python 3.11 or newer"

installer="${SMDOCKER_INSTALLER:-}"
uv=""
if [[ -x "$root/.venv/bin/uv" ]]; then
  uv="$root/.venv/bin/uv"
elif command -v uv >/dev/null; then
  uv="$(command -v uv)"
fi
if [[ -z "$installer" ]]; then
  installer=$([[ -n "$uv" ]] && echo uv || echo pip)
fi

say "creating $venv with $installer (sagemaker-studio-image-build 0.6.0 + locked deps)"
start=$SECONDS
rm -rf "$venv"
case "$installer" in
  uv)
    [[ -n "$uv" ]] || fail "SMDOCKER_INSTALLER=uv but no uv found"
    "$uv" venv --quiet --python "$python" "$venv" || fail "uv venv failed"
    "$uv" pip install --quiet --python "$venv/bin/python" --no-deps -r "$lock" ||
      fail "installing $lock with uv failed (is PyPI reachable?)"
    "$uv" pip check --quiet --python "$venv/bin/python" >&2 ||
      fail "the locked set is inconsistent (uv pip check)"
    ;;
  pip)
    "$python" -m venv "$venv" || fail "python -m venv failed"
    # This machine's global pip config adds a constraints file (/etc/xdg/pip) capping
    # unrelated packages; the lockfile alone must decide, so it is switched off here.
    PIP_CONSTRAINT="" "$venv/bin/python" -m pip install --quiet --no-deps -r "$lock" ||
      fail "installing $lock with pip failed (is PyPI reachable?)"
    "$venv/bin/python" -m pip check >&2 || fail "the locked set is inconsistent (pip check)"
    ;;
  *) fail "SMDOCKER_INSTALLER must be uv or pip, not '$installer'" ;;
esac

[[ -x "$exe" ]] || fail "$exe was not installed"
"$exe" build --help >/dev/null || fail "$exe does not start"
echo "$want" >"$stamp"
say "ready in $((SECONDS - start)) s, $(du -sh "$venv" | cut -f1)"
echo "$exe"
