#!/usr/bin/env bash
# bench-load.sh: the load benchmark of issue 5. It measures what the cookie
# policy layer costs by comparing cookie-policy with the hand-written
# actix-web baseline (examples/baseline.rs). With --fastapi it also runs the
# FastAPI guide's app. Everything runs on 127.0.0.1.
#
# Usage: scripts/bench-load.sh [options]        (from any directory)
#
# What it does:
#   1. Installs wrk if it is missing (apt-get), then runs
#      `cargo build --release --bin cookie-policy --example baseline`.
#   2. Starts cookie-policy (APP_ENV=development, RUST_LOG=warn so the request
#      logger stays quiet) and the baseline on free loopback ports. Both get
#      the same key from `cookie-policy keygen` and WORKERS workers.
#   3. Before measuring, it checks that both servers return the same /profile
#      and /login bodies and Set-Cookie headers, and that both decrypt the
#      private cookie made by cookie-policy's /cookies/set?session=alice to
#      {"cookies":{"session":"alice"}}. If any check fails, it stops.
#   4. Scenarios: profile (GET /profile, Cookie: username=alice),
#      login (GET /login), and private (GET /cookies, Cookie: session=<ciphertext>).
#      Each scenario gets a WARMUP-second warm-up per server, then ROUNDS
#      pairs of `wrk -t THREADS -c CONNECTIONS -d DURATION --latency` runs.
#      Which server goes first alternates from round to round.
#   5. Prints one Markdown table per scenario (requests/s, p50 and p99 in ms,
#      the cookie-policy/baseline ratio per round and its median), a summary,
#      and each server's peak RSS (VmHWM) after all runs.
#
# Options (environment variables in brackets):
#   --rounds N        run pairs per scenario               [ROUNDS=5]
#   --duration S      seconds per wrk run                  [DURATION=5]
#   --threads N       wrk threads                          [THREADS=1]
#   --connections N   wrk connections                      [CONNECTIONS=32]
#   --workers N       workers of each Rust server          [WORKERS=1]
#   --warmup S        warm-up seconds per server and scenario, 0 for none
#                                                          [WARMUP=1]
#   --fastapi         also run scripts/fastapi_app.py. It uses a venv in
#                     target/bench-venv built from scripts/requirements-bench.txt
#                     and runs uvicorn with --workers 2. This adds a FastAPI
#                     column to profile and login.
#   --soak [N]        soak test only: send about N requests (default 1000000)
#                     to cookie-policy's /profile, or with
#                     SOAK_SCENARIO=private to its private read (GET /cookies
#                     with an encrypted session). A 2 s calibration run sets
#                     the wrk duration, capped at 120 s. Prints VmRSS before,
#                     after calibration and after the soak, plus VmHWM.
#   --no-build        skip the cargo build and use the existing binaries
#   --together        run each cookie-policy/baseline pair at the same time
#                     (both servers on CPU 0, both wrk on CPU 1): the same
#                     core and the same noise for both, so the ratio holds
#                     on a busy machine; requests/s are then about half
#   --restart         start both Rust servers afresh before each round (and
#                     its warm-up): each round then samples a new process
#                     layout (ASLR: code, heap and stack addresses), which
#                     otherwise stays fixed for a whole run and shifts every
#                     round of that run alike. FastAPI is not restarted.
#                     Peak RSS is then the largest of one round's process,
#                     not of a whole run (use --soak for growth); server
#                     logs kept on failure are the last processes'
#                                                          [RESTART=1]
#   SCENARIOS="..."   which scenarios, in order, out of profile, login and
#                     private                    [SCENARIOS="profile login private"]
#   PIN=0             do not pin the Rust servers to CPU 0 and wrk to CPU 1
#   -h, --help        print this help
#
# Examples:
#   scripts/bench-load.sh
#   ROUNDS=2 DURATION=2 scripts/bench-load.sh --fastapi
#   scripts/bench-load.sh --soak            # about one million requests
#
# The tables go to stdout and progress goes to stderr. Server logs are kept
# in a temporary directory, which is removed on success and named on failure.
# Every server this script starts is stopped on exit, even after an error or
# Ctrl-C.

