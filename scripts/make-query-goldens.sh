#!/usr/bin/env bash
# Regenerates fixtures/expected/<dir>/<name>.out with the installed nfdump 1.7.1 (TZ=UTC) for
# every case in fixtures/expected/query-cases.txt; tests/rfdump_golden.rs compares rfdump's
# output with them (masking the timing line and the Bytes read count).
set -euo pipefail
cd "$(dirname "$0")/.."
export TZ=UTC LC_ALL=C
grep -v '^#' fixtures/expected/query-cases.txt | grep -v '^\s*$' | while IFS='|' read -r name args; do
  name=$(echo "$name" | xargs); name=${name#\~}
  args=$(echo "$args" | sed 's/^ *//')
  mkdir -p "fixtures/expected/$(dirname "$name")"
  # -o fmt:... arguments contain '|' and ';': split only on spaces outside the fmt word.
  read -r -a words <<< "$args"
  nfdump "${words[@]}" > "fixtures/expected/$name.out" 2>/dev/null || true
done
echo "goldens written to fixtures/expected/"
