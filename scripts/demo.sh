#!/usr/bin/env bash
# Quick-start demo: build rflow, start the collector (rfcapd) on loopback, replay a bundled
# nfdump capture into it with rfreplay (NetFlow v9), stop the collector (which closes its file)
# and print the top talkers of what it received with rfdump.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bins
bin=target/release
demo=fixtures/nfdump/gen-query/gen.nf   # 3086 real flows: softflowd -> nfcapd 1.7.1

dir=$(mktemp -d)
capd=""
cleanup() {
  [ -n "$capd" ] && kill "$capd" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

# A free UDP port on 127.0.0.1: try random ones until the collector can bind.
for _ in $(seq 20); do
  port=$((20000 + RANDOM % 40000))
  "$bin/rfcapd" -w "$dir" -b 127.0.0.1 -p "$port" -t 3600 -I demo 2>"$dir/.capd.log" &
  capd=$!
  sleep 0.3
  kill -0 "$capd" 2>/dev/null && break
  capd=""
done
[ -n "$capd" ] || { echo "demo: could not start rfcapd" >&2; cat "$dir/.capd.log" >&2; exit 1; }

echo "== rfreplay -r $demo -H 127.0.0.1 -p $port -v 9"
"$bin/rfreplay" -r "$demo" -H 127.0.0.1 -p "$port" -v 9
sleep 0.5
kill -TERM "$capd"; wait "$capd" || true; capd=""

echo "== rfdump -R <collector dir> -s ip/bytes -n 10"
"$bin/rfdump" -R "$dir" -s ip/bytes -n 10
