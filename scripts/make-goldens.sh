#!/bin/bash
# Golden files for rflow's nfdump reader and `-o csv`, made with the real nfdump 1.7.1.
#
# usage: scripts/make-goldens.sh [--gen]
#   --gen  also regenerate the real nfcapd files in fixtures/nfdump/gen/ (needs softflowd,
#          nfcapd, python3; uses UDP ports 19980-19989 on 127.0.0.1) and the synthetic
#          all-elements file. Without it only the expected outputs are rewritten.
#
# For every fixtures/nfdump/**/*.nf it writes fixtures/expected/csv/<path>.csv and .q.csv
# (`TZ=UTC nfdump -r F -o csv`, and with -q); goldens of files in gen/ are zstd-compressed
# (.csv.zst) and have no -q variant (it is the same minus header and footer) to keep the
# fixtures small. stdout only: nfdump's stderr notes ("Skip unknown
# record type 9") are not part of the output.
set -euo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC LC_ALL=C

if [[ ${1:-} == --gen ]]; then
    gen=fixtures/nfdump/gen
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$gen"
    # name flows seed v6-share netflow-version port nfcapd-flags
    while read -r name flows seed v6 ver port flags; do
        python3 scripts/mkpcap.py --flows "$flows" --seed "$seed" --v6 "$v6" "$tmp/$name.pcap"
        # shellcheck disable=SC2086
        scripts/mkflows.sh "$tmp/$name.pcap" "$tmp/$name" "$ver" "$port" $flags >/dev/null
        cp "$(ls "$tmp/$name"/nfcapd.* | head -1)" "$gen/$name.nf"
    done <<'LIST'
v171-v5-none 300 11 0 5 19981
v171-v9-lzo 1000 12 0.2 9 19982 -z
v171-ipfix-lz4 1000 13 0.3 10 19983 -y
v171-v9-bz2 1500 14 0.1 9 19984 -j
v171-ipfix-none 300 15 0.5 10 19985
LIST
    python3 - "$gen/synthetic-all-elements.nf" <<'PY'
# An uncompressed nfdump 1.7 file whose V3 records carry every element the csv columns
# read (next hops v4/v6, BGP, VLAN, AS, MAC, MPLS, latency, received v4/v6, counters,
# engine), plus ExporterInfo in both address encodings and a SamplerRecord. nfdump renders
# it; the golden is nfdump's output, the file itself is only input.
import struct, sys
def el(t, data): return struct.pack('<HH', t, 4 + len(data)) + data
def v4(a): return struct.pack('<I', a)
def v6(hi, lo): return struct.pack('<QQ', hi, lo)
def rec(elements, sysid=1, eng=(0, 0), flags=0, ver=10):
    body = b''.join(elements)
    return struct.pack('<HHHBBHBB', 11, 12 + len(body), len(elements), eng[0], eng[1], sysid, flags, ver) + body
def generic(first, dur, pk, by, sp, dp, proto, fl, tos, fwd=0):
    return el(1, struct.pack('<QQQQQHHBBBB', first, first + dur, 1795836832513, pk, by, sp, dp, proto, fl, fwd, tos))
