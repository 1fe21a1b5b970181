#!/usr/bin/env bash
# Regenerates man/<tool>.1 from the binaries' clap definitions (tests/docs.rs checks them).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --bins
for t in rfcapd rfdump rfexpire rfreplay; do
  "target/debug/$t" --generate man > "man/$t.1"
done
echo "man pages written to man/"