set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCRIPT_DIR/.." && pwd)
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET_DIR in /*) ;; *) TARGET_DIR=$ROOT/$TARGET_DIR ;; esac
CP_BIN=$TARGET_DIR/release/cookie-policy
BASE_BIN=$TARGET_DIR/release/examples/baseline
VENV=$TARGET_DIR/bench-venv

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
THREADS=${THREADS:-1}
CONNECTIONS=${CONNECTIONS:-32}
WORKERS=${WORKERS:-1}
WARMUP=${WARMUP:-1}
# Pin the Rust servers to CPU 0 and wrk to CPU 1 (when there are two CPUs
# and taskset): the two no longer trade places on one core, which is most
# of the run-to-run spread on a small machine. PIN=0 turns it off.
PIN=${PIN:-1}
# --together: in each round, load cookie-policy and the baseline at the same
# time, both servers on one CPU and both wrk on the other. They then share
# the same core and the same noise, so the ratio of their requests/s is the
# ratio of their cost per request even on a busy machine.
TOGETHER=${TOGETHER:-0}
# --restart: fresh server processes for every round (see the help).
RESTART=${RESTART:-0}
FASTAPI=0
SOAK=0
SOAK_N=1000000
SOAK_CAP=120
SOAK_SCENARIO=${SOAK_SCENARIO:-profile}
BUILD=1
read -r -a SCENARIOS <<<"${SCENARIOS:-profile login private}"

usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"; }
log() { printf '%s\n' "$*" >&2; }
die() {
    log "error: $*"
    exit 1
}
need_int() { [[ $2 =~ ^[0-9]+$ ]] || die "$1 needs a whole number, got '$2'"; }

while (($#)); do
    case $1 in
    -h | --help) usage; exit 0 ;;
    --fastapi) FASTAPI=1 ;;
    --no-build) BUILD=0 ;;
    --together) TOGETHER=1 ;;
    --restart) RESTART=1 ;;
    --soak)
        SOAK=1
        if [[ ${2:-} =~ ^[0-9]+$ ]]; then SOAK_N=$2; shift; fi ;;
    --soak=*) SOAK=1; SOAK_N=${1#*=} ;;
    --rounds | --duration | --threads | --connections | --workers | --warmup)
        (($# >= 2)) || die "$1 needs a value"
        case $1 in
        --rounds) ROUNDS=$2 ;;
        --duration) DURATION=$2 ;;
        --threads) THREADS=$2 ;;
        --connections) CONNECTIONS=$2 ;;
        --workers) WORKERS=$2 ;;
        --warmup) WARMUP=$2 ;;
        esac
        shift ;;
    --rounds=* | --duration=* | --threads=* | --connections=* | --workers=* | --warmup=*)
        v=${1#*=}
        case $1 in
        --rounds=*) ROUNDS=$v ;;
        --duration=*) DURATION=$v ;;
        --threads=*) THREADS=$v ;;
        --connections=*) CONNECTIONS=$v ;;
        --workers=*) WORKERS=$v ;;
        --warmup=*) WARMUP=$v ;;
        esac ;;
    *) die "unknown option '$1' (see --help)" ;;
    esac
    shift
done
for v in ROUNDS DURATION THREADS CONNECTIONS WORKERS WARMUP SOAK_N PIN RESTART; do need_int "$v" "${!v}"; done
# `env` is a no-op prefix, so the arrays can always be expanded.
SERVER_PIN=(env) WRK_PIN=(env) PINNING="not pinned"
if ((PIN)) && (($(nproc) >= 2)) && command -v taskset >/dev/null 2>&1; then
    SERVER_PIN=(taskset -c 0) WRK_PIN=(taskset -c 1) PINNING="servers on CPU 0, wrk on CPU 1"
fi
((ROUNDS >= 1 && DURATION >= 1 && THREADS >= 1 && WORKERS >= 1 && SOAK_N >= 1)) ||
    die "ROUNDS, DURATION, THREADS, WORKERS and the soak size must be at least 1"
((CONNECTIONS >= THREADS)) || die "CONNECTIONS must be at least THREADS"
((${#SCENARIOS[@]})) || die "SCENARIOS is empty"
declare -A SEEN_SCENARIO=()
for sc in "${SCENARIOS[@]}"; do
    case $sc in
    profile | login | private) ;;
    *) die "unknown scenario '$sc' in SCENARIOS (profile, login, private)" ;;
    esac
    [[ -z ${SEEN_SCENARIO[$sc]:-} ]] || die "scenario '$sc' is named twice in SCENARIOS"
    SEEN_SCENARIO[$sc]=1
done

# ---------------------------------------------------------------- cleanup

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bench-load.XXXXXX")
PIDS=()

descendants() {
    local c
    for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do
        descendants "$c"
        echo "$c"
    done
}

cleanup() {
    local rc=$? p i all=() alive
    trap - EXIT INT TERM
    for p in "${PIDS[@]}"; do
        # shellcheck disable=SC2207
        all+=($(descendants "$p") "$p")
    done
    if ((${#all[@]})); then
        kill -TERM "${all[@]}" 2>/dev/null || true
        for i in $(seq 50); do
            alive=0
            for p in "${all[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
            ((alive)) || break
            sleep 0.1
        done
        kill -KILL "${all[@]}" 2>/dev/null || true
        wait 2>/dev/null || true
    fi
    if ((rc == 0)); then
        rm -rf "$WORK"
    else
        log "bench-load: failed (exit $rc); server logs kept in $WORK"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- helpers

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_healthy NAME PID PORT LOGFILE
wait_healthy() {
    local i
    for i in $(seq 300); do
        kill -0 "$2" 2>/dev/null || die "$1 exited before it was healthy; its log:
$(tail -n 20 "$4")"
        if curl -fsS --max-time 1 -o /dev/null "http://127.0.0.1:$3/healthz" 2>/dev/null; then
            log "  $1 up on 127.0.0.1:$3 (pid $2)"
            return 0
        fi
        sleep 0.1
    done
    die "$1 not healthy on 127.0.0.1:$3 after 30 s; its log:
$(tail -n 20 "$4")"
}

start_cp() {
    CP_PORT=$(free_port)
    env APP_ENV=development APP_CONFIG_DIR="$ROOT/config" \
        APP_SERVER__HOST=127.0.0.1 APP_SERVER__PORT="$CP_PORT" \
        APP_SERVER__WORKERS="$WORKERS" APP_KEYS__CURRENT="$KEY" RUST_LOG=warn \
        "${SERVER_PIN[@]}" "$CP_BIN" >"$WORK/cookie-policy.log" 2>&1 &
    CP_PID=$!
    PIDS+=("$CP_PID")
    wait_healthy cookie-policy "$CP_PID" "$CP_PORT" "$WORK/cookie-policy.log"
}

start_base() {
    BASE_PORT=$(free_port)
    env APP_KEYS__CURRENT="$KEY" APP_SERVER__WORKERS="$WORKERS" RUST_LOG=warn \
        "${SERVER_PIN[@]}" "$BASE_BIN" "127.0.0.1:$BASE_PORT" >"$WORK/baseline.log" 2>&1 &
    BASE_PID=$!
    PIDS+=("$BASE_PID")
    wait_healthy baseline "$BASE_PID" "$BASE_PORT" "$WORK/baseline.log"
}

# stop_server PID: stops one server this script started and forgets it.
stop_server() {
    local pid=$1 p i keep=()
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    for p in "${PIDS[@]}"; do [[ $p == "$pid" ]] || keep+=("$p"); done
    PIDS=("${keep[@]}")
}

# Peak RSS over every process of each Rust server (with --restart, several).
HWM_CP=0 HWM_BASE=0
note_hwm() {
    local k
    k=$(proc_kb VmHWM "$CP_PID")
    ((k > HWM_CP)) && HWM_CP=$k
    k=$(proc_kb VmHWM "$BASE_PID")
    ((k > HWM_BASE)) && HWM_BASE=$k
    return 0
}

# restart_rust: new cookie-policy and baseline processes on new ports.
restart_rust() {
    note_hwm
    stop_server "$CP_PID"
    stop_server "$BASE_PID"
    start_cp
    start_base
}

setup_venv() {
    local req=$SCRIPT_DIR/requirements-bench.txt
    if [[ -x $VENV/bin/uvicorn ]] && cmp -s "$req" "$VENV/.requirements-bench.txt"; then
        return 0
    fi
    log "==> creating $VENV (fastapi, uvicorn)"
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install -q --disable-pip-version-check -r "$req" >&2
    cp "$req" "$VENV/.requirements-bench.txt"
}

start_fastapi() {
    FA_PORT=$(free_port)
    "$VENV/bin/uvicorn" --app-dir "$SCRIPT_DIR" fastapi_app:app \
        --host 127.0.0.1 --port "$FA_PORT" --workers 2 \
        --log-level warning --no-access-log >"$WORK/fastapi.log" 2>&1 &
    FA_PID=$!
    PIDS+=("$FA_PID")
    wait_healthy "FastAPI (uvicorn, 2 workers)" "$FA_PID" "$FA_PORT" "$WORK/fastapi.log"
}

# fetch PORT PATH [COOKIE]: sets STATUS, BODY and SETC (Set-Cookie values, sorted).
fetch() {
    local h=$WORK/fetch.h b=$WORK/fetch.b
    local args=(-sS --max-time 5 -D "$h" -o "$b")
    [[ -n ${3:-} ]] && args+=(-H "Cookie: $3")
    curl "${args[@]}" "http://127.0.0.1:$1$2" || die "GET 127.0.0.1:$1$2 failed"
    STATUS=$(awk 'NR == 1 { print $2 }' "$h")
    BODY=$(cat "$b")
    SETC=$(grep -i '^set-cookie:' "$h" | sed 's/^[^:]*:[[:space:]]*//' | tr -d '\r' | canon_set_cookie | sort || true)
}

