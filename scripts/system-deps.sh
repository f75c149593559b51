#!/usr/bin/env bash
# System packages the tests need: Debian's headless Chromium (the HTML report in a browser) and
# poppler-utils (pdfinfo/pdftotext read the printed report back).
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
{ command -v pdftotext >/dev/null 2>&1 && command -v pdfinfo >/dev/null 2>&1; } || missing+=(poppler-utils)
if [ "${#missing[@]}" = 0 ]; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "${missing[*]} missing and cannot be installed here (needs root and apt-get); the browser tests will be skipped" >&2
  exit 0
fi
echo "installing Debian's ${missing[*]} (for the HTML report tests)..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq "${missing[@]}" >/dev/null
