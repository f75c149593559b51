#!/usr/bin/env bash
# System packages the tests need: Debian's headless Chromium (report rendering tests).
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium is missing and cannot be installed here (needs root and apt-get); the browser test will be skipped" >&2
  exit 0
fi
echo "installing Debian's chromium (for the HTML report test)..." >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq chromium >/dev/null
