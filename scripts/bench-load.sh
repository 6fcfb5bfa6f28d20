#!/usr/bin/env bash
# What the cookie policy layer costs under load: wrk on loopback against
# cookie-policy and the hand-written actix-web baseline (examples/baseline.rs),
# and with --fastapi against the FastAPI guide's app (scripts/fastapi_app.py).
#
#   scripts/bench-load.sh [--fastapi | --together]        (from anywhere)
#
# 1. Installs wrk (apt-get) if missing; cargo build --release --bin
#    cookie-policy --example baseline.
# 2. Starts both servers on free 127.0.0.1 ports, WORKERS workers each, with
#    one key from `cookie-policy keygen`; cookie-policy with the development
#    profile and RUST_LOG=warn. Checks that both answer /profile and /login
#    with the same body and Set-Cookie, and that both read the private cookie
#    cookie-policy's /cookies/set?session=alice seals.
# 3. Scenarios: profile (GET /profile, Cookie: username=alice), login
#    (GET /login), private (GET /cookies, Cookie: session=<sealed alice>).
#    Each: a 1 s warm-up per server, then ROUNDS rounds of one DURATION-second
#    wrk run per server, which server goes first alternating. With
#    --together, each round loads both Rust servers at once instead (both on
#    CPU 0, two wrk on CPU 1), so that a shared machine's noise hits both
#    alike: the steadier ratio on a busy host.
# 4. Prints a Markdown table per scenario with the median ratio
#    cookie-policy/baseline of requests/s, and the ratio of requests per
#    CPU-second (each Rust server's user + system time, from /proc, summed
#    over the rounds): what a request costs, which a shared machine's noise
#    moves less than the rate. Any non-2xx/3xx response or socket error wrk
#    reports is flagged in the table and makes the exit status 1.
#
# Environment: ROUNDS (5), DURATION (5 s), CONNECTIONS (32), WORKERS (1).
# The servers run on CPU 0 and wrk on CPU 1 when there are two CPUs and taskset.
# --fastapi adds uvicorn (2 workers) to profile and login, from a venv in
# target/bench-venv built from scripts/requirements-bench.txt.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
TARGET="${CARGO_TARGET_DIR:-$ROOT/target}"
[[ $TARGET == /* ]] || TARGET="$ROOT/$TARGET"
ROUNDS=${ROUNDS:-5} DURATION=${DURATION:-5} CONNECTIONS=${CONNECTIONS:-32} WORKERS=${WORKERS:-1}
FASTAPI=0 TOGETHER=0
usage() { sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
case "${1:-}" in
  "") ;;
  --fastapi) FASTAPI=1 ;;
  --together) TOGETHER=1 ;;
  -h | --help) usage; exit 0 ;;
  *) usage >&2; exit 2 ;;
esac
log() { echo "$*" >&2; }
die() { log "error: $*"; exit 1; }
((FASTAPI && TOGETHER)) && die "--fastapi and --together do not go together"
for v in ROUNDS DURATION CONNECTIONS WORKERS; do [[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "$v must be a positive whole number"; done
WORK="$(mktemp -d)"
declare -A PID=() PORT=()

cleanup() {
  local rc=$? p
  for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$rc" -eq 0 ]; then rm -rf "$WORK"; else log "bench-load: exit $rc; server logs in $WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

PIN_SERVER=() PIN_WRK=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then PIN_SERVER=(taskset -c 0) PIN_WRK=(taskset -c 1); fi

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start() { # start NAME PORT command...: runs the command until /healthz answers on PORT
  local name=$1 port=$2
  shift 2
  "${PIN_SERVER[@]}" "$@" >"$WORK/$name.log" 2>&1 &
  PID[$name]=$! PORT[$name]=$port
  for _ in $(seq 300); do
    curl -fsS -o /dev/null --max-time 1 "http://127.0.0.1:$port/healthz" 2>/dev/null && return 0
    kill -0 "${PID[$name]}" 2>/dev/null || break
    sleep 0.1
  done
  die "$name does not answer on 127.0.0.1:$port; its log:"$'\n'"$(tail -n 20 "$WORK/$name.log")"
}

fetch() { # fetch NAME PATH [COOKIE]: sets STATUS, BODY and SETC (the Set-Cookie lines)
  curl -sS --max-time 5 -D "$WORK/h" -o "$WORK/b" ${3:+-H "Cookie: $3"} "http://127.0.0.1:${PORT[$1]}$2" ||
    die "GET $2 on $1 failed"
  STATUS="$(awk 'NR == 1 {print $2}' "$WORK/h")" BODY="$(cat "$WORK/b")"
  SETC="$(tr -d '\r' <"$WORK/h" | sed -n 's/^[Ss]et-[Cc]ookie: *//p')"
}

if ! command -v wrk >/dev/null; then
  log "installing wrk (apt-get)"
  { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q wrk; } >"$WORK/apt.log" 2>&1 ||
    die "apt-get install wrk failed:"$'\n'"$(tail -n 5 "$WORK/apt.log")"
fi
log "cargo build --release --bin cookie-policy --example baseline"
cargo build --manifest-path "$ROOT/Cargo.toml" --release --bin cookie-policy --example baseline >&2
if ((FASTAPI)); then
  req="$ROOT/scripts/requirements-bench.txt" venv="$TARGET/bench-venv"
  if ! cmp -s "$req" "$venv/requirements-bench.txt"; then
    log "building $venv"
    rm -rf "$venv" && python3 -m venv "$venv" && "$venv/bin/pip" install -q -r "$req" >&2 && cp "$req" "$venv/"
  fi
fi

KEY="$("$TARGET/release/cookie-policy" keygen)"
export APP_KEYS__CURRENT="$KEY" APP_SERVER__WORKERS="$WORKERS" RUST_LOG=warn
port="$(free_port)"
start cookie-policy "$port" env APP_ENV=development APP_CONFIG_DIR="$ROOT/config" APP_SERVER__HOST=127.0.0.1 \
  APP_SERVER__PORT="$port" "$TARGET/release/cookie-policy"
port="$(free_port)"
start baseline "$port" "$TARGET/release/examples/baseline" "127.0.0.1:$port"
SERVERS=(cookie-policy baseline)
if ((FASTAPI)); then
  PIN_SERVER=() # uvicorn's two workers get both CPUs
  port="$(free_port)"
  start FastAPI "$port" "$venv/bin/uvicorn" --app-dir "$ROOT/scripts" fastapi_app:app --host 127.0.0.1 \
    --port "$port" --workers 2 --log-level warning --no-access-log
  SERVERS+=(FastAPI)
fi

log "checking that the servers answer alike"
for req in "/profile username=alice" "/login"; do
  read -r path cookie <<<"$req"
  fetch cookie-policy "$path" "$cookie"
  answer="$STATUS $BODY" set_cookie="$SETC"
  for s in "${SERVERS[@]:1}"; do
    fetch "$s" "$path" "$cookie"
    # FastAPI's cookies have other attributes: its status and body only.
    [[ "$STATUS $BODY" == "$answer" && ($s == FastAPI || $SETC == "$set_cookie") ]] ||
      die "GET $path: $s answers $STATUS $BODY, Set-Cookie: ${SETC:-none}; cookie-policy $answer, Set-Cookie: ${set_cookie:-none}"
  done
  log "  GET $path: all answer $answer${set_cookie:+, Set-Cookie: $set_cookie}"
done
fetch cookie-policy "/cookies/set?session=alice"
SESSION="$(sed -n 's/^session=\([^;]*\).*/\1/p' <<<"$SETC")"
[[ $STATUS == 302 && -n $SESSION && $SESSION != alice ]] ||
  die "/cookies/set?session=alice answered $STATUS with Set-Cookie ${SETC:-(none)}, not 302 with a sealed session"
for s in cookie-policy baseline; do
  fetch "$s" /cookies "session=$SESSION"
  [ "$STATUS $BODY" = '200 {"cookies":{"session":"alice"}}' ] || die "$s reads the private cookie as $STATUS $BODY"
done
log "  GET /cookies with the sealed session: both answer {\"cookies\":{\"session\":\"alice\"}}"

declare -A URL=([profile]=/profile [login]=/login [private]=/cookies)
declare -A COOKIE=([profile]="username=alice" [login]="" [private]="session=$SESSION")
declare -A ABOUT=([profile]=", Cookie: username=alice" [login]="" [private]=", Cookie: session=<sealed alice>")
declare -A RPS=() BAD=() REQS=() TICKS=()
ticks() { awk '{print $14 + $15}' "/proc/${PID[$1]}/stat"; } # ticks SERVER: its user + system CPU time so far
HZ="$(getconf CLK_TCK)"
errors=0
load() { # load SERVER SCENARIO SECONDS: runs wrk, its output in $WORK/wrk.SERVER
  timeout $(($3 + 30)) "${PIN_WRK[@]}" wrk -t1 -c"$CONNECTIONS" -d"$3s" ${COOKIE[$2]:+-H "Cookie: ${COOKIE[$2]}"} \
    "http://127.0.0.1:${PORT[$1]}${URL[$2]}" >"$WORK/wrk.$1" 2>&1
}
bench() { # bench SERVER SCENARIO SECONDS: sets rps, and bad (non-2xx/3xx responses + socket errors)
  load "$@" || die "wrk failed:"$'\n'"$(cat "$WORK/wrk.$1")"
  result "$1"
}
result() { # result SERVER: rps, requests and bad of the last wrk run against SERVER
  local out="$WORK/wrk.$1"
  rps="$(awk '$1 == "Requests/sec:" {print $2}' "$out")"
  requests="$(awk '$2 == "requests" && $3 == "in" {print $1}' "$out")"
  bad="$(awk '/Non-2xx or 3xx/ {n += $NF} /Socket errors:/ {gsub(/[^0-9]+/, " "); for (i = 1; i <= NF; i++) n += $i}
              END {print n + 0}' "$out")"
  [ -n "$rps" ] || die "no Requests/sec in wrk's output:"$'\n'"$(cat "$out")"
}
record() { # record SERVER ROUND CPU_TICKS: keeps rps, adds up requests and CPU time, counts bad responses
  RPS[$1]=$rps BAD[$1]=$bad
  REQS[$1]=$((${REQS[$1]:-0} + requests)) TICKS[$1]=$((${TICKS[$1]:-0} + $3))
  ((bad == 0)) || { errors=$((errors + bad)); log "  $1, round $2: $bad non-2xx/3xx responses or socket errors"; }
}
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR] = $1} END {printf "%.3f", NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f", a / b}'; }

echo "# Load benchmark: cookie-policy vs the hand-written baseline$( ((FASTAPI)) && echo " and FastAPI")"
echo
echo "$(date -u +%Y-%m-%dT%H:%MZ); $(nproc) CPUs; wrk -t1 -c$CONNECTIONS -d${DURATION}s; $ROUNDS rounds;" \
  "$WORKERS worker(s) per Rust server$( ((${#PIN_WRK[@]})) && echo "; Rust servers on CPU 0, wrk on CPU 1")"
for sc in profile login private; do
  servers=(cookie-policy baseline)
  [[ $FASTAPI == 0 || $sc == private ]] || servers+=(FastAPI)
  log "$sc: warm-up, then $ROUNDS rounds of ${DURATION}s per server"
  for s in "${servers[@]}"; do bench "$s" "$sc" 1; done
  echo
  echo "## $sc: GET ${URL[$sc]}${ABOUT[$sc]}"
  echo
  printf '| round | first |%s cookie-policy/baseline |\n' "$(printf ' %s req/s |' "${servers[@]}")"
  printf '|---:|---|%s---:|\n' "$(printf -- '---:|%.0s' "${servers[@]}")"
  ratios=() fastapi=() REQS=() TICKS=()
  for ((r = 1; r <= ROUNDS; r++)); do
    order=("${servers[@]}")
    ((r % 2)) || order=(baseline cookie-policy "${servers[@]:2}")
    if ((TOGETHER)); then
      t0=("$(ticks cookie-policy)" "$(ticks baseline)")
      load cookie-policy "$sc" "$DURATION" & a=$!
      load baseline "$sc" "$DURATION" & b=$!
      { wait "$a" && wait "$b"; } || die "wrk failed:"$'\n'"$(cat "$WORK"/wrk.*)"
      t1=("$(ticks cookie-policy)" "$(ticks baseline)")
      result cookie-policy && record cookie-policy "$r" $((t1[0] - t0[0]))
      result baseline && record baseline "$r" $((t1[1] - t0[1]))
      order=(together)
    else
      for s in "${order[@]}"; do
        # uvicorn's workers are its children, not counted in its own CPU time: no CPU figure.
        if [ "$s" = FastAPI ]; then bench "$s" "$sc" "$DURATION" && record "$s" "$r" 0 && continue; fi
        start_ticks="$(ticks "$s")"
        bench "$s" "$sc" "$DURATION"
        record "$s" "$r" $(($(ticks "$s") - start_ticks))
      done
    fi
    ratios+=("$(ratio "${RPS[cookie-policy]}" "${RPS[baseline]}")")
    [ ${#servers[@]} = 2 ] || fastapi+=("$(ratio "${RPS[cookie-policy]}" "${RPS[FastAPI]}")")
    row="| $r | ${order[0]} |"
    for s in "${servers[@]}"; do row+=" $(printf %.0f "${RPS[$s]}")$( ((BAD[$s] == 0)) || echo " (${BAD[$s]} errors)") |"; done
    echo "$row ${ratios[-1]} |"
  done
  echo
  echo "Median ratio cookie-policy/baseline ($sc): **$(median "${ratios[@]}")**"
  per_cpu() { awk -v n="${REQS[$1]}" -v t="${TICKS[$1]}" -v hz="$HZ" 'BEGIN {printf "%.0f", t ? n * hz / t : 0}'; }
  echo "Requests per CPU-second over all rounds ($sc): cookie-policy $(per_cpu cookie-policy), baseline" \
    "$(per_cpu baseline); ratio **$(ratio "$(per_cpu cookie-policy)" "$(per_cpu baseline)")**"
  [ ${#fastapi[@]} = 0 ] || echo "Median ratio cookie-policy/FastAPI ($sc): **$(median "${fastapi[@]}")**"
done
if ((errors)); then
  echo
  echo "**Warning**: wrk reported $errors non-2xx/3xx responses or socket errors (see the rows marked \"errors\")."
  exit 1
fi
