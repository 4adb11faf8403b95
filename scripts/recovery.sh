#!/usr/bin/env bash
# recovery.sh [REDIS_PORT]: how long a job whose worker was SIGKILLed waits
# before another worker runs it again (docs/operations.md, Delivery
# guarantee). Starts its own redis-server on 127.0.0.1:REDIS_PORT (default
# 6384), a receiver, worker A and a source (商派 OMS stand-in) that accepts
# connections and never answers; pushes one statement, SIGKILLs A 2 s into
# the job, starts worker B at once, and prints the time from the kill to B's
# request to the source. Takes 1–2 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${1:-6384}
dir=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
go build -o "$dir/" ./cmd/receiver ./cmd/worker
redis-server --daemonize yes --bind 127.0.0.1 --port "$port" --save "" --appendonly no >/dev/null
sleep 0.3
# The source: accepts, records the time, never answers.
python3 - "$dir/accepts" <<'PY' &
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0)); s.listen(50)
open(sys.argv[1] + ".port", "w").write(str(s.getsockname()[1]))
out = open(sys.argv[1], "w", buffering=1); keep = []
while True:
    c, _ = s.accept(); keep.append(c); out.write("%.3f\n" % time.time())
PY
pids+=($!)
for _ in $(seq 50); do [ -s "$dir/accepts.port" ] && break; sleep 0.1; done
src=$(cat "$dir/accepts.port")
token=recovery-token-0123456789abcdef
worker_env=(KSF_REDIS_URL="redis://127.0.0.1:$port/0" KSF_ADMIN_TOKEN=$token KSF_ADMIN_ADDR=127.0.0.1:0
  KSF_EXPENSE_SOURCE=oms KSF_OMS_BASE_URL="http://127.0.0.1:$src" KSF_OMS_FLAG=flag1 KSF_OMS_TOKEN=token1
  KSF_WAIQIN_BASE_URL=http://127.0.0.1:9 KSF_WAIQIN_OPENID=o1 KSF_WAIQIN_APPKEY=key1)
env KSF_REDIS_URL="redis://127.0.0.1:$port/0" KSF_PUSH_SECRET=s KSF_HTTP_ADDR=127.0.0.1:0 KSF_ADMIN_ADDR=127.0.0.1:0 \
  KSF_ADMIN_TOKEN=$token "$dir/receiver" >"$dir/receiver.log" 2>&1 &
pids+=($!)
env "${worker_env[@]}" "$dir/worker" >"$dir/worker-a.log" 2>&1 &
a=$!
pids+=($a)
for _ in $(seq 100); do grep -q '"push_addr"' "$dir/receiver.log" && break; sleep 0.1; done
push=$(grep -ao '"push_addr":"[^"]*"' "$dir/receiver.log" | head -1 | cut -d'"' -f4)
data='{"customer_code":"C1","start_date":"2026-10-01","end_date":"2026-10-31"}'
ts=$(date +%s%3N)
digest=$(printf '%s|s|%s' "$data" "$ts" | md5sum | cut -d' ' -f1)
curl -fsS -o /dev/null "http://$push/waiqin/push" --data-urlencode "msgId=recovery-$ts" --data-urlencode tenantId=t1 \
  --data-urlencode dataType=ksf_statement --data-urlencode "timestamp=$ts" --data-urlencode "data=$data" --data-urlencode "digest=$digest"
for _ in $(seq 200); do [ -s "$dir/accepts" ] && break; sleep 0.1; done
[ -s "$dir/accepts" ] || { echo "the job never reached the source"; exit 1; }
sleep 2
kill -9 "$a"
killed=$(date +%s.%N)
env "${worker_env[@]}" "$dir/worker" >"$dir/worker-b.log" 2>&1 &
pids+=($!)
for _ in $(seq 1800); do [ "$(wc -l <"$dir/accepts")" -ge 2 ] && break; sleep 0.1; done
again=$(sed -n 2p "$dir/accepts")
[ -n "$again" ] || { echo "the job did not run again within 180 s"; exit 1; }
python3 -c "print('worker SIGKILLed mid-job: the job ran again on another worker %.1f s later' % ($again - $killed))"
