#!/usr/bin/env bash
# Instructions per request, cookie-policy against the hand-written baseline,
# counted by callgrind (valgrind): repeatable whatever else the machine does.
# For each scenario and server it runs N and 2N requests in process and
# divides the difference by N, which cancels start-up costs. The layer-alone
# column is the baseline's own handlers (actix-web's req.cookie, hand-built
# cookies) behind the policy layer: what the layer costs around the same
# handlers, where the cookie-policy column also counts its handlers' cheaper
# reads and writes (req.cookie_value, policy.set_cookie). The no-op column
# is the baseline behind a middleware that does nothing: what being a
# middleware at all costs in actix-web.
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
printf '| scenario | cookie-policy instr/request | baseline instr/request | ratio baseline/cookie-policy | layer alone instr/request | ratio baseline/layer alone | no-op middleware instr/request |\n|---|---:|---:|---:|---:|---:|---:|\n'
for scenario in profile login cookies20 private; do
    declare -A per
    for server in policy baseline layer noop; do
        # The layer alone would open the private cookie before the
        # baseline's handler could: no like-for-like figure there.
        if [ "$server" = layer ] && [ "$scenario" = private ]; then per[layer]=; continue; fi
        a=$(count "$scenario" "$server" "$N")
        b=$(count "$scenario" "$server" $((2 * N)))
        per[$server]=$(( (b - a) / N ))
    done
    ratio=$(awk -v b="${per[baseline]}" -v p="${per[policy]}" 'BEGIN { printf "%.3f", b / p }')
    if [ -n "${per[layer]}" ]; then
        layer=${per[layer]}
        layer_ratio=$(awk -v b="${per[baseline]}" -v p="$layer" 'BEGIN { printf "%.3f", b / p }')
    else
        layer=-; layer_ratio=-
    fi
    printf '| %s | %d | %d | %s | %s | %s | %d |\n' "$scenario" "${per[policy]}" "${per[baseline]}" "$ratio" "$layer" "$layer_ratio" "${per[noop]}"
done
