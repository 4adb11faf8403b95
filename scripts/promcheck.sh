#!/usr/bin/env bash
# promcheck.sh REDIS_URL: starts a receiver and a worker briefly on REDIS_URL
# (listeners on free loopback ports), pipes each one's /metrics through
# `promtool check metrics`, and fails if promtool finds any problem.
# Needs promtool (Debian: apt-get install prometheus).
set -euo pipefail
cd "$(dirname "$0")/.."
redis_url=${1:?usage: scripts/promcheck.sh redis://127.0.0.1:6379/15}
dir=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$dir"; }
trap cleanup EXIT
go build -o "$dir/" ./cmd/receiver ./cmd/worker
token=promcheck-token-0123456789abcdef
common=(KSF_REDIS_URL="$redis_url" KSF_ADMIN_TOKEN="$token" KSF_ADMIN_ADDR=127.0.0.1:0)
env "${common[@]}" KSF_PUSH_SECRET=s KSF_HTTP_ADDR=127.0.0.1:0 "$dir/receiver" >"$dir/receiver.log" 2>&1 &
pids+=($!)
# The worker needs its sources configured; nothing is called.
env "${common[@]}" KSF_EXPENSE_SOURCE=oms KSF_OMS_BASE_URL=http://127.0.0.1:9 KSF_OMS_FLAG=f KSF_OMS_TOKEN=t \
  KSF_WAIQIN_BASE_URL=http://127.0.0.1:9 KSF_WAIQIN_OPENID=o KSF_WAIQIN_APPKEY=k "$dir/worker" >"$dir/worker.log" 2>&1 &
pids+=($!)
status=0
for p in receiver worker; do
  addr=""
  for _ in $(seq 100); do
    addr=$(grep -ao '"admin_addr":"[^"]*"' "$dir/$p.log" | head -1 | cut -d'"' -f4 || true)
    [ -n "$addr" ] && break
    sleep 0.1
  done
  if [ -z "$addr" ]; then echo "$p did not start:"; cat "$dir/$p.log"; exit 1; fi
  if [ "$p" = receiver ]; then # one push, so asynq's queue series are in the scrape
    push=$(grep -ao '"push_addr":"[^"]*"' "$dir/$p.log" | head -1 | cut -d'"' -f4)
    ts=$(date +%s%3N)
    data='{"customer_code":"C1","start_date":"2026-10-01","end_date":"2026-10-31"}'
    digest=$(printf '%s|s|%s' "$data" "$ts" | md5sum | cut -d' ' -f1)
    curl -fsS "http://$push/waiqin/push" --data-urlencode "msgId=promcheck-$ts" --data-urlencode tenantId=promcheck \
      --data-urlencode dataType=ksf_statement --data-urlencode "timestamp=$ts" --data-urlencode "data=$data" \
      --data-urlencode "digest=$digest" >/dev/null
  fi
  echo "$p /metrics (http://$addr): $(curl -fsS -H "Authorization: Bearer $token" "http://$addr/metrics" | grep -c '^asynq_') asynq_ samples"
  if curl -fsS -H "Authorization: Bearer $token" "http://$addr/metrics" | promtool check metrics; then
    echo "  promtool: no problems"
  else
    status=1
  fi
done
exit $status
