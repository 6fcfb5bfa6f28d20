#!/usr/bin/env bash
# Code footprint per request, cookie-policy against the hand-written
# baseline: the distinct 64-byte lines of machine code a request executes
# (on at least half of N requests), in process, through the same binary as
# scripts/bench-instructions.sh. Deterministic, unlike the cache simulation
# of the real servers (scripts/bench-server-callgrind.sh), whose I1 misses
# move by a dozen or two from run to run with timers and wake-ups.
#
# Why: the layer's remaining cost on /login and /profile is code footprint,
# not instructions. Every hot line is, in the real server, about one L1
# instruction-cache miss per request.
#
# It also counts the atomic read-modify-writes per request (lock-prefixed
# instructions, e.g. an Arc clone or drop): one instruction each to
# callgrind, typically 10 to 20 cycles each to the processor.
#
# Usage: scripts/bench-footprint.sh [--functions] [scenario ...]
#        (scenarios: profile login cookies20 private; default all but cookies20)
#        --functions also prints, per scenario, the functions whose hot lines
#        differ between the two, and by how many.
set -euo pipefail
cd "$(dirname "$0")/.."
FUNCTIONS=
if [ "${1:-}" = --functions ]; then FUNCTIONS=1; shift; fi
[ $# -gt 0 ] || set -- profile login private
for scenario in "$@"; do
    case $scenario in
    profile | login | cookies20 | private) ;;
    *) echo "unknown scenario $scenario (profile, login, cookies20, private)" >&2; exit 2 ;;
    esac
done
N=3000
command -v valgrind >/dev/null || { apt-get update && apt-get install -y valgrind; }
cargo bench --bench instructions --no-run >/dev/null 2>&1
TARGET=${CARGO_TARGET_DIR:-target}
BIN=$(find "$TARGET/release/deps" -maxdepth 1 -type f -executable -name 'instructions-*' -printf '%T@ %p\n' | sort -n | tail -1 | cut -d' ' -f2)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
printf '| scenario | cookie-policy hot lines/request | baseline hot lines/request | difference | cookie-policy atomics/request | baseline atomics/request |\n|---|---:|---:|---:|---:|---:|\n'
for scenario in "$@"; do
    declare -A lines atomics
    for server in policy baseline; do
        valgrind --tool=callgrind --dump-instr=yes "--callgrind-out-file=$WORK/$server.out" \
            "$BIN" "$scenario" "$server" "$N" >/dev/null 2>&1
        python3 scripts/callgrind_footprint.py "$WORK/$server.out" "$N" --functions >"$WORK/$server.fp"
        lines[$server]=$(head -1 "$WORK/$server.fp")
        atomics[$server]=$(python3 scripts/callgrind_footprint.py "$WORK/$server.out" "$N" --atomics "$BIN")
    done
    printf '| %s | %d | %d | %+d | %s | %s |\n' "$scenario" "${lines[policy]}" "${lines[baseline]}" \
        $((lines[policy] - lines[baseline])) "${atomics[policy]}" "${atomics[baseline]}"
    if [ -n "$FUNCTIONS" ]; then
        for server in policy baseline; do
            tail -n +2 "$WORK/$server.fp" | awk -F'\t' '{ print $2 "\t" $1 }' | sort -t$'\t' -k1,1 >"$WORK/$server.tsv"
        done
        join -t$'\t' -a1 -a2 -e0 -o 0,1.2,2.2 "$WORK/policy.tsv" "$WORK/baseline.tsv" |
            awk -F'\t' '$2 != $3 { printf "    %+4d  %4d %4d  %s\n", $2 - $3, $2, $3, substr($1, 1, 150) }' |
            sort -g -r
    fi
done
