#!/usr/bin/env bash
# Benchmark: does `rfreplay --rate` hold the requested flow rate? (Not a timed test: run it by
# hand on a quiet machine.)
#
# Makes a flow file (mkpcap.py -> softflowd -> nfcapd, see mkflows.sh), replays its IPv4 flows as
# NetFlow v5 to a small receiver on 127.0.0.1 that timestamps every datagram and reads the flow
# count from the v5 header, and compares the measured rate with the requested one. The rate is
# measured between the first and the last datagram, so process start-up does not count.
#
# usage: scripts/replay-rate.sh [RATE...]     (default rates: 500 2000 10000)
# env:   RFREPLAY=path/to/rfreplay  FLOWS=6000 (pcap flows to generate)  TOLERANCE=5 (percent)
set -euo pipefail
cd "$(dirname "$0")/.."
rates=("$@"); [ ${#rates[@]} -gt 0 ] || rates=(500 2000 10000)
flows=${FLOWS:-6000}; tol=${TOLERANCE:-5}
bin=${RFREPLAY:-}
if [ -z "$bin" ]; then
  cargo build --quiet --release --bin rfreplay
  bin=target/release/rfreplay
  [ -n "${CARGO_TARGET_DIR:-}" ] && bin=$CARGO_TARGET_DIR/release/rfreplay
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

free_port() { python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

python3 scripts/mkpcap.py "$work/bench.pcap" --flows "$flows" --seed 5 --span 900 >/dev/null
scripts/mkflows.sh "$work/bench.pcap" "$work/flows" 9 "$(free_port)" >/dev/null
src=$(ls "$work"/flows/nfcapd.* | head -1)

# Receiver: prints "<flows> <seconds between first and last datagram> <flows in first datagram>".
cat >"$work/recv.py" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
s.bind(("127.0.0.1", int(sys.argv[1])))
open(sys.argv[2], "w").close()          # tell the script we are listening
s.settimeout(3.0)
first = last = None; total = 0; first_n = 0
try:
    while True:
        d = s.recv(65535)
        now = time.monotonic()
        n = struct.unpack("!H", d[2:4])[0] if len(d) >= 24 and d[:2] == b"\x00\x05" else 0
        if first is None:
            first, first_n = now, n
        last = now; total += n
except socket.timeout:
    pass
print(total, (last - first) if first is not None else 0, first_n)
PY

fail=0
for rate in "${rates[@]}"; do
  port=$(free_port)
  python3 "$work/recv.py" "$port" "$work/ready" >"$work/result" &
  rpid=$!
  while [ ! -e "$work/ready" ]; do sleep 0.05; done
  "$bin" -r "$src" -H 127.0.0.1 -p "$port" -v 5 --rate "$rate" -d 0 ipv4 2>"$work/summary"
  wait "$rpid"; rm -f "$work/ready"
  read -r total secs first_n <"$work/result"
  python3 - "$rate" "$total" "$secs" "$first_n" "$tol" <<'PY' || fail=1
import sys
rate, total, secs, first_n, tol = float(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
got = (total - first_n) / secs if secs > 0 else float("inf")
dev = 100.0 * (got - rate) / rate
ok = abs(dev) <= tol
print(f"--rate {rate:>8.0f}: {total} flows received in {secs:.3f} s -> {got:9.1f} flows/s ({dev:+.2f}%) {'ok' if ok else 'OUT OF TOLERANCE'}")
sys.exit(0 if ok else 1)
PY
done
cat "$work/summary"
exit $fail
