#!/usr/bin/env bash
# Quick-start demo: build rflow and show the top talkers of a bundled nfdump capture.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bins
target/release/rfdump -r fixtures/nfdump/v171-nfcapd-ipfix-none.nf -s ip/bytes
