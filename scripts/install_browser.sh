#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test of the Dagster UI (tests/ui/).
# Idempotent: does nothing when `chromium` is already on PATH. Playwright drives this binary
# (/usr/bin/chromium); it never downloads a browser build of its own.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then
  exit 0
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update
$SUDO apt-get install -y --no-install-recommends chromium fonts-noto-cjk
command -v chromium >/dev/null 2>&1 || {
  echo "chromium is still not on PATH after apt-get install chromium" >&2
  exit 1
}