# Each Set-Cookie with its attributes sorted: servers may write them in any
# order (the baseline uses the cookie crate's, cookie-policy its canonical one).
canon_set_cookie() {
    local line rest
    while IFS= read -r line; do
        if [[ $line == *";"* ]]; then
            rest=$(printf '%s\n' "${line#*;}" | tr ';' '\n' | sed 's/^ *//' | sort | paste -sd';' - | sed 's/;/; /g')
            printf '%s; %s\n' "${line%%;*}" "$rest"
        else
            printf '%s\n' "$line"
        fi
    done
}

# kB of VmHWM / VmRSS of a process and its descendants.
proc_kb() {
    local field=$1 pid=$2 total=0 p v
    for p in "$pid" $(descendants "$pid"); do
        v=$(awk -v f="$field:" '$1 == f { print $2 }' "/proc/$p/status" 2>/dev/null || true)
        total=$((total + ${v:-0}))
    done
    echo "$total"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }

# run_wrk PORT PATH COOKIE SECONDS: prints "rps p50_ms p99_ms requests bad"
# (bad = non-2xx/3xx responses + socket errors).
run_wrk() {
    local out=$WORK/wrk.$1.out args=(-t"$THREADS" -c"$CONNECTIONS" -d"${4}s" --latency)
    [[ -n $3 ]] && args+=(-H "Cookie: $3")
    if ! timeout $(($4 + 30)) "${WRK_PIN[@]}" wrk "${args[@]}" "http://127.0.0.1:$1$2" >"$out" 2>&1; then
        die "wrk failed on 127.0.0.1:$1$2:
$(cat "$out")"
    fi
    awk '
        function ms(v,   n, u) {
            n = v; u = v
            sub(/[a-z]+$/, "", n); sub(/^[0-9.]+/, "", u)
            if (u == "us") return n / 1000
            if (u == "ms") return n + 0
            if (u == "s") return n * 1000
            if (u == "m") return n * 60000
            if (u == "h") return n * 3600000
            return -1
        }
        $1 == "50%" { p50 = ms($2) }
        $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = $2 }
        / requests in / { reqs = $1 }
        /Non-2xx or 3xx responses:/ { bad += $NF }
        /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { x = $i; sub(/,/, "", x); bad += x } }
        END {
            if (rps == "" || p50 == "" || p99 == "") exit 1
            printf "%s %.3f %.3f %d %d\n", rps, p50, p99, reqs, bad
        }' "$out" || die "cannot parse wrk output:
