#!/usr/bin/env bash
# Benchmark rflow against the real nfdump on the same data (not a test: prints a table of
# wall times, peak memory and ratios). Run from anywhere; needs nfdump, nfcapd, softflowd.
#
# usage: scripts/bench.sh [-n FLOWS_PER_FILE] [-k FILES] [-d DATADIR] [-q QUERIES]
#   default: 10 files of ~575k flows each (mkpcap.py --flows 500000, softflowd v9, nfcapd -y LZ4;
#   each pcap spans mkpcap's default 30 minutes, as the reference figures in the issues used)
#   -G: only generate the data
#   -q: comma list of query names to run (stats,record,aggr,line,csv,csv1,write,read); default all
# The data is generated once into DATADIR (default ./bench-data) and reused.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOWS=500000; FILES=10; DATA=bench-data; QUERIES=all; GENONLY=0
while getopts "n:k:d:q:G" o; do
  case $o in n) FLOWS=$OPTARG;; k) FILES=$OPTARG;; d) DATA=$OPTARG;; q) QUERIES=$OPTARG;; G) GENONLY=1;; *) exit 2;; esac
done
for t in nfdump nfcapd softflowd python3; do
  command -v $t >/dev/null || { echo "bench.sh: $t is required (apt-get install -y nfdump softflowd)" >&2; exit 1; }
done
RF=${CARGO_TARGET_DIR:-target}/release/rfdump
NF="$DATA/nf-$FLOWS-$FILES"; NATIVE="$DATA/native-$FLOWS-$FILES"
mkdir -p "$NF" "$NATIVE"
base=1764300000   # 2025-11-28 03:20:00 UTC, aligned to 5 minutes

# 1. Real nfdump files: one pcap per 5-minute slot, exported by softflowd, written by nfcapd -y.
for ((i = 0; i < FILES; i++)); do
  start=$((base + i * 300))
  name="nfcapd.$(date -u -d "@$start" +%Y%m%d%H%M)"
  [ -s "$NF/$name" ] && continue
  tmp=$(mktemp -d)
  python3 scripts/mkpcap.py "$tmp/p.pcap" --flows "$FLOWS" --seed $((i + 1)) --start "$start" >/dev/null
  port=$((20000 + RANDOM % 20000))
  scripts/mkflows.sh "$tmp/p.pcap" "$tmp/out" 9 "$port" -y >/dev/null
  mv "$(ls "$tmp"/out/nfcapd.* | head -1)" "$NF/$name"
  rm -rf "$tmp"
  echo "generated $NF/$name" >&2
done

[ "$GENONLY" = 1 ] && exit 0
cargo build --release --quiet --bins

# Runs "label cmd..." and records wall seconds and peak RSS (MiB).
measure() {
  local label=$1; shift
  local t
  t=$(mktemp)
  # time writes to its own file: the command's stderr is discarded, not mixed in.
  /usr/bin/time -o "$t" -f "%e %M" "$@" >/dev/null 2>/dev/null || true
  echo "$label $(tail -1 "$t")"
  rm -f "$t"
}
want() { [ "$QUERIES" = all ] || [[ ",$QUERIES," == *",$1,"* ]]; }

flows=$(nfdump -R "$NF" -I 2>/dev/null | awk -F': ' '/^Flows:/ {s += $2} END {print s}')
echo "data: $FILES files, $flows flows ($NF)"

# 2. Native conversion (write speed) and native read speed.
if want write || [ -z "$(ls "$NATIVE")" ]; then
  rm -f "$NATIVE"/nfcapd.*
  t0=$(date +%s.%N)
  for f in "$NF"/nfcapd.*; do $RF -r "$f" -w "$NATIVE/$(basename "$f")"; done
  t1=$(date +%s.%N)
  echo "write: $(awk -v n="$flows" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f flows/s (%.2f s)", n/(b-a), b-a}')"
  nfsize=$(du -sb "$NF" | cut -f1); nasize=$(du -sb "$NATIVE" | cut -f1)
  echo "size: nfdump LZ4 $nfsize bytes, native $nasize bytes, ratio native/nfdump $(awk -v a="$nasize" -v b="$nfsize" 'BEGIN {printf "%.3f", a/b}')"
fi

# Read speed of the native set: decode every record (all columns, -o raw is too slow to
# measure reading; a filter no block summary can rule out, matching no record, does it).
t0=$(date +%s.%N)
$RF -R "$NATIVE" -q -o csv 'bytes 0' >/dev/null
t1=$(date +%s.%N)
echo "read (native, all columns, filter on every record): $(awk -v n="$flows" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.0f flows/s (%.2f s)", n/(b-a), b-a}')"

printf '\n%-28s %10s %10s %10s %9s %9s %9s %8s %8s\n' query nfdump_s rf_nf_s rf_nat_s nf_MiB rfnf_MiB rfnat_MiB x_nf x_nat
row() {
  local name=$1; shift
  read -r _ a am < <(measure nf nfdump "$@")
  read -r _ b bm < <(measure rf $RF "$@")
  local nat=("${@//$NF/$NATIVE}")
  read -r _ c cm < <(measure rn $RF "${nat[@]}")
  awk -v n="$name" -v a="$a" -v b="$b" -v c="$c" -v am="$am" -v bm="$bm" -v cm="$cm" 'BEGIN {
    printf "%-28s %10.2f %10.2f %10.2f %9.0f %9.0f %9.0f %7.1fx %7.1fx\n", n, a, b, c, am/1024, bm/1024, cm/1024,
      (b > 0 ? a/b : 0), (c > 0 ? a/c : 0) }'
}
want stats && row "-s ip/bytes" -R "$NF" -s ip/bytes
want record && row "-s record/bytes" -R "$NF" -s record/bytes
want aggr && row "-A srcip,dstip -o csv" -R "$NF" -A srcip,dstip -o csv
want line && row "-o line" -R "$NF" -o line
want csv && row "-o csv" -R "$NF" -o csv
first=$(ls "$NF"/nfcapd.* | head -1)
want csv1 && row "-r one file -o csv" -r "$first" -o csv
want read && row "-o null (read only)" -R "$NF" -o null
echo "(x_nf, x_nat: nfdump time / rfdump time on nfdump files and on native files; >1 = rflow faster)"
