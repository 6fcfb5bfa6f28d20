#!/usr/bin/env bash
# Instructions per request, cookie-policy against the hand-written baseline,
# counted by callgrind (valgrind): repeatable whatever else the machine does.
# For each scenario and server it runs N and 2N requests in process and
# divides the difference by N, which cancels start-up costs. The no-op
# column is the baseline behind a middleware that does nothing: what being
# a middleware at all costs in actix-web.
#
# Usage: scripts/bench-instructions.sh [N]     (default N=2000)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-2000}
command -v valgrind >/dev/null || { apt-get update && apt-get install -y valgrind; }
cargo bench --bench instructions --no-run >/dev/null 2>&1
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$(find "$TARGET/release/deps" -maxdepth 1 -type f -executable -name 'instructions-*' -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2)
count() { # scenario server n -> total instructions
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$BIN" "$1" "$2" "$3" 2>&1 |
        awk '/Collected :/ { print $4 }'
}
printf '| scenario | cookie-policy instr/request | baseline instr/request | no-op middleware instr/request | ratio baseline/cookie-policy |\n|---|---:|---:|---:|---:|\n'
for scenario in profile login cookies20 private; do
    declare -A per
    for server in policy baseline noop; do
        a=$(count "$scenario" "$server" "$N")
        b=$(count "$scenario" "$server" $((2 * N)))
        per[$server]=$(( (b - a) / N ))
    done
    ratio=$(awk -v b="${per[baseline]}" -v p="${per[policy]}" 'BEGIN { printf "%.3f", b / p }')
    printf '| %s | %d | %d | %d | %s |\n' "$scenario" "${per[policy]}" "${per[baseline]}" "${per[noop]}" "$ratio"
done