$(cat "$out")"
}

median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "N/A" }'; }
fmt_rps() { awk -v x="$1" 'BEGIN { printf "%.0f", x }'; }
fmt_ms() { awk -v x="$1" 'BEGIN { printf "%.2f", x }'; }

# ---------------------------------------------------------------- prepare

if ! command -v wrk >/dev/null 2>&1; then
    log "==> installing wrk"
    SUDO=""
    ((EUID == 0)) || SUDO=sudo
    $SUDO apt-get update >&2 && $SUDO apt-get install -y wrk >&2
fi
command -v curl >/dev/null || die "curl is needed"
command -v python3 >/dev/null || die "python3 is needed"

if ((BUILD)); then
    log "==> cargo build --release --bin cookie-policy --example baseline"
    cargo build --manifest-path "$ROOT/Cargo.toml" --release --bin cookie-policy --example baseline >&2
fi
[[ -x $CP_BIN ]] || die "$CP_BIN is missing (drop --no-build)"
[[ -x $BASE_BIN ]] || die "$BASE_BIN is missing (drop --no-build)"
((FASTAPI && !SOAK)) && setup_venv

KEY=$("$CP_BIN" keygen)
[[ -n $KEY ]] || die "cookie-policy keygen printed no key"

# ---------------------------------------------------------------- soak