T = 1700000000000
recs = []
# ExporterInfo, old encoding (family 2): 10.9.8.7, sysid 1, IPFIX, domain 42.
recs.append(struct.pack('<HHI', 7, 32, 10) + bytes(8) + v4(0x0A090807) + bytes(4) + struct.pack('<HHI', 2, 1, 42))
# ExporterInfo, 1.7.8 encoding (network order, fill 0): 2001:db8::99, sysid 2, v9.
recs.append(struct.pack('<HHI', 7, 32, 9) + bytes.fromhex('20010db8000000000000000000000099') + struct.pack('<HHI', 0, 2, 7))
# SamplerRecord for sysid 2: generic sampler 1 out of 100.
recs.append(struct.pack('<HHHHqII', 15, 24, 2, 1, -1, 1, 99))
misc = lambda i, o, sm, dm, d, dt, bf, er: el(4, struct.pack('<IIBBBBBBH', i, o, sm, dm, d, dt, bf, er, 0))
mpls = el(14, struct.pack('<10I', *[(100 + i) << 4 | (i % 8) << 1 | (1 if i == 9 else 0) for i in range(10)]))
mac = el(15, struct.pack('<4Q', 0x001122334455, 0x66778899aabb, 0x0a0b0c0d0e0f, 0xf0e0d0c0b0a0))
recs.append(rec([generic(T, 61234, 1500000, 2000000000, 1024, 443, 6, 0xd2, 0x20, 3),
                 el(2, v4(0xC0A80001) + v4(0x08080808)),
                 misc(11, 22, 24, 8, 1, 0x48, 1, 2),
                 el(5, struct.pack('<QQQ', 3, 700, 900000)),
                 el(6, struct.pack('<II', 100, 200)),
                 el(7, struct.pack('<II', 64512, 15169)),
                 el(8, v4(0x0A000001)), el(10, v4(0x0A000002)), el(12, v4(0x7F000001)),
                 mpls, mac, el(16, struct.pack('<II', 3356, 174)),
                 el(17, struct.pack('<QQQ', 1500, 2750, 123456789))], eng=(1, 2)))
recs.append(rec([generic(T + 5000, 90061001, 42, 4200, 0, 0x0303, 58, 0, 0),
                 el(3, v6(0x20010db800000001, 0x1) + v6(0x20010db8ffff0000, 0xabcdef)),
                 el(9, v6(0x20010db8aaaa0000, 0x1)), el(11, v6(0xfe80000000000000, 0x2)),
                 el(13, v6(0x20010db800000000, 0x99))], sysid=2, flags=2, ver=9))
recs.append(rec([el(2, v4(0x01020304) + v4(0x05060708)),
                 generic(T + 9000, 0, 1, 40, 7, 9, 200, 0x02, 0xff)], sysid=3))
# Unknown element id 60 and an EXnull element must be skipped by length.
recs.append(rec([generic(T + 9500, 1, 2, 80, 53, 5353, 17, 0, 0),
                 el(60, b'\x01\x02\x03\x04\x05'), el(0, b'\x00' * 4),
                 el(2, v4(0x0A0A0A0A) + v4(0x0A0A0A0B))]))
payload = b''.join(recs)
block = struct.pack('<IIHH', len(recs), len(payload), 3, 0) + payload
stat = struct.pack('<18Q', 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, T, T + 90066001, 0)
ident = b'synthetic\0'
app = struct.pack('<HH', 0x8001, 4 + len(ident)) + ident + struct.pack('<HH', 0x8002, 148) + stat
appendix = struct.pack('<IIHH', 2, len(app), 3, 0) + app
hdr = struct.pack('<HHIqBBHIqII', 0xA50C, 2, 0x01070100, 1795836829, 0, 0, 1, 0, 40 + len(block), 0, 1)
open(sys.argv[1], 'wb').write(hdr + block + appendix)
PY
fi

out=fixtures/expected/csv
# Only this script's inputs: the nfdump samples and gen/ (other directories belong to other
# test suites).
ls fixtures/nfdump/*.nf fixtures/nfdump/gen/*.nf | sort | while read -r f; do
    rel=${f#fixtures/nfdump/}
    dst=$out/${rel%.nf}
    mkdir -p "$(dirname "$dst")"
    if [[ $rel == gen/* ]]; then
        nfdump -r "$f" -o csv 2>/dev/null | zstd -q -19 -f -o "$dst.csv.zst"
    else
        nfdump -r "$f" -o csv >"$dst.csv" 2>/dev/null
        nfdump -q -r "$f" -o csv >"$dst.q.csv" 2>/dev/null
    fi
done
du -sh fixtures/nfdump/*.nf fixtures/nfdump/gen fixtures/expected/csv | sort -k2
