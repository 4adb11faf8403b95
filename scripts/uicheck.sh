#!/usr/bin/env bash
# Queue UI check (docs/operations.md, "Queue UI check"): opens asynqmon, as the
# admin listener serves it at /monitoring/, in headless Chromium against a real
# Redis and checks that it shows ksfsync's queues, task ids and payloads.
#
#   scripts/uicheck.sh [REDIS_URL] [uicheck flags: -out DIR -proxy -serve 10m ...]
#
# REDIS_URL defaults to $KSF_UICHECK_REDIS_URL or redis://127.0.0.1:6379/6.
# Its database is FLUSHed and seeded (database 0 is refused). Screenshots and
# dumped DOMs go to /tmp/ksf-uicheck-*.{png,html} (or -out). Installs Debian's
# chromium when it is missing. Exit status 0 when every page passed.
set -euo pipefail
cd "$(dirname "$0")/.."

REDIS_URL="${KSF_UICHECK_REDIS_URL:-redis://127.0.0.1:6379/6}"
case "${1:-}" in
redis://* | rediss://*) REDIS_URL="$1"; shift ;;
esac

if ! command -v chromium >/dev/null; then
  echo "installing chromium"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
# Debian's wrapper script prints a harmless "[: … unexpected operator" on stderr.
chromium --version 2>/dev/null

exec go run -tags uicheck ./cmd/uicheck -redis "$REDIS_URL" "$@"
