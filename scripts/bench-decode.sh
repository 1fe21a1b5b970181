#!/usr/bin/env bash
# The collector's decode-and-write cost per flow (not a test): the datagrams the real
# `nfreplay` sends for the first FILES nfcapd files of the bench set are captured on loopback
# (paced, so a plain socket loses none), then replayed through rfcapd's decoding path on one
# thread, without a network (crates/rf-netflow/examples/decode_write.rs), RUNS times. Prints
# ns per flow for each run; compare runs of one invocation, not across days.
# usage: scripts/bench-decode.sh [-k FILES] [-d DATADIR] [-n RUNS]
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
files=2; data="$here/bench-data/nf-500000-10"; runs=5
while getopts "k:d:n:" o; do
  case $o in k) files=$OPTARG;; d) data=$OPTARG;; n) runs=$OPTARG;; *) exit 2;; esac
done
command -v nfreplay >/dev/null || { echo "bench-decode.sh: nfreplay is required (apt-get install -y nfdump)" >&2; exit 1; }
[ -d "$data" ] || "$here/scripts/bench.sh" -G -d "$(dirname "$data")"
(cd "$here" && cargo build --release --quiet -p rf-netflow --examples)
ex="${CARGO_TARGET_DIR:-$here/target}/release/examples"
work=$(mktemp -d); pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port=$(python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
"$ex/capture" "$port" "$work/capture" 2>"$work/capture.log" &
pid=$!
sleep 0.5
sent=0
for f in $(ls "$data"/nfcapd.* | head -n "$files"); do
  # 20 µs between datagrams: about 50k datagrams/s, which the capture keeps up with.
  nfreplay -H 127.0.0.1 -p "$port" -d 20 -v 9 -r "$f" >/dev/null 2>&1
  sent=$((sent + $(nfdump -r "$f" -I | awk '/^Flows:/{print $2; exit}')))
done
wait "$pid"; pid=""
echo "captured $(cat "$work/capture.log") of $files file(s), $sent flows sent"
"$ex/decode_write" "$work/capture" "$runs"
