#!/usr/bin/env bash
# Console check (docs/console.md, "Screenshots"): runs the demo with its
# sample pushes, adds a failed job (a resync of C404, a customer 商派 OMS does
# not know), and has headless Chromium save screenshots of the console's
# month overview, C002's statement (with its 对账差异) and the failed job,
# plus the rendered DOM of each, which it checks for what an ERP person must
# see. Exit status 0 when every page passed. CI does not run it.
#
#   scripts/consolecheck.sh [OUT_DIR]     # default /tmp/ksf-console
#
# Listens on 127.0.0.1:18180 (push) and 127.0.0.1:18181 (admin); override
# with KSF_CONSOLECHECK_PUSH_ADDR / KSF_CONSOLECHECK_ADMIN_ADDR. Installs
# Debian's chromium and fonts-wqy-microhei (a CJK font) when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT="${1:-/tmp/ksf-console}"
PUSH_ADDR="${KSF_CONSOLECHECK_PUSH_ADDR:-127.0.0.1:18180}"
ADMIN_ADDR="${KSF_CONSOLECHECK_ADMIN_ADDR:-127.0.0.1:18181}"
TOKEN=demo-admin-token
mkdir -p "$OUT"

if ! command -v chromium >/dev/null || ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1; then
  echo "installing chromium and fonts-wqy-microhei"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null
fi

BIN="$(mktemp -d)"
PROFILE="$(mktemp -d)"
go build -o "$BIN/receiver" ./cmd/receiver
go build -o "$BIN/ksfctl" ./cmd/ksfctl

KSF_HTTP_ADDR="$PUSH_ADDR" KSF_ADMIN_ADDR="$ADMIN_ADDR" "$BIN/receiver" -demo-send >"$OUT/demo.log" 2>&1 &
DEMO=$!
cleanup() { kill "$DEMO" 2>/dev/null || true; wait "$DEMO" 2>/dev/null || true; rm -rf "$BIN" "$PROFILE"; }
trap cleanup EXIT

api() { curl -fsS -H "Authorization: Bearer $TOKEN" "http://$ADMIN_ADDR$1"; }
# wait_for PATH TEXT: poll an admin route until its answer contains TEXT (30 s).
wait_for() {
  for _ in $(seq 60); do
    if api "$1" 2>/dev/null | grep -q "$2"; then return 0; fi
    sleep 0.5
  done
  echo "FAIL: $1 never answered with $2" >&2
  return 1
}

FIRST=$(TZ=Asia/Shanghai date +%Y-%m-01)
START=$(date -d "$FIRST -1 month" +%Y-%m-%d)
END=$(date -d "$FIRST -1 day" +%Y-%m-%d)
PERIOD="$START..$END"

# The sample pushes: 3 goods + 3 expense statements of last month.
wait_for "/admin/api/statements/summary?month=${START:0:7}" '"statements":6'
KSF_ADMIN_TOKEN=$TOKEN KSF_ADMIN_URL="http://$ADMIN_ADDR" "$BIN/ksfctl" resync --tenant demo --type ksf_statement \
  --customers C404 --start "$START" --end "$END"
wait_for "/admin/api/statements?outcome=failed" '"customer":"C404"'

fail=0
# shot NAME PATH TEXT...: screenshot and DOM of PATH; every TEXT must be in the DOM.
shot() {
  local name=$1 path=$2; shift 2
  local url="http://ksf:$TOKEN@$ADMIN_ADDR$path"
  local flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
    --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$PROFILE" --window-size=1400,1700)
  chromium "${flags[@]}" --screenshot="$OUT/console-$name.png" "$url" >/dev/null 2>&1
  chromium "${flags[@]}" --dump-dom "$url" >"$OUT/console-$name.html" 2>/dev/null
  for want in "$@"; do
    if ! grep -qF -- "$want" "$OUT/console-$name.html"; then
      echo "FAIL $name: no $want" >&2
      fail=1
    fi
  done
  echo "$name: $OUT/console-$name.png"
}

Q="tenant=demo&kind=ksf_statement&period=$PERIOD"
shot overview "/console/" '<strong class="difference">-96.00</strong>' '>C002</a>' 'data-field="with_difference"' '>C404</a>'
shot difference "/console/statement?$Q&customer=C002" 'id="equation"' '≠' '-96.00' '销售退货单'
shot failed "/console/statement?$Q&customer=C404" 'id="failure"' '重新执行' '/monitoring/queues/sync/tasks/'
exit $fail