if ((SOAK)); then
    start_cp
    case $SOAK_SCENARIO in
    profile)
        soak_path=/profile soak_cookie="username=alice" soak_label="GET /profile (Cookie: username=alice)"
        soak_want='{"message":"Welcome back, alice!"}'
        ;;
    private)
        fetch "$CP_PORT" "/cookies/set?session=alice"
        soak_session=$(printf '%s\n' "$SETC" | sed -n 's/^session=\([^;]*\).*/\1/p' | head -n 1)
        [[ -n $soak_session && $soak_session != alice ]] ||
            die "cookie-policy /cookies/set?session=alice set no encrypted session cookie"
        soak_path=/cookies soak_cookie="session=$soak_session"
        soak_label="GET /cookies (Cookie: session=<encrypted alice>)"
        soak_want='{"cookies":{"session":"alice"}}'
        ;;
    *) die "SOAK_SCENARIO must be profile or private, not $SOAK_SCENARIO" ;;
    esac
    log "==> soak: about $SOAK_N requests on cookie-policy $soak_path"
    fetch "$CP_PORT" "$soak_path" "$soak_cookie"
    [[ $STATUS == 200 && $BODY == "$soak_want" ]] ||
        die "cookie-policy $soak_path answered $STATUS $BODY"
    rss0=$(proc_kb VmRSS "$CP_PID")
    log "  calibrating (2 s)"
    read -r cal_rps _ _ cal_reqs cal_bad < <(run_wrk "$CP_PORT" "$soak_path" "$soak_cookie" 2)
    rss1=$(proc_kb VmRSS "$CP_PID")
    dur=$(awk -v n="$SOAK_N" -v r="$cal_rps" -v cap="$SOAK_CAP" 'BEGIN { d = int(n / r) + (n % r > 0); if (d < 1) d = 1; if (d > cap) d = cap; print d }')
    capped=""
    awk -v n="$SOAK_N" -v r="$cal_rps" -v cap="$SOAK_CAP" 'BEGIN { exit !(n / r > cap) }' && capped=" (capped at ${SOAK_CAP} s)"
    log "  soak: ${dur} s at about $(fmt_rps "$cal_rps") req/s$capped"
    read -r s_rps s_p50 s_p99 s_reqs s_bad < <(run_wrk "$CP_PORT" "$soak_path" "$soak_cookie" "$dur")
    rss2=$(proc_kb VmRSS "$CP_PID")
    hwm=$(proc_kb VmHWM "$CP_PID")
    kill -0 "$CP_PID" 2>/dev/null || die "cookie-policy died during the soak"
    cat <<EOF
## Soak: cookie-policy, $soak_label

wrk -t$THREADS -c$CONNECTIONS, $WORKERS worker(s), $(nproc) CPU(s), $(date -u +%Y-%m-%dT%H:%MZ)

