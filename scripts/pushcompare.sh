#!/usr/bin/env bash
# pushcompare.sh: receivers and the hand-written baseline side by side, in
# turns, on one Redis; prints every run and the medians, each server's CPU
# time per push (/proc/PID/stat) and the ratios to the baseline.
#
#   scripts/pushcompare.sh [-r ROUNDS] [-n PUSHES] [-c CONC] [-pin] SERVER...
#
# SERVER is a receiver binary (go build -o /tmp/new ./cmd/receiver) or the
# word "baseline" (pushload -baseline). -pin runs the server on CPU 1 and the
# load generator on CPU 0 (taskset; pin Redis to CPU 0 yourself). Redis:
# $REDIS_URL (default redis://127.0.0.1:6379/9), flushed before every run.
# Each run follows 3,000 warm-up pushes. Linux only.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=5 n=40000 c=32 srvpin="" ldpin=""
while [ $# -gt 0 ]; do
  case "$1" in
    -r) rounds=$2; shift 2 ;;
    -n) n=$2; shift 2 ;;
    -c) c=$2; shift 2 ;;
    -pin) srvpin="taskset -c 1" ldpin="taskset -c 0"; shift ;;
    -*) echo "unknown flag $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { sed -n '2,12p' "$0" >&2; exit 2; }
redis=${REDIS_URL:-redis://127.0.0.1:6379/9}
addr=127.0.0.1:18090
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/pushload" ./cmd/pushload
flush() { redis-cli -u "$redis" flushdb >/dev/null; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat"; }
for round in $(seq "$rounds"); do
  for s in "$@"; do
    flush
    if [ "$s" = baseline ]; then
      $srvpin "$tmp/pushload" -baseline -listen "$addr" -redis "$redis" -secret s 2>/dev/null &
    else
      KSF_REDIS_URL=$redis KSF_PUSH_SECRET=s KSF_HTTP_ADDR=$addr KSF_ADMIN_ADDR=127.0.0.1:0 $srvpin "$s" >"$tmp/log" 2>&1 &
    fi
    pid=$!
    for _ in $(seq 100); do curl -s -o /dev/null "http://$addr/" && break; sleep 0.1; done
    $ldpin "$tmp/pushload" -url "http://$addr/waiqin/push" -n 3000 -c "$c" -secret s -tenant warm >/dev/null
    t0=$(ticks $pid)
    out=$($ldpin "$tmp/pushload" -url "http://$addr/waiqin/push" -n "$n" -c "$c" -secret s -tenant bench) || { echo "$out" >&2; kill $pid; exit 1; }
    t1=$(ticks $pid)
    kill $pid; wait $pid 2>/dev/null || true
    echo "round $round $s: $out cpu_ticks $((t1 - t0))"
  done
done | tee "$tmp/runs"
flush
hz=$(getconf CLK_TCK)
echo
awk -v n="$n" -v hz="$hz" '
  function median(list,   a, k, i, j, t) {
    k = split(list, a, " ")
    for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return k % 2 ? a[(k+1)/2] : (a[k/2] + a[k/2+1]) / 2 }
  { s = $3; sub(":$", "", s); order[s] = order[s] ? order[s] : ++ns; name[order[s]] = s
    for (i = 1; i <= NF; i++) { if ($i == "pushes/s") rate[s] = rate[s] " " $(i-1); if ($i == "p99") { v = $(i+1); sub("ms", "", v); p99[s] = p99[s] " " v } }
    cpu[s] += $NF; runs[s]++ }
  END {
    for (k = 1; k <= ns; k++) { s = name[k]; r[s] = median(rate[s]); p[s] = median(p99[s]); u[s] = cpu[s] / hz * 1e6 / (n * runs[s]) }
    for (k = 1; k <= ns; k++) { s = name[k]
      line = sprintf("%-40s median %6.0f pushes/s  p99 %6.2f ms  CPU %6.1f µs/push", s, r[s], p[s], u[s])
      if (("baseline" in r) && s != "baseline") line = line sprintf("  vs baseline: pushes/s ×%.2f, p99 ×%.2f, CPU ×%.2f", r[s] / r["baseline"], p[s] / p["baseline"], u[s] / u["baseline"])
      print line } }' "$tmp/runs"
