#!/usr/bin/env bash
# What one request costs the real servers, cookie-policy and the baseline,
# under callgrind with its cache and branch simulation: instructions, L1
# instruction and data misses, mispredicted branches, per request.
#
# Why: this machine has no hardware counters (`perf stat -e cycles` says
# "not supported"), and wall-clock ratios move by several hundredths with
# the load of the other tenants. A simulated cache shows what instruction
# counts alone do not: a path that runs few more instructions but touches
# more distinct code (instruction-cache misses) is slower than its count.
#
# Usage: scripts/bench-server-callgrind.sh [profile|login|private ...]
#        (default: all three; about 40 s per scenario and server)
#
# Each server runs under valgrind on a loopback port; wrk warms it for 3 s,
# the counters are zeroed, wrk loads it for 6 s (-t1 -c8), the counters are
# dumped and divided by the requests wrk counted. Start-up is excluded.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { apt-get update && apt-get install -y valgrind; }
command -v wrk >/dev/null || { apt-get update && apt-get install -y wrk; }
cargo build --release --bin cookie-policy --example baseline >/dev/null 2>&1
APP_KEYS__CURRENT=$("${CARGO_TARGET_DIR:-target}"/release/cookie-policy keygen)
export APP_KEYS__CURRENT
WORK=$(mktemp -d)
PID=
cleanup() {
    [ -n "$PID" ] && kill "$PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_up() {
    for _ in $(seq 120); do
        curl -s -o /dev/null "http://127.0.0.1:$1/healthz" && return 0
        sleep 0.5
    done
    echo "server on port $1 did not start" >&2
    return 1
}
start() { # which port
    local sim=(valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes
        "--callgrind-out-file=$WORK/$1.%p")
    if [ "$1" = cp ]; then
        APP_ENV=development RUST_LOG=warn APP_SERVER__PORT=$2 APP_SERVER__WORKERS=1 \
            "${sim[@]}" "${CARGO_TARGET_DIR:-target}"/release/cookie-policy >"$WORK/$1.log" 2>&1 &
    else
        APP_SERVER__WORKERS=1 "${sim[@]}" "${CARGO_TARGET_DIR:-target}"/release/examples/baseline "127.0.0.1:$2" \
            >"$WORK/$1.log" 2>&1 &
    fi
    PID=$!
    wait_up "$2"
}

# The private cookie, sealed by cookie-policy itself.
port=$(free_port)
start cp "$port"
session=$(curl -si "http://127.0.0.1:$port/cookies/set?session=alice" |
    tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(session=[^;]*\).*/\1/p')
kill "$PID"; wait "$PID" 2>/dev/null || true; PID=

measure() { # which path cookie -> one table row
    local port file requests
    port=$(free_port)
    start "$1" "$port"
    local header=()
    [ -n "$3" ] && header=(-H "Cookie: $3")
    wrk -t1 -c8 -d3 "${header[@]}" "http://127.0.0.1:$port$2" >/dev/null
    callgrind_control -z "$PID" >/dev/null
    requests=$(wrk -t1 -c8 -d6 "${header[@]}" "http://127.0.0.1:$port$2" |
        awk '/requests in/ { print $1 }')
    callgrind_control -d "$PID" >/dev/null
    kill -INT "$PID"; wait "$PID" 2>/dev/null || true; PID=
    file=$(ls "$WORK/$1".*.1)
    callgrind_annotate "$file" 2>/dev/null | awk -v n="$requests" -v who="$1" '
        /^Events shown:/ { for (i = 3; i <= NF; i++) ev[i - 2] = $i }
        /PROGRAM TOTALS/ {
            k = 0
            for (i = 1; i <= NF; i++) { v = $i; gsub(",", "", v); if (v ~ /^[0-9]+$/) val[ev[++k]] = v }
            printf "| %s | %d | %.0f | %.0f | %.0f | %.0f |\n", who, n, val["Ir"] / n,
                val["I1mr"] / n, val["D1mr"] / n, (val["Bcm"] + val["Bim"]) / n
        }'
    rm -f "$WORK/$1".*
}

for scenario in "${@:-profile login private}"; do
    for s in $scenario; do
        case $s in
        profile) path=/profile cookie="username=alice" ;;
        login) path=/login cookie="" ;;
        private) path=/cookies cookie=$session ;;
        *) echo "unknown scenario $s (profile, login, private)" >&2; exit 2 ;;
        esac
        printf '\n### %s: GET %s\n\n' "$s" "$path"
        printf '| server | requests | instructions | I1 misses | D1 read misses | mispredicted branches |\n|---|---:|---:|---:|---:|---:|\n'
        measure cp "$path" "$cookie" | sed 's/^| cp /| cookie-policy /'
        measure base "$path" "$cookie" | sed 's/^| base /| baseline /'
    done
done