| measure | value |
|---|---|
| requests asked | $SOAK_N |
| calibration | $cal_reqs requests in 2 s ($(fmt_rps "$cal_rps") req/s) |
| soak | $s_reqs requests in ${dur} s$capped ($(fmt_rps "$s_rps") req/s, p50 $(fmt_ms "$s_p50") ms, p99 $(fmt_ms "$s_p99") ms) |
| non-2xx/3xx + socket errors | $((cal_bad + s_bad)) |
| VmRSS before | $(mib "$rss0") ($rss0 kB) |
| VmRSS after calibration | $(mib "$rss1") ($rss1 kB) |
| VmRSS after soak | $(mib "$rss2") ($rss2 kB) |
| growth over the soak | $((rss2 - rss1)) kB |
| VmHWM (peak RSS) | $(mib "$hwm") ($hwm kB) |
EOF
    exit 0
fi

# ---------------------------------------------------------------- start + check

log "==> starting servers ($WORKERS worker(s) each)"
start_cp
start_base
((FASTAPI)) && start_fastapi

log "==> checking that the servers answer alike"
for spec in "/profile|username=alice" "/login|"; do
    path=${spec%%|*} cookie=${spec#*|}
    fetch "$CP_PORT" "$path" "$cookie"
    cp_status=$STATUS cp_body=$BODY cp_setc=$SETC
    fetch "$BASE_PORT" "$path" "$cookie"
    [[ $cp_status == 200 && $STATUS == 200 ]] || die "GET $path: cookie-policy $cp_status, baseline $STATUS"
    [[ $cp_body == "$BODY" ]] || die "GET $path bodies differ:
  cookie-policy: $cp_body
  baseline:      $BODY"
    [[ $cp_setc == "$SETC" ]] || die "GET $path Set-Cookie headers differ:
  cookie-policy: ${cp_setc:-(none)}
  baseline:      ${SETC:-(none)}"
    log "  GET $path: identical: $cp_body${cp_setc:+; Set-Cookie: $cp_setc}"
    if ((FASTAPI)); then
        fetch "$FA_PORT" "$path" "$cookie"
        [[ $STATUS == 200 && $BODY == "$cp_body" ]] || die "GET $path: FastAPI answered $STATUS $BODY, cookie-policy $cp_body"
        log "  GET $path: FastAPI body identical${SETC:+ (its Set-Cookie: $SETC)}"
    fi
done

fetch "$CP_PORT" "/cookies/set?session=alice"
SESSION=$(printf '%s\n' "$SETC" | sed -n 's/^session=\([^;]*\).*/\1/p' | head -n 1)
[[ -n $SESSION ]] || die "cookie-policy /cookies/set?session=alice set no session cookie (status $STATUS, Set-Cookie: ${SETC:-none})"
[[ $SESSION != alice ]] || die "the session cookie is not encrypted (check config: cookies.overrides.session.protection)"
want='{"cookies":{"session":"alice"}}'
for srv in cookie-policy baseline; do
    port=$CP_PORT
    [[ $srv == baseline ]] && port=$BASE_PORT
    fetch "$port" /cookies "session=$SESSION"
    [[ $STATUS == 200 && $BODY == "$want" ]] || die "$srv GET /cookies with the private cookie answered $STATUS $BODY, expected $want"
done
log "  GET /cookies (Cookie: session=${SESSION:0:16}...): both answer $want"

# ---------------------------------------------------------------- measure

declare -A PATH_OF=([profile]=/profile [login]=/login [private]=/cookies)
declare -A COOKIE_OF=([profile]="username=alice" [login]="" [private]="session=$SESSION")
declare -A RES=()
port_of() { case $1 in cp) echo "$CP_PORT" ;; base) echo "$BASE_PORT" ;; fa) echo "$FA_PORT" ;; esac; }
((TOGETHER)) && ((PIN == 0 || $(nproc) < 2)) && die "--together needs PIN=1 and two CPUs"
has_fa() { ((FASTAPI)) && [[ $1 != private ]]; }
BAD=0
# check_bad SERVER SCENARIO ROUND RESULT: warns (and marks the run) when
# wrk saw non-2xx/3xx responses or socket errors, in either mode.
check_bad() {
    local bad
    read -r _ _ _ _ bad <<<"$4"
    if ((bad > 0)); then
        BAD=1
        log "  warning: $1 $2 round $3: $bad non-2xx/3xx responses or socket errors"
    fi
}

