#!/usr/bin/env bash
# Burst benchmark of the collectors (not a test): replays real nfcapd files as NetFlow v9 over
# 127.0.0.1 with no pacing (`nfreplay -d 0`) to nfcapd, then to rfcapd, with the same -B
# receive buffer, and prints flows sent/kept, collector CPU seconds (the run time of all its
# threads, /proc/PID/task/*/schedstat), datagrams the kernel dropped for the collector's
# socket (/proc/net/udp) and flows decoded per CPU-second.
# usage: scripts/bench-capd.sh [-k FILES] [-B BYTES] [-d DATADIR] [-r RATE]
#   -r RATE: paced instead of a burst: `rfreplay --rate RATE -d 0 -v 9` (19 flows per
#            datagram) sends the files, to compare the collectors' CPU where both keep up
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
files=2; rcvbuf=8388608; data="$here/bench-data/nf-500000-10"; rate=""
while getopts "k:B:d:r:" o; do
  case $o in k) files=$OPTARG;; B) rcvbuf=$OPTARG;; d) data=$OPTARG;; r) rate=$OPTARG;; *) exit 2;; esac
done
[ -d "$data" ] || "$here/scripts/bench.sh" -G -d "$(dirname "$data")"
rfcapd=${RFCAPD:-$here/target/release/rfcapd}
rfdump=${RFDUMP:-$here/target/release/rfdump}
rfreplay=${RFREPLAY:-$here/target/release/rfreplay}
[ -x "$rfcapd" ] && [ -x "$rfreplay" ] ||
  (cd "$here" && cargo build --release --bin rfcapd --bin rfdump --bin rfreplay)
work=$(mktemp -d); pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/in"
for f in $(ls "$data"/nfcapd.* | head -n "$files"); do ln -s "$f" "$work/in/"; done
sent=$(nfdump -R "$work/in" -I | awk '/^Flows:/{print $2; exit}')
free_port() { python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
# CPU seconds of every thread of PID so far: the run time the scheduler counted, in ns
# (/proc/PID/task/*/schedstat), not /proc/PID/stat's 10 ms ticks.
cpu_s() { cat /proc/"$1"/task/*/schedstat | awk '{ns += $1} END {printf "%.3f", ns / 1e9}'; }
# Kernel drops of the UDP socket bound to 127.0.0.1:PORT (last column of /proc/net/udp).
drops() { awk -v p="$(printf ':%04X' "$1")" '$2 ~ p"$" {print $NF; exit}' /proc/net/udp; }
# run NAME CMD...: starts the collector, bursts the data, returns "cpu"; flows counted later.
run() {
  local name=$1; shift
  local port; port=$(free_port)
  mkdir -p "$work/$name"
  "$@" -b 127.0.0.1 -p "$port" -B "$rcvbuf" -w "$work/$name" >"$work/$name.log" 2>&1 &
  local pid=$!; pids+=("$pid"); sleep 1
  for f in "$work"/in/*; do
    if [ -n "$rate" ]; then
      "$rfreplay" -H 127.0.0.1 -p "$port" --rate "$rate" -d 0 -v 9 -r "$f" >/dev/null 2>&1
    else
      nfreplay -H 127.0.0.1 -p "$port" -d 0 -v 9 -r "$f" >/dev/null 2>&1
    fi
  done
  sleep 2
  cpu_s "$pid" >"$work/$name.cpu"
  drops "$port" >"$work/$name.drops"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
}
run nfcapd nfcapd
run rfcapd "$rfcapd"
kept_nf=$(nfdump -R "$work/nfcapd" -I 2>/dev/null | awk '/^Flows:/{print $2; exit}')
kept_rf=$("$rfdump" -R "$work/rfcapd" -I 2>/dev/null | awk '/^Flows:/{print $2; exit}')
cpu_nf=$(cat "$work/nfcapd.cpu"); cpu_rf=$(cat "$work/rfcapd.cpu")
dr_nf=$(cat "$work/nfcapd.drops"); dr_rf=$(cat "$work/rfcapd.drops")
if [ -n "$rate" ]; then mode="paced at $rate flows/s (rfreplay)"; else mode="burst (nfreplay -d 0)"; fi
echo "$mode, $files file(s)"
awk -v s="$sent" -v kn="${kept_nf:-0}" -v kr="${kept_rf:-0}" -v cn="$cpu_nf" -v cr="$cpu_rf" \
    -v dn="${dr_nf:-?}" -v dr="${dr_rf:-?}" 'BEGIN{
  fn = cn > 0 ? kn / cn : 0; fr = cr > 0 ? kr / cr : 0
  printf "%-8s %10s %10s %12s %8s %14s\n", "", "sent", "kept", "kernel_drops", "cpu_s", "flows/cpu_s"
  printf "%-8s %10d %10d %12s %8.3f %14.0f\n", "nfcapd", s, kn, dn, cn, fn
  printf "%-8s %10d %10d %12s %8.3f %14.0f\n", "rfcapd", s, kr, dr, cr, fr
  printf "ratio rfcapd/nfcapd flows per cpu_s: %.2f\n", (fn > 0 ? fr / fn : 0) }'
