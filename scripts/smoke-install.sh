#!/usr/bin/env bash
# Install the built wheel into a fresh venv outside the checkout, for each Python version given,
# and run a sandbox plan and the gate of a copy of the repository's stack with it.
# Proves that `pip install` of the wheel alone gives a working `infra plan` (bundled schema,
# CRDs, templates): nothing is read from the checkout or from anything beside it.
#   scripts/smoke-install.sh 3.12 3.13
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
[ $# -gt 0 ] || { echo "usage: $0 PYTHON_VERSION..." >&2; exit 2; }

find_python() {  # 3.12 -> an interpreter of that version (PATH, then pyenv's versions)
  local want=$1 candidate
  for candidate in "python$want" "$(pyenv root 2>/dev/null)"/versions/"$want"*/bin/python; do
    if "$candidate" -c "import sys; sys.exit(f'{sys.version_info[0]}.{sys.version_info[1]}' != '$want')" 2>/dev/null; then
      command -v "$candidate" || echo "$candidate"
      return 0
    fi
  done
  return 1
}

work=$(mktemp -d "${TMPDIR:-/tmp}/infra-smoke.XXXXXX")
trap 'rm -rf "$work"' EXIT
builder=$(find_python 3.11 || find_python "$1")
"$builder" -m venv "$work/build-venv"
"$work/build-venv/bin/pip" -q install --upgrade pip wheel
"$work/build-venv/bin/pip" -q wheel --no-deps -w "$work/dist" "$repo"
wheel=$(ls "$work"/dist/infra_toolkit-*.whl)
echo "smoke: built $(basename "$wheel")"

project="$work/project"   # a copy of the stack and settings, no toolkit sources
mkdir -p "$project"
for d in environments modules terraform policy controls; do cp -r "$repo/$d" "$project/$d"; done

for version in "$@"; do
  python=$(find_python "$version") || { echo "smoke: no Python $version on this machine" >&2; exit 1; }
  venv="$work/venv-$version"
  "$python" -m venv "$venv"
  "$venv/bin/pip" -q install --upgrade pip
  "$venv/bin/pip" -q install "$wheel"
  echo "smoke: Python $("$venv/bin/python" -c 'import platform; print(platform.python_version())') with $(basename "$wheel")"
  (
    cd "$work"   # not inside the checkout
    export INFRA_CACHE_DIR="$work/cache-$version"
    unset INFRA_PROVIDER_SCHEMA INFRA_PROJECT INFRA_ARTIFACTS
    "$venv/bin/infra" --project "$project" --artifacts "$work/artifacts-$version" doctor
    "$venv/bin/infra" --project "$project" --artifacts "$work/artifacts-$version" plan us-east --sandbox
    "$venv/bin/infra" --project "$project" --artifacts "$work/artifacts-$version" gate --region us-east
    "$venv/bin/python" - "$work/artifacts-$version/staging/us-east/summary.json" <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
assert summary["mode"] == "sandbox" and summary["counts"]["add"] > 50, summary["counts"]
print(f"smoke: staging/us-east planned {summary['counts']['add']} to add in sandbox mode")
PY
  )
done