for sc in "${SCENARIOS[@]}"; do
    servers=(cp base)
    has_fa "$sc" && servers+=(fa)
    warm_up() {
        ((WARMUP > 0)) || return 0
        log "==> $sc: warm-up ${WARMUP} s per server"
        for s in "$@"; do run_wrk "$(port_of "$s")" "${PATH_OF[$sc]}" "${COOKIE_OF[$sc]}" "$WARMUP" >/dev/null; done
    }
    ((RESTART)) || warm_up "${servers[@]}"
    for ((r = 1; r <= ROUNDS; r++)); do
        if ((RESTART)); then
            log "==> $sc: round $r/$ROUNDS: new server processes"
            restart_rust
            warm_up "${servers[@]}"
        fi
        if ((r % 2)); then order=(cp base); else order=(base cp); fi
        if has_fa "$sc"; then
            if ((r % 2)); then order+=(fa); else order=(fa "${order[@]}"); fi
        fi
        if ((TOGETHER)); then
            log "==> $sc: round $r/$ROUNDS (${order[*]}, together)"
            # The two wrk start a few ms apart: which goes first alternates.
            declare -A job=()
            for s in "${order[@]}"; do
                [[ $s == fa ]] && continue
                run_wrk "$(port_of "$s")" "${PATH_OF[$sc]}" "${COOKIE_OF[$sc]}" "$DURATION" >"$WORK/res.$s" &
                job[$s]=$!
            done
            wait "${job[cp]}" || die "wrk against cookie-policy failed (see above)"
            wait "${job[base]}" || die "wrk against the baseline failed (see above)"
            for s in cp base; do
                RES[$sc,$r,$s]=$(cat "$WORK/res.$s")
                check_bad "$s" "$sc" "$r" "${RES[$sc,$r,$s]}"
            done
            order=(together)
            has_fa "$sc" && order+=(fa)
        else
            log "==> $sc: round $r/$ROUNDS (${order[*]})"
        fi
        for s in "${order[@]}"; do
            [[ $s == together ]] && continue
            res=$(run_wrk "$(port_of "$s")" "${PATH_OF[$sc]}" "${COOKIE_OF[$sc]}" "$DURATION")
            RES[$sc,$r,$s]=$res
            check_bad "$s" "$sc" "$r" "$res"
        done
        RES[$sc,$r,first]=${order[0]}
    done
done

note_hwm
((FASTAPI)) && HWM_FA=$(proc_kb VmHWM "$FA_PID")

# ---------------------------------------------------------------- report

name_of() { case $1 in cp) echo cookie-policy ;; base) echo baseline ;; fa) echo FastAPI ;; together) echo together ;; esac; }
declare -A MED_BASE=() MED_FA=()

echo "# Load benchmark: cookie-policy vs hand-written actix-web$( ((FASTAPI)) && echo " vs FastAPI")"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ); $(nproc) CPU(s): $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null); Linux $(uname -r)"
echo "wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency; $ROUNDS rounds; warm-up ${WARMUP} s; Rust servers: $WORKERS worker(s); $PINNING$( ((TOGETHER)) && echo "; cookie-policy and baseline loaded together")$( ((RESTART)) && echo "; new Rust server processes every round")$( ((FASTAPI)) && echo "; FastAPI: uvicorn, 2 workers")"
for sc in "${SCENARIOS[@]}"; do
    echo
    case $sc in
    profile) echo "## profile: GET /profile, Cookie: username=alice" ;;
    login) echo "## login: GET /login" ;;
    private) echo "## private: GET /cookies, Cookie: session=<encrypted alice>" ;;
    esac
    echo
    hdr="| run | first | cookie-policy rps | baseline rps | ratio cp/base | cp p50 ms | cp p99 ms | base p50 ms | base p99 ms |"
    sep="|---|---|---:|---:|---:|---:|---:|---:|---:|"
    if ((FASTAPI)); then
        hdr+=" FastAPI rps | FastAPI p50 ms | FastAPI p99 ms | ratio cp/FastAPI |"
        sep+="---:|---:|---:|---:|"
    fi
    echo "$hdr"
    echo "$sep"
    rb=() ra=() c_rps=() c_50=() c_99=() b_rps=() b_50=() b_99=() f_rps=() f_50=() f_99=()
    for ((r = 1; r <= ROUNDS; r++)); do
        read -r cr c5 c9 _ _ <<<"${RES[$sc,$r,cp]}"
        read -r br b5 b9 _ _ <<<"${RES[$sc,$r,base]}"
        x=$(ratio "$cr" "$br")
        rb+=("$x") c_rps+=("$cr") c_50+=("$c5") c_99+=("$c9") b_rps+=("$br") b_50+=("$b5") b_99+=("$b9")
        line="| $r | $(name_of "${RES[$sc,$r,first]}") | $(fmt_rps "$cr") | $(fmt_rps "$br") | $x | $(fmt_ms "$c5") | $(fmt_ms "$c9") | $(fmt_ms "$b5") | $(fmt_ms "$b9") |"
        if ((FASTAPI)); then
            if has_fa "$sc"; then
                read -r fr f5 f9 _ _ <<<"${RES[$sc,$r,fa]}"
                y=$(ratio "$cr" "$fr")
                ra+=("$y") f_rps+=("$fr") f_50+=("$f5") f_99+=("$f9")
                line+=" $(fmt_rps "$fr") | $(fmt_ms "$f5") | $(fmt_ms "$f9") | $y |"
            else
                line+=" N/A | N/A | N/A | N/A |"
            fi
        fi
        echo "$line"
    done
    MED_BASE[$sc]=$(ratio "$(median "${rb[@]}")" 1)
    line="| **median** | | $(fmt_rps "$(median "${c_rps[@]}")") | $(fmt_rps "$(median "${b_rps[@]}")") | **${MED_BASE[$sc]}** | $(fmt_ms "$(median "${c_50[@]}")") | $(fmt_ms "$(median "${c_99[@]}")") | $(fmt_ms "$(median "${b_50[@]}")") | $(fmt_ms "$(median "${b_99[@]}")") |"
    if ((FASTAPI)); then
        if has_fa "$sc"; then
            MED_FA[$sc]=$(ratio "$(median "${ra[@]}")" 1)
            line+=" $(fmt_rps "$(median "${f_rps[@]}")") | $(fmt_ms "$(median "${f_50[@]}")") | $(fmt_ms "$(median "${f_99[@]}")") | **${MED_FA[$sc]}** |"
        else
            MED_FA[$sc]=N/A
            line+=" N/A | N/A | N/A | N/A |"
        fi
    fi
    echo "$line"
    echo
    echo "Median ratio cookie-policy/baseline ($sc): **${MED_BASE[$sc]}**$( ((FASTAPI)) && has_fa "$sc" && echo "; cookie-policy/FastAPI: **${MED_FA[$sc]}**")"
done

echo
echo "## Summary"
echo
if ((FASTAPI)); then
    echo "| scenario | median cp/baseline | target | median cp/FastAPI | target |"
    echo "|---|---:|---:|---:|---:|"
else
    echo "| scenario | median cp/baseline | target |"
    echo "|---|---:|---:|"
fi
for sc in "${SCENARIOS[@]}"; do
    target=0.97
    [[ $sc == private ]] && target=0.90
    line="| $sc | ${MED_BASE[$sc]} | >= $target |"
    if ((FASTAPI)); then
        if has_fa "$sc"; then line+=" ${MED_FA[$sc]} | >= 10 |"; else line+=" N/A | |"; fi
    fi
    echo "$line"
done
echo
echo "| server | peak RSS (VmHWM) after all runs$( ((RESTART)) && echo ", the largest of its processes") |"
echo "|---|---:|"
echo "| cookie-policy | $(mib "$HWM_CP") |"
echo "| baseline | $(mib "$HWM_BASE") |"
((FASTAPI)) && echo "| FastAPI (all uvicorn processes: supervisor, 2 workers, resource tracker) | $(mib "$HWM_FA") |"
if ((BAD)); then
    echo
    echo "Warning: some runs had non-2xx/3xx responses or socket errors (see stderr)."
fi
exit 0
